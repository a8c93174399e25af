"""IAM: no wildcard-on-wildcard anywhere, and each function's policy names only what it was granted."""

from __future__ import annotations

import json
from collections.abc import Set
from typing import Any

import pytest

import app as runtime_app
from chalicelib.core.declarations import Manifest, grants_of
from chalicelib.resources import MANIFEST
from stacks.appgraph import ApiTrigger, FunctionPlan, NoTrigger, StreamTrigger, plan_app
from stacks.mocks import RecordedResource, Rendering
from stacks.policies import ResourceArns, function_policy, wildcard_statements
from tests.infra import fixture_app
from tests.infra.conftest import FUNCTION, ROLE_POLICY, arn_of, function_named, policy_of


def _documents(rendering: Rendering) -> list[tuple[str, dict[str, Any]]]:
    """Every policy document in the stack: inline, assume-role, bucket and queue policies."""
    found = [(p.name, json.loads(p.inputs["policy"])) for p in rendering.of_type(ROLE_POLICY)]
    found += [(r.name, json.loads(r.inputs["assumeRolePolicy"])) for r in rendering.of_type("aws:iam/role:Role")]
    found += [(b.name, json.loads(b.inputs["policy"])) for b in rendering.of_type("aws:s3/bucketPolicy:BucketPolicy")]
    found += [(q.name, json.loads(q.inputs["policy"])) for q in rendering.of_type("aws:sqs/queuePolicy:QueuePolicy")]
    return found


def test_the_wildcard_check_catches_wildcard_statements() -> None:
    assert wildcard_statements({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
    assert wildcard_statements({"Statement": {"Effect": "Allow", "Action": ["s3:*"], "Resource": ["*"]}})
    assert not wildcard_statements({"Statement": [{"Effect": "Allow", "Action": "xray:PutTraceSegments",
                                                   "Resource": "*"}]})


def test_no_policy_allows_wildcard_actions_on_wildcard_resources(any_rendering: Rendering) -> None:
    documents = _documents(any_rendering)
    assert len(documents) >= 3
    for name, document in documents:
        assert wildcard_statements(document) == [], name


def test_only_xray_and_vpc_describes_may_use_the_wildcard_resource(any_rendering: Rendering) -> None:
    for function in any_rendering.of_type(FUNCTION):
        in_vpc = "vpcConfig" in function.inputs
        for statement in policy_of(any_rendering, function)["Statement"]:
            if "*" in statement["Resource"]:
                # Describe* allow no resource but '*'; only functions in the VPC need them.
                allowed = ("xray:Put", "ec2:Describe") if in_vpc else ("xray:Put",)
                assert all(action.startswith(allowed) for action in statement["Action"]), statement


def _granted_arns(rendering: Rendering, function: RecordedResource, names: dict[str, list[str]]) -> set[str]:
    """ARNs a function may name: what its grants and trigger name, its own log group, X-Ray and the stack's flags."""
    arns: set[str] = {"*"}
    # Every function may read the stack's flags profile (tests/infra/test_flags_infra.py checks the statement).
    [application] = rendering.of_type("aws:appconfig/application:Application")
    [profile] = rendering.of_type("aws:appconfig/configurationProfile:ConfigurationProfile")
    arns.add(f"{arn_of(application)}/environment/*/configuration/{profile.outputs['configurationProfileId']}")
    for resource_name in names.get("tables", []):
        table = rendering.named(f"{resource_name}-table")
        arns |= {arn_of(table), f"{arn_of(table)}/index/by-owner", f"{arn_of(table)}/index/by-created"}
    for resource_name in names.get("streams", []):
        arns.add(rendering.named(f"{resource_name}-table").outputs["streamArn"])
    for key in ("queues", "topics", "buckets", "pools"):
        for resource_name in names.get(key, []):
            arn = arn_of(rendering.named(resource_name))
            arns |= {arn, f"{arn}/*"}
    log_group = rendering.named(f"{function.name}-logs")
    arns.add(f"{arn_of(log_group)}:*")
    for database in names.get("databases", []):
        # Its own login role's secret, in the VPC the account stack shares: its subnets, the functions'
        # security group and their network interfaces; the migrator also reads the server's master secret.
        arns.add(arn_of(rendering.named(f"social-{rendering.stack}-{database}-db-secret")))
        [reference] = rendering.of_type("pulumi:pulumi:StackReference")
        shared = reference.outputs["outputs"]
        arns |= {*shared["network"]["privateSubnetArns"], shared["network"]["functionsSecurityGroupArn"],
                 shared["network"]["networkInterfacesArn"]}
        if function.inputs["name"].endswith(f"migrate-{database}"):
            arns.add(shared["database"]["adminSecretArn"])
    for secret in names.get("secrets", []):
        arns.add(arn_of(rendering.named(f"social-{rendering.stack}-{secret}-secret")))
    for transcoder in names.get("transcoders", []):
        # Its role (to pass), its queue and the jobs it creates and reads.
        queue = arn_of(rendering.named(f"social-{rendering.stack}-{transcoder}-transcoder-queue"))
        arns |= {arn_of(rendering.named(f"social-{rendering.stack}-{transcoder}-transcoder-role")), queue,
                 f"{queue.rsplit(':', 1)[0]}:jobs/*"}
    return arns


# Each fixture handler's @uses (and trigger), as physical resource names.
FIXTURE_GRANTS: dict[str, dict[str, list[str]]] = {
    "api_handler": {"tables": ["social-dev-things"]},
    "api_vault": {"tables": ["social-dev-things"], "pools": ["social-dev-people-pool"], "databases": ["vault"]},
    "work": {"tables": ["social-dev-audit"], "queues": ["social-dev-jobs"], "databases": ["vault"]},
    "migrate_vault": {"databases": ["vault"]},
    # Async-invoked functions (bucket, topic, rule) also send what Lambda gives up on to their failure queue.
    "ingest": {"buckets": ["social-dev-uploads"], "topics": ["social-dev-events-topic"],
               "queues": ["social-dev-ingest-failures"]},
    "relay": {"queues": ["social-dev-jobs", "social-dev-relay-failures"]},
    "changed": {"tables": ["social-dev-audit"], "streams": ["social-dev-things"],
                "queues": ["social-dev-changed-failures"]},
    "sweep": {"tables": ["social-dev-things"], "buckets": ["social-dev-uploads"],
              "queues": ["social-dev-sweep-failures"]},
    "websocket_connect": {},
    "websocket_message": {},
    "websocket_disconnect": {"tables": ["social-dev-audit"]},
    "process_upload": {"tables": ["social-dev-things"], "queues": ["social-dev-arrivals"],
                       "buckets": ["social-dev-uploads", "social-dev-gallery"], "transcoders": ["clips"]},
    "transcoded": {"tables": ["social-dev-things"], "queues": ["social-dev-transcoded-failures"]},
}


def test_each_function_policy_names_only_resources_of_its_grants(fixture_dev: Rendering) -> None:
    for logical, names in FIXTURE_GRANTS.items():
        function = function_named(fixture_dev, logical)
        allowed = _granted_arns(fixture_dev, function, names)
        named = {arn for s in policy_of(fixture_dev, function)["Statement"] for arn in s["Resource"]}
        assert named <= allowed, f"{logical} names {sorted(named - allowed)}"
        # ...and every grant is actually there (a policy naming nothing would pass the line above).
        bases = {arn for arn in allowed if not arn.endswith("/*") and "/index/" not in arn}
        missing = {base for base in bases if not any(arn == base or arn == f"{base}/*" for arn in named)}
        assert not missing, f"{logical} lacks {sorted(missing)}"


def test_access_levels_map_to_actions(fixture_dev: Rendering) -> None:
    def actions(logical: str) -> set[str]:
        document = policy_of(fixture_dev, function_named(fixture_dev, logical))
        return {a for s in document["Statement"] for a in s["Action"]}

    assert "dynamodb:PutItem" in actions("work") and "dynamodb:GetItem" not in actions("work")  # audit: write
    assert {"sqs:ReceiveMessage", "sqs:DeleteMessage"} <= actions("work")  # its trigger's queue
    assert "sqs:SendMessage" in actions("relay") and "sqs:ReceiveMessage" not in actions("relay")
    assert {"s3:GetObject", "sns:Publish"} <= actions("ingest") and "s3:PutObject" not in actions("ingest")
    assert "cognito-idp:AdminConfirmSignUp" in actions("api_vault")
    assert not any(a.startswith("cognito-idp:") for a in actions("api_handler"))
    assert not any(a.startswith("cognito-idp:") for a in actions("sweep"))
    assert {"dynamodb:GetRecords", "dynamodb:GetShardIterator"} <= actions("changed")


def test_logs_only_on_the_functions_own_log_group(any_rendering: Rendering) -> None:
    for function in any_rendering.of_type(FUNCTION):
        own = arn_of(any_rendering.named(f"{function.name}-logs"))
        for statement in policy_of(any_rendering, function)["Statement"]:
            if any(a.startswith("logs:") for a in statement["Action"]):
                assert statement["Resource"] == [f"{own}:*"], function.name


def test_the_identity_pools_authenticated_role_may_only_upload_under_its_own_prefix(dev: Rendering) -> None:
    role = dev.named("social-dev-authenticated")
    [policy] = [p for p in dev.of_type(ROLE_POLICY) if p.inputs["role"] == role.outputs["id"]]
    uploads = arn_of(dev.named("social-dev-uploads"))
    [statement] = json.loads(policy.inputs["policy"])["Statement"]
    # One action on one prefix: the caller's own identity id, resolved by IAM per request.
    assert (statement["Effect"], statement["Action"], statement["Resource"]) == (
        "Allow", ["s3:PutObject"], [f"{uploads}/uploads/identity/${{cognito-identity.amazonaws.com:sub}}/*"])
    assert "Condition" not in statement
    assert [a for a in dev.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
            if a.inputs["role"] == role.outputs["id"]] == []
    statement = json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]
    assert statement["Condition"]["ForAnyValue:StringLike"] == {"cognito-identity.amazonaws.com:amr": "authenticated"}


def test_the_real_api_may_only_confirm_or_undo_sign_ups_and_read_an_admin_in_the_user_pool(dev: Rendering) -> None:
    # Registration deletes the account it just signed up when confirming it or storing its profile fails; the
    # integration keys' admin routes read the caller's account (has the admin TOTP on: auth/admins.py).
    document = policy_of(dev, function_named(dev, "api_handler"))
    cognito = {a for s in document["Statement"] for a in s["Action"] if a.startswith("cognito-idp:")}
    assert cognito == {"cognito-idp:AdminConfirmSignUp", "cognito-idp:AdminDeleteUser", "cognito-idp:AdminGetUser"}


def test_the_real_routes_functions_hold_only_their_own_routes_rights(dev: Rendering) -> None:
    plan = plan_app(runtime_app.app, MANIFEST)
    for logical in ("api_handler", "api_ledger"):
        function = function_named(dev, logical)
        statements = policy_of(dev, function)["Statement"]
        actions = {a for s in statements for a in s["Action"]}
        # The tables its routes declare, and no other: the role is the union of its own routes' grants.
        trigger = plan.function(logical).trigger
        assert isinstance(trigger, ApiTrigger)
        views = [runtime_app.app.routes[path][method].view_function for path, method in trigger.routes]
        declared = {g.resource.name for view in views for g in grants_of(view) if g.resource.kind == "table"}
        tables = {arn.split("/")[1] for s in statements for arn in s["Resource"] if arn.startswith("arn:aws:dynamodb:")}
        assert tables == {f"social-dev-{name}" for name in declared}, logical
        in_vpc = "vpcConfig" in function.inputs
        variables = function.inputs["environment"]["variables"]
        # The declared signing keys (cursors, unsubscribe links) are not a database's secret.
        keys = {value for name, value in variables.items() if name.endswith("_KEY_SECRET_ARN")}
        # Both sign cursors; only the ledger's reads a database secret.
        reads_database_secret = any(arn not in keys for s in statements if "secretsmanager:GetSecretValue" in
                                    s["Action"] for arn in s["Resource"])
        manages_interfaces = any(a.startswith("ec2:") for a in actions)
        assert (in_vpc, reads_database_secret, manages_interfaces) == (
            (True,) * 3 if logical == "api_ledger" else (False,) * 3)
    assert function_named(dev, "api_ledger").inputs["environment"]["variables"]["DATABASE_SECRET_ARN"]
    assert "DATABASE_SECRET_ARN" not in function_named(dev, "api_handler").inputs["environment"]["variables"]


# What each access level must allow on a table (TransactWriteItems is authorised per item: Put, Update,
# Delete and ConditionCheck; TransactGetItems per GetItem) and what it must not.
READS = {"dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:Scan", "dynamodb:ConditionCheckItem"}
WRITES = {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem",
          "dynamodb:ConditionCheckItem"}
ONLY_READS = READS - WRITES
ONLY_WRITES = WRITES - READS
INDEX_ACTIONS = {"dynamodb:Query", "dynamodb:Scan"}


def _actions_by_resource(document: dict[str, Any]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for statement in document["Statement"]:
        assert statement["Effect"] == "Allow"
        for resource in statement["Resource"]:
            found.setdefault(resource, set()).update(statement["Action"])
    return found


def _check_table_access(actions: dict[str, set[str]], table_arn: str, index_names: list[str],
                        accesses: Set[str], who: str) -> None:
    reads = bool(accesses & {"read", "read_write"})
    writes = bool(accesses & {"write", "read_write"})
    granted = actions.get(table_arn, set())
    assert (READS if reads else set()) | (WRITES if writes else set()) <= granted, (who, table_arn)
    if not reads:
        assert not granted & ONLY_READS, (who, table_arn)
    if not writes:
        assert not granted & ONLY_WRITES, (who, table_arn)
    for name in index_names:
        index_arn = f"{table_arn}/index/{name}"
        if reads:  # Query on an index is authorised against the index's ARN
            assert "dynamodb:Query" in actions.get(index_arn, set()), (who, index_arn)
            assert actions[index_arn] <= INDEX_ACTIONS, (who, index_arn)
        else:
            assert index_arn not in actions, (who, index_arn)


@pytest.mark.parametrize(("stack", "app", "manifest"), [
    ("dev", runtime_app.app, MANIFEST), ("prod", runtime_app.app, MANIFEST),
    ("fixture_dev", fixture_app.app, fixture_app.MANIFEST)])
def test_data_access_is_exactly_what_each_handler_declares(stack: str, app: Any, manifest: Manifest,
                                                           request: pytest.FixtureRequest) -> None:
    """Walks every planned function of the app: tables, indexes, streams, topics and queues it may touch."""
    rendering: Rendering = request.getfixturevalue(stack)
    prefix = f"social-{rendering.stack}-"
    for function in plan_app(app, manifest).functions:
        actions = _actions_by_resource(policy_of(rendering, function_named(rendering, function.name)))
        touched: set[str] = set()
        for declared in manifest.tables:
            accesses = {g.access for g in function.grants if g.resource == declared}
            table_arn = arn_of(rendering.named(f"{prefix}{declared.name}-table"))
            indexes = [index.Meta.index_name for index in declared.model._indexes.values()]
            if accesses:
                _check_table_access(actions, table_arn, indexes, accesses, function.name)
                # A write-only grant reaches no index (indexes are only queried and scanned).
                touched |= {table_arn, *(f"{table_arn}/index/{name}" for name in indexes if accesses != {"write"})}
            trigger = function.trigger
            if isinstance(trigger, StreamTrigger) and trigger.table == declared:
                stream = rendering.named(f"{prefix}{declared.name}-table").outputs["streamArn"]
                assert {"dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:DescribeStream"} <= actions[
                    stream], function.name
                touched.add(stream)
        for topic in manifest.topics:
            topic_arn = arn_of(rendering.named(f"{prefix}{topic.name}-topic"))
            if any(g.resource == topic for g in function.grants):
                assert actions[topic_arn] == {"sns:Publish"}, function.name
                touched.add(topic_arn)
        for queue in manifest.queues:
            queue_arn = arn_of(rendering.named(f"{prefix}{queue.name}"))
            accesses = {g.access for g in function.grants if g.resource == queue}
            if accesses:
                assert ("sqs:SendMessage" in actions[queue_arn]) == ("send" in accesses), function.name
                assert ("sqs:ReceiveMessage" in actions[queue_arn]) == ("consume" in accesses), function.name
                touched.add(queue_arn)
        # No table, index, stream, topic or queue beyond the declared ones.
        data = {arn for arn in actions if arn.startswith(("arn:aws:dynamodb:", "arn:aws:sns:"))
                or (arn.startswith("arn:aws:sqs:") and not arn.endswith("-failures"))}
        assert data == touched, (function.name, sorted(data ^ touched))


def test_every_inline_policy_fits_iams_size_limit(any_rendering: Rendering) -> None:
    # IAM refuses a role whose inline policies exceed 10,240 characters (whitespace not counted).
    for policy in any_rendering.of_type(ROLE_POLICY):
        assert len("".join(policy.inputs["policy"].split())) <= 10_240, policy.name


@pytest.mark.parametrize("access", ["read", "write", "read_write"])
def test_each_table_access_level_covers_transactions_and_index_queries(access: str) -> None:
    table = "arn:aws:dynamodb:us-east-1:123456789012:table/things"
    grant = fixture_app.THINGS.grant(access)  # type: ignore[arg-type]  # parametrised over the table accesses
    function = FunctionPlan(name="f", handler="app.f", trigger=NoTrigger(), grants=(grant,))
    arns = ResourceArns(tables={"things": table}, table_indexes={"things": ("by-owner", "by-created")})
    document = function_policy(function, arns, log_group_arn="arn:aws:logs:us-east-1:123456789012:log-group:f")
    _check_table_access(_actions_by_resource(document), table, ["by-owner", "by-created"], {access}, access)


def test_a_table_read_by_one_route_and_written_by_another_gets_one_read_write_statement() -> None:
    table = "arn:aws:dynamodb:us-east-1:123456789012:table/things"
    function = FunctionPlan(name="f", handler="app.app", trigger=NoTrigger(),
                            grants=(fixture_app.THINGS.read(), fixture_app.THINGS.write()))
    arns = ResourceArns(tables={"things": table}, table_indexes={"things": ("by-owner",)})
    document = function_policy(function, arns, log_group_arn="arn:aws:logs:us-east-1:123456789012:log-group:f")
    naming_the_table = [s for s in document["Statement"] if table in s["Resource"]]
    assert [s["Sid"] for s in naming_the_table] == ["TableThingsReadWrite"]
    _check_table_access(_actions_by_resource(document), table, ["by-owner"], {"read", "write"}, "f")
