"""What every rule shares: reading the engine's properties, IAM documents, the stack's environment, and the
two shapes of rule (one resource at a time; the whole stack at once).

The engine hands a rule the resource's properties by their camelCase names (``storageEncrypted``), nested
values as read-only mappings and sequences (``pulumi_policy.proxy``), numbers as floats. A resource rule sees
the inputs; a stack rule sees every resource's outputs (inputs and what the provider computed, ``arn`` and
``id`` included).

Usage::

    def _encrypted(props: Props) -> list[str]:
        return [] if props.get("storageEncrypted") is True else ["storageEncrypted is not true"]

    RDS_ENCRYPTED = resource_rule("rds-encrypted", "RDS instances encrypt their storage.", (RDS_INSTANCE,), _encrypted)
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from pulumi_policy import (
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.policy import PolicyResource

Props = Mapping[str, Any]
# A resource rule's check: the resource's properties -> what is wrong with it (nothing: it complies).
ResourceCheck = Callable[[Props], list[str]]
# A stack rule's check: every resource -> (resource, what is wrong) pairs.
StackCheck = Callable[[Sequence[PolicyResource]], list[tuple[PolicyResource, str]]]

PROD = "prod"
DEV = "dev"
PREVIEW_PREFIX = "preview-"


def stack_name() -> str:
    """The stack being previewed or updated: the CLI starts the pack with PULUMI_STACK set (its analyzer's
    constructEnv), unqualified (``prod``, ``preview-feature-x``)."""
    return os.environ.get("PULUMI_STACK", "").rsplit("/", 1)[-1]


def environment() -> str:
    """``prod``, ``dev``, ``preview`` (``preview-*``) or the stack's own name (``account-us-east-1``)."""
    stack = stack_name()
    return "preview" if stack.startswith(PREVIEW_PREFIX) else stack


def get(props: Any, *path: str | int) -> Any:
    """``props[path[0]][path[1]]...``, or None where any step is missing (absent, null or the wrong shape)."""
    value = props
    for step in path:
        if isinstance(step, int):
            if isinstance(value, str) or not isinstance(value, Sequence) or not -len(value) <= step < len(value):
                return None
            value = value[step]
        else:
            if not isinstance(value, Mapping) or step not in value:
                return None
            value = value[step]
    return value


def items(value: Any) -> list[Any]:
    """A property that may be one value or a list of them, as a list (None: empty)."""
    if value is None:
        return []
    if isinstance(value, str | Mapping) or not isinstance(value, Sequence):
        return [value]
    return list(value)


def document(value: Any) -> Mapping[str, Any]:
    """An IAM or resource policy document, whether the property holds JSON text or the object itself."""
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except ValueError:
            return {}
        return parsed if isinstance(parsed, Mapping) else {}
    return value if isinstance(value, Mapping) else {}


def statements(value: Any) -> list[Mapping[str, Any]]:
    """The statements of a policy document (a lone statement object counts as a list of one)."""
    return [s for s in items(document(value).get("Statement")) if isinstance(s, Mapping)]


def by_type(resources: Iterable[PolicyResource], *types: str) -> list[PolicyResource]:
    return [r for r in resources if r.resource_type in types]


def short_type(resource_type: str) -> str:
    """``aws:s3/bucket:Bucket`` -> ``s3:Bucket``, for messages."""
    _, _, rest = resource_type.partition(":")
    module, _, kind = rest.partition(":")
    return f"{module.split('/')[0]}:{kind}" if kind else resource_type


def resource_rule(name: str, description: str, types: Sequence[str], check: ResourceCheck,
                  applies: Callable[[], bool] = lambda: True) -> ResourceValidationPolicy:
    """A rule over single resources of ``types``: each problem ``check`` finds is one violation, reported as
    ``<resource name> (<type>): <problem>``. ``applies`` decides per stack (e.g. prod only)."""
    def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
        if args.resource_type not in types or not applies():
            return
        for problem in check(args.props):
            report(f"{args.name} ({short_type(args.resource_type)}): {problem}", None)

    return ResourceValidationPolicy(name=name, description=description, validate=validate)


def stack_rule(name: str, description: str, check: StackCheck,
               applies: Callable[[], bool] = lambda: True) -> StackValidationPolicy:
    """A rule over the whole stack (a resource and what must exist beside it): each (resource, problem) is
    one violation on that resource, reported as ``<resource name> (<type>): <problem>``."""
    def validate(args: StackValidationArgs, report: ReportViolation) -> None:
        if not applies():
            return
        for resource, problem in check(args.resources):
            report(f"{resource.name} ({short_type(resource.resource_type)}): {problem}", resource.urn)

    return StackValidationPolicy(name=name, description=description, validate=validate)
