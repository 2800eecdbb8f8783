"""Peer reviews of a city's submitted self-assessment, and the reviewed city's response."""
