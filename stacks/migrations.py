"""Schema migrations as a step of ``pulumi up``.

How migrations run at deploy time: every ``Database`` that names an Alembic scripts folder
(``migrations``, relative to ``runtime/``) is migrated by the app's pure Lambda function
``migrate_<database>`` (``@app.lambda_function(name="migrate_ledger")``), which must hold the
database's ``connect()`` grant. The stack invokes that function once per deploy that changes
the scripts: an ``aws.lambda_.Invocation`` whose ``triggers`` carry a SHA-256 of every file of
the scripts folder *inside the deployed archive* (names and contents), so what runs is what was
hashed (``archive_scripts_hash``; ``stacks/package.py`` refuses an archive older than runtime/).
The function retries connecting for a few minutes, since a new proxy registers its target
after Pulumi reports it created. Pulumi creates the invocation only after the function,
the database, the RDS Proxy and its target, and the VPC endpoints (or NAT) the function needs
exist, and replaces it, which invokes the function again, exactly when a script is added or
edited; a deploy without script changes does not invoke it. The invocation is synchronous: if
the function raises, ``pulumi up`` fails there. Every other function that connects to the database
depends on the invocation, so new code that needs the new schema is rolled out only after the
migration succeeded. Migrations must therefore be backwards compatible with the code still
running (expand first, contract in a later deploy), since the old code serves traffic while they run.

Usage::

    scripts_hash(RUNTIME / "chalicelib/ledger/migrations")      # '3f2a...'
    migrators(plan, MANIFEST.databases)                        # {'ledger': FunctionPlan('migrate_ledger', ...)}
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path, PurePosixPath

import pulumi
import pulumi_aws as aws

from chalicelib.core.declarations import Database
from stacks.appgraph import AppGraphError, AppPlan, FunctionPlan, NoTrigger

RUNTIME = Path(__file__).resolve().parents[1] / "runtime"
_IGNORED = {"__pycache__", ".pytest_cache"}


def migrator_name(database: Database) -> str:
    """The pure Lambda function that migrates ``database``: ``migrate_<name>`` (dashes as underscores)."""
    return f"migrate_{database.name.replace('-', '_')}"


def scripts_folder(database: Database, runtime: Path = RUNTIME) -> Path:
    return runtime / database.migrations


def scripts_hash(folder: Path, ignore: Iterable[str] = ()) -> str:
    """SHA-256 over every file below ``folder`` (relative path and bytes), in a stable order; caches and the
    folders named in ``ignore`` left out."""
    if not folder.is_dir():
        raise FileNotFoundError(f"the folder {folder} does not exist; fix Database(..., migrations=...)")
    digest = hashlib.sha256()
    skipped = _IGNORED | set(ignore)
    files = sorted(p for p in folder.rglob("*")
                   if p.is_file() and not skipped & set(p.relative_to(folder).parts) and p.suffix != ".pyc")
    for path in files:
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def archive_scripts_hash(archive: Path, folder: str) -> str:
    """The ``scripts_hash`` of ``folder`` (relative to the archive's root) as packaged in the zip ``archive``.

    The same digest as ``scripts_hash`` over the source folder when the archive is current.
    """
    prefix = PurePosixPath(folder)
    digest = hashlib.sha256()
    with zipfile.ZipFile(archive) as packaged:
        entries = sorted(
            (PurePosixPath(info.filename).relative_to(prefix), info) for info in packaged.infolist()
            if not info.is_dir() and PurePosixPath(info.filename).is_relative_to(prefix)
            and not _IGNORED & set(PurePosixPath(info.filename).parts) and not info.filename.endswith(".pyc"))
        if not entries:
            raise FileNotFoundError(f"{archive} holds no migrations under {folder}/: rebuild it with `make package`")
        for relative, info in entries:
            digest.update(relative.as_posix().encode() + b"\0")
            digest.update(hashlib.sha256(packaged.read(info)).digest())
    return digest.hexdigest()


def migrators(plan: AppPlan, databases: Iterable[Database]) -> dict[str, FunctionPlan]:
    """The migrate function of each database that has migrations and whose app declares one.

    Raises ``AppGraphError`` when ``migrate_<name>`` exists but cannot migrate: it must be a pure
    Lambda (invoked by the stack, nothing else) holding the database's ``connect()`` grant.
    """
    found: dict[str, FunctionPlan] = {}
    names = {f.name: f for f in plan.functions}
    for database in databases:
        function = names.get(migrator_name(database))
        if not database.migrations or function is None:
            continue
        if not isinstance(function.trigger, NoTrigger):
            raise AppGraphError(f"{function.name} ({function.handler}) migrates database {database.name!r}: make it "
                                f"a pure @app.lambda_function, not a {function.trigger.kind} handler")
        if database not in function.resources("database"):
            raise AppGraphError(f"{function.name} ({function.handler}) migrates database {database.name!r} but lacks "
                                f"its grant: add @uses({database.name.upper().replace('-', '_')}.connect())")
        found[database.name] = function
    return found


def missing_migrators(plan: AppPlan, databases: Iterable[Database]) -> list[str]:
    """Databases that declare migrations but whose app has no ``migrate_<name>`` function to run them."""
    names = {f.name for f in plan.functions}
    return [d.name for d in databases if d.migrations and migrator_name(d) not in names]


def invoke_migrations(name: str, database: Database, function: aws.lambda_.Function, scripts: str,
                      depends_on: Sequence[pulumi.Resource], opts: pulumi.ResourceOptions) -> aws.lambda_.Invocation:
    """The invocation that migrates ``database`` whenever ``scripts`` (the folder's hash) changes."""
    return aws.lambda_.Invocation(
        name,
        function_name=function.name,
        input=json.dumps({"action": "migrate", "database": database.name, "revision": "head"}, sort_keys=True),
        # Replaced, and so invoked again, exactly when a migration script changes.
        triggers={"scripts": scripts},
        lifecycle_scope="CREATE_ONLY",
        opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[function, *depends_on])),
    )


def invoke_database_lifecycle(name: str, database: Database, function: aws.lambda_.Function,
                              depends_on: Sequence[pulumi.Resource],
                              opts: pulumi.ResourceOptions) -> aws.lambda_.Invocation:
    """The invocation that creates the stack's own database and role in a shared server, and drops them
    when the stack is destroyed.

    With ``lifecycle_scope="CRUD"`` the provider invokes the function on create, update and delete,
    adding ``{"tf": {"action": "create"|"update"|"delete", "prev_input": ...}}`` to the input (the
    provider's documentation). The input never changes (no triggers), so the invocation is not
    replaced: a replacement would drop the database before creating it again.
    """
    return aws.lambda_.Invocation(
        name,
        function_name=function.name,
        input=json.dumps({"action": "database", "database": database.name}, sort_keys=True),
        lifecycle_scope="CRUD",
        # Should it ever be replaced, drop first: created first, the old one's delete would drop the new database.
        opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[function, *depends_on],
                                                                       delete_before_replace=True)),
    )
