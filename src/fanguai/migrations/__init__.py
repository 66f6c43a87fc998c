"""Alembic migrations (reviewed by hand; data changes in their own revisions)."""
