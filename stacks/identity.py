"""Identity: the Cognito user pool, its groups and app client, and an identity pool.

Usage::

    identity = Identity("social-dev-identity", IdentityArgs(settings, MANIFEST.user_pool), opts)
    identity.user_pool.id, identity.client.id, identity.issuer, identity.jwks_url
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from chalicelib.core.declarations import UserPool
from stacks.policies import own_prefix_upload_policy
from stacks.settings import SettingsError, StackSettings

# Where a signed-in client may put objects itself, followed by its identity id: the guide's direct-upload
# path for mobile clients (the API's presigned POSTs are the other way in).
IDENTITY_UPLOAD_PREFIX = "uploads/identity/"


@dataclass(frozen=True)
class MailSender:
    """The SES identity (from the account stack) Cognito sends confirmation and recovery mail through."""

    source_arn: pulumi.Input[str]
    from_address: pulumi.Input[str]


@dataclass(frozen=True)
class Federation:
    """Client secrets of the social identity providers, from encrypted stack config.

    ``pulumi config set --secret googleClientSecret ...`` (and ``facebookClientSecret``): Pulumi keeps
    them encrypted in the stack's config and state, and they reach Cognito's provider details only, never a
    function's environment. A provider exists when its client id (``googleClientId``,
    ``facebookClientId``) and its secret are both set.
    """

    google_client_secret: pulumi.Input[str] | None = None
    facebook_client_secret: pulumi.Input[str] | None = None

    @classmethod
    def from_config(cls, settings: StackSettings, config: pulumi.Config | None = None) -> Federation:
        config = config or pulumi.Config(settings.project)
        found = cls(config.get_secret("googleClientSecret"), config.get_secret("facebookClientSecret"))
        for provider, client_id, secret in (("google", settings.google_client_id, found.google_client_secret),
                                            ("facebook", settings.facebook_client_id, found.facebook_client_secret)):
            if client_id and secret is None:
                raise SettingsError(f"{provider}ClientId is set but not its secret: "
                                    f"pulumi config set --secret {provider}ClientSecret <the app's secret>")
        return found


# Cognito's provider names (what the hosted pages' identity_provider= parameter takes), what each asks the
# provider for, and how its claims become the pool's attributes (Cognito's documented mappings: Google's
# ``sub`` and Facebook's ``id`` are the stable ids).
GOOGLE = ("Google", "openid email profile", {"email": "email", "username": "sub"})
FACEBOOK = ("Facebook", "public_profile,email", {"email": "email", "username": "id"})
OAUTH_SCOPES = ["openid", "email", "profile"]


@dataclass(frozen=True)
class IdentityArgs:
    """What the identity component needs: the environment, the declared user pool and, where users get
    mail (dev, prod), the SES sender; without one Cognito's own sender is used (50 mails a day)."""

    settings: StackSettings
    user_pool: UserPool
    mail: MailSender | None = None
    upload_buckets: Sequence[pulumi.Input[str]] = field(default_factory=tuple)  # ARNs clients upload to directly
    federation: Federation = Federation()


class Identity(pulumi.ComponentResource):
    """A user pool with email sign-up, the declared groups, a public app client and an identity pool."""

    user_pool: aws.cognito.UserPool
    client: aws.cognito.UserPoolClient
    groups: dict[str, aws.cognito.UserGroup]
    identity_pool: aws.cognito.IdentityPool
    identity_providers: dict[str, aws.cognito.IdentityProvider]  # by Cognito's provider name: Google, Facebook
    hosted_domain: aws.cognito.UserPoolDomain | None  # the hosted sign-in pages, only with a provider
    issuer: pulumi.Output[str]
    jwks_url: pulumi.Output[str]

    def __init__(self, name: str, args: IdentityArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("social:identity:Identity", name, None, opts)
        settings, declared = args.settings, args.user_pool
        namer = settings.namer
        child = pulumi.ResourceOptions(parent=self)
        policy = declared.password_policy
        mfa_on = settings.mfa != "OFF"
        self._namer, self._declared = namer, declared
        self._account_id = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self)).account_id

        self.user_pool = aws.cognito.UserPool(
            namer.name(f"{declared.name}-pool"),
            name=namer.name(declared.name, 128),
            # Usernames are the handle in every URL: 'Alice' and 'alice' must be one account.
            username_configuration=aws.cognito.UserPoolUsernameConfigurationArgs(case_sensitive=False),
            auto_verified_attributes=["email"],
            schemas=[aws.cognito.UserPoolSchemaArgs(
                name="email", attribute_data_type="String", required=True, mutable=True,
                string_attribute_constraints=aws.cognito.UserPoolSchemaStringAttributeConstraintsArgs(
                    min_length="3", max_length="254"),
            )],
            password_policy=aws.cognito.UserPoolPasswordPolicyArgs(
                minimum_length=policy.min_length,
                require_lowercase=policy.require_lowercase,
                require_uppercase=policy.require_uppercase,
                require_numbers=policy.require_numbers,
                require_symbols=policy.require_symbols,
                temporary_password_validity_days=3,
            ),
            mfa_configuration=settings.mfa,
            software_token_mfa_configuration=(
                aws.cognito.UserPoolSoftwareTokenMfaConfigurationArgs(enabled=True) if mfa_on else None),
            account_recovery_setting=aws.cognito.UserPoolAccountRecoverySettingArgs(recovery_mechanisms=[
                aws.cognito.UserPoolAccountRecoverySettingRecoveryMechanismArgs(name="verified_email", priority=1)]),
            verification_message_template=aws.cognito.UserPoolVerificationMessageTemplateArgs(
                default_email_option="CONFIRM_WITH_CODE"),
            admin_create_user_config=aws.cognito.UserPoolAdminCreateUserConfigArgs(allow_admin_create_user_only=False),
            # Cognito's own sender is capped at 50 mails a day per account: real users need SES.
            email_configuration=(aws.cognito.UserPoolEmailConfigurationArgs(
                email_sending_account="DEVELOPER", source_arn=args.mail.source_arn,
                from_email_address=args.mail.from_address) if args.mail is not None else None),
            # Lite has everything the API uses (passwords, groups, TOTP MFA) at a third of Essentials' price
            # per monthly active user past the free 10,000 (AWS's default tier for a pool that names none).
            user_pool_tier=settings.user_pool_tier,
            lambda_config=self._lambda_config(settings),
            deletion_protection="ACTIVE" if settings.deletion_protection else "INACTIVE",
            tags=namer.tags(component="identity"),
            opts=pulumi.ResourceOptions(parent=self, protect=settings.deletion_protection),
        )
        self.groups = {
            group: aws.cognito.UserGroup(
                namer.name(f"{declared.name}-group-{group}"),
                name=group,
                user_pool_id=self.user_pool.id,
                description=f"the '{group}' group, declared in chalicelib/resources.py",
                precedence=index,
                opts=child,
            )
            for index, group in enumerate(declared.groups)
        }
        self.identity_providers = self._identity_providers(settings, args.federation)
        self.hosted_domain = self._hosted_domain(settings) if self.identity_providers else None
        self.client = aws.cognito.UserPoolClient(
            namer.name(f"{declared.name}-client"),
            name=namer.name("app", 128),
            user_pool_id=self.user_pool.id,
            # A public client (browsers, apps): a secret could not be kept, so there is none.
            generate_secret=False,
            explicit_auth_flows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
            prevent_user_existence_errors="ENABLED",
            access_token_validity=settings.access_token_minutes,
            id_token_validity=settings.access_token_minutes,
            refresh_token_validity=settings.refresh_token_days,
            token_validity_units=aws.cognito.UserPoolClientTokenValidityUnitsArgs(
                access_token="minutes", id_token="minutes", refresh_token="days"),
            enable_token_revocation=True,
            auth_session_validity=3,
            # The hosted pages, only with a provider: the authorization-code flow (with PKCE, from the web app),
            # so tokens never travel in a URL as the implicit flow's would. Naming the providers' names makes
            # the client wait for them (Cognito refuses a client naming a provider that does not exist yet).
            allowed_oauth_flows_user_pool_client=True if self.identity_providers else None,
            allowed_oauth_flows=["code"] if self.identity_providers else None,
            allowed_oauth_scopes=OAUTH_SCOPES if self.identity_providers else None,
            callback_urls=self._oauth_urls(settings),
            logout_urls=self._oauth_urls(settings),
            supported_identity_providers=(["COGNITO", *(p.provider_name for p in self.identity_providers.values())]
                                          if self.identity_providers else None),
            opts=child,
        )
        self.identity_pool = aws.cognito.IdentityPool(
            namer.name(f"{declared.name}-identities"),
            identity_pool_name=namer.name(f"{declared.name}-identities", 128),
            allow_unauthenticated_identities=False,
            cognito_identity_providers=[aws.cognito.IdentityPoolCognitoIdentityProviderArgs(
                client_id=self.client.id, provider_name=self.user_pool.endpoint, server_side_token_check=True)],
            tags=namer.tags(component="identity"),
            opts=child,
        )
        # Clients talk to the API, not to AWS: the authenticated role may only be assumed through this identity
        # pool, and may do one thing: put objects under its own identity's prefix of the upload buckets.
        self.authenticated_role = aws.iam.Role(
            namer.name("authenticated"),
            name=namer.global_name("authenticated"),
            assume_role_policy=self.identity_pool.id.apply(lambda pool_id: json.dumps({
                "Version": "2012-10-17",
                "Statement": [{
                    "Effect": "Allow",
                    "Principal": {"Federated": "cognito-identity.amazonaws.com"},
                    "Action": "sts:AssumeRoleWithWebIdentity",
                    "Condition": {
                        "StringEquals": {"cognito-identity.amazonaws.com:aud": pool_id},
                        "ForAnyValue:StringLike": {"cognito-identity.amazonaws.com:amr": "authenticated"},
                    },
                }],
            })),
            tags=namer.tags(component="identity"),
            opts=child,
        )
        if args.upload_buckets:
            aws.iam.RolePolicy(
                namer.name("authenticated-uploads"),
                name=namer.name("own-prefix-uploads", 128),
                role=self.authenticated_role.id,
                policy=pulumi.Output.all(*args.upload_buckets).apply(lambda arns: json.dumps(
                    own_prefix_upload_policy(arns, IDENTITY_UPLOAD_PREFIX), sort_keys=True)),
                opts=child,
            )
        aws.cognito.IdentityPoolRoleAttachment(
            namer.name(f"{declared.name}-identity-roles"),
            identity_pool_id=self.identity_pool.id,
            roles={"authenticated": self.authenticated_role.arn},
            opts=child,
        )
        self.pre_sign_up_permission: aws.lambda_.Permission | None = None
        # The real AWS values: tokens carry this issuer, and Cognito serves the JWKS under it.
        self.issuer = pulumi.Output.concat("https://cognito-idp.", settings.region, ".amazonaws.com/",
                                           self.user_pool.id)
        self.jwks_url = pulumi.Output.concat(self.issuer, "/.well-known/jwks.json")
        self.register_outputs({
            "userPoolId": self.user_pool.id,
            "userPoolArn": self.user_pool.arn,
            "clientId": self.client.id,
            "identityPoolId": self.identity_pool.id,
            "issuer": self.issuer,
            "jwksUrl": self.jwks_url,
            "hostedDomain": self.hosted_domain.domain if self.hosted_domain is not None else None,
        })

    def _identity_providers(self, settings: StackSettings,
                            federation: Federation) -> dict[str, aws.cognito.IdentityProvider]:
        """Google and Facebook, each only where its client id and secret are configured."""
        configured = ((GOOGLE, settings.google_client_id, federation.google_client_secret),
                      (FACEBOOK, settings.facebook_client_id, federation.facebook_client_secret))
        providers = {}
        for (name, scopes, mapping), client_id, secret in configured:
            if not client_id or secret is None:
                continue
            # provider_details keys are Cognito's CreateIdentityProvider ProviderDetails for Google/Facebook
            # (client_id, client_secret, authorize_scopes); pulumi_aws/cognito/identity_provider.py takes them
            # as one string map, and its provider_type is the same word as the name for these two.
            providers[name] = aws.cognito.IdentityProvider(
                self._namer.name(f"{self._declared.name}-{name.lower()}"),
                user_pool_id=self.user_pool.id,
                provider_name=name,
                provider_type=name,
                provider_details={"client_id": client_id, "client_secret": secret, "authorize_scopes": scopes},
                attribute_mapping=mapping,
                opts=pulumi.ResourceOptions(parent=self),
            )
        return providers

    def _hosted_domain(self, settings: StackSettings) -> aws.cognito.UserPoolDomain:
        """The hosted sign-in pages at ``https://<prefix>.auth.<region>.amazoncognito.com``.

        A prefix is unique per region across every AWS account: the default carries the account id.
        """
        prefix: pulumi.Input[str] = settings.auth_domain_prefix or pulumi.Output.concat(
            self._namer.name("signin", 50), "-", self._account_id)
        return aws.cognito.UserPoolDomain(
            self._namer.name(f"{self._declared.name}-domain"),
            domain=prefix,
            user_pool_id=self.user_pool.id,
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _oauth_urls(self, settings: StackSettings) -> list[str] | None:
        """Where the hosted pages may send people back (and after signing out): none without a provider."""
        return list(settings.callback_urls) if self.identity_providers else None

    def _lambda_config(self, settings: StackSettings) -> aws.cognito.UserPoolLambdaConfigArgs | None:
        """The pool's triggers, by ARN built from the function's name, region and account.

        Not from the function resource: every function's environment names the pool
        (USER_POOL_ID), so pool -> function -> pool would be a cycle. Cognito accepts this:
        at CreateUserPool/UpdateUserPool, LambdaConfig.PreSignUp is only checked against the
        ARN pattern (AWS::Cognito::UserPool LambdaConfig: pattern, 20-2048 characters); whether
        the function exists and may be invoked is found out at sign-up, where a missing
        function or permission fails as "PreSignUp invocation failed due to error
        AccessDeniedException" (AWS re:Post, cognito-lambda-trigger-errors). The function and
        ``allow_triggers``' permission exist before anybody can sign up against a new pool.
        """
        if self._declared.pre_sign_up is None:
            return None
        return aws.cognito.UserPoolLambdaConfigArgs(pre_sign_up=pulumi.Output.concat(
            "arn:aws:lambda:", settings.region, ":", self._account_id, ":function:",
            self.trigger_function_name(self._declared.pre_sign_up)))

    def trigger_function_name(self, function: str) -> str:
        """The physical name ``stacks/functions.py`` gives the app's function ``function``."""
        return self._namer.name(function, 64)

    def allow_triggers(self, functions: Mapping[str, aws.lambda_.Function]) -> None:
        """Let Cognito invoke the pool's trigger functions, from this pool only (after they exist)."""
        name = self._declared.pre_sign_up
        if name is None:
            return
        function = functions[name]
        self.pre_sign_up_permission = aws.lambda_.Permission(
            self._namer.name(f"{self._declared.name}-pre-sign-up-invoke"),
            action="lambda:InvokeFunction",
            function=function.name,
            principal="cognito-idp.amazonaws.com",
            source_arn=self.user_pool.arn,
            source_account=self._account_id,
            opts=pulumi.ResourceOptions(parent=self),
        )
