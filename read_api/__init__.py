"""Query API (issue 3)."""
