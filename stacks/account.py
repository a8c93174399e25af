"""The account stack (``account-<region>``): what an account and region hold once, for every other stack.

- API Gateway's CloudWatch logging role (``aws.apigateway.Account`` is one setting per account and
  region: whichever stack set it last wins, and destroying that stack unsets it for everyone);
- the SES sending identity that Cognito (and later email) sends from;
- the network and PostgreSQL server that stacks with ``sharedNetwork`` (every preview, dev by
  default) put their database functions in: private subnets in two AZs, one NAT gateway (route
  functions fetch the user pool's JWKS through it), free gateway endpoints for DynamoDB and S3,
  and a small TLS-only instance without a proxy. Each such stack creates its own database and login
  role in that server (through its migrate function) and drops them when destroyed;
- the OpenSearch domain (dev's size, in that network) the same stacks search in, each through
  indexes of its own prefix (``social-dev-posts``, ``social-preview-x-posts``): no preview has a
  domain of its own;
- CI's way in, once ``social:githubRepository`` (``owner/name``) is set: GitHub's OIDC provider (or the
  account's existing one, ``social:githubOidcProviderArn``) and the deploy roles of the workflows in
  ``.github/workflows/``, each trusting exactly that repository and the branch, event or environment it
  serves (``stacks/deploy_roles.py``). The account stack itself is deployed by a person, never by CI.

Every resource here is retained on delete: ``pulumi destroy`` of this stack removes it from the
state and leaves it running, so that no other stack breaks; delete them by hand once nothing
references them. dev, prod and previews read the outputs through a ``StackReference``
(``stacks/account_ref.py``).

Usage::

    account = Account("social-account-us-east-1", AccountArgs(settings, ses_identity="example.org"))
    pulumi.export("network", account.network_outputs)
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from chalicelib.core.declarations import Database
from stacks.audit import Audit, AuditArgs
from stacks.database import Databases, DatabasesArgs
from stacks.deploy_roles import DeployRoles, DeployRolesArgs, check_repository
from stacks.network import Network, NetworkArgs
from stacks.search import Search, SearchArgs
from stacks.settings import PLACEHOLDER_DOMAIN, SettingsError, StackSettings

# The shared server's own database (each stack gets another one beside it).
SHARED_SERVER = Database("shared")
API_GATEWAY_LOGS_POLICY = "arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"


@dataclass(frozen=True)
class AccountArgs:
    """The account stack's settings and the SES identity (a domain, or one address) mail is sent from."""

    settings: StackSettings
    ses_identity: str
    mail_from: str | None = None  # default: no-reply@<domain>, or the identity when it is an address
    github_repository: str | None = None  # owner/name: CI's deploy roles trust it (none without)
    github_oidc_provider_arn: str | None = None  # the account's existing GitHub OIDC provider; None creates one

    @classmethod
    def from_config(cls, settings: StackSettings, config: pulumi.Config | None = None) -> AccountArgs:
        config = config or pulumi.Config(settings.project)
        identity = config.get("sesIdentity")
        if not identity:
            raise SettingsError("the account stack needs social:sesIdentity: the domain (or the one address) that "
                                "Cognito and the platform send mail from")
        if PLACEHOLDER_DOMAIN.search(identity) and not pulumi.runtime.is_dry_run():
            raise SettingsError(f"social:sesIdentity {identity!r} is a placeholder: set your own domain first")
        repository = config.get("githubRepository")
        provider = config.get("githubOidcProviderArn")
        if provider is not None and not re.fullmatch(r"arn:aws[a-z-]*:iam::[0-9]{12}:oidc-provider/"
                                                     r"token\.actions\.githubusercontent\.com", provider):
            raise SettingsError(f"social:githubOidcProviderArn {provider!r} must be the ARN of the account's "
                                "token.actions.githubusercontent.com OIDC provider")
        return cls(settings, identity, config.get("mailFrom"),
                   check_repository(repository) if repository is not None else None, provider)

    @property
    def sender(self) -> str:
        return self.mail_from or (self.ses_identity if "@" in self.ses_identity else f"no-reply@{self.ses_identity}")


def _retain(args: pulumi.ResourceTransformationArgs) -> pulumi.ResourceTransformationResult:
    """Every resource of the account stack outlives ``pulumi destroy`` (children included)."""
    return pulumi.ResourceTransformationResult(
        args.props, pulumi.ResourceOptions.merge(args.opts, pulumi.ResourceOptions(retain_on_delete=True)))


class Account(pulumi.ComponentResource):
    """API Gateway's logging role, the SES identity, and the network and database server stacks share."""

    network: Network
    databases: Databases
    search: Search
    deploy_roles: DeployRoles | None
    outputs: dict[str, Any]

    def __init__(self, name: str, args: AccountArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("social:account:Account", name, None,
                         pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(transformations=[_retain])))
        settings = args.settings
        namer = settings.namer
        child = pulumi.ResourceOptions(parent=self)
        tags = namer.tags(component="account")

        role = aws.iam.Role(
            namer.name("apigateway-logs"),
            name=namer.global_name("apigateway-logs"),
            description="API Gateway writes every REST API's access and execution logs in this region with it",
            assume_role_policy=json.dumps({"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"Service": "apigateway.amazonaws.com"},
                "Action": "sts:AssumeRole"}]}),
            tags=tags,
            opts=child,
        )
        attachment = aws.iam.RolePolicyAttachment(namer.name("apigateway-logs-policy"), role=role.name,
                                                  policy_arn=API_GATEWAY_LOGS_POLICY, opts=child)
        gateway = aws.apigateway.Account(
            namer.name("apigateway-account"),
            cloudwatch_role_arn=role.arn,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[attachment]),
        )

        # An address identity is verified by a link mailed to it; a domain by the DKIM records in dkimTokens.
        aws.sesv2.EmailIdentity(namer.name("mail-identity"), email_identity=args.ses_identity,
                                           tags=tags, opts=child)
        account_id = aws.get_caller_identity_output(opts=pulumi.InvokeOptions(parent=self)).account_id
        ses_arn = pulumi.Output.concat("arn:aws:ses:", settings.region, ":", account_id, ":identity/",
                                       args.ses_identity)

        # Route functions in this network verify tokens against the pool's JWKS: a NAT gateway, no endpoints.
        self.network = Network(namer.name("network"), NetworkArgs(settings, services=(), proxy=False), child)
        self.databases = Databases(namer.name("databases"),
                                   DatabasesArgs(settings, (SHARED_SERVER,), self.network), child)
        # The stacks that share it are not known here: the policy names the account, so that only its roles
        # named like the project's (social-*) whose own policy grants es:ESHttp* on the domain get in (each
        # stack grants exactly its searching functions, stacks/policies.py).
        # OpenSearch places a VPC domain's network interfaces through its service-linked role, which exists
        # once per account (creating it twice fails): here, before the first domain (this one, or prod's).
        linked = aws.iam.ServiceLinkedRole(namer.name("opensearch-service-role"),
                                           aws_service_name="opensearchservice.amazonaws.com",
                                           description="lets OpenSearch Service manage VPC domains' interfaces",
                                           opts=child)
        self.search = Search(namer.name("search"), SearchArgs(
            settings, self.network.vpc.id, [s.id for s in self.network.private_subnets],
            self.network.functions_group.id, depends_on=(linked,)), child)
        self.search.allow([pulumi.Output.concat("arn:aws:iam::", account_id, ":root")],
                          principal_arn_like=pulumi.Output.concat("arn:aws:iam::", account_id, ":role/",
                                                                  settings.project, "-*"))
        self.deploy_roles = None
        if args.github_repository is not None:
            self.deploy_roles = DeployRoles(namer.name("deploy"), DeployRolesArgs(
                settings, args.github_repository, account_id, args.github_oidc_provider_arn), child)
        server = self.databases.endpoints[SHARED_SERVER.name]
        subnets = self.network.private_subnets
        self.outputs = {
            "apiGatewayAccount": gateway.id,
            "mail": {"identityArn": ses_arn, "from": args.sender},
            "network": {
                "vpcId": self.network.vpc.id,
                "privateSubnetIds": [s.id for s in subnets],
                "privateSubnetArns": [s.arn for s in subnets],
                "functionsSecurityGroupId": self.network.functions_group.id,
                "functionsSecurityGroupArn": self.network.functions_group.arn,
                "networkInterfacesArn": self.network.network_interfaces_arn,
            },
            "database": {"host": server.host, "port": server.port, "adminSecretArn": server.secret_arn},
            "search": {"endpoint": self.search.endpoint, "domainArn": self.search.arn},
        }
        if settings.audit_trail:  # the account's CloudTrail trail (multi-region: one account stack holds it)
            self.outputs["audit"] = Audit(namer.name("audit"), AuditArgs(settings), child).outputs
        if self.deploy_roles is not None:
            # The workflows' repository variables (README, "Previews and releases").
            self.outputs["deployRoles"] = {"oidcProviderArn": self.deploy_roles.provider_arn,
                                           **self.deploy_roles.role_arns}
        self.register_outputs(self.outputs)
