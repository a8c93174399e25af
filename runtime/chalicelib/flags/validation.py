"""Checking the flags document: AppConfig's schema, then our own rules; the first problem names its flag.

Run by the unit tests and by ``make plan`` (``tools/plan``), so a bad document fails before anything is
deployed. Only tooling imports this module: ``jsonschema`` is a development dependency, not the runtime's.

The schema below is AppConfig's published ``AWS.AppConfig.FeatureFlags`` type reference (the parts a
document can get wrong: names, the version, definitions, constraints, values), so a document that passes
here is one AppConfig accepts when the stack creates the hosted version. Our rules add what AppConfig
cannot know: every flag the runtime reads (``catalog.CATALOG``) is defined with a value, a number flag
defines a numeric ``value``, the targeting attributes have the types the evaluator reads, and every
value matches its attribute's constraints (AppConfig checks that too, but only at deploy time).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import jsonschema

from chalicelib.flags.catalog import CATALOG

_NAME = "^[a-z][a-zA-Z\\d_-]{0,63}$"
_ATTRIBUTE_VALUE: dict[str, Any] = {"anyOf": [
    {"type": "string", "maxLength": 1024}, {"type": "number"}, {"type": "boolean"},
    {"type": "array", "anyOf": [{"items": {"type": "string", "maxLength": 1024}},
                                {"items": {"type": "number"}}]}]}
SCHEMA: dict[str, Any] = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "properties": {
        "version": {"type": "string", "enum": ["1"]},
        "flags": {"type": "object", "patternProperties": {_NAME: {"$ref": "#/definitions/flag"}},
                  "additionalProperties": False, "maxProperties": 100},
        "values": {"type": "object", "patternProperties": {_NAME: {"$ref": "#/definitions/value"}},
                   "additionalProperties": False, "maxProperties": 100},
    },
    "required": ["version"],
    "additionalProperties": False,
    "definitions": {
        "flag": {"type": "object", "properties": {
            "name": {"type": "string", "minLength": 1, "maxLength": 64},
            "description": {"type": "string", "maxLength": 1024},
            "_createdAt": {"type": "string"}, "_updatedAt": {"type": "string"},
            "_deprecation": {"type": "object", "properties": {"status": {"type": "string", "enum": ["planned"]},
                                                              "date": {"type": "string", "format": "date"}},
                             "additionalProperties": False},
            "attributes": {"type": "object", "patternProperties": {_NAME: {"$ref": "#/definitions/attribute"}},
                           "maxProperties": 25, "additionalProperties": False},
        }, "required": ["name"], "additionalProperties": False},
        "attribute": {"type": "object", "properties": {
            "description": {"type": "string", "maxLength": 1024},
            "constraints": {"oneOf": [
                {"type": "object", "properties": {"type": {"const": "number"}, "required": {"type": "boolean"},
                                                  "minimum": {"type": "number"}, "maximum": {"type": "number"}},
                 "required": ["type"], "additionalProperties": False},
                {"type": "object", "properties": {"type": {"const": "string"}, "required": {"type": "boolean"},
                                                  "pattern": {"type": "string", "maxLength": 1024},
                                                  "enum": {"type": "array", "maxLength": 100,
                                                           "items": {"type": ["string", "number"]}}},
                 "required": ["type"], "additionalProperties": False},
                {"type": "object", "properties": {"type": {"const": "boolean"}, "required": {"type": "boolean"}},
                 "required": ["type"], "additionalProperties": False},
                {"type": "object", "properties": {"type": {"const": "array"}, "required": {"type": "boolean"},
                                                  "elements": {"$ref": "#/definitions/elements"}},
                 "required": ["type"], "additionalProperties": False},
            ]},
        }, "additionalProperties": False},
        "elements": {"type": "object", "properties": {
            "type": {"type": "string", "enum": ["string", "number"]}, "minimum": {"type": "number"},
            "maximum": {"type": "number"}, "pattern": {"type": "string"},
            "enum": {"type": "array", "items": {"type": ["string", "number"]}}},
            "required": ["type"], "additionalProperties": False},
        "value": {"type": "object", "properties": {
            "enabled": {"type": "boolean"}, "_createdAt": {"type": "string"}, "_updatedAt": {"type": "string"}},
            "patternProperties": {_NAME: _ATTRIBUTE_VALUE}, "required": ["enabled"], "additionalProperties": False},
    },
}
# What the evaluator (chalicelib.flags.evaluation) reads, by attribute: the constraint type it needs.
_TARGETING_TYPES = {"users": ("array", "string"), "groups": ("array", "string"), "percentage": ("number", None)}


class FlagsDocumentError(ValueError):
    """The document is invalid; ``flag`` names the flag at fault (None: the document as a whole)."""

    def __init__(self, flag: str | None, problem: str) -> None:
        self.flag, self.problem = flag, problem
        super().__init__(f"flags document: flag {flag!r}: {problem}" if flag else f"flags document: {problem}")


def validate(document: Any) -> None:
    """Raise ``FlagsDocumentError`` naming the first bad flag; return quietly for a good document."""
    _check_schema(document)
    flags: Mapping[str, Any] = document.get("flags", {})
    values: Mapping[str, Any] = document.get("values", {})
    for name in sorted(set(values) - set(flags)):
        raise FlagsDocumentError(name, "has a value but no definition in 'flags'")
    for name, spec in sorted(CATALOG.items()):
        if name not in flags:
            raise FlagsDocumentError(name, "the runtime reads it but 'flags' does not define it")
        if name not in values:
            raise FlagsDocumentError(name, "the runtime reads it but 'values' gives it no value (its default)")
        if spec.kind == "number":
            constraints = flags[name].get("attributes", {}).get("value", {}).get("constraints", {})
            if constraints.get("type") != "number" or constraints.get("required") is not True:
                raise FlagsDocumentError(name, "a number flag defines a required attribute 'value' of type number")
    for name, definition in sorted(flags.items()):
        _check_flag(name, definition.get("attributes", {}), values.get(name, {}))


def _check_schema(document: Any) -> None:
    errors = sorted(jsonschema.Draft7Validator(SCHEMA).iter_errors(document), key=lambda e: list(e.absolute_path))
    if not errors:
        return
    error = errors[0]
    path = [str(part) for part in error.absolute_path]
    flag = path[1] if len(path) >= 2 and path[0] in {"flags", "values"} else None
    where = "/".join(path[2:]) if flag else "/".join(path)
    raise FlagsDocumentError(flag, f"{where or '(document)'}: {_short(error)}")


def _short(error: jsonschema.ValidationError) -> str:
    message = str(error.message)
    if error.validator in {"additionalProperties", "patternProperties"}:
        return f"unexpected or misnamed key ({message[:200]})"
    return message[:300]


def _check_flag(name: str, attributes: Mapping[str, Any], value: Mapping[str, Any]) -> None:
    for attribute, (kind, element) in _TARGETING_TYPES.items():
        constraints = attributes.get(attribute, {}).get("constraints")
        if constraints is not None and (constraints.get("type") != kind
                                        or (element and constraints.get("elements", {}).get("type") != element)):
            raise FlagsDocumentError(name, f"targeting attribute {attribute!r} must be of type {kind}"
                                     + (f" of {element}s" if element else ""))
    for attribute in value:
        if attribute not in {"enabled", "_createdAt", "_updatedAt"} and attribute not in attributes:
            raise FlagsDocumentError(name, f"value sets attribute {attribute!r}, which the flag does not define")
    for attribute, definition in attributes.items():
        constraints = definition.get("constraints")
        if constraints is None:
            continue
        if attribute not in value:
            if constraints.get("required") and value.get("enabled"):
                raise FlagsDocumentError(name, f"attribute {attribute!r} is required")
            continue
        problem = _mismatch(value[attribute], constraints)
        if problem:
            raise FlagsDocumentError(name, f"attribute {attribute!r}: {problem}")


def _mismatch(value: Any, constraints: Mapping[str, Any]) -> str | None:
    """Why ``value`` breaks ``constraints`` (AppConfig's rules for an attribute), or None."""
    kind = constraints["type"]
    if kind == "array":
        if not isinstance(value, list):
            return f"expected an array, got {value!r:.60}"
        element = constraints.get("elements")
        for item in value:
            problem = _mismatch(item, element) if element else None
            if problem:
                return f"element {item!r:.60}: {problem}"
        return None
    if kind == "boolean":
        return None if isinstance(value, bool) else f"expected a boolean, got {value!r:.60}"
    if kind == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            return f"expected a number, got {value!r:.60}"
        if "minimum" in constraints and value < constraints["minimum"]:
            return f"{value} is below the minimum {constraints['minimum']}"
        if "maximum" in constraints and value > constraints["maximum"]:
            return f"{value} is above the maximum {constraints['maximum']}"
    if kind == "string":
        if not isinstance(value, str):
            return f"expected a string, got {value!r:.60}"
        if "pattern" in constraints and not re.search(constraints["pattern"], value):
            return f"{value!r:.60} does not match {constraints['pattern']!r}"
    if "enum" in constraints and value not in constraints["enum"]:
        return f"{value!r:.60} is not one of {constraints['enum']}"
    return None
