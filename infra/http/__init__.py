"""HTTP plumbing shared by the write and query APIs: auth, problem responses, middleware, ops."""
