"""Peer-review assignments: which reviewer cities review which city in a cycle."""
