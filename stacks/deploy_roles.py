"""CI's way into the account: GitHub's OIDC provider and one deploy role per kind of stack (the account stack's).

A workflow job asks GitHub for an OIDC token (``permissions: id-token: write``) and exchanges it with STS for a
role (``aws-actions/configure-aws-credentials``): no AWS key is stored anywhere. Each role trusts exactly one
subject (the token's ``sub`` claim) of exactly one repository, ``social:githubRepository`` (``acme/social``):

| role | trusts ``sub`` | used by | may manage |
| --- | --- | --- | --- |
| ``previews`` | ``repo:acme/social:pull_request`` | pull-request.yml, pull-request-closed.yml | ``social-preview-*`` |
| ``dev`` | ``repo:acme/social:ref:refs/heads/main`` | main.yml | ``social-dev-*`` |
| ``prod`` | ``repo:acme/social:environment:prod`` | release.yml's deploy job (after approval) | ``social-prod-*`` |
| ``release-diff`` | ``repo:acme/social:ref:refs/tags/v*`` | release.yml's diff job | nothing (reads) |

Forks: a workflow in a fork is ``repo:<fork owner>/social:...`` and matches nothing here. A pull request *from* a
fork runs this repository's workflow, whose ``sub`` is ``repo:acme/social:pull_request``; GitHub gives such runs
no OIDC token (``id-token: write`` is downgraded to none for fork pull requests unless the repository's "send write
tokens to workflows from fork pull requests" setting is on: leave it off), and pull-request.yml skips its preview
job for them anyway. ``pull_request_target`` (which would run with the base repository's rights) is not used.

What is still broad (be aware): a deploy role creates IAM roles and writes their policies, within its name
prefix, and creates Lambda functions that run as them; a role it creates may grant anything, so whoever can run
the workflow that assumes ``previews`` (anyone who can push a branch) can in effect act as the account. What
contains that is who may push, the policy pack, and (not yet done) a permissions boundary that every role the
stacks create would carry and ``iam:CreateRole`` would require. API Gateway, Cognito, AppConfig, CloudFront,
ACM and EC2 name resources by id, not by name, so their rights are per region, not per stack.

Usage (``stacks/account.py``)::

    roles = DeployRoles(namer.name("deploy"), DeployRolesArgs(settings, "acme/social", account_id), child)
    roles.role_arns  # {'previews': ..., 'dev': ..., 'prod': ..., 'release-diff': ...}
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from stacks.settings import SettingsError, StackSettings

GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
GITHUB_OIDC_URL = f"https://{GITHUB_OIDC_HOST}"
# What configure-aws-credentials asks GitHub to put in the token's aud claim by default.
AUDIENCE = "sts.amazonaws.com"
# GitHub's rules: an owner is 1-39 letters, digits and inner single dashes; a repository 1-100 letters, digits,
# '.', '_', '-' (not '.' or '..'). Nothing else may reach a trust policy (a '*' or '?' would be a wildcard there).
REPOSITORY = re.compile(r"(?P<owner>[A-Za-z0-9](?:-?[A-Za-z0-9]){0,38})/(?P<name>(?!\.\.?$)[A-Za-z0-9._-]{1,100})")
# A deploy can outlast STS's default hour (an RDS instance, an OpenSearch domain, a CloudFront distribution).
MAX_SESSION_SECONDS = 2 * 3600


@dataclass(frozen=True)
class DeployTarget:
    """One deploy role: the ``sub`` it trusts (after ``repo:<owner>/<name>:``) and the stacks it may manage."""

    role: str
    subject: str
    stacks: str | None  # the stack name (or preview-* pattern) whose resources it manages; None: reads only
    own_network: bool = False  # the stack may have its own VPC, RDS server and OpenSearch domain

    @property
    def wildcard(self) -> bool:
        """A tag pattern (release-diff): the one subject that is not one exact value."""
        return "*" in self.subject


DEPLOY_TARGETS = (
    DeployTarget("previews", "pull_request", "preview-*"),
    DeployTarget("dev", "ref:refs/heads/main", "dev", own_network=True),
    DeployTarget("prod", "environment:prod", "prod", own_network=True),
    # Any v* tag of this repository; the role reads only what `pulumi preview` of prod reads.
    DeployTarget("release-diff", "ref:refs/tags/v*", None),
)


def check_repository(value: str) -> str:
    """``owner/name`` as GitHub spells it, or ``SettingsError``."""
    if not REPOSITORY.fullmatch(value):
        raise SettingsError(f"social:githubRepository {value!r} must be the GitHub repository as owner/name, "
                            "e.g. acme/social (letters, digits, '-', and '.' or '_' in the name; no wildcards)")
    return value


def github_subject(repository: str, target: DeployTarget) -> str:
    """The ``sub`` claim of the workflow runs the role serves."""
    return f"repo:{check_repository(repository)}:{target.subject}"


def trust_policy(provider_arn: str, repository: str, target: DeployTarget) -> dict[str, Any]:
    """Only GitHub's tokens for STS, only this repository, only this target's subject."""
    subject = "StringLike" if target.wildcard else "StringEquals"
    conditions: dict[str, dict[str, str]] = {"StringEquals": {f"{GITHUB_OIDC_HOST}:aud": AUDIENCE}}
    conditions.setdefault(subject, {})[f"{GITHUB_OIDC_HOST}:sub"] = github_subject(repository, target)
    return {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Federated": provider_arn}, "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": conditions}]}


def deploy_policy(target: DeployTarget, project: str, account: str, region: str) -> dict[str, Any]:
    """What ``pulumi up`` / ``destroy`` of the target's stacks needs: by name where AWS names by name."""
    if target.stacks is None:
        return {"Version": "2012-10-17", "Statement": [_reads()]}
    glob = f"{project}-{target.stacks}" if target.stacks.endswith("*") else f"{project}-{target.stacks}-*"
    at = f"{region}:{account}"
    named = [
        f"arn:aws:lambda:{at}:function:{glob}",
        f"arn:aws:iam::{account}:role/{glob}",
        f"arn:aws:dynamodb:{at}:table/{glob}",
        f"arn:aws:sqs:{at}:{glob}",
        f"arn:aws:sns:{at}:{glob}",
        f"arn:aws:sns:{at}:app/*/{glob}",
        f"arn:aws:s3:::{glob}",
        f"arn:aws:logs:{at}:log-group:/aws/lambda/{glob}",
        f"arn:aws:logs:{at}:log-group:/aws/apigateway/{glob}",
        f"arn:aws:secretsmanager:{at}:secret:{glob}",
        f"arn:aws:events:{at}:rule/{glob}",
        f"arn:aws:ses:{at}:template/{glob}",
        f"arn:aws:cloudwatch:{at}:alarm:{glob}",
        f"arn:aws:mediaconvert:{at}:queues/{glob}",
    ]
    if target.own_network:
        named += [f"arn:aws:logs:{at}:log-group:/aws/rds/instance/{glob}", f"arn:aws:rds:{at}:db:{glob}",
                  f"arn:aws:rds:{at}:subgrp:{glob}", f"arn:aws:rds:{at}:pg:{glob}", f"arn:aws:es:{at}:domain/{glob}",
                  f"arn:aws:wafv2:{at}:regional/webacl/{glob}/*",
                  f"arn:aws:wafv2:us-east-1:{account}:global/webacl/{glob}/*"]
    # Table streams and indexes, objects, log streams: everything under a named resource.
    named += [f"{arn}/*" for arn in named if ":table/" in arn or arn.startswith("arn:aws:s3")]
    named += [f"{arn}:*" for arn in named if ":log-group:" in arn]
    by_name = {"Sid": "ByName", "Effect": "Allow", "Resource": named, "Action": [
        "lambda:*", "iam:*", "dynamodb:*", "sqs:*", "sns:*", "s3:*", "logs:*", "secretsmanager:*", "events:*",
        "ses:*", "cloudwatch:*", "mediaconvert:*", *(("rds:*", "es:*", "wafv2:*") if target.own_network else ())]}
    by_id = {"Sid": "ById", "Effect": "Allow", "Action": [
        "apigateway:*", "cognito-idp:*", "cognito-identity:*", "appconfig:*", "cloudfront:*", "acm:*",
        "lambda:CreateEventSourceMapping", "lambda:GetEventSourceMapping", "lambda:UpdateEventSourceMapping",
        "lambda:DeleteEventSourceMapping", "lambda:ListEventSourceMappings", "lambda:TagResource",
        "mediaconvert:DescribeEndpoints", "logs:DescribeLogGroups", "wafv2:AssociateWebACL",
        "wafv2:DisassociateWebACL", "wafv2:GetWebACLForResource",
        *(("ec2:*", "rds:*") if target.own_network else ())], "Resource": "*"}
    # AWS makes each service's role on first use, in the caller's name: Cognito's for sending through SES (every
    # user pool mails through the account's identity), RDS's and OpenSearch's for a stack's own server and domain.
    services = ["email.cognito-idp.amazonaws.com"]
    if target.own_network:
        services += ["rds.amazonaws.com", "opensearchservice.amazonaws.com"]
    linked = {"Sid": "ServiceLinkedRoles", "Effect": "Allow", "Action": "iam:CreateServiceLinkedRole",
              "Resource": "*", "Condition": {"StringEquals": {"iam:AWSServiceName": services}}}
    return {"Version": "2012-10-17", "Statement": [by_name, by_id, _reads(), linked]}


def _reads() -> dict[str, Any]:
    """What the program looks up while it plans (AZs, AWS's managed CloudFront policies, subnets for Lambda)."""
    return {"Sid": "Lookups", "Effect": "Allow", "Resource": "*", "Action": [
        "ec2:Describe*", "cloudfront:GetCachePolicy", "cloudfront:ListCachePolicies",
        "cloudfront:GetOriginRequestPolicy", "cloudfront:ListOriginRequestPolicies"]}


@dataclass(frozen=True)
class DeployRolesArgs:
    settings: StackSettings
    repository: str
    account_id: pulumi.Input[str]
    # An account has one provider per URL: reuse an existing one (another region's account stack made it,
    # or it predates this project) by its ARN; None creates it.
    provider_arn: str | None = None


class DeployRoles(pulumi.ComponentResource):
    """GitHub's OIDC provider (unless given) and the deploy roles of ``DEPLOY_TARGETS``."""

    provider_arn: pulumi.Output[str]
    role_arns: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: DeployRolesArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("social:account:DeployRoles", name, None, opts)
        settings = args.settings
        namer = settings.namer
        child = pulumi.ResourceOptions(parent=self)
        repository = check_repository(args.repository)
        if args.provider_arn is None:
            # No thumbprints: for GitHub's issuer IAM verifies the certificate against its own trusted CAs and
            # ignores thumbprints (pulumi-aws 7 makes them optional for that reason).
            provider = aws.iam.OpenIdConnectProvider(namer.name("github-oidc"), url=GITHUB_OIDC_URL,
                                                     client_id_lists=[AUDIENCE],
                                                     tags=namer.tags(component="delivery"), opts=child)
            self.provider_arn = provider.arn
        else:
            self.provider_arn = pulumi.Output.from_input(args.provider_arn)
        self.role_arns = {}
        for target in DEPLOY_TARGETS:
            role = aws.iam.Role(
                namer.name(f"deploy-{target.role}"),
                name=namer.name(f"deploy-{target.role}"),
                description=f"GitHub Actions of {repository} ({target.subject}) deploy with it",
                assume_role_policy=self.provider_arn.apply(_trust_json(repository, target)),
                max_session_duration=MAX_SESSION_SECONDS,
                tags=namer.tags(component="delivery"),
                opts=child,
            )
            aws.iam.RolePolicy(
                namer.name(f"deploy-{target.role}-policy"),
                role=role.name,
                policy=pulumi.Output.from_input(args.account_id).apply(
                    _policy_json(target, settings.project, settings.region)),
                opts=child,
            )
            self.role_arns[target.role] = role.arn
        self.register_outputs({"providerArn": self.provider_arn, "roleArns": self.role_arns})


def _trust_json(repository: str, target: DeployTarget) -> Callable[[str], str]:
    return lambda provider_arn: json.dumps(trust_policy(provider_arn, repository, target))


def _policy_json(target: DeployTarget, project: str, region: str) -> Callable[[str], str]:
    return lambda account: json.dumps(deploy_policy(target, project, account, region))
