"""CI's deploy roles in the account stack (stacks/deploy_roles.py), tested on the rendered policy documents.

The trust policies are evaluated against example GitHub OIDC claims by ``assumable`` below (the subset of IAM's
condition logic the documents use: StringEquals and StringLike, every key ANDed, any listed value ORed; an
operator it does not know fails the test rather than passing).
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from stacks.deploy_roles import AUDIENCE, DEPLOY_TARGETS, GITHUB_OIDC_HOST, GITHUB_OIDC_URL, deploy_policy
from stacks.mocks import ACCOUNT, Rendering, render
from stacks.settings import SettingsError

REPOSITORY = "acme/social"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
PROVIDER = "aws:iam/openIdConnectProvider:OpenIdConnectProvider"
EXISTING_PROVIDER = f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"

# The subject each role serves, and subjects that must get nowhere: other repositories, forks, look-alike names,
# other branches, tags, environments and events of this repository.
INTENDED = {
    "previews": "repo:acme/social:pull_request",
    "dev": "repo:acme/social:ref:refs/heads/main",
    "prod": "repo:acme/social:environment:prod",
    "release-diff": "repo:acme/social:ref:refs/tags/v1.4.0",
}
OTHERS = [
    "repo:evil/social:pull_request", "repo:evil/social:ref:refs/heads/main", "repo:evil/social:environment:prod",
    "repo:evil/social:ref:refs/tags/v1.4.0", "repo:acme/social-fork:pull_request", "repo:acme/socia:pull_request",
    "repo:ACME/social:pull_request", "repo:acme/Social:environment:prod", "repo:acme/social2:ref:refs/heads/main",
    "repo:evil/acme:repo:acme/social:pull_request", "repo:acme/social:ref:refs/heads/feature-x",
    "repo:acme/social:ref:refs/heads/main-old", "repo:acme/social:ref:refs/heads/mainx",
    "repo:acme/social:ref:refs/heads/v1.4.0", "repo:acme/social:ref:refs/tags/1.4.0",
    "repo:acme/social:ref:refs/tags/release-v1", "repo:acme/social:environment:dev",
    "repo:acme/social:environment:Prod", "repo:acme/social:environment:prod-copy",
    "repo:acme/social:environment:preview", "repo:acme/social:pull_request_target",
    "repo:acme/social:workflow_dispatch", "repo:acme/social", "", "*",
]


def _like(pattern: str, value: str) -> bool:
    """IAM's StringLike: '*' any run of characters (none too), '?' exactly one; everything else literal."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, re.DOTALL) is not None


def assumable(policy: dict[str, Any], provider_arn: str, claims: dict[str, str]) -> bool:
    """Whether a token from ``provider_arn`` with ``claims`` may assume the role (AssumeRoleWithWebIdentity)."""
    for statement in policy["Statement"]:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        if (statement["Effect"] != "Allow" or "sts:AssumeRoleWithWebIdentity" not in actions
                or statement["Principal"] != {"Federated": provider_arn}):
            continue
        if all(_holds(operator, block, claims) for operator, block in statement.get("Condition", {}).items()):
            return True
    return False


def _holds(operator: str, block: dict[str, str | list[str]], claims: dict[str, str]) -> bool:
    compare = {"StringEquals": str.__eq__, "StringLike": _like}[operator]  # KeyError: an operator not modelled
    for key, expected in block.items():
        host, _, claim = key.rpartition(":")
        if host != GITHUB_OIDC_HOST or claim not in claims:
            return False  # a key the token does not carry never matches
        values = expected if isinstance(expected, list) else [expected]
        if not any(compare(value, claims[claim]) for value in values):
            return False
    return True


def _claims(subject: str, audience: str = AUDIENCE) -> dict[str, str]:
    return {"sub": subject, "aud": audience, "iss": GITHUB_OIDC_URL}


@pytest.fixture(scope="module")
def account() -> Rendering:
    return render("account-us-east-1", {"githubRepository": REPOSITORY})


def _role(rendering: Rendering, role: str) -> Any:
    return rendering.named(f"social-account-us-east-1-deploy-{role}")


def _trust(rendering: Rendering, role: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(_role(rendering, role).inputs["assumeRolePolicy"])
    return document


def _permissions(rendering: Rendering, role: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(rendering.named(f"social-account-us-east-1-deploy-{role}-policy")
                                          .inputs["policy"])
    return document


def _provider_arn(rendering: Rendering) -> str:
    [provider] = rendering.of_type(PROVIDER)
    arn: str = provider.outputs["arn"]
    return arn


def test_github_is_the_provider_and_sts_the_only_audience(account: Rendering) -> None:
    [provider] = account.of_type(PROVIDER)
    assert provider.inputs["url"] == "https://token.actions.githubusercontent.com"
    assert provider.inputs["clientIdLists"] == ["sts.amazonaws.com"]
    assert "thumbprintLists" not in provider.inputs  # IAM trusts its own CA list for GitHub's issuer
    assert set(account.exports["deployRoles"]) == {"oidcProviderArn", *INTENDED}


@pytest.mark.parametrize("role", sorted(INTENDED))
def test_each_role_trusts_its_subject_and_nothing_else(account: Rendering, role: str) -> None:
    trust, provider = _trust(account, role), _provider_arn(account)
    assert assumable(trust, provider, _claims(INTENDED[role]))
    for subject in [*OTHERS, *(s for r, s in INTENDED.items() if r != role)]:
        assert not assumable(trust, provider, _claims(subject)), (role, subject)
    # Right subject, but a token minted for another audience, or presented through another provider.
    assert not assumable(trust, provider, _claims(INTENDED[role], audience="https://github.com/acme"))
    assert not assumable(trust, f"arn:aws:iam::{ACCOUNT}:oidc-provider/gitlab.com", _claims(INTENDED[role]))


def test_only_the_tag_role_matches_a_pattern_and_only_v_tags(account: Rendering) -> None:
    provider = _provider_arn(account)
    for role in INTENDED:
        conditions = _trust(account, role)["Statement"][0]["Condition"]
        assert conditions["StringEquals"][f"{GITHUB_OIDC_HOST}:aud"] == AUDIENCE
        if role == "release-diff":
            assert conditions["StringLike"] == {f"{GITHUB_OIDC_HOST}:sub": "repo:acme/social:ref:refs/tags/v*"}
        else:
            assert set(conditions) == {"StringEquals"}, role
            assert "*" not in json.dumps(conditions) and "?" not in json.dumps(conditions), role
    trust = _trust(account, "release-diff")
    for tag in ("v1", "v2.0.0-rc.1", "v10.3"):
        assert assumable(trust, provider, _claims(f"repo:acme/social:ref:refs/tags/{tag}"))


def test_a_deploy_runs_up_to_two_hours(account: Rendering) -> None:
    for role in INTENDED:
        assert _role(account, role).inputs["maxSessionDuration"] == 7200


def _named_patterns(document: dict[str, Any]) -> list[str]:
    [by_name] = [s for s in document["Statement"] if s.get("Sid") == "ByName"]
    patterns: list[str] = by_name["Resource"]
    return patterns


def _covered(arn: str, patterns: list[str]) -> bool:
    return any(_like(pattern, arn) for pattern in patterns)


# What a deploy role manages by name, from the stacks' own renderings: the kinds whose ARN the mocks build the
# way AWS does.
NAMED_KINDS = ("aws:lambda/function:Function", ROLE, "aws:dynamodb/table:Table", "aws:sqs/queue:Queue",
               "aws:sns/topic:Topic", "aws:s3/bucket:Bucket", "aws:cloudwatch/logGroup:LogGroup",
               "aws:secretsmanager/secret:Secret", "aws:cloudwatch/eventRule:EventRule", "aws:ses/template:Template",
               "aws:mediaconvert/queue:Queue", "aws:rds/instance:Instance", "aws:opensearch/domain:Domain")


@pytest.fixture(scope="module")
def stacks() -> dict[str, Rendering]:
    return {stack: render(stack) for stack in ("preview-feature-x", "dev", "prod")}


@pytest.mark.parametrize(("role", "stack"), [("previews", "preview-feature-x"), ("dev", "dev"), ("prod", "prod")])
def test_each_role_manages_its_stacks_resources_and_no_other_stacks(account: Rendering, stacks: dict[str, Rendering],
                                                                    role: str, stack: str) -> None:
    own = _named_patterns(_permissions(account, role))
    for rendering in stacks.values():
        named = [r for r in rendering.custom if r.type in NAMED_KINDS]
        assert len(named) > 50
        for resource in named:
            assert _covered(resource.outputs["arn"], own) is (rendering.stack == stack), (role, resource.outputs["arn"])
    # Never the account stack's resources, the deploy roles themselves included.
    for resource in account.custom:
        assert not _covered(str(resource.outputs.get("arn", "")), own), resource.name


def _linked_services(document: dict[str, Any]) -> list[str]:
    [linked] = [s for s in document["Statement"] if s.get("Sid") == "ServiceLinkedRoles"]
    assert linked["Action"] == "iam:CreateServiceLinkedRole"
    services: list[str] = linked["Condition"]["StringEquals"]["iam:AWSServiceName"]
    return services


def test_previews_get_no_network_database_or_search_rights(account: Rendering) -> None:
    previews, prod = _permissions(account, "previews"), _permissions(account, "prod")
    for action in ('"ec2:*"', '"rds:*"', '"es:*"'):
        assert action not in json.dumps(previews)
        assert action in json.dumps(prod)
    assert _linked_services(previews) == ["email.cognito-idp.amazonaws.com"]
    assert "rds.amazonaws.com" in _linked_services(prod)


def test_the_diff_role_only_reads(account: Rendering) -> None:
    actions = [a for s in _permissions(account, "release-diff")["Statement"] for a in s["Action"]]
    assert actions and all(re.match(r"[a-z0-9]+:(Describe|Get|List)", a) for a in actions), actions


def test_every_policy_fits_iams_inline_limit() -> None:
    # 10,240 characters for a role's inline policies, whitespace not counted; half of it, to leave room for the
    # actions a first real deploy may show missing (the longest region name makes the longest ARNs).
    for target in DEPLOY_TARGETS:
        document = deploy_policy(target, "social", ACCOUNT, "ap-southeast-2")
        assert len(json.dumps(document, separators=(",", ":"))) < 10_240 // 2, target.role


def test_without_a_repository_there_is_no_ci_access() -> None:
    plain = render("account-us-east-1")
    assert not plain.of_type(PROVIDER)
    assert not [r for r in plain.of_type(ROLE) if "deploy" in r.inputs["name"]]
    assert "deployRoles" not in plain.exports


def test_an_existing_provider_is_reused() -> None:
    rendering = render("account-us-east-1", {"githubRepository": REPOSITORY,
                                             "githubOidcProviderArn": EXISTING_PROVIDER})
    assert not rendering.of_type(PROVIDER)
    assert assumable(_trust(rendering, "prod"), EXISTING_PROVIDER, _claims(INTENDED["prod"]))
    assert rendering.exports["deployRoles"]["oidcProviderArn"] == EXISTING_PROVIDER


@pytest.mark.parametrize("repository", ["acme", "acme/social/extra", "*/social", "acme/*", "acme/soc?al",
                                        "acme/so cial", "-acme/social", "acme-/social", "acme/..", "acme/",
                                        "a" * 40 + "/social", "acme/social:pull_request", " acme/social"])
def test_a_malformed_repository_is_refused(repository: str) -> None:
    with pytest.raises(SettingsError, match="githubRepository"):
        render("account-us-east-1", {"githubRepository": repository})


def test_a_malformed_provider_arn_is_refused() -> None:
    with pytest.raises(SettingsError, match="githubOidcProviderArn"):
        render("account-us-east-1", {"githubRepository": REPOSITORY,
                                     "githubOidcProviderArn": f"arn:aws:iam::{ACCOUNT}:oidc-provider/gitlab.com"})
