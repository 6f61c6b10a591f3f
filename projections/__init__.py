"""Projection relay and projectors (issue 3)."""
