"""Backup and restore of the whole network: ``flask --app wsgi export-all FILE`` / ``import-all FILE``."""
