"""The write API: HTTP routes that turn requests into commands for the command bus."""
