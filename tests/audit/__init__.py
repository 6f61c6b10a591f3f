"""Tests of the audit trail: hash chain, verification, replay (CLI and API)."""
