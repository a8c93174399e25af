"""Functions: one Lambda per planned handler, each with its own log group and least-privilege role.

Usage::

    functions = Functions("social-dev-functions", FunctionsArgs(settings, plan, code, environment, arns), opts)
    functions.functions["api_handler"].invoke_arn, functions.roles["api_handler"].arn
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from stacks.appgraph import AppPlan, FunctionPlan
from stacks.policies import ResourceArns, function_policy
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
    """The environment, the plan, the code archive, the shared environment variables and the ARNs."""

    settings: StackSettings
    plan: AppPlan
    code: pulumi.Archive
    environment: Mapping[str, pulumi.Input[str]]
    arns: ResourceArnInputs


class Functions(pulumi.ComponentResource):
    """Python Lambdas with X-Ray, per-function log groups and roles derived from grants."""

    functions: dict[str, aws.lambda_.Function]
    roles: dict[str, aws.iam.Role]
    log_groups: dict[str, aws.cloudwatch.LogGroup]

    def __init__(self, name: str, args: FunctionsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("social:functions:Functions", name, None, opts)
        reserved = sorted(RESERVED_ENVIRONMENT & set(args.environment))
        if reserved:
            raise ValueError(f"environment variables {reserved} are reserved by Lambda and set by it")
        self.functions, self.roles, self.log_groups = {}, {}, {}
        for function in args.plan.functions:
            self._function(function, args)
        self.register_outputs({
            "functionNames": {logical: f.name for logical, f in self.functions.items()},
            "functionArns": {logical: f.arn for logical, f in self.functions.items()},
        })

    def _function(self, function: FunctionPlan, args: FunctionsArgs) -> None:
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
        resolved: pulumi.Output[Any] = pulumi.Output.from_input({
            "tables": dict(arns.tables), "table_streams": dict(arns.table_streams), "queues": dict(arns.queues),
            "topics": dict(arns.topics), "buckets": dict(arns.buckets), "user_pool": arns.user_pool,
            "failure": arns.failure_queues.get(function.name), "websocket": arns.websocket_execution_arn,
            "log_group": log_group.arn,
        })

        def document(values: dict[str, Any]) -> str:
            resource_arns = ResourceArns(
                tables=values["tables"], table_indexes=arns.table_indexes, table_streams=values["table_streams"],
                queues=values["queues"], topics=values["topics"], buckets=values["buckets"],
                user_pool=values["user_pool"])
            return json.dumps(function_policy(function, resource_arns, values["log_group"],
                                              failure_queue_arn=values["failure"],
                                              websocket_execution_arn=values["websocket"]), sort_keys=True)

        policy = aws.iam.RolePolicy(
            f"{function_name}-policy",
            name=f"{function_name}-grants",
            role=role.id,
            policy=resolved.apply(document),
            opts=child,
        )
        self.log_groups[function.name] = log_group
        self.roles[function.name] = role
        self.functions[function.name] = aws.lambda_.Function(
            function_name,
            name=function_name,
            description=f"{function.trigger.kind}: {function.handler}",
            role=role.arn,
            runtime=settings.lambda_runtime,
            handler=function.handler,
            code=args.code,
            memory_size=settings.lambda_memory_mb,
            timeout=settings.lambda_timeout_seconds,
            tracing_config=aws.lambda_.FunctionTracingConfigArgs(mode="Active" if settings.tracing else "PassThrough"),
            logging_config=aws.lambda_.FunctionLoggingConfigArgs(log_format="Text", log_group=log_group.name),
            environment=aws.lambda_.FunctionEnvironmentArgs(variables=dict(args.environment)),
            tags=tags,
            # Without its policy a fresh function fails its first invocations; without its log group
            # Lambda would create an unmanaged one that never expires.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[policy, log_group]),
        )
