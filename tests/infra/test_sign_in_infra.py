"""Sign-in in the rendered stacks: TOTP in the user pool, admins held to it where users may turn it on, and
Google and Facebook through the hosted domain where their client ids are configured."""

from __future__ import annotations

import json

import pytest

from stacks.mocks import Rendering, render
from tests.infra.conftest import FUNCTION, function_named, policy_of

POOL = "aws:cognito/userPool:UserPool"
CLIENT = "aws:cognito/userPoolClient:UserPoolClient"
PROVIDER = "aws:cognito/identityProvider:IdentityProvider"
DOMAIN = "aws:cognito/userPoolDomain:UserPoolDomain"


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


FEDERATED = {"googleClientId": "1234-abc.apps.googleusercontent.com", "googleClientSecret": "google-secret",
             "facebookClientId": "987654321", "facebookClientSecret": "facebook-secret",
             "signInCallbackUrls": "https://social.example.org/auth/callback, http://localhost:8000/auth/callback"}


@pytest.fixture(scope="module")
def federated() -> Rendering:
    return render("prod", FEDERATED)


def test_without_client_ids_there_is_no_provider_domain_or_oauth(prod: Rendering, dev: Rendering) -> None:
    for rendering in (prod, dev):
        assert rendering.of_type(PROVIDER) == [] and rendering.of_type(DOMAIN) == []
        [client] = rendering.of_type(CLIENT)
        assert not client.inputs.get("allowedOauthFlows") and not client.inputs.get("callbackUrls")


def test_configured_providers_sign_in_through_the_hosted_domain_and_land_in_the_app(federated: Rendering) -> None:
    providers = {p.inputs["providerName"]: p for p in federated.of_type(PROVIDER)}
    assert set(providers) == {"Google", "Facebook"}
    google, facebook = providers["Google"], providers["Facebook"]
    assert (google.inputs["providerType"], facebook.inputs["providerType"]) == ("Google", "Facebook")
    assert google.inputs["providerDetails"]["client_id"] == FEDERATED["googleClientId"]
    assert google.inputs["providerDetails"]["client_secret"] == "google-secret"
    assert facebook.inputs["providerDetails"]["client_secret"] == "facebook-secret"
    assert google.inputs["attributeMapping"]["email"] == "email"
    [domain] = federated.of_type(DOMAIN)
    assert domain.inputs["domain"].startswith("social-prod-signin-")
    [client] = federated.of_type(CLIENT)
    # The code flow only (tokens never in a URL), back to the configured pages, with both providers.
    assert client.inputs["allowedOauthFlowsUserPoolClient"] is True
    assert client.inputs["allowedOauthFlows"] == ["code"]
    assert client.inputs["callbackUrls"] == ["https://social.example.org/auth/callback",
                                            "http://localhost:8000/auth/callback"]
    assert client.inputs["logoutUrls"] == client.inputs["callbackUrls"]
    assert sorted(client.inputs["supportedIdentityProviders"]) == ["COGNITO", "Facebook", "Google"]
    assert federated.exports["signInUrl"] == f"https://{domain.inputs['domain']}.auth.us-east-1.amazoncognito.com"


def test_the_client_secrets_stay_out_of_every_functions_environment(federated: Rendering) -> None:
    for function in federated.of_type(FUNCTION):
        variables = json.dumps(function.inputs["environment"]["variables"])
        assert "google-secret" not in variables and "facebook-secret" not in variables


@pytest.mark.parametrize(("overrides", "complaint"), [
    ({"googleClientId": "x", "signInCallbackUrls": "https://a.example.org/auth/callback"}, "googleClientSecret"),
    ({"facebookClientId": "x", "facebookClientSecret": "s"}, "signInCallbackUrls"),
    ({**FEDERATED, "signInCallbackUrls": "http://social.example.org/auth/callback"}, "https"),
    ({**FEDERATED, "signInCallbackUrls": "https://social.example.org/signin"}, "/auth/callback"),
    ({"authDomainPrefix": "my-cognito-login"}, "authDomainPrefix"),
])
def test_incomplete_or_unsafe_sign_in_config_is_refused(overrides: dict[str, str], complaint: str) -> None:
    with pytest.raises(Exception, match=complaint):
        render("dev", overrides)
