"""The fixture database's first revision: what the infra tests hash (never run)."""

revision = "0001"
down_revision = None
