"""Alembic's entry point for the fixture database (hashed by the infra tests, never run)."""
