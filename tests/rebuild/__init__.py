"""Tests of projection rebuilds, verify, status and the runner's version-gap patience."""
