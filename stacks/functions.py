"""Functions: one Lambda per planned handler, each with its own log group and least-privilege role.

A function with a database's ``connect()`` grant runs in the VPC (the private subnets and the
functions' security group), gets ``DATABASE_HOST`` (the RDS Proxy), ``DATABASE_PORT``,
``DATABASE_NAME`` and ``DATABASE_SECRET_ARN``, and may read that secret; every other function
stays outside the VPC. A database's ``migrate_<name>`` function is created first and invoked by
the stack when its scripts change (``stacks/migrations.py``); the database's other functions
are created or updated only after that invocation succeeded.

Usage::

    functions = Functions("social-dev-functions", FunctionsArgs(settings, plan, code, environment, arns), opts)
    functions.functions["api_handler"].invoke_arn, functions.roles["api_ledger"].arn
    functions.migrations["ledger"]  # the aws.lambda_.Invocation that migrated the ledger
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from chalicelib.core.declarations import Database
from chalicelib.core.environment import DATABASE_VARIABLES, database_environment
from stacks.appgraph import ApiTrigger, AppGraphError, AppPlan, FunctionPlan
from stacks.database import DatabaseEndpoint
from stacks.migrations import invoke_migrations, migrators, scripts_folder, scripts_hash
from stacks.network import Network
from stacks.policies import ResourceArns, VpcAccess, function_policy
from stacks.settings import StackSettings

# Lambda sets these itself and refuses a function that tries to.
RESERVED_ENVIRONMENT = frozenset({
    "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
    "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME", "AWS_EXECUTION_ENV", "AWS_XRAY_DAEMON_ADDRESS",
    "AWS_XRAY_CONTEXT_MISSING", "_HANDLER", "_X_AMZN_TRACE_ID", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR",
})

_ASSUME_LAMBDA = json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
})


@dataclass(frozen=True)
class ResourceArnInputs:
    """The (unresolved) ARNs the policies may name, by logical name."""

    tables: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    table_indexes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    table_streams: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    queues: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    topics: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    buckets: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    user_pool: pulumi.Input[str] | None = None
    failure_queues: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)  # by function name
    websocket_execution_arn: pulumi.Input[str] | None = None


@dataclass(frozen=True)
class FunctionsArgs:
    """The environment, the plan, the code archive, the shared environment variables and the ARNs.

    ``databases`` (declared) and ``endpoints`` (by logical name) and ``network`` are needed as soon
    as a function connects to a database.
    """

    settings: StackSettings
    plan: AppPlan
    code: pulumi.Archive
    environment: Mapping[str, pulumi.Input[str]]
    arns: ResourceArnInputs
    databases: tuple[Database, ...] = ()
    endpoints: Mapping[str, DatabaseEndpoint] = field(default_factory=dict)
    network: Network | None = None


class Functions(pulumi.ComponentResource):
    """Python Lambdas with X-Ray, per-function log groups and roles derived from grants."""

    functions: dict[str, aws.lambda_.Function]
    roles: dict[str, aws.iam.Role]
    log_groups: dict[str, aws.cloudwatch.LogGroup]
    migrations: dict[str, aws.lambda_.Invocation]  # by database

    def __init__(self, name: str, args: FunctionsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("social:functions:Functions", name, None, opts)
        reserved = sorted(RESERVED_ENVIRONMENT & set(args.environment))
        if reserved:
            raise ValueError(f"environment variables {reserved} are reserved by Lambda and set by it")
        shared = sorted(set(DATABASE_ENV) & set(args.environment))
        if shared:
            raise ValueError(f"environment variables {shared} are set per function, only where it connects")
        self.functions, self.roles, self.log_groups, self.migrations = {}, {}, {}, {}
        migrating = migrators(args.plan, args.databases)
        migrator_names = {f.name for f in migrating.values()}
        # Migrators first, then their invocations, then everything else (the database's other functions wait).
        for function in migrating.values():
            self._function(function, args, migrator=True)
        for database in args.databases:
            if database.name in migrating:
                self._migrate(database, migrating[database.name], args)
        for function in args.plan.functions:
            if function.name not in migrator_names:
                self._function(function, args)
        self.register_outputs({
            "functionNames": {logical: f.name for logical, f in self.functions.items()},
            "functionArns": {logical: f.arn for logical, f in self.functions.items()},
        })

    def _migrate(self, database: Database, function: FunctionPlan, args: FunctionsArgs) -> None:
        endpoint = args.endpoints[database.name]
        network_ready = args.network.ready if args.network is not None else []
        self.migrations[database.name] = invoke_migrations(
            args.settings.namer.name(f"{database.name}-migrate", 128),
            database,
            self.functions[function.name],
            scripts_hash(scripts_folder(database)),
            depends_on=[*endpoint.ready, *network_ready],
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _function(self, function: FunctionPlan, args: FunctionsArgs, migrator: bool = False) -> None:
        settings = args.settings
        namer = settings.namer
        child = pulumi.ResourceOptions(parent=self)
        function_name = namer.name(function.name, 64)
        tags = namer.tags(component="functions", function=function.name)
        log_group = aws.cloudwatch.LogGroup(
            f"{function_name}-logs",
            name=f"/aws/lambda/{function_name}",
            retention_in_days=settings.log_retention_days,
            tags=tags,
            opts=child,
        )
        role = aws.iam.Role(
            f"{function_name}-role",
            name=namer.name(f"{function.name}-role", 64),
            description=f"runs {function.handler}; may touch only what the handler declares with @uses",
            assume_role_policy=_ASSUME_LAMBDA,
            tags=tags,
            opts=child,
        )
        arns = args.arns
        database = _connected_database(function)
        network = args.network
        if database is not None and (network is None or database.name not in args.endpoints):
            raise AppGraphError(f"function {function.name!r} connects to database {database.name!r}, "
                                "which the stack did not create")
        vpc: dict[str, Any] | None = None
        if database is not None and network is not None:
            vpc = {"subnets": [s.arn for s in network.private_subnets], "group": network.functions_group.arn,
                   "interfaces": network.network_interfaces_arn}
        resolved: pulumi.Output[Any] = pulumi.Output.from_input({
            "tables": dict(arns.tables), "table_streams": dict(arns.table_streams), "queues": dict(arns.queues),
            "topics": dict(arns.topics), "buckets": dict(arns.buckets), "user_pool": arns.user_pool,
            "failure": arns.failure_queues.get(function.name), "websocket": arns.websocket_execution_arn,
            "log_group": log_group.arn,
            # Only the secrets of the databases this function connects to.
            "secrets": {d.name: args.endpoints[d.name].secret_arn for d in function.resources("database")},
            "vpc": vpc,
        })

        def document(values: dict[str, Any]) -> str:
            resource_arns = ResourceArns(
                tables=values["tables"], table_indexes=arns.table_indexes, table_streams=values["table_streams"],
                queues=values["queues"], topics=values["topics"], buckets=values["buckets"],
                user_pool=values["user_pool"], database_secrets=values["secrets"])
            access = (VpcAccess(subnets=tuple(values["vpc"]["subnets"]), security_group=values["vpc"]["group"],
                                network_interfaces=values["vpc"]["interfaces"]) if values["vpc"] else None)
            return json.dumps(function_policy(function, resource_arns, values["log_group"],
                                              failure_queue_arn=values["failure"],
                                              websocket_execution_arn=values["websocket"], vpc=access), sort_keys=True)

        policy = aws.iam.RolePolicy(
            f"{function_name}-policy",
            name=f"{function_name}-grants",
            role=role.id,
            policy=resolved.apply(document),
            opts=child,
        )
        self.log_groups[function.name] = log_group
        self.roles[function.name] = role
        environment = dict(args.environment)
        vpc_config = None
        depends_on: list[pulumi.Resource] = [policy, log_group]
        if database is not None and network is not None:
            endpoint = args.endpoints[database.name]
            environment |= database_environment(endpoint.host, str(endpoint.port), endpoint.name, endpoint.secret_arn)
            vpc_config = aws.lambda_.FunctionVpcConfigArgs(
                subnet_ids=[s.id for s in network.private_subnets],
                security_group_ids=[network.functions_group.id],
            )
            migration = self.migrations.get(database.name)
            if migration is not None and not migrator:
                # New code that needs the new schema goes out only once the migration succeeded.
                depends_on.append(migration)
        self.functions[function.name] = aws.lambda_.Function(
            function_name,
            name=function_name,
            description=_description(function),
            role=role.arn,
            runtime=settings.lambda_runtime,
            handler=function.handler,
            code=args.code,
            memory_size=settings.lambda_memory_mb,
            timeout=settings.migration_timeout_seconds if migrator else settings.lambda_timeout_seconds,
            tracing_config=aws.lambda_.FunctionTracingConfigArgs(mode="Active" if settings.tracing else "PassThrough"),
            logging_config=aws.lambda_.FunctionLoggingConfigArgs(log_format="Text", log_group=log_group.name),
            environment=aws.lambda_.FunctionEnvironmentArgs(variables=environment),
            vpc_config=vpc_config,
            tags=tags,
            # Without its policy a fresh function fails its first invocations (and Lambda refuses a VPC function
            # whose role may not create network interfaces); without its log group Lambda would create an
            # unmanaged one that never expires.
            opts=pulumi.ResourceOptions(parent=self, depends_on=depends_on),
        )


def _description(function: FunctionPlan) -> str:
    """What runs and what calls it; an API function says how many routes it serves (``tools/plan.py`` shows it)."""
    if isinstance(function.trigger, ApiTrigger):
        return f"api: {function.handler} serving {len(function.trigger.routes)} routes"
    return f"{function.trigger.kind}: {function.handler}"


DATABASE_ENV = DATABASE_VARIABLES


def _connected_database(function: FunctionPlan) -> Database | None:
    """The one database ``function`` connects to (the DATABASE_* variables name one), or None."""
    databases = [d for d in function.resources("database") if isinstance(d, Database)]
    if len(databases) > 1:
        raise AppGraphError(f"function {function.name!r} ({function.handler}) connects to databases "
                            f"{sorted(d.name for d in databases)}; DATABASE_* names one per function")
    return databases[0] if databases else None
