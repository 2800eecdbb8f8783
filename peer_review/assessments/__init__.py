"""A city's self-assessment against a cycle's rubric version, criterion by criterion, never losing a word."""
