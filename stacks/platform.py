"""The Platform: every AWS resource of one environment, derived from a Chalice app and its manifest.

Usage::

    platform = Platform("social-dev", PlatformArgs(settings, app, MANIFEST, code))
    pulumi.export("apiUrl", platform.api_url)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pulumi
from chalice.app import Chalice

from chalicelib.core.declarations import Manifest
from chalicelib.core.environment import PUBLIC_API_URL
from chalicelib.core.environment_build import Knobs, Physical, PoolValues, TranscoderValues, build_environment
from stacks.account_ref import AccountReference
from stacks.api import RestApi, RestApiArgs
from stacks.appgraph import AppPlan, plan_app
from stacks.code import CODE_BUCKET, LambdaCode, LambdaCodeArgs
from stacks.dashboard import Dashboard, DashboardArgs
from stacks.data import Data, DataArgs
from stacks.database import DatabaseEndpoint, Databases, DatabasesArgs, SharedDatabases, SharedDatabasesArgs
from stacks.email import Email, EmailArgs
from stacks.flags import FeatureFlags, FeatureFlagsArgs, FlagsRollout, FlagsRolloutArgs
from stacks.functions import Functions, FunctionsArgs, ResourceArnInputs
from stacks.identity import Federation, Identity, IdentityArgs, MailSender
from stacks.integrations import Integrations, IntegrationsArgs, usage_plan_name
from stacks.messaging import Messaging, MessagingArgs
from stacks.migrations import migrators, missing_migrators
from stacks.network import Network, NetworkArgs, VpcPlacement, endpoint_services
from stacks.observability import Observability, ObservabilityArgs, WatchedDatabase
from stacks.package import LambdaPackage
from stacks.push import Push, PushArgs, PushCredentials
from stacks.search import Search, SearchArgs
from stacks.secrets import Secrets, SecretsArgs
from stacks.settings import StackSettings
from stacks.storage import Storage, StorageArgs
from stacks.transcoding import Transcoding, TranscodingArgs
from stacks.triggers import Triggers, TriggersArgs
from stacks.waf import Waf, WafArgs
from stacks.web import WebSite, WebSiteArgs
from stacks.websocket import WebSocketApi, WebSocketArgs


@dataclass(frozen=True)
class PlatformArgs:
    """The environment, the app whose handlers become functions, its manifest and the Lambda package."""

    settings: StackSettings
    app: Chalice
    manifest: Manifest
    package: LambdaPackage


class Platform(pulumi.ComponentResource):
    """Identity, data, messaging, storage, network and databases, functions, triggers, API and alarms, wired
    from one plan. What the account and region share (mail identity, the shared network and database
    server) is read from the account stack; a network and databases of the stack's own exist only when
    the manifest declares a database and the stack does not share the account's."""

    plan: AppPlan
    api_url: pulumi.Output[str] | None
    websocket_url: pulumi.Output[str] | None
    user_pool_id: pulumi.Output[str] | None
    user_pool_client_id: pulumi.Output[str] | None
    table_names: dict[str, pulumi.Output[str]]
    search_endpoint: pulumi.Output[str] | None
    web: WebSite | None
    edge_web_acl_arn: pulumi.Output[str] | None

    def __init__(self, name: str, args: PlatformArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("social:platform:Platform", name, None, opts)
        settings, manifest = args.settings, args.manifest
        namer = settings.namer
        child = pulumi.ResourceOptions(parent=self)
        # Plan first: an undeclared queue or table fails here, before any resource is registered.
        self.plan = plan_app(args.app, manifest)

        account = AccountReference(namer.name("account"), settings, child)
        # dev and prod mail their users (confirmation codes) through the account's SES identity.
        mail = (None if settings.auto_confirm_signup
                else MailSender(source_arn=account.mail_identity_arn, from_address=account.mail_from))
        # The declared buckets and the stack's code bucket (not the app's: no variable, no grant names it).
        # Both web ACLs where the stack has an API to protect and WAF is on (previews leave it off: it costs by
        # the month). Made first: every distribution (the media CDN's here, the site's below) takes the edge one;
        # the regional one is associated with the API's stage once that exists.
        waf = Waf(namer.name("waf"), WafArgs(settings), child) if self.plan.apis and settings.waf else None
        storage = Storage(namer.name("storage"), StorageArgs(
            settings, (*manifest.buckets, CODE_BUCKET), web_acl_arn=waf.edge_acl_arn if waf is not None else None),
            child)
        code = LambdaCode(namer.name("lambda-code"), LambdaCodeArgs(settings, args.package,
                                                                    storage.buckets[CODE_BUCKET.name]), child)
        # Buckets whose uploads are processed (they notify a queue) are the ones clients upload to.
        uploads = [storage.buckets[b.name].arn for b in manifest.buckets if b.notifications]
        identity = (Identity(namer.name("identity"), IdentityArgs(settings, manifest.user_pool, mail, uploads,
                                                                  Federation.from_config(settings)), child)
                    if manifest.user_pool is not None else None)
        data = Data(namer.name("data"), DataArgs(settings, manifest.tables), child)
        messaging = Messaging(namer.name("messaging"), MessagingArgs(
            settings, manifest.queues, manifest.topics, self.plan, manifest.buckets,
            {n: b.arn for n, b in storage.buckets.items()}), child)
        transcoding = Transcoding(namer.name("transcoding"),
                                  TranscodingArgs(settings, manifest.transcoders, storage.buckets), child)
        websocket = (WebSocketApi(namer.name("websocket"), WebSocketArgs(settings), child)
                     if self.plan.websocket else None)
        placement, endpoints, network = self._databases(settings, manifest, account, child)
        search = self._search(settings, manifest, account, network, child)
        for missing in missing_migrators(self.plan, manifest.databases):
            pulumi.log.warn(f"database {missing!r} declares migrations but the app has no migrate_"
                            f"{missing.replace('-', '_')} function: `pulumi up` will not migrate it")

        # Signing keys and the like: read from Secrets Manager at cold start, never put in the environment.
        secrets = Secrets(namer.name("secrets"), SecretsArgs(settings, manifest.secrets), child)
        # Mail from the account's SES identity with the stack's own templates; push where credentials are configured.
        email = Email(namer.name("email"), EmailArgs(settings, manifest.mailers, account.mail_identity_arn,
                                                     account.mail_from), child)
        push = Push(namer.name("push"), PushArgs(settings, manifest.push_services,
                                                 PushCredentials.from_config(settings)), child)
        # The flags document is validated here, before anything waits on it: a bad one fails the plan.
        flags = FeatureFlags(namer.name("flags"), FeatureFlagsArgs(settings), child)
        environment = self._environment(settings, manifest, identity, data, messaging, storage, secrets, websocket,
                                        transcoding, email, push, flags, search)
        arns = ResourceArnInputs(
            tables={n: t.arn for n, t in data.tables.items()},
            table_indexes={n: tuple(i.name for i in (*s.global_indexes, *s.local_indexes))
                           for n, s in data.schemas.items()},
            table_streams={t.name: data.tables[t.name].stream_arn for t in manifest.tables if t.stream},
            queues={n: q.arn for n, q in messaging.queues.items()},
            topics={n: t.arn for n, t in messaging.topics.items()},
            buckets={n: b.arn for n, b in storage.buckets.items()},
            user_pool=identity.user_pool.arn if identity is not None else None,
            failure_queues={n: q.arn for n, q in messaging.failure_queues.items()},
            websocket_execution_arn=websocket.api.execution_arn if websocket is not None else None,
            secrets={n: secret.arn for n, secret in secrets.secrets.items()},
            transcoders={n: (transcoding.roles[n].arn, q.arn) for n, q in transcoding.queues.items()},
            mailers=email.arns,
            push_apps={s.name: push.arns(s.name) for s in manifest.push_services},
            flags=flags.read_arn,
            search_domain=search[1] if search is not None else None,
        )
        migrating = migrators(self.plan, manifest.databases)  # refuses a bad app before anything waits on it
        scripts = {d.name: args.package.scripts_hash(d) for d in manifest.databases if d.name in migrating}
        # Mails link to the API (unsubscribe): its URL exists once the API exists, which needs the API's
        # functions; so only the mailing functions (never the API's) get it, through a deferred output.
        # It is resolved whatever happens: an unresolved one leaves the program waiting for it forever.
        deferred: tuple[pulumi.Output[str], Callable[[pulumi.Output[str]], None]] = pulumi.deferred_output()
        public_url, resolve_public_url = deferred
        api: RestApi | None = None
        try:
            mailing = {f.name: {PUBLIC_API_URL: settings.public_api_url or public_url}
                       for f in self.plan.functions if f.resources("mailer") and f.trigger.kind != "api"}
            functions = Functions(namer.name("functions"), FunctionsArgs(
                settings, self.plan, code.location, environment, arns, databases=manifest.databases,
                endpoints=endpoints, placement=placement, migration_scripts=scripts, function_environment=mailing),
                child)
            if identity is not None:
                identity.allow_triggers(functions.functions)
            if self._own_search is not None:
                # The stack's own domain: its policy names the roles of the functions that search or index.
                self._own_search.allow([functions.roles[f.name].arn for f in self.plan.functions
                                        if f.resources("search")])
            Triggers(namer.name("triggers"), TriggersArgs(
                settings=settings, plan=self.plan, functions=functions.functions, queues=messaging.queues,
                topics=messaging.topics, buckets=storage.buckets, tables=data.tables,
                failure_queues=messaging.failure_queues, rules=messaging.rules, websocket=websocket,
                notifications={b.name: b.notifications for b in manifest.buckets},
                queue_policies=messaging.queue_policies), child)
            api = (RestApi(namer.name("rest-api"), RestApiArgs(settings, args.app, self.plan, functions.functions),
                           child) if self.plan.apis else None)
        finally:
            resolve_public_url(api.url if api is not None else pulumi.Output.from_input(""))
        if waf is not None and api is not None:
            waf.protect(api.rest_api.id, api.stage.stage_name)
        if api is not None:
            # The usage plan integration keys are metered by (each key its own quota); admins make the keys.
            Integrations(namer.name("integrations"),
                         IntegrationsArgs(settings, api.rest_api.id, api.stage.stage_name, manifest.usage_plans,
                                          self.plan, functions.roles), child)
        own = self._own_databases
        observability = Observability(namer.name("observability"), ObservabilityArgs(
            settings, functions.functions, {**messaging.dead_letters, **messaging.failure_queues},
            ledger=bool(args.manifest.databases), plan=self.plan,
            rest_api=(api.rest_api.name, api.stage.stage_name) if api is not None else None, tables=data.tables,
            # Only a server of the stack's own: the account's shared one is dev's and every preview's at once.
            databases={n: WatchedDatabase(i, settings.db_instance_class, settings.db_allocated_storage_gb,
                                          own.proxies.get(n)) for n, i in own.instances.items()}
            if own is not None else {}), child)
        if settings.dashboard:
            self._dashboard(settings, manifest, account, functions, messaging, data, api, websocket, observability,
                            child)
        # A flags change that makes the API's functions fail is rolled back (where the rollout is gradual).
        api_alarms = ([observability.errors_alarm(f.name).arn for f in self.plan.functions if f.trigger.kind == "api"]
                      if settings.alarms else [])
        # (AppConfig watches at most 5 alarms per environment.)
        FlagsRollout(namer.name("flags-rollout"), FlagsRolloutArgs(settings, flags, api_alarms[:5]), child)

        # The web client and the API behind one distribution (same origin: no CORS for the app).
        # The edge web ACL guards it (per viewer: behind CloudFront the API's own ACL sees edge addresses).
        self.web = (WebSite(namer.name("web"), WebSiteArgs(settings, api, websocket, web_acl_arn=(
            waf.edge_acl_arn if waf is not None else None), identity=identity), child) if api is not None else None)

        self.api_url = api.url if api is not None else None
        self.websocket_url = websocket.url if websocket is not None else None
        self.user_pool_id = identity.user_pool.id if identity is not None else None
        self.user_pool_client_id = identity.client.id if identity is not None else None
        # The hosted sign-in pages (Google, Facebook), where the web app sends people: only with a provider.
        self.sign_in_url = (pulumi.Output.concat("https://", identity.hosted_domain.domain, ".auth.", settings.region,
                                                 ".amazoncognito.com")
                            if identity is not None and identity.hosted_domain is not None else None)
        self.table_names = {logical: table.name for logical, table in data.tables.items()}
        self.search_endpoint = search[0] if search is not None else None
        self.edge_web_acl_arn = waf.edge_acl_arn if waf is not None else None
        self.register_outputs(self.exports())

    def exports(self) -> dict[str, pulumi.Input[object]]:
        """The stack's outputs: endpoints, the user pool and the table names (absent ones left out)."""
        outputs: dict[str, pulumi.Input[object] | None] = {
            "apiUrl": self.api_url,
            "websocketUrl": self.websocket_url,
            "userPoolId": self.user_pool_id,
            "userPoolClientId": self.user_pool_client_id,
            "signInUrl": self.sign_in_url,
            "tableNames": self.table_names,
            "searchEndpoint": self.search_endpoint,
            "webUrl": self.web.url if self.web is not None else None,
            "webDistributionId": self.web.distribution.id if self.web is not None else None,
            # pulumi-aws has no invalidation resource: run this after `pulumi up` (stacks/web.py).
            "webInvalidation": self.web.invalidation_command if self.web is not None else None,
            "webCertificateValidation": (self.web.certificate.domain_validation_options
                                         if self.web is not None and self.web.certificate is not None else None),
            "edgeWebAclArn": self.edge_web_acl_arn,
        }
        return {key: value for key, value in outputs.items() if value is not None}

    def _dashboard(self, settings: StackSettings, manifest: Manifest, account: AccountReference, functions: Functions,
                   messaging: Messaging, data: Data, api: RestApi | None, websocket: WebSocketApi | None,
                   observability: Observability, child: pulumi.ResourceOptions) -> None:
        """The stack's dashboard: every function, queue, dead letter, table and database the stack has."""
        own = self._own_databases
        databases: dict[str, pulumi.Input[str]] = {}
        if own is not None:
            databases = {logical: instance.identifier for logical, instance in own.instances.items()}
        elif manifest.databases:
            # The account's shared server (dev, previews): its identifier is the first label of its host name.
            databases = {"the account's shared server": account.database_host.apply(lambda host: host.split(".")[0])}
        Dashboard(settings.namer.name("dashboard"), DashboardArgs(
            settings, self.plan, functions.functions,
            queues=messaging.queues,
            dead_letters={**{f"{n}-dlq": q for n, q in messaging.dead_letters.items()},
                          **{f"{n}-failures": q for n, q in messaging.failure_queues.items()}},
            tables=data.tables,
            rest_api=(api.rest_api.name, api.stage.stage_name) if api is not None else None,
            websocket=(websocket.api.id, websocket.stage.name) if websocket is not None else None,
            databases=databases,
            proxies=[p.name for p in own.proxies.values()] if own is not None else [],
            channels=tuple(sorted({c for q in manifest.queues for s in q.subscriptions for c in s.channels})),
            alarms=observability.arns), child)

    def _databases(self, settings: StackSettings, manifest: Manifest, account: AccountReference,
                   child: pulumi.ResourceOptions
                   ) -> tuple[VpcPlacement | None, dict[str, DatabaseEndpoint], Network | None]:
        """Where the database and search functions run, how they reach each database (shared or the stack's own),
        and the stack's own network (None where it shares the account's, or needs none)."""
        self._own_databases: Databases | None = None
        if not manifest.databases and manifest.search is None:
            return None, {}, None
        namer = settings.namer
        if settings.shared_network:
            endpoints: dict[str, DatabaseEndpoint] = {}
            if manifest.databases:
                shared = SharedDatabases(namer.name("databases"), SharedDatabasesArgs(
                    settings, manifest.databases, account.database_host, account.database_admin_secret_arn), child)
                endpoints = shared.endpoints
            return account.placement(), endpoints, None
        in_vpc = [f for f in self.plan.functions if f.resources("database") or f.resources("search")]
        services = endpoint_services([g for f in in_vpc for g in f.grants], tracing=settings.tracing,
                                     verifies_tokens=any(f.trigger.kind == "api" for f in in_vpc))
        network = Network(namer.name("network"), NetworkArgs(settings, services, proxy=settings.db_proxy), child)
        if not manifest.databases:
            return network.placement(), {}, network
        databases = self._own_databases = Databases(namer.name("databases"),
                                                    DatabasesArgs(settings, manifest.databases, network), child)
        return network.placement(), databases.endpoints, network

    def _search(self, settings: StackSettings, manifest: Manifest, account: AccountReference,
                network: Network | None, child: pulumi.ResourceOptions
                ) -> tuple[pulumi.Output[str], pulumi.Output[str]] | None:
        """The search domain's endpoint and ARN: the account's (dev and previews share it, each with its own
        index prefix: never a domain of their own) or, with a network of its own (prod), the stack's own."""
        self._own_search: Search | None = None
        if manifest.search is None:
            return None
        if network is None:
            return account.search_endpoint, account.search_domain_arn
        self._own_search = Search(settings.namer.name("search"), SearchArgs(
            settings, network.vpc.id, [s.id for s in network.private_subnets], network.functions_group.id), child)
        return self._own_search.endpoint, self._own_search.arn

    @staticmethod
    def _environment(settings: StackSettings, manifest: Manifest, identity: Identity | None, data: Data,
                     messaging: Messaging, storage: Storage, secrets: Secrets,
                     websocket: WebSocketApi | None, transcoding: Transcoding, email: Email,
                     push: Push, flags: FeatureFlags, search: tuple[pulumi.Output[str], pulumi.Output[str]] | None
                     ) -> dict[str, pulumi.Input[str]]:
        """Every variable ``chalicelib.core.settings`` and the declarations read, for every function.

        Built by ``chalicelib.core.environment_build``, as the local platform's. AWS_REGION is not here: Lambda
        sets it and refuses functions that set it themselves.
        """
        physical = Physical[pulumi.Input[str]](
            tables={n: t.name for n, t in data.tables.items()},
            queues={n: q.url for n, q in messaging.queues.items()},
            topics={n: t.arn for n, t in messaging.topics.items()},
            buckets={n: b.bucket for n, b in storage.buckets.items()},
            user_pool=PoolValues(id=identity.user_pool.id, client_id=identity.client.id, jwks_url=identity.jwks_url,
                                 issuer=identity.issuer) if identity is not None else None,
            secrets={n: secret.arn for n, secret in secrets.secrets.items()},
            websocket_endpoint=websocket.management_endpoint if websocket is not None else None,
            bucket_urls=dict(storage.urls),
            transcoders={n: TranscoderValues[pulumi.Input[str]](role_arn=transcoding.roles[n].arn, queue_arn=q.arn)
                         for n, q in transcoding.queues.items()},
            mailers=email.values,
            push_apps={s.name: push.runtime_value(s.name) for s in manifest.push_services},
            flags=flags.values(),
            # The stack's own indexes (social-dev-posts, social-preview-x-posts) in a domain it may share.
            search_endpoint=search[0] if search is not None else None,
            search_index_prefix=f"{settings.namer.prefix}-" if search is not None else None,
            usage_plans={p.name: usage_plan_name(settings.namer, p) for p in manifest.usage_plans},
        )
        knobs = Knobs(stage=settings.stack, auto_confirm_signup=settings.auto_confirm_signup,
                      max_body_bytes=settings.max_body_bytes, tracing=settings.tracing, log_level=settings.log_level,
                      fanout_max_followers=settings.fanout_max_followers, timeline_days=settings.timeline_days,
                      backfill_posts=settings.backfill_posts, digest_segments=settings.digest_segments,
                      # Where users may turn TOTP on (prod: OPTIONAL), admins must have it.
                      admin_mfa_required=settings.mfa != "OFF",
                      cors_origins=settings.cors_origins or None)  # unset: none (CORS off)
        return dict(build_environment(manifest, physical, knobs))
