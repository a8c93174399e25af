"""The stack and the local platform tell the runtime where things are with the same variables."""

from __future__ import annotations

import pytest

from chalicelib.core import environment
from local.platform import LocalPlatform
from stacks.mocks import render
from tests.local import fixture_app

# pulumi_aws warns about its own deprecated classes on import; the program uses none of them.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:pulumi_aws.*")

# Knobs the stack sets from its config; locally the runtime keeps its defaults unless the shell sets them.
STACK_ONLY = {environment.MAX_BODY_BYTES, environment.TRACING, environment.LOG_LEVEL,
              environment.FANOUT_MAX_FOLLOWERS, environment.TIMELINE_DAYS, environment.BACKFILL_POSTS,
              environment.DIGEST_SEGMENTS, environment.ADMIN_MFA_REQUIRED,
              # Where the flags are: AppConfig in the stack; locally FLAGS_FILE (set by the platform, not provisioned).
              environment.APPCONFIG_APPLICATION, environment.APPCONFIG_ENVIRONMENT, environment.APPCONFIG_PROFILE}


def test_the_stack_and_the_local_platform_name_the_same_variables_for_the_same_manifest(
        platform: LocalPlatform) -> None:
    rendering = render("dev", app=fixture_app.app, manifest=fixture_app.MANIFEST)
    functions = rendering.of_type("aws:lambda/function:Function")
    assert functions, "the local fixture app renders"
    local = set(platform.provisioned.env)  # type: ignore[union-attr]
    for function in functions:
        stack = set(function.inputs["environment"]["variables"])
        assert stack - local == STACK_ONLY, function.name
        assert local <= stack, function.name
    # Every declared resource is named, by the same rule on both sides.
    for resource in fixture_app.MANIFEST.resources():
        assert resource.env_var in local
    assert environment.resource_variable("queue", "post-events") in local


def test_the_local_values_are_what_was_provisioned(platform: LocalPlatform) -> None:
    provisioned = platform.provisioned
    assert provisioned is not None and provisioned.user_pool is not None
    env = provisioned.env
    assert env[fixture_app.JOBS.env_var] == provisioned.queues["jobs"].url
    assert env[fixture_app.NEWS.env_var] == provisioned.topics["news"].arn
    assert env[fixture_app.ITEMS.env_var] == provisioned.tables["pump-items"].name
    assert env[fixture_app.UPLOADS.env_var] == provisioned.buckets["uploads"].name
    assert (env[environment.USER_POOL_ID], env[environment.USER_POOL_CLIENT_ID], env[environment.JWKS_URL],
            env[environment.TOKEN_ISSUER]) == (provisioned.user_pool.pool_id, provisioned.user_pool.client_id,
                                               provisioned.user_pool.jwks_url, provisioned.user_pool.issuer)
    assert (env[environment.STAGE], env[environment.AUTO_CONFIRM_SIGNUP]) == ("local", "true")
