"""A DynamoDB table's key schema, read from its PynamoDB model (the one source of truth).

Usage::

    schema = table_schema(UserModel)
    schema.hash_key            # 'username'
    schema.attributes          # (('username', 'S'),): only key attributes are declared to DynamoDB
    schema.global_indexes      # (IndexSchema(name=..., hash_key=..., ...), ...)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class SchemaError(ValueError):
    """A model cannot become a DynamoDB table (e.g. it has no hash key)."""


@dataclass(frozen=True)
class IndexSchema:
    """One secondary index: its keys and what it projects."""

    name: str
    hash_key: str
    range_key: str | None
    projection_type: str
    non_key_attributes: tuple[str, ...] = ()


@dataclass(frozen=True)
class TableSchema:
    """Keys, key attribute types and indexes of one table."""

    hash_key: str
    range_key: str | None
    attributes: tuple[tuple[str, str], ...]
    global_indexes: tuple[IndexSchema, ...] = ()
    local_indexes: tuple[IndexSchema, ...] = ()


def _keys(key_schema: list[dict[str, str]]) -> tuple[str | None, str | None]:
    hash_key = next((k["AttributeName"] for k in key_schema if k["KeyType"] == "HASH"), None)
    range_key = next((k["AttributeName"] for k in key_schema if k["KeyType"] == "RANGE"), None)
    return hash_key, range_key


def _index(raw: dict[str, Any], table_hash_key: str) -> IndexSchema:
    hash_key, range_key = _keys(raw["key_schema"])
    projection = raw["projection"]
    return IndexSchema(
        name=raw["index_name"],
        # A local index shares the table's hash key even if the index class omits it.
        hash_key=hash_key or table_hash_key,
        range_key=range_key,
        projection_type=projection["ProjectionType"],
        non_key_attributes=tuple(projection.get("NonKeyAttributes", ())),
    )


def table_schema(model: type[Any]) -> TableSchema:
    """The schema PynamoDB itself would create the table with (``Model._get_schema``)."""
    # PynamoDB's own schema builder is the only place that resolves attr_name aliases,
    # inherited attributes and discriminator subclasses' indexes; reuse it rather than re-derive.
    raw = model._get_schema()
    hash_key, range_key = _keys(raw["key_schema"])
    if hash_key is None:
        raise SchemaError(f"model {model.__name__} has no hash key attribute")
    attributes: dict[str, str] = {}
    for definition in raw["attribute_definitions"]:
        attributes[definition["AttributeName"]] = definition["AttributeType"]
    for index in (*raw["global_secondary_indexes"], *raw["local_secondary_indexes"]):
        for definition in index.get("attribute_definitions", ()):
            attributes[definition["AttributeName"]] = definition["AttributeType"]
    local_indexes = tuple(_index(i, hash_key) for i in raw["local_secondary_indexes"])
    for local in local_indexes:
        if local.hash_key != hash_key or local.range_key is None:
            raise SchemaError(f"local index {local.name!r} of {model.__name__} must share the table's hash key "
                              "and have a range key")
    return TableSchema(
        hash_key=hash_key,
        range_key=range_key,
        attributes=tuple(sorted(attributes.items())),
        global_indexes=tuple(_index(i, hash_key) for i in raw["global_secondary_indexes"]),
        local_indexes=local_indexes,
    )


def check_ttl_attribute(model: type[Any], attribute: str) -> None:
    """Refuse a TTL on an attribute the model lacks or does not store as a number (DynamoDB would ignore it)."""
    found = [a for a in model.get_attributes().values() if a.attr_name == attribute]
    if not found:
        raise SchemaError(f"model {model.__name__} has no attribute {attribute!r} to expire items by; "
                          "declare it (a TTLAttribute) or fix Table(..., ttl_attribute=...)")
    if found[0].attr_type != "N":
        raise SchemaError(f"TTL attribute {attribute!r} of {model.__name__} must be a number of epoch seconds "
                          f"(TTLAttribute or NumberAttribute), not {found[0].attr_type}")
