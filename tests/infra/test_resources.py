"""Data, messaging, storage and alarms: what the declarations turn into."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pynamodb.indexes import GlobalSecondaryIndex

from chalicelib.core.declarations import Manifest, Queue, Subscription, Topic
from chalicelib.resources import MANIFEST
from stacks.messaging import check_subscriptions
from stacks.mocks import ACCOUNT, RecordedResource, Rendering
from stacks.policies import queue_policy
from stacks.schema import SchemaError, check_ttl_attribute, table_schema
from tests.infra import fixture_app
from tests.infra.conftest import QUEUE, TABLE, arn_of


@pytest.mark.parametrize(("stack", "manifest"), [
    ("dev", MANIFEST), ("prod", MANIFEST), ("preview", MANIFEST), ("fixture_dev", fixture_app.MANIFEST)])
def test_one_table_per_declaration_keyed_like_its_model(stack: str, manifest: Manifest,
                                                      request: pytest.FixtureRequest) -> None:
    rendering: Rendering = request.getfixturevalue(stack)
    tables = {t.inputs["name"]: t for t in rendering.of_type(TABLE)}
    assert len(tables) == len(manifest.tables)
    for declared in manifest.tables:
        table = tables[f"social-{rendering.stack}-{declared.name}"]
        attributes = declared.model.get_attributes().values()
        assert table.inputs["hashKey"] == next(a.attr_name for a in attributes if a.is_hash_key)
        assert table.inputs.get("rangeKey") == next((a.attr_name for a in attributes if a.is_range_key), None)
        assert table.inputs["billingMode"] == "PAY_PER_REQUEST"


def test_fixture_tables_carry_range_keys_indexes_stream_and_ttl(fixture_dev: Rendering) -> None:
    things = fixture_dev.named("social-dev-things-table").inputs
    assert (things["hashKey"], things["rangeKey"]) == ("pk", "SK")  # the attribute's DynamoDB name
    assert sorted((a["name"], a["type"]) for a in things["attributes"]) == [
        ("SK", "S"), ("created", "N"), ("owner", "S"), ("pk", "S")]
    [gsi] = things["globalSecondaryIndexes"]
    assert gsi["name"] == "by-owner" and gsi["projectionType"] == "INCLUDE" and gsi["nonKeyAttributes"] == ["title"]
    assert gsi["keySchemas"] == [{"attributeName": "owner", "keyType": "HASH"},
                                 {"attributeName": "created", "keyType": "RANGE"}]
    [lsi] = things["localSecondaryIndexes"]
    assert (lsi["name"], lsi["rangeKey"], lsi["projectionType"]) == ("by-created", "created", "ALL")
    assert (things["streamEnabled"], things["streamViewType"]) == (True, "NEW_AND_OLD_IMAGES")
    assert things["ttl"] == {"attributeName": "expires", "enabled": True}
    audit = fixture_dev.named("social-dev-audit-table").inputs
    assert audit["streamEnabled"] is False and "ttl" not in audit and "rangeKey" not in audit


def test_a_ttl_on_a_missing_or_non_numeric_attribute_is_refused() -> None:
    with pytest.raises(SchemaError, match="no attribute 'nope'"):
        check_ttl_attribute(fixture_app.ThingModel, "nope")
    with pytest.raises(SchemaError, match="must be a number"):
        check_ttl_attribute(fixture_app.ThingModel, "owner")
    check_ttl_attribute(fixture_app.ThingModel, "expires")
    for declared in MANIFEST.tables:
        if declared.ttl_attribute:
            check_ttl_attribute(declared.model, declared.ttl_attribute)


def test_a_model_without_hash_key_is_refused() -> None:
    class NoKey:
        @staticmethod
        def _get_schema() -> dict[str, list[object]]:
            return {"attribute_definitions": [], "key_schema": [], "global_secondary_indexes": [],
                    "local_secondary_indexes": []}

    with pytest.raises(SchemaError, match="no hash key"):
        table_schema(NoKey)


def test_every_queue_has_a_dead_letter_queue_and_sse(fixture_dev: Rendering) -> None:
    queues = {q.inputs["name"]: q for q in fixture_dev.of_type(QUEUE)}
    sources = {name: q for name, q in queues.items() if "-dlq" not in name and not name.endswith("-failures")}
    assert set(sources) == {"social-dev-jobs", "social-dev-orders.fifo", "social-dev-arrivals"}
    for name, queue in sources.items():
        policy = json.loads(queue.inputs["redrivePolicy"])
        dead_letter = next(q for q in queues.values() if arn_of(q) == policy["deadLetterTargetArn"])
        assert dead_letter is not queue and "-dlq" in dead_letter.inputs["name"], name
        assert dead_letter.inputs.get("fifoQueue") == queue.inputs.get("fifoQueue")
    assert json.loads(sources["social-dev-jobs"].inputs["redrivePolicy"])["maxReceiveCount"] == 3
    assert json.loads(sources["social-dev-orders.fifo"].inputs["redrivePolicy"])["maxReceiveCount"] == 2
    assert all(q.inputs["sqsManagedSseEnabled"] is True for q in queues.values())


def test_every_dead_letter_queue_and_function_has_an_alarm_on_the_alarm_topic(fixture_dev: Rendering) -> None:
    alarms = fixture_dev.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
    topic = arn_of(fixture_dev.named("social-dev-alarms"))
    watched_queues = {a.inputs["dimensions"]["QueueName"] for a in alarms if a.inputs.get("namespace") == "AWS/SQS"}
    assert watched_queues == {"social-dev-jobs-dlq", "social-dev-orders-dlq.fifo", "social-dev-arrivals-dlq",
                              "social-dev-changed-failures", "social-dev-ingest-failures", "social-dev-relay-failures",
                              "social-dev-sweep-failures", "social-dev-transcoded-failures"}
    watched_functions = {a.inputs["dimensions"]["FunctionName"] for a in alarms
                         if a.inputs.get("metricName") == "Errors"}
    assert watched_functions == {f.inputs["name"] for f in fixture_dev.of_type("aws:lambda/function:Function")}
    for alarm in alarms:
        if alarm.inputs.get("metricName") in ("Errors", "ApproximateNumberOfMessagesVisible"):
            assert (alarm.inputs["threshold"], alarm.inputs["comparisonOperator"]) == (0, "GreaterThanThreshold")
        assert alarm.inputs["alarmActions"] == [topic]


def test_buckets_are_private_encrypted_tls_only_with_declared_cors(fixture_dev: Rendering) -> None:
    bucket_id = fixture_dev.named("social-dev-uploads").outputs["id"]
    block = fixture_dev.named("social-dev-uploads-public-access").inputs
    assert block["bucket"] == bucket_id
    assert all(block[k] is True for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls",
                                          "restrictPublicBuckets"))
    ownership = fixture_dev.named("social-dev-uploads-ownership").inputs
    assert ownership["rule"] == {"objectOwnership": "BucketOwnerEnforced"}
    encryption = fixture_dev.named("social-dev-uploads-encryption").inputs["rules"][0]
    assert encryption["applyServerSideEncryptionByDefault"]["sseAlgorithm"] == "AES256"
    policy = json.loads(fixture_dev.named("social-dev-uploads-tls-only").inputs["policy"])
    assert policy["Statement"][0]["Effect"] == "Deny"
    assert policy["Statement"][0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    cors = fixture_dev.named("social-dev-uploads-cors").inputs["corsRules"][0]
    assert cors["allowedOrigins"] == ["https://example.com"]


def test_versioning_only_where_the_environment_wants_it(fixture_dev: Rendering, fixture_prod: Rendering,
                                                        fixture_preview: Rendering) -> None:
    assert fixture_dev.of_type("aws:s3/bucketVersioning:BucketVersioning") == []
    assert fixture_preview.of_type("aws:s3/bucketVersioning:BucketVersioning") == []
    versionings = fixture_prod.of_type("aws:s3/bucketVersioning:BucketVersioning")
    # The app's two buckets and the stack's code bucket; not the web client's (its build is in git: stacks/web.py).
    buckets = {b.outputs["id"] for b in fixture_prod.of_type("aws:s3/bucket:Bucket") if b.name != "social-prod-site"}
    assert {v.inputs["bucket"] for v in versionings} == buckets and len(versionings) == len(buckets) == 3
    assert all(v.inputs["versioningConfiguration"] == {"status": "Enabled"} for v in versionings)


def test_the_user_pool_follows_the_declaration(fixture_dev: Rendering, dev: Rendering) -> None:
    pool = dev.of_type("aws:cognito/userPool:UserPool")[0].inputs
    declared = MANIFEST.user_pool
    assert declared is not None
    policy = declared.password_policy
    assert pool["passwordPolicy"] | {"temporaryPasswordValidityDays": 3} == {
        "minimumLength": policy.min_length, "requireLowercase": policy.require_lowercase,
        "requireUppercase": policy.require_uppercase, "requireNumbers": policy.require_numbers,
        "requireSymbols": policy.require_symbols, "temporaryPasswordValidityDays": 3}
    assert pool["autoVerifiedAttributes"] == ["email"]
    assert pool["usernameConfiguration"] == {"caseSensitive": False}
    [email] = pool["schemas"]
    assert (email["name"], email["required"]) == ("email", True)
    assert {g.inputs["name"] for g in dev.of_type("aws:cognito/userGroup:UserGroup")} == {"admins"}
    assert {g.inputs["name"] for g in fixture_dev.of_type("aws:cognito/userGroup:UserGroup")} == {
        "admins", "moderators"}
    client = dev.of_type("aws:cognito/userPoolClient:UserPoolClient")[0].inputs
    assert client["generateSecret"] is False
    assert sorted(client["explicitAuthFlows"]) == ["ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_PASSWORD_AUTH"]
    assert client["preventUserExistenceErrors"] == "ENABLED"
    assert 5 <= client["accessTokenValidity"] <= 24 * 60


SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
QUEUE_POLICY = "aws:sqs/queuePolicy:QueuePolicy"


def _queue_subscriptions(rendering: Rendering) -> list[RecordedResource]:
    return [s for s in rendering.of_type(SUBSCRIPTION) if s.inputs["protocol"] == "sqs"]


def test_a_subscribed_queue_gets_raw_deliveries_filtered_on_the_type_attribute(fixture_dev: Rendering) -> None:
    jobs = arn_of(fixture_dev.named("social-dev-jobs"))
    events = arn_of(fixture_dev.named("social-dev-events-topic"))
    alerts = arn_of(fixture_dev.named("social-dev-alerts-topic"))
    subscriptions = {s.inputs["topic"]: s.inputs for s in _queue_subscriptions(fixture_dev)}
    assert set(subscriptions) == {events, alerts}
    for inputs in subscriptions.values():
        assert (inputs["endpoint"], inputs["rawMessageDelivery"]) == (jobs, True)
    filtered = subscriptions[events]
    assert json.loads(filtered["filterPolicy"]) == {"type": ["thing.created", "thing.deleted"]}
    assert filtered["filterPolicyScope"] == "MessageAttributes"
    # No types declared: every message of the topic arrives.
    assert "filterPolicy" not in subscriptions[alerts] and "filterPolicyScope" not in subscriptions[alerts]


@pytest.mark.parametrize("stack", ["dev", "prod", "preview"])
def test_the_manifests_subscriptions_are_rendered_as_declared(stack: str, request: pytest.FixtureRequest) -> None:
    rendering: Rendering = request.getfixturevalue(stack)
    found = {(s.inputs["endpoint"], s.inputs["topic"]): s.inputs for s in _queue_subscriptions(rendering)}
    expected = {}
    for queue in MANIFEST.queues:
        queue_arn = arn_of(rendering.named(f"social-{rendering.stack}-{queue.name}"))
        for subscription in queue.subscriptions:
            topic_arn = arn_of(rendering.named(f"social-{rendering.stack}-{subscription.topic.name}-topic"))
            expected[(queue_arn, topic_arn)] = subscription.filter_policy()
    assert set(found) == set(expected)
    for key, filter_policy in expected.items():
        assert found[key]["rawMessageDelivery"] is True
        assert (json.loads(found[key]["filterPolicy"]) if "filterPolicy" in found[key] else None) == filter_policy


def _allowed_senders(policy: dict[str, Any], queue_arn: str) -> set[tuple[str, str]]:
    """(service, source ARN) pairs that may send to ``queue_arn`` under ``policy``; fails on any other grant.

    S3's statements must also pin the source account (bucket ARNs name none).
    """
    senders: set[tuple[str, str]] = set()
    for statement in policy["Statement"]:
        if statement["Effect"] != "Allow":
            continue
        service = statement["Principal"]["Service"]
        assert statement["Principal"] == {"Service": service} and service in ("sns.amazonaws.com",
                                                                             "s3.amazonaws.com"), statement
        assert statement["Action"] in ("sqs:SendMessage", ["sqs:SendMessage"]), statement
        assert statement["Resource"] in (queue_arn, [queue_arn]), statement
        conditions = {"ArnEquals"} | ({"StringEquals"} if service == "s3.amazonaws.com" else set())
        assert set(statement["Condition"]) == conditions, statement
        if service == "s3.amazonaws.com":
            assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": ACCOUNT}, statement
        assert set(statement["Condition"]["ArnEquals"]) == {"aws:SourceArn"}, statement
        source = statement["Condition"]["ArnEquals"]["aws:SourceArn"]
        senders |= {(service.split(".")[0], arn) for arn in ([source] if isinstance(source, str) else source)}
    return senders


def test_one_queue_policy_per_queue_lets_only_its_topics_and_buckets_send(fixture_dev: Rendering) -> None:
    policies = {p.inputs["queueUrl"]: json.loads(p.inputs["policy"]) for p in fixture_dev.of_type(QUEUE_POLICY)}
    jobs, arrivals = fixture_dev.named("social-dev-jobs"), fixture_dev.named("social-dev-arrivals")
    # The FIFO queue has no senders but its producers' roles: no policy.
    assert set(policies) == {jobs.outputs["url"], arrivals.outputs["url"]}
    topics = {("sns", arn_of(fixture_dev.named(f"social-dev-{t}-topic"))) for t in ("events", "alerts")}
    assert _allowed_senders(policies[jobs.outputs["url"]], arn_of(jobs)) == topics
    uploads = arn_of(fixture_dev.named("social-dev-uploads"))
    assert _allowed_senders(policies[arrivals.outputs["url"]], arn_of(arrivals)) == {("s3", uploads)}


def test_a_queue_both_subscribed_and_notified_gets_one_policy_with_both_senders() -> None:
    document = queue_policy("arn:q", ["arn:topic"], ["arn:aws:s3:::b"], account=ACCOUNT)
    assert _allowed_senders(document, "arn:q") == {("sns", "arn:topic"), ("s3", "arn:aws:s3:::b")}
    with pytest.raises(ValueError, match="account"):
        queue_policy("arn:q", [], ["arn:aws:s3:::b"])


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_each_queue_of_the_manifest_admits_only_its_topics_and_buckets(stack: str,
                                                                      request: pytest.FixtureRequest) -> None:
    rendering: Rendering = request.getfixturevalue(stack)
    policies = {p.inputs["queueUrl"]: json.loads(p.inputs["policy"]) for p in rendering.of_type(QUEUE_POLICY)}
    senders: dict[str, set[tuple[str, str]]] = {}
    for queue in MANIFEST.queues:
        for s in queue.subscriptions:
            senders.setdefault(queue.name, set()).add(
                ("sns", arn_of(rendering.named(f"social-{rendering.stack}-{s.topic.name}-topic"))))
    for bucket in MANIFEST.buckets:
        for n in bucket.notifications:
            senders.setdefault(n.queue.name, set()).add(
                ("s3", arn_of(rendering.named(f"social-{rendering.stack}-{bucket.name}"))))
    assert "media-uploads" in senders and len(policies) == len(senders)
    for name, expected in senders.items():
        resource = rendering.named(f"social-{rendering.stack}-{name}")
        assert _allowed_senders(policies[resource.outputs["url"]], arn_of(resource)) == expected
        # SNS can publish to SQS-managed SSE; not to a queue under the AWS-managed KMS key.
        assert resource.inputs["sqsManagedSseEnabled"] is True and "kmsMasterKeyId" not in resource.inputs


def test_subscriptions_sns_cannot_honour_are_refused() -> None:
    topic = Topic("events")
    with pytest.raises(ValueError, match="FIFO queue 'orders'"):
        check_subscriptions(Queue("orders", fifo=True, subscriptions=(Subscription(topic),)))
    with pytest.raises(ValueError, match="more than once"):
        check_subscriptions(Queue("jobs", subscriptions=(Subscription(topic, ("a",)), Subscription(topic, ("b",)))))
    check_subscriptions(Queue("jobs", subscriptions=(Subscription(topic, ("a", "b")),)))


def _model_indexes(model: Any) -> dict[str, dict[str, Any]]:
    """What each of a model's index classes declares: keys (DynamoDB names and types), projection, kind."""
    found = {}
    for index in model._indexes.values():
        attributes = index.Meta.attributes.values()
        found[index.Meta.index_name] = {
            "global": isinstance(index, GlobalSecondaryIndex),
            "hash": next(((a.attr_name, a.attr_type) for a in attributes if a.is_hash_key), None),
            "range": next(((a.attr_name, a.attr_type) for a in attributes if a.is_range_key), None),
            "projection": index.Meta.projection.projection_type,
            "non_key": list(getattr(index.Meta.projection, "non_key_attributes", None) or []),
        }
    return found


@pytest.mark.parametrize(("stack", "manifest"), [
    ("dev", MANIFEST), ("prod", MANIFEST), ("preview", MANIFEST), ("fixture_dev", fixture_app.MANIFEST)])
def test_ttl_streams_and_indexes_follow_each_declaration_and_model(stack: str, manifest: Manifest,
                                                                   request: pytest.FixtureRequest) -> None:
    rendering: Rendering = request.getfixturevalue(stack)
    for declared in manifest.tables:
        table = rendering.named(f"social-{rendering.stack}-{declared.name}-table").inputs
        if declared.ttl_attribute:
            assert table["ttl"] == {"attributeName": declared.ttl_attribute, "enabled": True}, declared.name
        else:
            assert "ttl" not in table, declared.name
        assert table["streamEnabled"] is (declared.stream is not None), declared.name
        assert table.get("streamViewType") == declared.stream, declared.name

        indexes = _model_indexes(declared.model)
        model_attributes = declared.model.get_attributes().values()
        keys = {(a.attr_name, a.attr_type) for a in model_attributes if a.is_hash_key or a.is_range_key}
        for index in indexes.values():
            keys |= {key for key in (index["hash"], index["range"]) if key is not None}
        # DynamoDB refuses attribute definitions that no key uses, and keys without a definition.
        assert {(a["name"], a["type"]) for a in table["attributes"]} == keys, declared.name

        gsis = {g["name"]: g for g in table.get("globalSecondaryIndexes", [])}
        assert set(gsis) == {name for name, index in indexes.items() if index["global"]}, declared.name
        for name, gsi in gsis.items():
            index = indexes[name]
            expected_keys = [{"attributeName": index["hash"][0], "keyType": "HASH"}]
            if index["range"] is not None:
                expected_keys.append({"attributeName": index["range"][0], "keyType": "RANGE"})
            assert gsi["keySchemas"] == expected_keys, (declared.name, name)
            assert gsi["projectionType"] == index["projection"], (declared.name, name)
            assert gsi.get("nonKeyAttributes", []) == index["non_key"], (declared.name, name)
        lsis = {i["name"] for i in table.get("localSecondaryIndexes", [])}
        assert lsis == {name for name, index in indexes.items() if not index["global"]}, declared.name

