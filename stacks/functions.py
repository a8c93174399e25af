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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from chalicelib.core.declarations import Database
from chalicelib.core.environment import DATABASE_ADMIN_SECRET_ARN, DATABASE_VARIABLES
from chalicelib.core.environment_build import database_environment
from stacks.appgraph import ApiTrigger, AppGraphError, AppPlan, FunctionPlan, SqsTrigger
from stacks.code import CodeLocation
from stacks.database import DatabaseEndpoint
from stacks.migrations import invoke_database_lifecycle, invoke_migrations, migrators
from stacks.network import VpcPlacement
from stacks.policies import MailerArns, ResourceArns, TranscoderArns, VpcAccess, function_policy
from stacks.settings import StackSettings

# The stack's log level (Python's names) as Lambda's application log level names it.
LAMBDA_LOG_LEVELS: Mapping[str, str] = {"DEBUG": "DEBUG", "INFO": "INFO", "WARNING": "WARN", "ERROR": "ERROR"}
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
    secrets: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    # (role ARN, MediaConvert queue ARN) by transcoder
    transcoders: Mapping[str, tuple[pulumi.Input[str], pulumi.Input[str]]] = field(default_factory=dict)
    # (sending identity ARN, template ARNs) by mailer; platform application ARNs by push service and platform
    mailers: Mapping[str, tuple[pulumi.Input[str], Sequence[pulumi.Input[str]]]] = field(default_factory=dict)
    push_apps: Mapping[str, Mapping[str, pulumi.Input[str]]] = field(default_factory=dict)
    flags: pulumi.Input[str] | None = None  # the AppConfig configuration every function may read its flags from
    search_domain: pulumi.Input[str] | None = None  # the OpenSearch domain's ARN (own or the account's)


@dataclass(frozen=True)
class FunctionsArgs:
    """The environment, the plan, the code archive, the shared environment variables and the ARNs.

    ``databases`` (declared) and ``endpoints`` (by logical name) and ``placement`` (the network,
    own or shared) are needed as soon as a function connects to a database. ``migration_scripts`` is
    the hash of each database's migration scripts as packaged (a new hash migrates again).
    """

    settings: StackSettings
    plan: AppPlan
    code: CodeLocation
    environment: Mapping[str, pulumi.Input[str]]
    arns: ResourceArnInputs
    databases: tuple[Database, ...] = ()
    endpoints: Mapping[str, DatabaseEndpoint] = field(default_factory=dict)
    placement: VpcPlacement | None = None
    migration_scripts: Mapping[str, str] = field(default_factory=dict)
    # Variables only some functions get, by function name (PUBLIC_API_URL for those that mail links: the
    # API's URL depends on the API's functions, so it may only reach functions the API does not invoke).
    function_environment: Mapping[str, Mapping[str, pulumi.Input[str]]] = field(default_factory=dict)


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
        namer, child = args.settings.namer, pulumi.ResourceOptions(parent=self)
        ready: list[pulumi.Resource] = [*endpoint.ready, *(args.placement.ready if args.placement else ())]
        if endpoint.admin_secret_arn is not None:
            # A shared server: the stack's own database and role are created with the stack and dropped with it.
            ready.append(invoke_database_lifecycle(namer.name(f"{database.name}-database", 128), database,
                                                   self.functions[function.name], depends_on=ready, opts=child))
        self.migrations[database.name] = invoke_migrations(
            namer.name(f"{database.name}-migrate", 128),
            database,
            self.functions[function.name],
            args.migration_scripts[database.name],
            depends_on=ready,
            opts=child,
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
            name=namer.global_name(f"{function.name}-role", 64),
            description=f"runs {function.handler}; may touch only what the handler declares with @uses",
            assume_role_policy=_ASSUME_LAMBDA,
            tags=tags,
            opts=child,
        )
        arns = args.arns
        database = _connected_database(function)
        placement = args.placement
        if database is not None and (placement is None or database.name not in args.endpoints):
            raise AppGraphError(f"function {function.name!r} connects to database {database.name!r}, "
                                "which the stack did not create")
        # The search domain sits in the VPC: a function that searches or indexes runs there too.
        searches = bool(function.resources("search")) and arns.search_domain is not None
        if searches and placement is None:
            raise AppGraphError(f"function {function.name!r} uses the search domain, which sits in a VPC the stack "
                                "did not place it in")
        in_vpc = placement is not None and (database is not None or searches)
        vpc: dict[str, Any] | None = None
        if in_vpc and placement is not None:
            vpc = {"subnets": placement.subnet_arns, "group": placement.security_group_arn,
                   "interfaces": placement.network_interfaces_arn}
        admin_secret = args.endpoints[database.name].admin_secret_arn if database is not None and migrator else None
        resolved: pulumi.Output[Any] = pulumi.Output.from_input({
            "tables": dict(arns.tables), "table_streams": dict(arns.table_streams), "queues": dict(arns.queues),
            "topics": dict(arns.topics), "buckets": dict(arns.buckets), "user_pool": arns.user_pool,
            "failure": arns.failure_queues.get(function.name), "websocket": arns.websocket_execution_arn,
            "log_group": log_group.arn,
            # Only the secrets of the databases this function connects to.
            "secrets": {d.name: args.endpoints[d.name].secret_arn for d in function.resources("database")},
            "vpc": vpc,
            "declared_secrets": dict(arns.secrets),
            "transcoders": {n: list(pair) for n, pair in arns.transcoders.items()},
            "admin_secret": admin_secret,
            "mailers": {n: [identity, list(templates)] for n, (identity, templates) in arns.mailers.items()},
            "push_apps": {n: dict(apps) for n, apps in arns.push_apps.items()},
            "flags": arns.flags,
            "search_domain": arns.search_domain,
        })

        def document(values: dict[str, Any]) -> str:
            resource_arns = ResourceArns(
                tables=values["tables"], table_indexes=arns.table_indexes, table_streams=values["table_streams"],
                queues=values["queues"], topics=values["topics"], buckets=values["buckets"],
                user_pool=values["user_pool"], database_secrets=values["secrets"],
                secrets=values["declared_secrets"],
                transcoders={n: TranscoderArns(role=r, queue=q) for n, (r, q) in values["transcoders"].items()},
                mailers={n: MailerArns(identity=i, templates=tuple(t)) for n, (i, t) in values["mailers"].items()},
                push_apps=values["push_apps"], search_domain=values["search_domain"])
            access = (VpcAccess(subnets=tuple(values["vpc"]["subnets"]), security_group=values["vpc"]["group"],
                                network_interfaces=values["vpc"]["interfaces"]) if values["vpc"] else None)
            return json.dumps(function_policy(function, resource_arns, values["log_group"],
                                              failure_queue_arn=values["failure"],
                                              websocket_execution_arn=values["websocket"], vpc=access,
                                              admin_secret_arn=values["admin_secret"],
                                              flags_arn=values["flags"]), sort_keys=True)

        policy = aws.iam.RolePolicy(
            f"{function_name}-policy",
            name=f"{function_name}-grants",
            role=role.id,
            policy=resolved.apply(document),
            opts=child,
        )
        self.log_groups[function.name] = log_group
        self.roles[function.name] = role
        environment: dict[str, pulumi.Input[str]] = {**args.environment,
                                                     **args.function_environment.get(function.name, {})}
        vpc_config = None
        depends_on: list[pulumi.Resource] = [policy, log_group]
        if in_vpc and placement is not None:
            vpc_config = aws.lambda_.FunctionVpcConfigArgs(
                subnet_ids=placement.subnet_ids,
                security_group_ids=[placement.security_group_id],
            )
            if database is None:  # a search function: the network's endpoints and rules first (its database's
                depends_on.extend(placement.ready)  # functions wait for the migration, which waits for them)
        if database is not None and placement is not None:
            endpoint = args.endpoints[database.name]
            environment |= database_environment(endpoint.host, str(endpoint.port), endpoint.name, endpoint.secret_arn)
            if admin_secret is not None:
                environment[DATABASE_ADMIN_SECRET_ARN] = admin_secret
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
            # The package's compiled modules are built for this one (stacks/package.py refuses another). A change
            # is not a replacement: the provider sends it with the code in one UpdateFunctionCode call
            # (terraform-provider-aws resourceFunctionUpdate; architectures is not ForceNew).
            architectures=[settings.lambda_architecture],
            handler=function.handler,
            s3_bucket=args.code.bucket,
            s3_key=args.code.key,
            source_code_hash=args.code.sha256,
            memory_size=settings.lambda_memory_mb if function.trigger.kind == "api" else settings.worker_memory_mb,
            timeout=timeout_of(function, settings, migrator),
            tracing_config=aws.lambda_.FunctionTracingConfigArgs(mode="Active" if settings.tracing else "PassThrough"),
            # JSON: Lambda's own lines (START, REPORT) are JSON like ours, and it filters ours by their "level".
            logging_config=aws.lambda_.FunctionLoggingConfigArgs(
                log_format="JSON", log_group=log_group.name, system_log_level="WARN",
                application_log_level=LAMBDA_LOG_LEVELS[settings.log_level]),
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


DATABASE_ENV = (*DATABASE_VARIABLES, DATABASE_ADMIN_SECRET_ARN)


def timeout_of(function: FunctionPlan, settings: StackSettings, migrator: bool = False) -> int:
    """Seconds a function may run: the API's short timeout for routes, the workers' for the rest.

    A queue's consumer runs at most a sixth of the queue's visibility timeout: Lambda refuses an
    event source mapping whose function timeout exceeds the visibility timeout (a message would
    reappear while still being handled), and AWS advises six times the function's timeout, so that
    throttled retries within one receive do not make it reappear either.
    """
    if migrator:
        return settings.migration_timeout_seconds
    if function.trigger.kind in ("api", "websocket"):
        return settings.lambda_timeout_seconds
    if isinstance(function.trigger, SqsTrigger):
        return max(1, min(settings.worker_timeout_seconds, function.trigger.queue.visibility_timeout // 6))
    return settings.worker_timeout_seconds


def _connected_database(function: FunctionPlan) -> Database | None:
    """The one database ``function`` connects to (the DATABASE_* variables name one), or None."""
    databases = [d for d in function.resources("database") if isinstance(d, Database)]
    if len(databases) > 1:
        raise AppGraphError(f"function {function.name!r} ({function.handler}) connects to databases "
                            f"{sorted(d.name for d in databases)}; DATABASE_* names one per function")
    return databases[0] if databases else None
