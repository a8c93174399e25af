"""What the ``migrate_ledger`` function does with the stack's event: migrate, and on a shared server
create the preview's database first, or drop it.

The event is the ``aws.lambda_.Invocation``'s input. With ``lifecycle_scope="CRUD"`` the provider
adds ``"tf": {"action": "create" | "update" | "delete", "prev_input": <the previous input or null>}``
(terraform-provider-aws ``internal/service/lambda/invocation.go``, ``buildInput``: the key is the
resource's ``terraform_key``, default ``tf``; on delete ``prev_input`` is the current input).
Without that key (``CREATE_ONLY``) the event is a create. ``revision`` (default ``head``) is where
to migrate to.

* ``DATABASE_ADMIN_SECRET_ARN`` set (previews, on the account's shared server): create and update
  make the login role of ``DATABASE_SECRET_ARN``'s secret (or reset its password) and the database
  ``DATABASE_NAME`` it owns, then migrate as that role; delete drops the database and the role.
* Unset (dev, prod: a server of their own): create and update migrate; delete does nothing.

Usage::

    run(Request.from_event(event), patience_for(context))   # {'action': 'create', 'migrated': '0002', ...}
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from chalicelib.ledger.db import credentials, make_engine, server_url
from chalicelib.ledger.migrate import migrate
from chalicelib.ledger.patience import Backoff, Patience
from chalicelib.ledger.provision import drop_database, ensure_database

ACTIONS = ("create", "update", "delete")
LIFECYCLE_KEY = "tf"
ADMIN_DATABASE = "postgres"  # every RDS PostgreSQL server has it; the master connects there to create others
MAX_PATIENCE_SECONDS = 240.0
RESERVE_SECONDS = 60.0  # of the function's time, kept for the migration itself after connecting


class DeployError(ValueError):
    """The event or the environment cannot be acted on."""


@dataclass(frozen=True)
class Request:
    """The lifecycle action and the revision to migrate to."""

    action: str = "create"
    revision: str = "head"

    @classmethod
    def from_event(cls, event: object) -> Request:
        if not isinstance(event, dict):
            raise DeployError(f"the event must be a JSON object, not {type(event).__name__}")
        lifecycle = event.get(LIFECYCLE_KEY) or {}
        action = lifecycle.get("action", "create") if isinstance(lifecycle, dict) else None
        if action not in ACTIONS:
            raise DeployError(f"event[{LIFECYCLE_KEY!r}]['action'] must be one of {ACTIONS}, not {action!r}")
        revision = event.get("revision", "head")
        if not isinstance(revision, str) or not revision:
            raise DeployError(f"event['revision'] must be a revision id or 'head', not {revision!r}")
        return cls(action, revision)


def patience_for(context: Any) -> Patience:
    """Retries for at most four minutes, and never past the function's own timeout (less a reserve)."""
    budget = MAX_PATIENCE_SECONDS
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    if callable(remaining):
        budget = max(0.0, min(budget, remaining() / 1000 - RESERVE_SECONDS))
    return Patience(Backoff(budget_seconds=budget))


def run(request: Request, patience: Patience) -> dict[str, Any]:
    """Do what ``request`` asks of this environment's ledger database; the answer lands in Pulumi's state."""
    answer: dict[str, Any] = {"action": request.action}
    admin_arn = os.environ.get("DATABASE_ADMIN_SECRET_ARN")
    if not admin_arn:
        if request.action == "delete":
            return {**answer, "dropped": [], "note": "the database has a server of its own: nothing to drop"}
        return {**answer, "migrated": migrate(revision=request.revision, patience=patience)}

    database, app_arn = os.environ.get("DATABASE_NAME"), os.environ.get("DATABASE_SECRET_ARN")
    if os.environ.get("DATABASE_URL") or not database or not app_arn:
        raise DeployError("DATABASE_ADMIN_SECRET_ARN needs DATABASE_HOST, DATABASE_NAME and DATABASE_SECRET_ARN "
                          "(and no DATABASE_URL)")
    role = credentials(app_arn, max_age=0)  # the preview's role, as its functions will log in
    answer.update(database=database, role=role.username)
    admin_engine = make_engine(server_url(ADMIN_DATABASE), secret_arn=admin_arn)
    try:
        with patience.connect(admin_engine) as admin:
            admin.execution_options(isolation_level="AUTOCOMMIT")
            if request.action == "delete":
                return {**answer, "dropped": drop_database(admin, database, role.username)}
            answer["created"] = ensure_database(admin, database, role.username, role.password)
    finally:
        admin_engine.dispose()
    return {**answer, "migrated": migrate(revision=request.revision, patience=patience)}
