"""Rubrics: versioned rubric files (rubrics/<rubric-id>/<version>.yaml), validated, stored with their hash."""
