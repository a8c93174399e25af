"""moto's DynamoDB as the local platform runs it (``local.moto_dynamodb``): the same answers as DynamoDB's, a
cancelled transaction undone exactly (items and stream), and open stream iterators that keep working."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto.dynamodb.models.dynamo_type import DynamoType

from local.aws import MotoServer, aws_environment


@pytest.fixture(scope="module")
def dynamodb() -> Iterator[tuple[Any, Any]]:
    with MotoServer() as moto:
        env = aws_environment(moto.endpoint)
        session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                                region_name=env["AWS_REGION"])
        yield (session.client("dynamodb", endpoint_url=moto.endpoint),
               session.client("dynamodbstreams", endpoint_url=moto.endpoint))


def _table(client: Any, *, range_type: str = "S") -> str:
    name = f"t-{uuid.uuid4().hex[:8]}"
    client.create_table(
        TableName=name, BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                              {"AttributeName": "sk", "AttributeType": range_type},
                              {"AttributeName": "g", "AttributeType": "S"}],
        GlobalSecondaryIndexes=[{"IndexName": "by-g", "Projection": {"ProjectionType": "ALL"},
                                 "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"},
                                               {"AttributeName": "sk", "KeyType": "RANGE"}]}],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
    return name


def _item(pk: str, sk: Any, **attrs: str) -> dict[str, Any]:
    key = {"N": str(sk)} if isinstance(sk, int) else {"S": sk}
    return {"pk": {"S": pk}, "sk": key, **{k: {"S": v} for k, v in attrs.items()}}


def _everything(client: Any, table: str) -> list[dict[str, Any]]:
    return sorted(client.scan(TableName=table, ConsistentRead=True)["Items"], key=repr)


def _iterator(streams: Any, table_arn: str) -> str:
    stream = streams.list_streams(TableName=table_arn.rsplit("/", 1)[-1])["Streams"][0]["StreamArn"]
    shard = streams.describe_stream(StreamArn=stream)["StreamDescription"]["Shards"][0]["ShardId"]
    return str(streams.get_shard_iterator(StreamArn=stream, ShardId=shard, ShardIteratorType="LATEST")["ShardIterator"])


def test_a_cancelled_transaction_leaves_items_and_stream_as_they_were(dynamodb: tuple[Any, Any]) -> None:
    client, streams = dynamodb
    table = _table(client)
    client.put_item(TableName=table, Item=_item("a", "1", v="kept"))
    client.put_item(TableName=table, Item=_item("a", "2", v="also kept"))
    before = _everything(client, table)
    iterator = _iterator(streams, client.describe_table(TableName=table)["Table"]["TableArn"])

    with pytest.raises(ClientError) as refused:
        client.transact_write_items(TransactItems=[
            {"Put": {"TableName": table, "Item": _item("a", "3", v="new")}},
            {"Update": {"TableName": table, "Key": {"pk": {"S": "a"}, "sk": {"S": "1"}},
                        "UpdateExpression": "SET v = :v", "ExpressionAttributeValues": {":v": {"S": "changed"}}}},
            {"Delete": {"TableName": table, "Key": {"pk": {"S": "a"}, "sk": {"S": "2"}}}},
            {"ConditionCheck": {"TableName": table, "Key": {"pk": {"S": "nobody"}, "sk": {"S": "0"}},
                                "ConditionExpression": "attribute_exists(pk)"}},
        ])
    assert refused.value.response["Error"]["Code"] == "TransactionCanceledException"
    reasons = [r["Code"] for r in refused.value.response["CancellationReasons"]]
    assert reasons == ["None", "None", "None", "ConditionalCheckFailed"]
    assert _everything(client, table) == before

    # Nothing of the cancelled transaction reached the stream, and the iterator opened before it still reads on.
    answer = streams.get_records(ShardIterator=iterator)
    assert answer["Records"] == []
    client.put_item(TableName=table, Item=_item("b", "1", v="after"))
    records = streams.get_records(ShardIterator=answer["NextShardIterator"])["Records"]
    assert [(r["eventName"], r["dynamodb"]["Keys"]["pk"]["S"]) for r in records] == [("INSERT", "b")]


def test_a_committed_transaction_applies_every_operation(dynamodb: tuple[Any, Any]) -> None:
    client, _ = dynamodb
    table = _table(client)
    client.put_item(TableName=table, Item=_item("a", "1", v="old"))
    client.put_item(TableName=table, Item=_item("a", "2", v="gone"))
    client.transact_write_items(TransactItems=[
        {"Put": {"TableName": table, "Item": _item("a", "3", v="new"),
                 "ConditionExpression": "attribute_not_exists(pk)"}},
        {"Update": {"TableName": table, "Key": {"pk": {"S": "a"}, "sk": {"S": "1"}},
                    "UpdateExpression": "SET v = :v", "ExpressionAttributeValues": {":v": {"S": "new"}}}},
        {"Delete": {"TableName": table, "Key": {"pk": {"S": "a"}, "sk": {"S": "2"}}}},
    ])
    assert [(i["sk"]["S"], i["v"]["S"]) for i in _everything(client, table)] == [("1", "new"), ("3", "new")]


def test_two_operations_on_one_item_change_nothing(dynamodb: tuple[Any, Any]) -> None:
    client, _ = dynamodb
    table = _table(client)
    client.put_item(TableName=table, Item=_item("a", "1", v="old"))
    before = _everything(client, table)
    with pytest.raises(ClientError) as refused:
        client.transact_write_items(TransactItems=[
            {"Put": {"TableName": table, "Item": _item("a", "9", v="new")}},
            {"Update": {"TableName": table, "Key": {"pk": {"S": "a"}, "sk": {"S": "1"}},
                        "UpdateExpression": "SET v = :v", "ExpressionAttributeValues": {":v": {"S": "x"}}}},
            {"Delete": {"TableName": table, "Key": {"pk": {"S": "a"}, "sk": {"S": "1"}}}},
        ])
    assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert _everything(client, table) == before


def test_queries_answer_one_partition_in_dynamodbs_order_page_by_page(dynamodb: tuple[Any, Any]) -> None:
    client, _ = dynamodb
    table = _table(client, range_type="N")
    for n in (10, 2, 33, 1, 7):  # numbers order by value: 2 before 10
        client.put_item(TableName=table, Item=_item("mine", n, g="x"))
    for n in range(40):
        client.put_item(TableName=table, Item=_item(f"other{n}", n, g="y" if n % 2 else "x"))

    def pages(**query: Any) -> list[list[int]]:
        found, start = [], None
        while True:
            answer = client.query(TableName=table, Limit=2, **query, **({"ExclusiveStartKey": start} if start else {}))
            found.append([int(i["sk"]["N"]) for i in answer["Items"]])
            start = answer.get("LastEvaluatedKey")
            if not start:
                return [page for page in found if page]

    mine = {"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "mine"}}}
    assert pages(**mine) == [[1, 2], [7, 10], [33]]
    assert pages(**mine, ScanIndexForward=False) == [[33, 10], [7, 2], [1]]
    above = {"KeyConditionExpression": "pk = :p AND sk > :n",
             "ExpressionAttributeValues": {":p": {"S": "mine"}, ":n": {"N": "5"}}}
    assert pages(**above) == [[7, 10], [33]]
    by_index = pages(IndexName="by-g", KeyConditionExpression="g = :g", ExpressionAttributeValues={":g": {"S": "y"}})
    assert [n for page in by_index for n in page] == list(range(1, 40, 2))
    assert client.query(TableName=table, KeyConditionExpression="pk = :p",
                        ExpressionAttributeValues={":p": {"S": "nobody"}})["Items"] == []


KEYS = sorted({"a", "ab", "abc", "abd", "b", "b\u00e9", "b\u00e9z", "c", *(f"c{n:02d}" for n in range(40)), "d"})
CONDITIONS: list[tuple[str, dict[str, Any], Callable[[str], bool]]] = [
    ("sk = :x", {":x": "c07"}, lambda k: k == "c07"),
    ("sk < :x", {":x": "c1"}, lambda k: k < "c1"),
    ("sk <= :x", {":x": "c10"}, lambda k: k <= "c10"),
    ("sk > :x", {":x": "b\u00e9"}, lambda k: k > "b\u00e9"),
    ("sk >= :x", {":x": "c35"}, lambda k: k >= "c35"),
    ("sk BETWEEN :x AND :y", {":x": "ab", ":y": "c03"}, lambda k: "ab" <= k <= "c03"),
    ("begins_with(sk, :x)", {":x": "ab"}, lambda k: k.startswith("ab")),
    ("begins_with(sk, :x)", {":x": "c2"}, lambda k: k.startswith("c2")),
    ("sk < :x", {":x": "0"}, lambda k: False),
]


@pytest.mark.parametrize(("condition", "values", "keeps"), CONDITIONS, ids=[c[0] for c in CONDITIONS])
def test_every_key_condition_pages_through_exactly_its_items(dynamodb: tuple[Any, Any], condition: str,
                                                             values: dict[str, str],
                                                             keeps: Callable[[str], bool]) -> None:
    client, _ = dynamodb
    table = _table(client)
    for key in reversed(KEYS):
        client.put_item(TableName=table, Item={"pk": {"S": "p"}, "sk": {"S": key}, "g": {"S": "x"}})
        client.put_item(TableName=table, Item={"pk": {"S": "q"}, "sk": {"S": key}, "g": {"S": "x"}})
    query = {"TableName": table, "KeyConditionExpression": f"pk = :p AND {condition}",
             "ExpressionAttributeValues": {":p": {"S": "p"}, **{k: {"S": v} for k, v in values.items()}}}
    for forward in (True, False):
        expected = sorted((k for k in KEYS if keeps(k)), reverse=not forward)
        for limit in (1, 3, None):
            found: list[str] = []
            start = None
            for _ in range(len(KEYS) + 2):
                answer = client.query(**query, ScanIndexForward=forward, **({"Limit": limit} if limit else {}),
                                      **({"ExclusiveStartKey": start} if start else {}))
                assert len(answer["Items"]) <= (limit or len(KEYS))
                found += [item["sk"]["S"] for item in answer["Items"]]
                start = answer.get("LastEvaluatedKey")
                if not start:
                    break
            assert found == expected, (forward, limit)
    filtered = client.query(**{**query, "KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {
        ":p": {"S": "p"}, ":x": {"S": "c"}}}, FilterExpression="begins_with(sk, :x)", Limit=5)
    assert [item["sk"]["S"] for item in filtered["Items"]] == []  # Limit applies before the filter: a, ab, ...
    assert filtered["LastEvaluatedKey"]["sk"] == {"S": "b"}


def test_a_key_query_page_looks_at_its_page_not_the_whole_partition(dynamodb: tuple[Any, Any],
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    client, _ = dynamodb
    table = _table(client)
    for start in range(0, 2000, 25):
        client.batch_write_item(RequestItems={table: [{"PutRequest": {"Item": {"pk": {"S": "big"}, "sk": {
            "S": f"p{n:05d}"}}}} for n in range(start, start + 25)]})
    compared = 0
    less = DynamoType.__lt__

    def counted(self: DynamoType, other: DynamoType) -> bool:
        nonlocal compared
        compared += 1
        return less(self, other)

    monkeypatch.setattr(DynamoType, "__lt__", counted)
    answer = client.query(TableName=table, KeyConditionExpression="pk = :p AND sk < :b", Limit=20,
                          ExpressionAttributeValues={":p": {"S": "big"}, ":b": {"S": "p01000"}}, ScanIndexForward=False)
    assert [item["sk"]["S"] for item in answer["Items"]] == [f"p{n:05d}" for n in range(999, 979, -1)]
    assert answer["LastEvaluatedKey"]["sk"] == {"S": "p00980"}
    # moto sorted the 2,000 items of the partition by DynamoType for every page (1,999 comparisons at least).
    assert compared <= 25
