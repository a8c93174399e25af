"""The Platform: every AWS resource of one environment, derived from a Chalice app and its manifest.

Usage::

    platform = Platform("social-dev", PlatformArgs(settings, app, MANIFEST, code))
    pulumi.export("apiUrl", platform.api_url)
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_random as random
from chalice.app import Chalice

from chalicelib.core.declarations import Manifest
from stacks.api import RestApi, RestApiArgs
from stacks.appgraph import AppPlan, plan_app
from stacks.data import Data, DataArgs
from stacks.database import Databases, DatabasesArgs
from stacks.functions import Functions, FunctionsArgs, ResourceArnInputs
from stacks.identity import Identity, IdentityArgs
from stacks.messaging import Messaging, MessagingArgs
from stacks.migrations import missing_migrators
from stacks.network import Network, NetworkArgs
from stacks.observability import Observability, ObservabilityArgs
from stacks.settings import StackSettings
from stacks.storage import Storage, StorageArgs
from stacks.triggers import Triggers, TriggersArgs
from stacks.websocket import WebSocketApi, WebSocketArgs

# 64 of [A-Za-z0-9]: about 380 bits, well over the 256 of a 43-character token_urlsafe(32).
CURSOR_SECRET_LENGTH = 64


@dataclass(frozen=True)
class PlatformArgs:
    """The environment, the app whose handlers become functions, its manifest and the code archive."""

    settings: StackSettings
    app: Chalice
    manifest: Manifest
    code: pulumi.Archive


class Platform(pulumi.ComponentResource):
    """Identity, data, messaging, storage, network and databases, functions, triggers, API and alarms, wired
    from one plan. The network and databases exist only when the manifest declares a database."""

    plan: AppPlan
    api_url: pulumi.Output[str] | None
    websocket_url: pulumi.Output[str] | None
    user_pool_id: pulumi.Output[str] | None
    user_pool_client_id: pulumi.Output[str] | None
    table_names: dict[str, pulumi.Output[str]]
    cursor_secret: pulumi.Output[str]

    def __init__(self, name: str, args: PlatformArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("social:platform:Platform", name, None, opts)
        settings, manifest = args.settings, args.manifest
        namer = settings.namer
        child = pulumi.ResourceOptions(parent=self)
        # Plan first: an undeclared queue or table fails here, before any resource is registered.
        self.plan = plan_app(args.app, manifest)

        identity = (Identity(namer.name("identity"), IdentityArgs(settings, manifest.user_pool), child)
                    if manifest.user_pool is not None else None)
        data = Data(namer.name("data"), DataArgs(settings, manifest.tables), child)
        messaging = Messaging(namer.name("messaging"),
                              MessagingArgs(settings, manifest.queues, manifest.topics, self.plan), child)
        storage = Storage(namer.name("storage"), StorageArgs(settings, manifest.buckets), child)
        websocket = (WebSocketApi(namer.name("websocket"), WebSocketArgs(settings), child)
                     if self.plan.websocket else None)
        network = Network(namer.name("network"), NetworkArgs(settings), child) if manifest.databases else None
        databases = (Databases(namer.name("databases"), DatabasesArgs(settings, manifest.databases, network), child)
                     if network is not None else None)
        for missing in missing_migrators(self.plan, manifest.databases):
            pulumi.log.warn(f"database {missing!r} declares migrations but the app has no migrate_"
                            f"{missing.replace('-', '_')} function: `pulumi up` will not migrate it")

        # Signs pagination cursors: one value for every function of the stack, kept across deploys (a random
        # resource changes only when replaced), and a secret in the state and in every preview.
        secret = random.RandomPassword(namer.name("cursor-secret"), length=CURSOR_SECRET_LENGTH, special=False,
                                       opts=child)
        self.cursor_secret = pulumi.Output.secret(secret.result)
        environment = self._environment(settings, manifest, identity, data, messaging, storage, websocket,
                                        self.cursor_secret)
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
        )
        functions = Functions(namer.name("functions"), FunctionsArgs(
            settings, self.plan, args.code, environment, arns, databases=manifest.databases,
            endpoints=databases.endpoints if databases is not None else {}, network=network), child)
        if identity is not None:
            identity.allow_triggers(functions.functions)
        Triggers(namer.name("triggers"), TriggersArgs(
            settings=settings, plan=self.plan, functions=functions.functions, queues=messaging.queues,
            topics=messaging.topics, buckets=storage.buckets, tables=data.tables,
            failure_queues=messaging.failure_queues, rules=messaging.rules, websocket=websocket), child)
        api = (RestApi(namer.name("rest-api"),
                       RestApiArgs(settings, args.app, functions.functions[self.plan.api.name]), child)
               if self.plan.api is not None else None)
        Observability(namer.name("observability"), ObservabilityArgs(
            settings, functions.functions, {**messaging.dead_letters, **messaging.failure_queues},
            ledger=bool(args.manifest.databases)), child)

        self.api_url = api.url if api is not None else None
        self.websocket_url = websocket.url if websocket is not None else None
        self.user_pool_id = identity.user_pool.id if identity is not None else None
        self.user_pool_client_id = identity.client.id if identity is not None else None
        self.table_names = {logical: table.name for logical, table in data.tables.items()}
        self.register_outputs({
            "apiUrl": self.api_url,
            "websocketUrl": self.websocket_url,
            "userPoolId": self.user_pool_id,
            "userPoolClientId": self.user_pool_client_id,
            "tableNames": self.table_names,
        })

    @staticmethod
    def _environment(settings: StackSettings, manifest: Manifest, identity: Identity | None, data: Data,
                     messaging: Messaging, storage: Storage,
                     websocket: WebSocketApi | None,
                     cursor_secret: pulumi.Output[str]) -> dict[str, pulumi.Input[str]]:
        """Every variable ``chalicelib.core.settings`` and the declarations read, for every function.

        AWS_REGION is not here: Lambda sets it and refuses functions that set it themselves.
        """
        environment: dict[str, pulumi.Input[str]] = {
            "STAGE": settings.stack,
            "AUTO_CONFIRM_SIGNUP": str(settings.auto_confirm_signup).lower(),
            "MAX_BODY_BYTES": str(settings.max_body_bytes),
            "TRACING": str(settings.tracing).lower(),
            "LOG_LEVEL": settings.log_level,
            "FANOUT_MAX_FOLLOWERS": str(settings.fanout_max_followers),
            "TIMELINE_DAYS": str(settings.timeline_days),
            "BACKFILL_POSTS": str(settings.backfill_posts),
            "CURSOR_SECRET": cursor_secret,
        }
        if identity is not None:
            environment |= {
                "USER_POOL_ID": identity.user_pool.id,
                "USER_POOL_CLIENT_ID": identity.client.id,
                "JWKS_URL": identity.jwks_url,
                "TOKEN_ISSUER": identity.issuer,
            }
        values: dict[str, dict[str, pulumi.Output[str]]] = {
            "table": {n: t.name for n, t in data.tables.items()},
            "queue": {n: q.url for n, q in messaging.queues.items()},
            "topic": {n: t.arn for n, t in messaging.topics.items()},
            "bucket": {n: b.bucket for n, b in storage.buckets.items()},
        }
        for resource in manifest.resources():
            if resource.kind in values:
                environment[resource.env_var] = values[resource.kind][resource.name]
        if websocket is not None:
            environment["WEBSOCKET_ENDPOINT"] = websocket.management_endpoint
        return environment

