"""IAM policy documents derived from a function's grants: exact actions on exact ARNs.

Pure: takes resolved ARN strings, returns a policy document (a dict). The
functions component calls it inside ``Output.all(...).apply``; tests call it
directly and check the rendered stacks with ``wildcard_statements``.

Usage::

    arns = ResourceArns(tables={"users": "arn:aws:dynamodb:...:table/social-dev-users"}, ...)
    document = function_policy(plan.function("api_handler"), arns, log_group_arn="arn:aws:logs:...")
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from chalicelib.core.declarations import Grant
from stacks.appgraph import FunctionPlan, SqsTrigger, StreamTrigger

# TransactWriteItems and TransactGetItems are not actions of their own: each item of a transaction is
# authorised as its PutItem, UpdateItem, DeleteItem, ConditionCheckItem or GetItem. So a read grant covers
# the condition checks and gets of a transaction, a write grant its puts, updates, deletes and checks.
TABLE_READ = ("dynamodb:BatchGetItem", "dynamodb:ConditionCheckItem", "dynamodb:DescribeTable", "dynamodb:GetItem",
              "dynamodb:Query", "dynamodb:Scan")
TABLE_WRITE = ("dynamodb:BatchWriteItem", "dynamodb:ConditionCheckItem", "dynamodb:DeleteItem", "dynamodb:PutItem",
               "dynamodb:UpdateItem")
INDEX_READ = ("dynamodb:Query", "dynamodb:Scan")
STREAM_READ = ("dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams")
QUEUE_SEND = ("sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:SendMessage")
QUEUE_CONSUME = ("sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage")
TOPIC_PUBLISH = ("sns:Publish",)
BUCKET_LIST = ("s3:ListBucket",)
OBJECT_READ = ("s3:GetObject", "s3:GetObjectVersion")
OBJECT_WRITE = ("s3:AbortMultipartUpload", "s3:DeleteObject", "s3:PutObject")
USER_POOL_CONFIRM = ("cognito-idp:AdminConfirmSignUp",)
USER_POOL_DELETE_USER = ("cognito-idp:AdminDeleteUser",)
USER_POOL_READ_USER = ("cognito-idp:AdminGetUser",)
USER_POOL_ADMIN = ("cognito-idp:AdminAddUserToGroup", "cognito-idp:AdminConfirmSignUp", "cognito-idp:AdminGetUser",
                   "cognito-idp:AdminListGroupsForUser", "cognito-idp:AdminRemoveUserFromGroup",
                   "cognito-idp:AdminUpdateUserAttributes", "cognito-idp:ListUsers")
LOGS_WRITE = ("logs:CreateLogStream", "logs:PutLogEvents")
XRAY_WRITE = ("xray:PutTelemetryRecords", "xray:PutTraceSegments")
WEBSOCKET_MANAGE = ("execute-api:ManageConnections",)
SECRET_READ = ("secretsmanager:GetSecretValue",)
# MediaConvert (Service Authorization Reference, "Actions defined by AWS Elemental MediaConvert"): CreateJob is
# authorised against the job (jobs/*, required) and the queue, job template and preset it names; GetJob against
# the job. The runtime builds each job's settings itself, so no template or preset ARN is granted. Passing the
# transcoder's role to the job is iam:PassRole, limited to MediaConvert.
TRANSCODE_SUBMIT = ("mediaconvert:CreateJob",)
TRANSCODE_READ = ("mediaconvert:GetJob",)
PASS_ROLE = ("iam:PassRole",)
# What Lambda does, as the function's role, to attach a function to the VPC (AWSLambdaVPCAccessExecutionRole's
# EC2 actions). The Describe actions allow no resource but '*'; the others are scoped to network interfaces
# of the stack's account and region, and creation to the functions' subnets and security group.
# SES v2's SendEmail is authorised as ses:SendEmail on the sending identity and, for Content.Template, on the
# template (arn:aws:ses:<region>:<account>:template/<name>); ses:SendTemplatedEmail is its v1 twin, kept so a
# v1 caller of the same templates needs nothing new.
MAIL_SEND = ("ses:SendEmail", "ses:SendTemplatedEmail")
# SNS mobile push: endpoints are created under a platform application (its ARN), and read, changed, published
# to and deleted as arn:aws:sns:<region>:<account>:endpoint/<PLATFORM>/<application name>/<id>.
PUSH_REGISTER_APP = ("sns:CreatePlatformEndpoint",)
PUSH_REGISTER_ENDPOINTS = ("sns:DeleteEndpoint", "sns:GetEndpointAttributes", "sns:SetEndpointAttributes")
PUSH_PUBLISH_ENDPOINTS = ("sns:DeleteEndpoint", "sns:GetEndpointAttributes", "sns:Publish")
# AppConfig's data API: a session on the flags profile, then its latest version (chalicelib/flags/stores.py).
FLAGS_READ = ("appconfig:GetLatestConfiguration", "appconfig:StartConfigurationSession")
# OpenSearch Service authorises each HTTP request as es:ESHttp<Method> on arn:aws:es:<region>:<account>:domain/
# <name>/<path> (Service Authorization Reference, "Actions defined by Amazon OpenSearch Service"). Searching is
# GET/HEAD/POST (_search takes its body by POST); indexing adds PUT (create an index) and DELETE.
SEARCH_QUERY = ("es:ESHttpGet", "es:ESHttpHead", "es:ESHttpPost")
SEARCH_INDEX = (*SEARCH_QUERY, "es:ESHttpDelete", "es:ESHttpPut")
# API Gateway's management API authorises apigateway:<HTTP method> on the path of the resource
# (arn:aws:apigateway:<region>::/usageplans/<id>/keys ...). A usage plan's keys: find the plan by name
# (GET /usageplans), read it and its keys and their usage, add keys to it; create keys, read and delete them.
USAGE_PLAN_READ = ("apigateway:GET",)
USAGE_PLAN_ADD_KEY = ("apigateway:POST",)
API_KEY_CREATE = ("apigateway:POST",)
API_KEY_MANAGE = ("apigateway:DELETE", "apigateway:GET")
VPC_DESCRIBE = ("ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets")
VPC_CREATE_INTERFACE = ("ec2:CreateNetworkInterface",)
VPC_MANAGE_INTERFACES = ("ec2:AssignPrivateIpAddresses", "ec2:DeleteNetworkInterface", "ec2:UnassignPrivateIpAddresses")


@dataclass(frozen=True)
class ResourceArns:
    """Resolved ARNs of the declared resources, by logical name."""

    tables: Mapping[str, str] = field(default_factory=dict)
    table_indexes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # logical table -> index names
    table_streams: Mapping[str, str] = field(default_factory=dict)
    queues: Mapping[str, str] = field(default_factory=dict)
    topics: Mapping[str, str] = field(default_factory=dict)
    buckets: Mapping[str, str] = field(default_factory=dict)
    user_pool: str | None = None
    database_secrets: Mapping[str, str] = field(default_factory=dict)  # logical database -> its secret's ARN
    secrets: Mapping[str, str] = field(default_factory=dict)  # declared secrets (Secret), by logical name
    transcoders: Mapping[str, TranscoderArns] = field(default_factory=dict)
    mailers: Mapping[str, MailerArns] = field(default_factory=dict)
    push_apps: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # push service -> platform -> app ARN
    search_domain: str | None = None  # the OpenSearch domain's ARN (none locally: the embedded backend)
    # arn:aws:apigateway:<region>::/usageplans/<id>, by logical name; absent where the plan comes after the
    # function (the stack: the plan meters the API, which needs the functions) and is granted by ``usage_plan_policy``
    usage_plans: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class MailerArns:
    """A mailer's sending identity and its templates' ARNs."""

    identity: str
    templates: tuple[str, ...] = ()


def endpoints_of(application_arn: str) -> str:
    """Every endpoint of a platform application: ``...:app/APNS/name`` -> ``...:endpoint/APNS/name/*``."""
    head, _, path = application_arn.partition(":app/")
    return f"{head}:endpoint/{path}/*"


@dataclass(frozen=True)
class TranscoderArns:
    """A transcoder's role (the one its jobs run as) and MediaConvert queue."""

    role: str
    queue: str  # arn:aws:mediaconvert:<region>:<account>:queues/<name>

    @property
    def jobs(self) -> str:
        """The ARN of every job of the queue's account and region (CreateJob's required resource)."""
        return f"{self.queue.rsplit(':', 1)[0]}:jobs/*"


@dataclass(frozen=True)
class VpcAccess:
    """Resolved ARNs a function needs to be attached to the VPC."""

    subnets: tuple[str, ...]
    security_group: str
    network_interfaces: str  # arn:aws:ec2:<region>:<account>:network-interface/*


def _statement(sid: str, actions: Iterable[str], resources: Iterable[str]) -> dict[str, Any]:
    return {"Sid": sid, "Effect": "Allow", "Action": sorted(set(actions)), "Resource": sorted(set(resources))}


def _sid(*parts: str) -> str:
    # Statement ids must be alphanumeric.
    return "".join(p.replace("-", " ").replace("_", " ").title().replace(" ", "") for p in parts)


def _table_statements(grant: Grant, arns: ResourceArns) -> list[dict[str, Any]]:
    """Item actions on the table; Query and Scan on its indexes when the grant reads.

    Query/Scan on an index are authorised against the index ARN, not the table's; no
    other action applies to an index, so the index ARNs get only those.
    """
    name, access = grant.resource.name, grant.access
    arn = arns.tables[name]
    actions = {"read": TABLE_READ, "write": TABLE_WRITE, "read_write": TABLE_READ + TABLE_WRITE}[access]
    statements = [_statement(_sid("table", name, access), actions, [arn])]
    indexes = [f"{arn}/index/{index}" for index in arns.table_indexes.get(name, ())]
    if indexes and access != "write":
        statements.append(_statement(_sid("indexes", name, access), INDEX_READ, indexes))
    return statements


def _merge_table_grants(grants: Iterable[Grant]) -> list[Grant]:
    """One grant per table, at the widest access asked for (routes of one function ask differently)."""
    merged: list[Grant] = []
    tables: dict[str, int] = {}
    for grant in grants:
        if grant.resource.kind != "table":
            merged.append(grant)
            continue
        position = tables.get(grant.resource.name)
        if position is None:
            tables[grant.resource.name] = len(merged)
            merged.append(grant)
        elif merged[position].access != grant.access:
            merged[position] = grant.resource.grant("read_write")
    return merged


def _transcode_statements(name: str, arns: ResourceArns) -> list[dict[str, Any]]:
    """Submit jobs to the transcoder's queue and read them back; pass its role, to MediaConvert only."""
    transcoder = arns.transcoders[name]
    pass_role = _statement(_sid("transcoder", name, "pass role"), PASS_ROLE, [transcoder.role])
    pass_role["Condition"] = {"StringEquals": {"iam:PassedToService": "mediaconvert.amazonaws.com"}}
    return [
        _statement(_sid("transcoder", name, "submit"), TRANSCODE_SUBMIT, [transcoder.queue, transcoder.jobs]),
        _statement(_sid("transcoder", name, "jobs"), TRANSCODE_READ, [transcoder.jobs]),
        pass_role,
    ]


def _grant_statement(grant: Grant, arns: ResourceArns) -> dict[str, Any] | None:
    resource, access = grant.resource, grant.access
    if resource.kind == "queue":
        actions = {"send": QUEUE_SEND, "consume": QUEUE_CONSUME}[access]
        return _statement(_sid("queue", resource.name, access), actions, [arns.queues[resource.name]])
    if resource.kind == "topic":
        return _statement(_sid("topic", resource.name, access), TOPIC_PUBLISH, [arns.topics[resource.name]])
    if resource.kind == "bucket":
        arn = arns.buckets[resource.name]
        actions = {"read": OBJECT_READ, "write": OBJECT_WRITE, "read_write": OBJECT_READ + OBJECT_WRITE}[access]
        if access == "write":
            return _statement(_sid("bucket", resource.name, access), actions, [f"{arn}/*"])
        # Listing is a bucket-level action; reading objects is object-level.
        return _statement(_sid("bucket", resource.name, access), (*actions, *BUCKET_LIST), [arn, f"{arn}/*"])
    if resource.kind == "user_pool":
        if access == "sign_up":
            return None  # SignUp, InitiateAuth and friends are public Cognito APIs: no IAM needed
        if arns.user_pool is None:
            raise LookupError(f"a handler has the user pool {access!r} grant but no user pool exists")
        actions = {"confirm": USER_POOL_CONFIRM, "delete_user": USER_POOL_DELETE_USER,
                   "read_user": USER_POOL_READ_USER}.get(access, USER_POOL_ADMIN)
        return _statement(_sid("user pool", access), actions, [arns.user_pool])
    if resource.kind == "secret" and access == "read_secret":
        # AWSCURRENT and AWSPREVIOUS are versions of the one ARN: reading both needs nothing more.
        return _statement(_sid("secret", resource.name), SECRET_READ, [arns.secrets[resource.name]])
    if resource.kind == "mailer" and access == "send_email":
        mailer = arns.mailers[resource.name]
        return _statement(_sid("mailer", resource.name), MAIL_SEND, [mailer.identity, *mailer.templates])
    if resource.kind == "search" and access in ("search", "index"):
        if arns.search_domain is None:
            return None  # no domain (the local platform's embedded backend): nothing to call
        actions = SEARCH_QUERY if access == "search" else SEARCH_INDEX
        return _statement(_sid("search", access), actions, [f"{arns.search_domain}/*"])
    if resource.kind == "database" and access == "connect":
        # The credentials, and nothing else: the network path is the VPC's (security groups), not IAM's.
        return _statement(_sid("database", resource.name, "secret"), SECRET_READ,
                          [arns.database_secrets[resource.name]])
    raise ValueError(f"no IAM mapping for {resource.kind} access {access!r}")


def _push_statements(grant: Grant, arns: ResourceArns) -> list[dict[str, Any]]:
    """Endpoints of the configured applications only; none configured, no statement (nothing to call)."""
    apps = sorted(arns.push_apps.get(grant.resource.name, {}).values())
    if not apps:
        return []
    endpoints = [endpoints_of(app) for app in apps]
    if grant.access == "push_register":
        return [_statement(_sid("push", grant.resource.name, "apps"), PUSH_REGISTER_APP, apps),
                _statement(_sid("push", grant.resource.name, "endpoints"), PUSH_REGISTER_ENDPOINTS, endpoints)]
    return [_statement(_sid("push", grant.resource.name, "endpoints"), PUSH_PUBLISH_ENDPOINTS, endpoints)]


def _websocket_statement(execution_arn: str) -> dict[str, Any]:
    """POST (send), GET (read) and DELETE (close) on any connection of the API's stages.

    Only for a ``WebSocket.manage()`` grant: a WebSocket handler that answers its connection (through
    Chalice's ``app.websocket_api`` or otherwise) declares it like any other handler.

    The Management API authorises ``execute-api:ManageConnections`` on
    ``arn:aws:execute-api:<region>:<account>:<api-id>/<stage>/<METHOD>/@connections/<id>``.
    """
    return _statement("WebSocketConnections", WEBSOCKET_MANAGE, [f"{execution_arn}/*/*/@connections/*"])


def usage_plan_statements(name: str, plan_arn: str) -> list[dict[str, Any]]:
    """What a ``UsagePlan.manage_keys()`` grant allows: this plan and its keys' usage, and API keys.

    Key ids are only known once an admin makes a key, so reading and deleting keys is on ``/apikeys/*``;
    creating one is on ``/apikeys``. Nothing else of API Gateway (no API, stage or other plan's keys).
    """
    root = plan_arn.split("::/", 1)[0] + "::"
    return [
        _statement(_sid("usage plan", name, "read"), USAGE_PLAN_READ,
                   [f"{root}/usageplans", plan_arn, f"{plan_arn}/keys", f"{plan_arn}/keys/*", f"{plan_arn}/usage"]),
        _statement(_sid("usage plan", name, "add key"), USAGE_PLAN_ADD_KEY, [f"{plan_arn}/keys"]),
        _statement(_sid("api keys", name, "create"), API_KEY_CREATE, [f"{root}/apikeys"]),
        _statement(_sid("api keys", name, "manage"), API_KEY_MANAGE, [f"{root}/apikeys/*"]),
    ]


def usage_plan_policy(function: FunctionPlan, plans: Mapping[str, str]) -> dict[str, Any] | None:
    """The policy of ``function``'s ``manage_keys`` grants on the plans (ARN by logical name); None without any."""
    statements = [statement for plan in function.resources("usage_plan")
                  for statement in usage_plan_statements(plan.name, plans[plan.name])]
    return {"Version": "2012-10-17", "Statement": statements} if statements else None


def vpc_statements(vpc: VpcAccess) -> list[dict[str, Any]]:
    """What Lambda needs, as the function's role, to create and remove the function's network interfaces."""
    return [
        _statement("VpcDescribe", VPC_DESCRIBE, ["*"]),
        _statement("VpcCreateInterfaces", VPC_CREATE_INTERFACE,
                   [vpc.network_interfaces, vpc.security_group, *vpc.subnets]),
        _statement("VpcManageInterfaces", VPC_MANAGE_INTERFACES, [vpc.network_interfaces]),
    ]


def function_policy(function: FunctionPlan, arns: ResourceArns, log_group_arn: str,
                    failure_queue_arn: str | None = None, websocket_execution_arn: str | None = None,
                    vpc: VpcAccess | None = None, admin_secret_arn: str | None = None,
                    flags_arn: str | None = None) -> dict[str, Any]:
    """The inline policy of ``function``'s role: its grants, its trigger's needs, its own logs, X-Ray, flags.

    A function that connects to a database runs in the VPC: ``vpc`` is then required. One that searches
    runs there too where a domain exists (``vpc`` given).
    ``admin_secret_arn`` is a shared database server's master secret, for the one function (the
    migrator) that creates and drops the stack's own database in it.
    """
    statements: dict[str, dict[str, Any]] = {}

    def add(statement: dict[str, Any] | None) -> None:
        if statement is None:
            return
        existing = statements.get(statement["Sid"])
        if existing is not None:  # the same grant twice (e.g. declared consume + implied consume)
            statement = _statement(statement["Sid"], (*existing["Action"], *statement["Action"]),
                                   (*existing["Resource"], *statement["Resource"]))
        statements[statement["Sid"]] = statement

    for grant in _merge_table_grants(function.grants):
        if grant.resource.kind == "table":
            for statement in _table_statements(grant, arns):
                add(statement)
        elif grant.resource.kind == "push":
            for statement in _push_statements(grant, arns):
                add(statement)
        elif grant.resource.kind == "transcoder" and grant.access == "transcode":
            for statement in _transcode_statements(grant.resource.name, arns):
                add(statement)
        elif grant.resource.kind == "usage_plan" and grant.access == "manage_keys":
            if grant.resource.name in arns.usage_plans:
                for statement in usage_plan_statements(grant.resource.name, arns.usage_plans[grant.resource.name]):
                    add(statement)
        elif grant.resource.kind == "websocket" and grant.access == "manage_connections":
            if websocket_execution_arn is None:
                raise LookupError(f"function {function.name!r} manages WebSocket connections but no WebSocket API "
                                  "exists (the app has no on_ws_* handler)")
            add(_websocket_statement(websocket_execution_arn))
        else:
            add(_grant_statement(grant, arns))
    trigger = function.trigger
    if isinstance(trigger, SqsTrigger):
        add(_statement(_sid("queue", trigger.queue.name, "consume"), QUEUE_CONSUME, [arns.queues[trigger.queue.name]]))
    if isinstance(trigger, StreamTrigger):
        stream = arns.table_streams[trigger.table.name]
        add(_statement(_sid("stream", trigger.table.name), STREAM_READ, [stream]))
    if failure_queue_arn is not None:
        # An event source mapping's records that keep failing, and the async invocations Lambda gives up
        # on, are both sent to this queue as the function's role.
        add(_statement("Failures", ("sqs:SendMessage",), [failure_queue_arn]))
    if function.resources("database") and vpc is None:
        raise ValueError(f"function {function.name!r} connects to a database and must run in the VPC")
    if vpc is not None and (function.resources("database") or function.resources("search")):
        for statement in vpc_statements(vpc):
            add(statement)
    if admin_secret_arn is not None:
        add(_statement("DatabaseServerAdminSecret", SECRET_READ, [admin_secret_arn]))
    if flags_arn is not None:
        # Any handler may ask a flag (chalicelib.flags): every function reads the stack's one flags profile.
        add(_statement("ReadFeatureFlags", FLAGS_READ, [flags_arn]))
    # Only its own log group: a compromised function cannot write into another's logs.
    add(_statement("OwnLogs", LOGS_WRITE, [f"{log_group_arn}:*"]))
    # X-Ray's put actions do not support resource-level permissions: '*' is the only valid resource.
    add(_statement("XRay", XRAY_WRITE, ["*"]))
    return {"Version": "2012-10-17", "Statement": list(statements.values())}


def queue_policy(queue_arn: str, topic_arns: Iterable[str] = (), bucket_arns: Iterable[str] = (),
                 account: str | None = None) -> dict[str, Any]:
    """A queue's one resource policy (SQS keeps one per queue): every sender's statement.

    SNS may send on behalf of the subscribed topics only; S3 on behalf of the notifying buckets only, and
    only from this ``account`` (bucket ARNs name no account: another account's bucket of the same name
    after this one is deleted must not reach the queue).

    >>> queue_policy("arn:q", ["arn:t"])["Statement"][0]["Condition"]
    {'ArnEquals': {'aws:SourceArn': ['arn:t']}}
    """
    topics, buckets = sorted(set(topic_arns)), sorted(set(bucket_arns))
    if not topics and not buckets:
        raise ValueError("a queue policy needs at least one topic or bucket")
    if buckets and account is None:
        raise ValueError("a queue policy for bucket notifications needs the account")
    def may_send(sid: str, service: str, condition: dict[str, Any]) -> dict[str, Any]:
        return {"Sid": sid, "Effect": "Allow", "Principal": {"Service": service}, "Action": "sqs:SendMessage",
                "Resource": queue_arn, "Condition": condition}

    statements: list[dict[str, Any]] = []
    if topics:
        statements.append(may_send("SubscribedTopicsMaySend", "sns.amazonaws.com",
                                   {"ArnEquals": {"aws:SourceArn": topics}}))
    if buckets:
        statements.append(may_send("NotifyingBucketsMaySend", "s3.amazonaws.com",
                                   {"ArnEquals": {"aws:SourceArn": buckets},
                                    "StringEquals": {"aws:SourceAccount": account}}))
    return {"Version": "2012-10-17", "Statement": statements}


def bucket_policy(bucket_arn: str, distribution_arns: Iterable[str] = ()) -> dict[str, Any]:
    """A bucket's one policy: TLS only, and the CDN's distributions (through origin access control) may read.

    >>> [s["Sid"] for s in bucket_policy("arn:aws:s3:::b", ["arn:d"])["Statement"]]
    ['DenyInsecureTransport', 'CdnMayRead']
    """
    statements: list[dict[str, Any]] = [{
        "Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
        "Resource": [bucket_arn, f"{bucket_arn}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }]
    distributions = sorted(set(distribution_arns))
    if distributions:
        statements.append({
            "Sid": "CdnMayRead", "Effect": "Allow", "Principal": {"Service": "cloudfront.amazonaws.com"},
            "Action": "s3:GetObject", "Resource": f"{bucket_arn}/*",
            "Condition": {"StringEquals": {"AWS:SourceArn": distributions}},
        })
    return {"Version": "2012-10-17", "Statement": statements}


def transcoder_role_policy(source_bucket_arn: str | None, destination_bucket_arn: str | None) -> dict[str, Any]:
    """What MediaConvert may do as a transcoder's role: read the source's objects, write the destination's."""
    statements = []
    if source_bucket_arn is not None:
        statements.append(_statement("ReadSource", ("s3:GetObject",), [f"{source_bucket_arn}/*"]))
    if destination_bucket_arn is not None:
        statements.append(_statement("WriteDestination", ("s3:PutObject",), [f"{destination_bucket_arn}/*"]))
    if not statements:
        raise ValueError("a transcoder needs a source or a destination bucket")
    return {"Version": "2012-10-17", "Statement": statements}


def own_prefix_upload_policy(bucket_arns: Iterable[str], prefix: str) -> dict[str, Any]:
    """An identity pool role's policy: put objects only under ``<prefix><the caller's identity id>/``.

    ``${cognito-identity.amazonaws.com:sub}`` is the identity id, a policy variable IAM resolves per caller.

    >>> own_prefix_upload_policy(["arn:aws:s3:::u"], "uploads/identity/")["Statement"][0]["Resource"]
    ['arn:aws:s3:::u/uploads/identity/${cognito-identity.amazonaws.com:sub}/*']
    """
    resources = [f"{arn}/{prefix}${{cognito-identity.amazonaws.com:sub}}/*" for arn in bucket_arns]
    return {"Version": "2012-10-17", "Statement": [_statement("UploadUnderOwnPrefix", ("s3:PutObject",), resources)]}


def wildcard_statements(document: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Statements that allow a wildcard action on a wildcard resource (there must be none).

    >>> wildcard_statements({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
    [{'Effect': 'Allow', 'Action': '*', 'Resource': '*'}]
    """
    found = []
    raw = document.get("Statement", [])
    for statement in [raw] if isinstance(raw, dict) else raw:
        if statement.get("Effect") != "Allow":
            continue
        actions = _as_list(statement.get("Action"))
        resources = _as_list(statement.get("Resource"))
        if any(a == "*" or a.endswith(":*") for a in actions) and "*" in resources:
            found.append(statement)
    return found


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)
