"""Sign-in in the rendered stacks: TOTP in the user pool, admins held to it where users may turn it on."""

from __future__ import annotations

import pytest

from stacks.mocks import Rendering
from tests.infra.conftest import FUNCTION, function_named, policy_of

POOL = "aws:cognito/userPool:UserPool"


def test_prod_offers_totp_and_no_sms(prod: Rendering) -> None:
    [pool] = prod.of_type(POOL)
    assert pool.inputs["mfaConfiguration"] == "OPTIONAL"
    assert pool.inputs["softwareTokenMfaConfiguration"] == {"enabled": True}
    assert "smsConfiguration" not in pool.inputs


@pytest.mark.parametrize(("stack", "required"), [("dev", "false"), ("prod", "true"), ("preview", "false")])
def test_admins_must_have_totp_exactly_where_the_pool_offers_it(stack: str, required: str,
                                                                request: pytest.FixtureRequest) -> None:
    rendering: Rendering = request.getfixturevalue(stack)
    values = {f.inputs["environment"]["variables"]["ADMIN_MFA_REQUIRED"] for f in rendering.of_type(FUNCTION)}
    assert values == {required}


def test_the_admin_routes_function_may_read_accounts_and_nothing_more_of_the_pool(prod: Rendering) -> None:
    document = policy_of(prod, function_named(prod, "api_ledger"))
    cognito = {a for s in document["Statement"] for a in s["Action"] if a.startswith("cognito-idp:")}
    assert cognito == {"cognito-idp:AdminGetUser"}
