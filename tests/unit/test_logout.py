"""Signing out through the Cognito adapter, checked against Cognito's service model (moto has no RevokeToken)."""

from __future__ import annotations

import logging

import boto3
import pytest
from botocore.stub import Stubber

from chalicelib.auth.identity import CognitoIdentity


def _stubbed() -> tuple[CognitoIdentity, Stubber]:
    client = boto3.client("cognito-idp", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    return CognitoIdentity("us-east-1_pool", "client", client), Stubber(client)


def test_sign_out_revokes_the_refresh_token_for_the_app_client() -> None:
    identity, stubber = _stubbed()
    stubber.add_response("revoke_token", {}, expected_params={"Token": "refresh-token", "ClientId": "client"})
    with stubber:
        assert identity.revoke("refresh-token") is True
    stubber.assert_no_pending_responses()


@pytest.mark.parametrize(("aws_code", "level"), [
    ("UnauthorizedException", logging.INFO), ("UnsupportedTokenTypeException", logging.INFO),
    ("NotAuthorizedException", logging.INFO),
    # Our set-up is wrong or Cognito is failing: still no error for the user, but an error in the logs.
    ("UnsupportedOperationException", logging.ERROR), ("InternalErrorException", logging.ERROR),
])
def test_a_refused_token_or_a_failing_cognito_never_fails_sign_out(aws_code: str, level: int,
                                                                     caplog: pytest.LogCaptureFixture) -> None:
    identity, stubber = _stubbed()
    stubber.add_client_error("revoke_token", service_error_code=aws_code)
    with stubber, caplog.at_level(logging.INFO):
        assert identity.revoke("whatever") is False
    assert [r.levelno for r in caplog.records if r.name.startswith("chalicelib")] == [level]
