"""Databases: one PostgreSQL RDS instance per declared ``Database``, behind an RDS Proxy that requires TLS.

The master password is RDS-managed (``manage_master_user_password``): RDS creates the
Secrets Manager secret (JSON with ``username`` and ``password``), encrypts it with the
AWS-managed ``aws/secretsmanager`` key (so readers need no ``kms:Decrypt`` grant) and rotates it.
The proxy authenticates with that secret through a role that may read exactly it; functions
with a ``connect()`` grant read it too (their policies come from ``stacks/policies.py``) and
reach the proxy, never the instance: the security groups chain functions -> proxy -> database.

Per environment: prod is Multi-AZ, deletion-protected, keeps a final snapshot and 14 days of
backups; dev keeps 3 days and skips the final snapshot; previews run the smallest class
(``db.t4g.micro``) with one day of backups, no Performance Insights and no storage autoscaling.

Usage::

    databases = Databases("social-dev-databases", DatabasesArgs(settings, MANIFEST.databases, network), opts)
    endpoint = databases.endpoints["ledger"]
    endpoint.host, endpoint.port, endpoint.name, endpoint.secret_arn
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from chalicelib.core.declarations import Database
from stacks.network import POSTGRES_PORT, Network
from stacks.secrets import recovery_window_days
from stacks.settings import StackSettings

LOG_EXPORTS = ("postgresql", "upgrade")
PROXY_IDLE_CLIENT_TIMEOUT_SECONDS = 1800
PERFORMANCE_INSIGHTS_FREE_DAYS = 7
# Lambda opens many short connections: the proxy keeps a pool below the instance's max_connections.
POOL_MAX_CONNECTIONS_PERCENT = 90
POOL_MAX_IDLE_PERCENT = 10
POOL_BORROW_TIMEOUT_SECONDS = 30
BACKUP_WINDOW = "03:00-04:00"  # UTC, before the maintenance window
MAINTENANCE_WINDOW = "sun:04:30-sun:05:30"


@dataclass(frozen=True)
class DatabaseEndpoint:
    """How a connect-granted function reaches one database: the proxy, the port, the database and its secret."""

    host: pulumi.Output[str]
    port: int
    name: str
    secret_arn: pulumi.Output[str]
    migrations: str  # the Alembic scripts folder, relative to runtime/ ('' when none)
    ready: tuple[pulumi.Resource, ...] = field(default=())  # the proxy and its target: connectable once these exist
    # A shared server's master secret: only the migrate function reads it, to create and drop this database.
    admin_secret_arn: pulumi.Output[str] | None = None


@dataclass(frozen=True)
class DatabasesArgs:
    """The environment, the declared databases and the network they live in."""

    settings: StackSettings
    databases: tuple[Database, ...]
    network: Network


def database_name(declared: Database) -> str:
    """The PostgreSQL database name: the logical name with underscores (``coin-ledger`` -> ``coin_ledger``)."""
    return declared.name.replace("-", "_")


def engine_family(version: str) -> str:
    """The parameter group family of an engine version.

    >>> engine_family("16.4")
    'postgres16'
    """
    return f"postgres{version.split('.')[0]}"


class Databases(pulumi.ComponentResource):
    """Per database: subnet group, SSL-only parameter group, encrypted private instance, TLS-only proxy."""

    instances: dict[str, aws.rds.Instance]
    proxies: dict[str, aws.rds.Proxy]
    proxy_roles: dict[str, aws.iam.Role]
    endpoints: dict[str, DatabaseEndpoint]

    def __init__(self, name: str, args: DatabasesArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("social:database:Databases", name, None, opts)
        self.instances, self.proxies, self.proxy_roles, self.endpoints = {}, {}, {}, {}
        for declared in args.databases:
            self._database(declared, args)
        self.register_outputs({
            "proxyEndpoints": {n: e.host for n, e in self.endpoints.items()},
            "secretArns": {n: e.secret_arn for n, e in self.endpoints.items()},
        })

    def _database(self, declared: Database, args: DatabasesArgs) -> None:
        settings, network = args.settings, args.network
        namer = settings.namer
        child = pulumi.ResourceOptions(parent=self)
        logical = declared.name
        tags = namer.tags(component="database", database=logical)
        prod_like = settings.deletion_protection  # prod: protected, with a final snapshot

        subnets = aws.rds.SubnetGroup(
            namer.name(f"{logical}-db-subnets"),
            name=namer.name(f"{logical}-db", 255),
            description=f"private subnets of the {logical} database",
            subnet_ids=[s.id for s in network.private_subnets],
            tags=tags,
            opts=child,
        )
        parameters = aws.rds.ParameterGroup(
            namer.name(f"{logical}-db-parameters"),
            name=namer.name(f"{logical}-db", 255),
            family=engine_family(settings.db_engine_version),
            description=f"{logical}: TLS only",
            parameters=[aws.rds.ParameterGroupParameterArgs(name="rds.force_ssl", value="1")],
            tags=tags,
            opts=child,
        )
        identifier = namer.name(f"{logical}-db", 63)
        autoscaling = settings.db_max_allocated_storage_gb > settings.db_allocated_storage_gb
        # RDS would create these itself, unmanaged and never expiring.
        log_groups = [
            aws.cloudwatch.LogGroup(
                namer.name(f"{logical}-db-{export}-logs"),
                name=f"/aws/rds/instance/{identifier}/{export}",
                retention_in_days=settings.log_retention_days,
                tags=tags,
                opts=child,
            )
            for export in LOG_EXPORTS
        ]
        instance = aws.rds.Instance(
            namer.name(f"{logical}-db"),
            identifier=identifier,
            engine="postgres",
            engine_version=settings.db_engine_version,
            instance_class=settings.db_instance_class,
            allocated_storage=settings.db_allocated_storage_gb,
            max_allocated_storage=settings.db_max_allocated_storage_gb if autoscaling else None,
            storage_type="gp3",
            storage_encrypted=True,
            db_name=database_name(declared),
            username=f"{database_name(declared)}_admin",
            manage_master_user_password=True,
            db_subnet_group_name=subnets.name,
            vpc_security_group_ids=[network.database_group.id],
            publicly_accessible=False,
            parameter_group_name=parameters.name,
            multi_az=settings.db_multi_az,
            backup_retention_period=settings.db_backup_retention_days,
            backup_window=BACKUP_WINDOW,
            maintenance_window=MAINTENANCE_WINDOW,
            copy_tags_to_snapshot=True,
            delete_automated_backups=not prod_like,
            deletion_protection=settings.deletion_protection,
            skip_final_snapshot=not prod_like,
            final_snapshot_identifier=namer.name(f"{logical}-db-final", 255) if prod_like else None,
            auto_minor_version_upgrade=True,
            allow_major_version_upgrade=False,
            apply_immediately=not prod_like,  # prod changes wait for the maintenance window
            performance_insights_enabled=settings.db_performance_insights,
            performance_insights_retention_period=(PERFORMANCE_INSIGHTS_FREE_DAYS
                                                   if settings.db_performance_insights else None),
            enabled_cloudwatch_logs_exports=list(LOG_EXPORTS),
            iam_database_authentication_enabled=False,
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=log_groups, protect=settings.deletion_protection),
        )
        secret_arn: pulumi.Output[str] = instance.master_user_secrets.apply(_secret_arn)
        self.instances[logical] = instance
        if network.proxy_group is None:
            # No proxy (a small shared server): functions reach the instance itself, over TLS (rds.force_ssl).
            self.endpoints[logical] = DatabaseEndpoint(
                host=instance.address, port=POSTGRES_PORT, name=database_name(declared), secret_arn=secret_arn,
                migrations=declared.migrations, ready=(instance,))
            return

        role = aws.iam.Role(
            namer.name(f"{logical}-proxy-role"),
            name=namer.global_name(f"{logical}-proxy-role", 64),
            description=f"RDS Proxy of {logical}: may read the database's managed secret, nothing else",
            assume_role_policy=json.dumps({"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"Service": "rds.amazonaws.com"}, "Action": "sts:AssumeRole"}]}),
            tags=tags,
            opts=child,
        )
        policy = aws.iam.RolePolicy(
            namer.name(f"{logical}-proxy-policy"),
            name=namer.name(f"{logical}-proxy-secret", 128),
            role=role.id,
            policy=secret_arn.apply(lambda arn: json.dumps(proxy_policy(arn), sort_keys=True)),
            opts=child,
        )
        proxy = aws.rds.Proxy(
            namer.name(f"{logical}-proxy"),
            name=namer.name(f"{logical}-proxy", 60),
            engine_family="POSTGRESQL",
            require_tls=True,
            role_arn=role.arn,
            vpc_subnet_ids=[s.id for s in network.private_subnets],
            vpc_security_group_ids=[network.proxy_group.id],  # not None: checked above
            idle_client_timeout=PROXY_IDLE_CLIENT_TIMEOUT_SECONDS,
            debug_logging=False,  # it would log the queries
            auths=[aws.rds.ProxyAuthArgs(
                auth_scheme="SECRETS",
                secret_arn=secret_arn,
                iam_auth="DISABLED",
                client_password_auth_type="POSTGRES_SCRAM_SHA_256",
                description="the RDS-managed master secret",
            )],
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[policy]),
        )
        target_group = aws.rds.ProxyDefaultTargetGroup(
            namer.name(f"{logical}-proxy-pool"),
            db_proxy_name=proxy.name,
            connection_pool_config=aws.rds.ProxyDefaultTargetGroupConnectionPoolConfigArgs(
                max_connections_percent=POOL_MAX_CONNECTIONS_PERCENT,
                max_idle_connections_percent=POOL_MAX_IDLE_PERCENT,
                connection_borrow_timeout=POOL_BORROW_TIMEOUT_SECONDS,
                # SET statements would pin a client to one database connection; SQLAlchemy issues none we rely on.
                session_pinning_filters=["EXCLUDE_VARIABLE_SETS"],
            ),
            opts=child,
        )
        target = aws.rds.ProxyTarget(
            namer.name(f"{logical}-proxy-target"),
            db_proxy_name=proxy.name,
            target_group_name=target_group.name,
            db_instance_identifier=instance.identifier,
            opts=child,
        )
        self.proxies[logical] = proxy
        self.proxy_roles[logical] = role
        self.endpoints[logical] = DatabaseEndpoint(
            host=proxy.endpoint, port=POSTGRES_PORT, name=database_name(declared), secret_arn=secret_arn,
            migrations=declared.migrations, ready=(proxy, target_group, target))


def _secret_arn(secrets: Sequence[aws.rds.outputs.InstanceMasterUserSecret]) -> str:
    if not secrets or not secrets[0].secret_arn:
        raise ValueError("the instance has no RDS-managed master secret: manage_master_user_password must be set")
    return secrets[0].secret_arn


def proxy_policy(secret_arn: str) -> dict[str, object]:
    """The proxy role's policy: read the one secret it authenticates with.

    >>> proxy_policy("arn:s")["Statement"][0]["Resource"]
    ['arn:s']
    """
    return {"Version": "2012-10-17", "Statement": [{
        "Sid": "ReadDatabaseSecret", "Effect": "Allow",
        "Action": ["secretsmanager:GetSecretValue"], "Resource": [secret_arn],
    }]}


@dataclass(frozen=True)
class SharedDatabasesArgs:
    """The environment, the declared databases, and the shared server (from the account stack)."""

    settings: StackSettings
    databases: tuple[Database, ...]
    host: pulumi.Input[str]
    admin_secret_arn: pulumi.Output[str]


def shared_database_name(declared: Database, stack: str) -> str:
    """The stack's own database (and login role) in a shared server: ``ledger_preview_feature_x``.

    >>> shared_database_name(Database("ledger"), "preview-feature-x")
    'ledger_preview_feature_x'
    """
    return f"{database_name(declared)}_{stack.replace('-', '_')}"


class SharedDatabases(pulumi.ComponentResource):
    """Per database: the stack's own login role's secret, in a server the account stack shares.

    The database and the role themselves are created (and, on destroy, dropped) by the stack's
    migrate function, which alone may read the server's master secret (``stacks/migrations.py``).
    """

    endpoints: dict[str, DatabaseEndpoint]

    def __init__(self, name: str, args: SharedDatabasesArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("social:database:SharedDatabases", name, None, opts)
        settings = args.settings
        namer = settings.namer
        child = pulumi.ResourceOptions(parent=self)
        self.endpoints = {}
        for declared in args.databases:
            logical = declared.name
            own = shared_database_name(declared, settings.stack)
            password = random.RandomPassword(namer.name(f"{logical}-db-password"), length=40, special=False,
                                             opts=child)
            secret = aws.secretsmanager.Secret(
                namer.name(f"{logical}-db-secret"),
                name=namer.name(f"{logical}-db-credentials", 512),
                description=f"the login role of {own} in the shared database server",
                recovery_window_in_days=recovery_window_days(settings),
                tags=namer.tags(component="database", database=logical),
                opts=child,
            )
            version = aws.secretsmanager.SecretVersion(
                namer.name(f"{logical}-db-secret-value"),
                secret_id=secret.id,
                # The shape of RDS's managed secret, which the runtime reads the same way.
                secret_string=pulumi.Output.json_dumps({"username": own, "password": password.result}),
                opts=child,
            )
            self.endpoints[logical] = DatabaseEndpoint(
                host=pulumi.Output.from_input(args.host), port=POSTGRES_PORT, name=own, secret_arn=secret.arn,
                migrations=declared.migrations, ready=(version,), admin_secret_arn=args.admin_secret_arn)
        self.register_outputs({"databases": {n: e.name for n, e in self.endpoints.items()}})
