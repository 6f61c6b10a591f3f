"""Commands: typed messages, their handlers, and the bus that runs them against the event store
with authorization, optimistic-concurrency retries and idempotency."""
