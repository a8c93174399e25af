"""Grants enforced locally: a call outside what the handler declared fails as AWS would answer it."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
import requests
from botocore.client import BaseClient
from botocore.exceptions import ClientError

import app as runtime_app
from chalicelib.resources import MANIFEST
from local.gateway import ApiGateway
from local.grants import CALLER, FunctionPolicy, UnmappedCallError, _Hook, needs_of
from local.platform import LocalPlatform
from stacks.appgraph import plan_app
from tests.local import fixture_app

REGION = "us-east-1"
TABLE = "arn:aws:dynamodb:us-east-1:123456789012:table"


def test_a_route_writing_a_table_it_only_declared_read_on_meets_access_denied(platform: LocalPlatform) -> None:
    key = f"k-{uuid.uuid4().hex[:8]}"
    denied = requests.put(f"{platform.url}/guarded/{key}", timeout=10)
    assert denied.status_code == 200  # the handler caught the error and says which
    assert denied.json() == {"error": "AccessDeniedException"}
    # Nothing was written: the refused call never reached the table.
    assert "Item" not in platform.clients.dynamodb.get_item(
        TableName=platform.provisioned.tables["guarded"].name, Key={"pk": {"S": key}})  # type: ignore[union-attr]


def test_declared_calls_pass(platform: LocalPlatform) -> None:
    key = f"k-{uuid.uuid4().hex[:8]}"
    table = platform.provisioned.tables["guarded"].name  # type: ignore[union-attr]
    platform.clients.dynamodb.put_item(TableName=table, Item={"pk": {"S": key}})  # test code: not judged
    assert requests.get(f"{platform.url}/guarded/{key}", timeout=10).json() == {"error": None, "found": True}


def _send(platform: LocalPlatform, queue: str, body: str) -> None:
    url = platform.provisioned.queues[queue].url  # type: ignore[union-attr]
    platform.clients.sqs.send_message(QueueUrl=url, MessageBody=body)  # test code: not judged


def test_an_event_handler_publishing_to_an_undeclared_topic_fails(platform: LocalPlatform,
                                                                   recorder: fixture_app.Recorder) -> None:
    _send(platform, "alarms", "fire")
    [attempt] = recorder.wait("announce_undeclared", 1)
    assert attempt == {"body": "fire", "error": "AuthorizationError"}  # what SNS answers a role without sns:Publish
    platform.pump.drain(10)
    [delivery] = platform.pump.deliveries("announce_undeclared")
    assert delivery.outcome == "error" and "AuthorizationError" in (delivery.error or "")


def test_an_event_handler_publishing_to_its_declared_topic_succeeds(platform: LocalPlatform,
                                                                     recorder: fixture_app.Recorder) -> None:
    _send(platform, "notices", "hello")
    assert recorder.wait("announce_declared", 1) == [{"body": "hello", "error": None}]


def test_the_gateway_runs_each_route_as_the_planned_function_that_serves_it(platform: LocalPlatform) -> None:
    plan = plan_app(runtime_app.app, MANIFEST)
    gateway = ApiGateway(runtime_app.app, plan=plan)
    assert gateway.function_of("/v1/wallet", "GET") == "api_ledger"
    assert gateway.function_of("/v1/admin/rewards/{reward_id}", "PATCH") == "api_ledger"
    assert gateway.function_of("/v1/posts", "POST") == "api_handler"
    # The running platform's gateway uses the platform's own plan.
    assert platform.plan is not None and platform.grants is not None
    assert platform.grants.plan is platform.plan
    assert platform.plan.route_function("/guarded/{pk}", "PUT").name == "api_handler"
    banner = "\n".join(platform.describe())
    routes = sum(len(methods) for methods in platform.app.routes.values())
    assert f"  api_handler <- {routes} routes" in banner  # the fixture app declares no database
    assert "grants       enforced" in banner


def _policy(statements: list[dict[str, Any]]) -> FunctionPolicy:
    return FunctionPolicy("f", "local-f", {"Version": "2012-10-17", "Statement": statements})


def test_transactions_and_batches_are_judged_item_by_item_as_aws_does() -> None:
    transaction = {"TransactItems": [
        {"Put": {"TableName": "a", "Item": {}}}, {"Update": {"TableName": "b", "Key": {}}},
        {"ConditionCheck": {"TableName": "c", "Key": {}}}, {"Delete": {"TableName": "d", "Key": {}}}]}
    assert needs_of("dynamodb", "TransactWriteItems", transaction, REGION) == [
        ("dynamodb:PutItem", f"{TABLE}/a"), ("dynamodb:UpdateItem", f"{TABLE}/b"),
        ("dynamodb:ConditionCheckItem", f"{TABLE}/c"), ("dynamodb:DeleteItem", f"{TABLE}/d")]
    assert needs_of("dynamodb", "BatchGetItem", {"RequestItems": {"a": {}, "b": {}}}, REGION) == [
        ("dynamodb:BatchGetItem", f"{TABLE}/a"), ("dynamodb:BatchGetItem", f"{TABLE}/b")]
    assert needs_of("dynamodb", "Query", {"TableName": "a", "IndexName": "by-x"}, REGION) == [
        ("dynamodb:Query", f"{TABLE}/a/index/by-x")]
    assert needs_of("sqs", "SendMessageBatch", {"QueueUrl": "http://h:1/123456789012/q", "Entries": []},
                    REGION) == [("sqs:SendMessage", "arn:aws:sqs:us-east-1:123456789012:q")]
    assert needs_of("cognito-idp", "InitiateAuth", {"ClientId": "c"}, REGION) == []  # public: no IAM


def test_one_refused_item_refuses_the_whole_transaction() -> None:
    policy = _policy([{"Effect": "Allow", "Action": ["dynamodb:PutItem"], "Resource": [f"{TABLE}/a"]}])
    put_a = {"Put": {"TableName": "a", "Item": {}}}
    policy.judge("dynamodb", "TransactWriteItems", {"TransactItems": [put_a]}, REGION)
    with pytest.raises(ClientError) as refused:
        policy.judge("dynamodb", "TransactWriteItems",
                     {"TransactItems": [put_a, {"Put": {"TableName": "b", "Item": {}}}]}, REGION)
    assert refused.value.response["Error"]["Code"] == "AccessDeniedException"
    assert "dynamodb:PutItem on resource: " + f"{TABLE}/b" in str(refused.value)


def test_wildcards_as_the_stack_writes_them_and_an_explicit_deny_wins() -> None:
    policy = _policy([
        {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": ["arn:aws:s3:::b/*"]},
        {"Effect": "Deny", "Action": ["s3:GetObject"], "Resource": ["arn:aws:s3:::b/secret/*"]},
    ])
    assert policy.allows("s3:GetObject", "arn:aws:s3:::b/any/key")
    assert not policy.allows("s3:GetObject", "arn:aws:s3:::b/secret/key")
    assert not policy.allows("s3:GetObject", "arn:aws:s3:::other/key")
    assert not policy.allows("s3:PutObject", "arn:aws:s3:::b/any/key")


def test_a_conditional_statement_is_ignored_for_calls_it_does_not_cover_and_refused_for_those_it_does() -> None:
    pass_role = {"Sid": "PassRole", "Effect": "Allow", "Action": "iam:PassRole", "Resource": "arn:aws:iam::1:role/r",
                 "Condition": {"StringEquals": {"iam:PassedToService": "mediaconvert.amazonaws.com"}}}
    policy = _policy([pass_role, {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}])
    assert policy.allows("s3:GetObject", "arn:aws:s3:::b/k")
    with pytest.raises(UnmappedCallError, match="Condition"):
        policy.allows("iam:PassRole", "arn:aws:iam::1:role/r")


def test_an_unmapped_call_inside_a_function_is_refused_loudly() -> None:
    with pytest.raises(UnmappedCallError, match=r"function 'f' called sqs ListQueues .*local/grants.py"):
        _policy([]).judge("sqs", "ListQueues", {}, REGION)
    with pytest.raises(UnmappedCallError, match=r"lambda Invoke \(action lambda:Invoke on worker\)"):
        _policy([]).judge("lambda", "Invoke", {"FunctionName": "worker"}, REGION)


def test_the_hook_judges_only_inside_a_function_and_is_restored() -> None:
    import boto3

    before = BaseClient._make_api_call
    hook = _Hook()
    hook.acquire()
    try:
        assert BaseClient._make_api_call is not before
        client = boto3.client("sqs", region_name=REGION, endpoint_url="http://127.0.0.1:9",
                              aws_access_key_id="x", aws_secret_access_key="x")
        token = CALLER.set(_policy([]))
        try:
            with pytest.raises(ClientError) as refused:  # refused before any request leaves the process
                client.send_message(QueueUrl="http://127.0.0.1:9/123456789012/q", MessageBody=json.dumps({}))
        finally:
            CALLER.reset(token)
        assert refused.value.response["Error"]["Code"] == "AccessDenied"
    finally:
        hook.release()
    assert BaseClient._make_api_call is before
