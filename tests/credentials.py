"""The password test users sign up with (long enough, and not a common one)."""

PASSWORD = "a quiet lighthouse keeper"
