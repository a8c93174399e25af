"""The coin ledger: double-entry transfers on PostgreSQL (SQLite for the local platform)."""
