"""Renderings of the real program under Pulumi mocks, shared by the infrastructure tests.

Each stack renders once per session, in-process (about 1 s for the first, 0.1 s after):
``render`` resets Pulumi's settings, root stack and config on every call.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from stacks.mocks import RecordedResource, Rendering, render
from tests.infra import fixture_app

FUNCTION = "aws:lambda/function:Function"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
QUEUE = "aws:sqs/queue:Queue"
TABLE = "aws:dynamodb/table:Table"
PREVIEW = "preview-feature-x"


@pytest.fixture(scope="session")
def dev() -> Rendering:
    return render("dev")


@pytest.fixture(scope="session")
def prod() -> Rendering:
    return render("prod")


@pytest.fixture(scope="session")
def preview() -> Rendering:
    return render(PREVIEW)


@pytest.fixture(scope="session")
def fixture_dev() -> Rendering:
    """The fixture app (every handler kind) on dev."""
    return render("dev", app=fixture_app.app, manifest=fixture_app.MANIFEST)


@pytest.fixture(scope="session")
def fixture_prod() -> Rendering:
    return render("prod", app=fixture_app.app, manifest=fixture_app.MANIFEST)


@pytest.fixture(scope="session")
def fixture_preview() -> Rendering:
    return render(PREVIEW, app=fixture_app.app, manifest=fixture_app.MANIFEST)


@pytest.fixture(params=["dev", "prod", "preview", "fixture_dev", "fixture_prod", "fixture_preview"])
def any_rendering(request: pytest.FixtureRequest) -> Rendering:
    """Every rendering, real app and fixture app, on every kind of stack."""
    rendering: Rendering = request.getfixturevalue(request.param)
    return rendering


def functions_by_handler(rendering: Rendering) -> dict[str, list[RecordedResource]]:
    found: dict[str, list[RecordedResource]] = {}
    for function in rendering.of_type(FUNCTION):
        found.setdefault(function.inputs["handler"], []).append(function)
    return found


def function_named(rendering: Rendering, logical: str) -> RecordedResource:
    """The Lambda of a planned function (``api_handler``, ``work``, ``websocket_connect``...)."""
    physical = f"social-{rendering.stack}-{logical.replace('_', '-')}"
    return rendering.named(physical)


def policy_of(rendering: Rendering, function: RecordedResource) -> dict[str, Any]:
    """The inline policy document of a function's role."""
    role_name = function.inputs["role"].rsplit("/", 1)[-1]
    policies = [p for p in rendering.of_type(ROLE_POLICY) if p.inputs["role"] == role_name]
    assert len(policies) == 1, f"{function.name} has {len(policies)} inline policies"
    document: dict[str, Any] = json.loads(policies[0].inputs["policy"])
    return document


def arn_of(resource: RecordedResource) -> str:
    arn: str = resource.outputs["arn"]
    return arn


def pytest_configure(config: pytest.Config) -> None:
    # pulumi_aws warns about its own deprecated *V2 classes on import; the program uses none of them.
    config.addinivalue_line("filterwarnings", "ignore::DeprecationWarning:pulumi_aws.*")
