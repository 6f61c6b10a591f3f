"""Composition root, settings, logging, the local server launcher and the CLI."""
