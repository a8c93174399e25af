"""DynamoDB ``CreateTable`` requests derived from a ``Table`` declaration's PynamoDB model.

The key schema, attribute definitions and indexes (with their projections)
come from the model itself, through PynamoDB's own schema builder; billing is
on-demand; the stream and TTL come from the declaration.

Usage::

    request = create_table_request(USERS, "social-local-users")
    clients.dynamodb.create_table(**request)
    if USERS.ttl_attribute: enable_ttl(clients.dynamodb, "social-local-users", USERS.ttl_attribute)
"""

from __future__ import annotations

from typing import Any

from chalicelib.core.declarations import Table


def _keys_hash_first(key_schema: list[dict[str, str]]) -> list[dict[str, str]]:
    return sorted(key_schema, key=lambda key: 0 if key["KeyType"] == "HASH" else 1)


def create_table_request(table: Table, physical_name: str) -> dict[str, Any]:
    """The keyword arguments of ``dynamodb.create_table`` for ``table`` named ``physical_name``."""
    schema: Any = table.model._get_schema()  # PynamoDB's own CreateTable schema
    definitions: dict[str, str] = {d["AttributeName"]: d["AttributeType"] for d in schema["attribute_definitions"]}
    request: dict[str, Any] = {
        "TableName": physical_name,
        "KeySchema": _keys_hash_first(list(schema["key_schema"])),
        "BillingMode": "PAY_PER_REQUEST",
    }
    gsis = []
    for index in schema.get("global_secondary_indexes") or []:
        definitions.update({d["AttributeName"]: d["AttributeType"] for d in index["attribute_definitions"]})
        gsis.append({"IndexName": index["index_name"], "KeySchema": _keys_hash_first(list(index["key_schema"])),
                     "Projection": dict(index["projection"])})
    lsis = []
    for index in schema.get("local_secondary_indexes") or []:
        definitions.update({d["AttributeName"]: d["AttributeType"] for d in index["attribute_definitions"]})
        lsis.append({"IndexName": index["index_name"], "KeySchema": _keys_hash_first(list(index["key_schema"])),
                     "Projection": dict(index["projection"])})
    request["AttributeDefinitions"] = [{"AttributeName": name, "AttributeType": kind}
                                       for name, kind in definitions.items()]
    if gsis:
        request["GlobalSecondaryIndexes"] = gsis
    if lsis:
        request["LocalSecondaryIndexes"] = lsis
    if table.stream:
        request["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": table.stream}
    return request


def enable_ttl(dynamodb: Any, physical_name: str, attribute: str) -> None:
    dynamodb.update_time_to_live(TableName=physical_name,
                                 TimeToLiveSpecification={"Enabled": True, "AttributeName": attribute})
