"""Grants enforced locally: a handler's AWS call fails as it would in AWS when its function was not granted it.

Each planned function gets the very policy document the stack renders for it
(``stacks.policies.function_policy``, with moto's ARNs). While the platform
runs, every botocore client of the process goes through ``_judged_call``
(PynamoDB builds its own botocore session, so the hook is on
``BaseClient._make_api_call``, not on a boto3 session). A call made while a
function is current (``CALLER``, set by the gateway for the route's function and
by the event-handler ``Invoker``) is turned into the IAM actions and resource
ARNs AWS would authorise, and refused with the ``ClientError`` the service
answers (``AccessDeniedException``, ``AccessDenied``, SNS's
``AuthorizationError``) unless the document allows every one of them. Calls
with no current function (provisioning, the pump's polls, test code) are not
judged. An operation this module cannot map, made inside a function, raises
``UnmappedCallError`` naming the function, the action and the resource: a
missing mapping is found by the tests, never silently allowed.

How AWS authorises what is mapped here (the IAM Service Authorization Reference):
TransactWriteItems and TransactGetItems are authorised per item (PutItem,
UpdateItem, DeleteItem, ConditionCheckItem, GetItem on each item's table),
BatchGetItem and BatchWriteItem per table of the request, Query and Scan of an
index on the index's ARN, SendMessageBatch as SendMessage, HeadObject as
GetObject; Cognito's SignUp, InitiateAuth, ConfirmSignUp and the other calls
an app client or an access token authorises are unsigned and need no IAM.

Usage::

    grants = Grants(plan, provisioned).install()
    with grants.calling("api_handler"):
        boto3.client("sns").publish(...)   # ClientError AuthorizationError unless api_handler may publish there
    grants.uninstall()
"""

from __future__ import annotations

import contextlib
import functools
import re
import threading
from collections.abc import Callable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from botocore.client import BaseClient
from botocore.exceptions import ClientError

from local.aws import ACCOUNT_ID
from local.provision import Provisioned, transcoder_arns
from local.tables import create_table_request
from stacks.appgraph import AppPlan
from stacks.policies import MailerArns, ResourceArns, TranscoderArns, VpcAccess, function_policy

Need = tuple[str, str]  # (IAM action, resource ARN)
LOCAL_WEBSOCKET_API_ID = "localwsapi"  # the local WebSocket API's id (local.websocket.API_ID)


class UnmappedCallError(RuntimeError):
    """A function made an AWS call this module cannot judge: add its mapping to ``local/grants.py``."""


@dataclass(frozen=True)
class FunctionPolicy:
    """One function's policy document, and who it is in AWS's error messages."""

    function: str  # planned name, e.g. api_handler
    physical_name: str  # e.g. social-local-api-handler
    document: Mapping[str, Any]

    def allows(self, action: str, resource: str) -> bool:
        """IAM evaluation of an identity policy: an explicit Deny wins, then any Allow, else denied."""
        matching = [s for s in _statements(self.document) if _matches(s, action, resource)]
        return not any(s.get("Effect") == "Deny" for s in matching) and any(
            s.get("Effect") == "Allow" for s in matching)

    def judge(self, service: str, operation: str, params: Mapping[str, Any], region: str,
              endpoint: str | None = None) -> None:
        """Raise what AWS would answer if this function's role may not make the call; return if it may."""
        needs = needs_of(service, operation, params, region, endpoint)
        if needs is None:
            raise UnmappedCallError(
                f"function {self.function!r} called {service} {operation} ({_guess(service, operation, params)}), "
                "which local/grants.py does not map to IAM actions: add it there")
        for action, resource in needs:
            if not self.allows(action, resource):
                raise _denied(service, operation, action, resource, self.physical_name)


CALLER: ContextVar[FunctionPolicy | None] = ContextVar("local_grants_caller", default=None)


class Grants:
    """The policy of every planned function of one platform, and the hook that enforces them."""

    def __init__(self, plan: AppPlan, provisioned: Provisioned, *, account: str = ACCOUNT_ID) -> None:
        self.plan = plan
        region, prefix = provisioned.region, provisioned.prefix
        arns = ResourceArns(
            tables={n: t.arn for n, t in provisioned.tables.items()},
            table_indexes={n: _index_names(t.declaration, t.name) for n, t in provisioned.tables.items()},
            table_streams={n: t.stream_arn for n, t in provisioned.tables.items() if t.stream_arn},
            queues={n: q.arn for n, q in provisioned.queues.items()},
            topics={n: t.arn for n, t in provisioned.topics.items()},
            buckets={n: f"arn:aws:s3:::{b.name}" for n, b in provisioned.buckets.items()},
            user_pool=(f"arn:aws:cognito-idp:{region}:{account}:userpool/{provisioned.user_pool.pool_id}"
                       if provisioned.user_pool is not None else None),
            # No secret exists locally (DATABASE_URL is given); the ARN keeps the document the stack's shape.
            database_secrets={d.name: f"arn:aws:secretsmanager:{region}:{account}:secret:{prefix}{d.name}"
                              for f in plan.functions for d in f.resources("database")},
            secrets={n: s.arn for n, s in provisioned.secrets.items()},
            # The local transcoder calls no MediaConvert API; the ARNs keep the document the stack's shape.
            transcoders={t.name: TranscoderArns(role=values.role_arn, queue=values.queue_arn)
                         for f in plan.functions for t in f.resources("transcoder")
                         for values in (transcoder_arns(prefix, region, t.name),)},
            mailers={n: MailerArns(identity=m.identity_arn, templates=m.template_arns)
                     for n, m in provisioned.mailers.items()},
            push_apps=provisioned.push_apps,
            usage_plans={n: f"arn:aws:apigateway:{region}::/usageplans/{p.id}"
                         for n, p in provisioned.usage_plans.items()},
        )
        # Lambda, not the function, uses the VPC statements; they only keep the document whole.
        vpc = VpcAccess(subnets=(f"arn:aws:ec2:{region}:{account}:subnet/local",),
                        security_group=f"arn:aws:ec2:{region}:{account}:security-group/local",
                        network_interfaces=f"arn:aws:ec2:{region}:{account}:network-interface/*")
        websocket = (f"arn:aws:execute-api:{region}:{account}:{LOCAL_WEBSOCKET_API_ID}" if plan.websocket else None)
        self.policies: dict[str, FunctionPolicy] = {}
        for function in plan.functions:
            physical = f"{prefix}{function.name}".replace("_", "-")
            log_group = f"arn:aws:logs:{region}:{account}:log-group:/aws/lambda/{physical}"
            document = function_policy(function, arns, log_group, vpc=vpc if function.resources("database") else None,
                                       websocket_execution_arn=websocket)
            self.policies[function.name] = FunctionPolicy(function.name, physical, document)

    @contextlib.contextmanager
    def calling(self, function: str) -> Iterator[FunctionPolicy]:
        """Judge the AWS calls made inside the block (on this thread or task) as ``function``'s."""
        policy = self.policies[function]
        token = CALLER.set(policy)
        try:
            yield policy
        finally:
            CALLER.reset(token)

    def install(self) -> Grants:
        _hook.acquire()
        return self

    def uninstall(self) -> None:
        _hook.release()


def needs_of(service: str, operation: str, params: Mapping[str, Any], region: str,
             endpoint: str | None = None) -> list[Need] | None:
    """The IAM (action, resource) pairs AWS authorises for one call; [] for a public call; None if unmapped.

    ``endpoint`` is the client's: the Management API's resource (API id, stage) is in its URL.
    """
    if service == "apigatewaymanagementapi":
        return _management(operation, params, region, endpoint or "")
    mapper = _MAPPERS.get(service)
    return None if mapper is None else mapper(operation, params, region)


# --- the hook -----------------------------------------------------------------------------------

class _Hook:
    """``BaseClient._make_api_call`` wrapped while at least one platform enforces grants; restored after."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._users = 0
        self._original: Callable[..., Any] | None = None

    def acquire(self) -> None:
        with self._lock:
            if self._users == 0:
                original = BaseClient._make_api_call
                self._original = original

                def judged_call(client: BaseClient, operation_name: str, api_params: dict[str, Any]) -> Any:
                    caller = CALLER.get()
                    if caller is not None:
                        caller.judge(client.meta.service_model.service_name, operation_name, api_params,
                                     client.meta.region_name, client.meta.endpoint_url)
                    return original(client, operation_name, api_params)

                BaseClient._make_api_call = judged_call
            self._users += 1

    def release(self) -> None:
        with self._lock:
            if self._users == 0:
                return
            self._users -= 1
            if self._users == 0 and self._original is not None:
                BaseClient._make_api_call = self._original
                self._original = None


_hook = _Hook()


# --- policy evaluation --------------------------------------------------------------------------

def _statements(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    raw = document.get("Statement", [])
    return [raw] if isinstance(raw, Mapping) else list(raw)


def _as_list(value: Any) -> list[str]:
    return [] if value is None else [value] if isinstance(value, str) else list(value)


def _glob(pattern: str, value: str, *, ignore_case: bool) -> bool:
    """IAM's wildcards: ``*`` any run of characters, ``?`` one character."""
    return _compiled(pattern, ignore_case).fullmatch(value) is not None


@functools.lru_cache(maxsize=4096)
def _compiled(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    # Every call is judged against every statement: building each regex once (not per call, as
    # re's own cache of 512 would, thrashed by a platform's few thousand patterns) keeps a burst of
    # calls (500 PostToConnection of a push) from spending a millisecond each on judging.
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(regex, re.IGNORECASE if ignore_case else 0)


def _matches(statement: Mapping[str, Any], action: str, resource: str) -> bool:
    if "NotAction" in statement or "NotResource" in statement:
        raise UnmappedCallError(f"statement {statement.get('Sid')!r} uses NotAction or NotResource, "
                                "which local/grants.py does not evaluate")
    covered = (any(_glob(a, action, ignore_case=True) for a in _as_list(statement.get("Action")))
               and any(_glob(r, resource, ignore_case=False) for r in _as_list(statement.get("Resource"))))
    # A Condition (the transcoder's iam:PassRole, to MediaConvert only) cannot be judged here: a
    # statement that does not cover the call is irrelevant to it; one that does is not guessed at.
    if covered and "Condition" in statement:
        raise UnmappedCallError(f"statement {statement.get('Sid')!r} covers {action} on {resource} with a "
                                "Condition, which local/grants.py does not evaluate")
    return covered


# What each service answers when IAM refuses a call: (error code, HTTP status). SNS alone says
# AuthorizationError (status 403), e.g. "(AuthorizationError) when calling the Publish operation: User: ...
# is not authorized to perform: SNS:Publish on resource: ..." (aws-ia/terraform-aws-control_tower_account_factory#151).
_DENIED: dict[str, tuple[str, int]] = {
    "dynamodb": ("AccessDeniedException", 400),
    "sqs": ("AccessDenied", 403),
    "sns": ("AuthorizationError", 403),
    "s3": ("AccessDenied", 403),
    "cognito-idp": ("AccessDeniedException", 400),
    "secretsmanager": ("AccessDeniedException", 400),
}


def _denied(service: str, operation: str, action: str, resource: str, function: str) -> ClientError:
    code, status = _DENIED.get(service, ("AccessDeniedException", 403))
    message = (f"User: arn:aws:sts::{ACCOUNT_ID}:assumed-role/{function}-role/{function} is not authorized to "
               f"perform: {action} on resource: {resource} because no identity-based policy allows the {action} "
               "action")
    return ClientError({"Error": {"Code": code, "Message": message},
                        "ResponseMetadata": {"HTTPStatusCode": status}}, operation)


def _guess(service: str, operation: str, params: Mapping[str, Any]) -> str:
    """The action and resource as far as they can be told, for the message of an unmapped call."""
    names = ("TableName", "QueueUrl", "TopicArn", "Bucket", "UserPoolId", "SecretId", "FunctionName")
    resource = next((str(params[n]) for n in names if n in params), "unknown resource")
    return f"action {service}:{operation} on {resource}"


# --- (service, operation, params) -> IAM actions and ARNs ---------------------------------------

def _table_arn(name: str, region: str) -> str:
    return name if name.startswith("arn:") else f"arn:aws:dynamodb:{region}:{ACCOUNT_ID}:table/{name}"


_TABLE_OPERATIONS = frozenset({"GetItem", "PutItem", "UpdateItem", "DeleteItem", "DescribeTable", "Query", "Scan",
                               "DescribeTimeToLive"})
_TRANSACT_ITEM_ACTIONS = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem",
                          "ConditionCheck": "ConditionCheckItem", "Get": "GetItem"}


def _dynamodb(operation: str, params: Mapping[str, Any], region: str) -> list[Need] | None:
    if operation in _TABLE_OPERATIONS:
        arn = _table_arn(params["TableName"], region)
        if operation in {"Query", "Scan"} and params.get("IndexName"):
            arn = f"{arn}/index/{params['IndexName']}"
        return [(f"dynamodb:{operation}", arn)]
    if operation in {"BatchGetItem", "BatchWriteItem"}:
        return [(f"dynamodb:{operation}", _table_arn(table, region)) for table in params["RequestItems"]]
    if operation in {"TransactWriteItems", "TransactGetItems"}:
        needs = []
        for item in params["TransactItems"]:
            for kind, request in item.items():
                needs.append((f"dynamodb:{_TRANSACT_ITEM_ACTIONS[kind]}", _table_arn(request["TableName"], region)))
        return needs
    return None


def _queue_arn(url: str, region: str) -> str:
    # moto's and SQS's URLs end in /<account>/<name>.
    account, name = urlsplit(url).path.strip("/").split("/")[-2:]
    return f"arn:aws:sqs:{region}:{account}:{name}"


_QUEUE_ACTIONS = {"SendMessage": "SendMessage", "SendMessageBatch": "SendMessage", "ReceiveMessage": "ReceiveMessage",
                  "DeleteMessage": "DeleteMessage", "DeleteMessageBatch": "DeleteMessage",
                  "ChangeMessageVisibility": "ChangeMessageVisibility",
                  "ChangeMessageVisibilityBatch": "ChangeMessageVisibility",
                  "GetQueueAttributes": "GetQueueAttributes", "PurgeQueue": "PurgeQueue"}


def _sqs(operation: str, params: Mapping[str, Any], region: str) -> list[Need] | None:
    if operation == "GetQueueUrl":
        account = params.get("QueueOwnerAWSAccountId", ACCOUNT_ID)
        return [("sqs:GetQueueUrl", f"arn:aws:sqs:{region}:{account}:{params['QueueName']}")]
    if operation in _QUEUE_ACTIONS:
        return [(f"sqs:{_QUEUE_ACTIONS[operation]}", _queue_arn(params["QueueUrl"], region))]
    return None


def _sns(operation: str, params: Mapping[str, Any], region: str) -> list[Need] | None:
    if operation == "Publish" and (params.get("TopicArn") or params.get("TargetArn")):
        return [("sns:Publish", params.get("TopicArn") or params["TargetArn"])]
    if operation == "PublishBatch":
        return [("sns:Publish", params["TopicArn"])]
    # Mobile push: endpoints are created under their platform application, then named by their own ARN.
    if operation == "CreatePlatformEndpoint":
        return [("sns:CreatePlatformEndpoint", params["PlatformApplicationArn"])]
    if operation in {"DeleteEndpoint", "GetEndpointAttributes", "SetEndpointAttributes"}:
        return [(f"sns:{operation}", params["EndpointArn"])]
    return None


def _ses(operation: str, params: Mapping[str, Any], region: str) -> list[Need] | None:
    """SES v2's SendEmail: the sender's identity (an address here) and, when templated, the template."""
    if operation != "SendEmail":
        return None
    sender = str(params.get("FromEmailAddress", ""))
    identity = f"arn:aws:ses:{region}:{ACCOUNT_ID}:identity/{sender}"
    template = params.get("Content", {}).get("Template", {}).get("TemplateName")
    needs = [("ses:SendEmail", identity)]
    if template:
        needs.append(("ses:SendEmail", f"arn:aws:ses:{region}:{ACCOUNT_ID}:template/{template}"))
    return needs


_OBJECT_ACTIONS = {"GetObject": "GetObject", "HeadObject": "GetObject", "PutObject": "PutObject",
                   "DeleteObject": "DeleteObject", "CreateMultipartUpload": "PutObject", "UploadPart": "PutObject",
                   "CompleteMultipartUpload": "PutObject", "AbortMultipartUpload": "AbortMultipartUpload"}


def _s3(operation: str, params: Mapping[str, Any], region: str) -> list[Need] | None:
    bucket = f"arn:aws:s3:::{params.get('Bucket', '')}"
    if operation in _OBJECT_ACTIONS:
        action = _OBJECT_ACTIONS[operation]
        if action == "GetObject" and params.get("VersionId"):
            action = "GetObjectVersion"
        return [(f"s3:{action}", f"{bucket}/{params['Key']}")]
    if operation in {"ListObjects", "ListObjectsV2", "HeadBucket"}:
        return [("s3:ListBucket", bucket)]
    if operation == "DeleteObjects":
        return [("s3:DeleteObject", f"{bucket}/{o['Key']}") for o in params["Delete"]["Objects"]]
    if operation == "CopyObject":
        source = params["CopySource"]
        source_path = (f"{source['Bucket']}/{source['Key']}" if isinstance(source, Mapping)
                       else str(source).lstrip("/").split("?")[0])
        return [("s3:GetObject", f"arn:aws:s3:::{source_path}"), ("s3:PutObject", f"{bucket}/{params['Key']}")]
    return None


# Authorised by the app client id or the user's own access token, not by IAM: unsigned in AWS.
_COGNITO_PUBLIC = frozenset({
    "SignUp", "ConfirmSignUp", "InitiateAuth", "RespondToAuthChallenge", "ResendConfirmationCode",
    "ForgotPassword", "ConfirmForgotPassword", "GetUser", "ChangePassword", "GlobalSignOut", "RevokeToken",
    "DeleteUser", "UpdateUserAttributes", "VerifyUserAttribute", "GetUserAttributeVerificationCode",
    "AssociateSoftwareToken", "VerifySoftwareToken", "SetUserMFAPreference", "GetTokensFromRefreshToken",
})
_COGNITO_POOL = frozenset({
    "AdminConfirmSignUp", "AdminAddUserToGroup", "AdminRemoveUserFromGroup", "AdminGetUser", "AdminCreateUser",
    "AdminDeleteUser", "AdminDisableUser", "AdminEnableUser", "AdminUpdateUserAttributes", "AdminSetUserPassword",
    "AdminListGroupsForUser", "AdminInitiateAuth", "AdminUserGlobalSignOut", "ListUsers", "ListUsersInGroup",
    "ListGroups", "GetGroup", "DescribeUserPool", "DescribeUserPoolClient",
})


def _cognito(operation: str, params: Mapping[str, Any], region: str) -> list[Need] | None:
    if operation in _COGNITO_PUBLIC:
        return []
    if operation in _COGNITO_POOL:
        return [(f"cognito-idp:{operation}",
                 f"arn:aws:cognito-idp:{region}:{ACCOUNT_ID}:userpool/{params['UserPoolId']}")]
    return None


def _secrets(operation: str, params: Mapping[str, Any], region: str) -> list[Need] | None:
    if operation in {"GetSecretValue", "DescribeSecret"}:
        secret = str(params["SecretId"])
        arn = secret if secret.startswith("arn:") else f"arn:aws:secretsmanager:{region}:{ACCOUNT_ID}:secret:{secret}"
        return [(f"secretsmanager:{operation}", arn)]
    return None


_MANAGEMENT_METHODS = {"PostToConnection": "POST", "GetConnection": "GET", "DeleteConnection": "DELETE"}
_EXECUTE_API_HOST = re.compile(r"([a-z0-9]+)\.execute-api\.")


def _management(operation: str, params: Mapping[str, Any], region: str, endpoint: str) -> list[Need] | None:
    """``execute-api:ManageConnections`` on ``<execution ARN>/<stage>/<METHOD>/@connections/<id>``.

    The API id is the endpoint's host in AWS (``<id>.execute-api.<region>.amazonaws.com``); any other
    host is the local platform's WebSocket API (``local.websocket.API_ID``).
    """
    method = _MANAGEMENT_METHODS.get(operation)
    if method is None:
        return None
    parts = urlsplit(endpoint)
    found = _EXECUTE_API_HOST.match(parts.hostname or "")
    api_id = found.group(1) if found else LOCAL_WEBSOCKET_API_ID
    stage = parts.path.strip("/").split("/")[0] or "$default"
    return [("execute-api:ManageConnections",
             f"arn:aws:execute-api:{region}:{ACCOUNT_ID}:{api_id}/{stage}/{method}/@connections/"
             f"{params['ConnectionId']}")]


_APIGATEWAY_METHODS = {"Create": "POST", "Delete": "DELETE", "Get": "GET", "Update": "PATCH"}


def _apigateway(operation: str, params: Mapping[str, Any], region: str) -> list[Need] | None:
    """``apigateway:<HTTP method>`` on the resource's path: the usage plan and API key operations the
    integrations routes make (``CreateApiKey`` is POST on ``/apikeys``, ``GetUsage`` GET on
    ``/usageplans/<id>/usage``...)."""
    root = f"arn:aws:apigateway:{region}::"
    plan = f"{root}/usageplans/{params.get('usagePlanId', '')}"
    paths = {
        "CreateApiKey": f"{root}/apikeys", "GetApiKey": f"{root}/apikeys/{params.get('apiKey', '')}",
        "DeleteApiKey": f"{root}/apikeys/{params.get('apiKey', '')}",
        "GetUsagePlans": f"{root}/usageplans", "GetUsagePlan": plan, "GetUsage": f"{plan}/usage",
        "CreateUsagePlanKey": f"{plan}/keys", "GetUsagePlanKeys": f"{plan}/keys",
        "GetUsagePlanKey": f"{plan}/keys/{params.get('keyId', '')}",
    }
    verb = next((m for prefix, m in _APIGATEWAY_METHODS.items() if operation.startswith(prefix)), None)
    if operation not in paths or verb is None:
        return None
    return [(f"apigateway:{verb}", paths[operation])]


def _sts(operation: str, params: Mapping[str, Any], region: str) -> list[Need] | None:
    return [] if operation == "GetCallerIdentity" else None  # needs no permission in AWS


_MAPPERS: dict[str, Callable[[str, Mapping[str, Any], str], list[Need] | None]] = {
    "dynamodb": _dynamodb, "sqs": _sqs, "sns": _sns, "s3": _s3, "cognito-idp": _cognito,
    "secretsmanager": _secrets, "sts": _sts, "sesv2": _ses, "apigateway": _apigateway,
}


def _index_names(table: Any, physical_name: str) -> tuple[str, ...]:
    request = create_table_request(table, physical_name)
    return tuple(i["IndexName"] for key in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes")
                 for i in request.get(key, []))
