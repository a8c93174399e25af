"""The whole local platform as one object: moto, the provisioned manifest, the HTTP API and the event pump.

Start order matters: moto first and the AWS environment (endpoint, fake
credentials, region) set in ``os.environ``; then the manifest is provisioned
and every variable the runtime reads is set; only then is the runtime's app
imported (when none is given), so that its settings see the local names.
Reading the manifest imports the PynamoDB models before their tables exist,
so each ``Table.bind()`` then points its model at the provisioned table.
``stop()`` undoes it all, environment included (moto's state is reset unless
``reset_on_stop=False``).

A declared database is ``DATABASE_URL`` when set (PostgreSQL), else a fresh
SQLite file (see ``local.database``); ``DATABASE_URL`` is set before the app is
imported, the migrations run and the demo catalog is seeded. When the user
pool declares an ``admins`` group, the ``admin`` account is made once the pool
and tables exist (see ``local.admin``); a ``LOCAL_ADMIN_PASSWORD`` the pool's
policy refuses stops the start with ``StartupError`` before anything runs.
``database_url`` and ``admin_password`` default to ``DATABASE_URL`` and
``LOCAL_ADMIN_PASSWORD`` (``admin_password=""`` generates one whatever the
environment says); ``admin=False`` makes no admin account.

The ``cursor-key`` secret (which signs pagination cursors) is created on moto
with ``CURSOR_SECRET`` as its value when the environment has one, else a random
value for each start; handlers read it from Secrets Manager as they do in AWS. The runtime's other knobs
(``FANOUT_MAX_FOLLOWERS``, ``TIMELINE_DAYS``, ``BACKFILL_POSTS``, ...) keep
their defaults unless the environment sets them.

Grants are enforced (``enforce_grants=True``, the default): every route runs as
the planned function that serves it and every event handler as its own, and an
AWS call its function's policy (the stack's own document) does not allow fails
as it would in AWS (see ``local.grants``).

The pump polls with its own quiet clients, and moto pokes it after every other
request, so events reach their handlers within milliseconds of the request
that caused them; ``idle_interval`` only bounds retries and schedules.

Usage::

    with LocalPlatform(port=0) as platform:                 # the real app and MANIFEST
        requests.get(f"{platform.url}/v1/health")

    with LocalPlatform(port=0, app=app, manifest=manifest, visibility_timeout=1) as platform:
        platform.clients.sqs.send_message(QueueUrl=platform.provisioned.queues["jobs"].url, MessageBody="{}")
        platform.pump.drain(5)
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import logging
import os
import socket
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, ClassVar

from chalicelib.core import environment
from chalicelib.core.pagination import CURSOR_KEY
from chalicelib.core.settings import Settings
from chalicelib.flags.document import DOCUMENT_PATH
from local import seed
from local.admin import ADMINS_GROUP, PASSWORD_VARIABLE, AdminAccount, admin_password, create_admin
from local.aws import ACCOUNT_ID, DEFAULT_REGION, QUIET_AGENT, MotoServer, aws_environment
from local.cdn import LocalCdn
from local.clients import Clients
from local.database import LOCAL_DIR, FreshSqliteFile, LocalDatabase, Seed, demo_catalog
from local.devroutes import LocalRoutes
from local.env import EnvPatch
from local.errors import StartupError
from local.eventbridge import LocalEventBus
from local.gateway import HttpServer, listen, socket_url
from local.grants import Grants
from local.handlers import Invoker
from local.outbox import Outbox
from local.provision import Provisioned, provision
from local.pump import Clock, EventPump, utc_now
from local.site import LocalSite
from local.wiring import ScheduleWire, Wire, pure_functions, wire
from stacks.appgraph import AppPlan, plan_app

if TYPE_CHECKING:
    from chalice.app import Chalice

    from chalicelib.core.declarations import Manifest
    from chalicelib.media.transcoders import LocalTranscoder
    from local.websocket import LocalWebSocketApi

log = logging.getLogger("local.platform")
REINDEX_FUNCTION = "reindex_search"  # the app's pure function that rebuilds the search indexes

# Runtime settings worth overriding locally (small values make fan-out limits and backfills easy to see).
@dataclass
class Settled:
    seconds: float = 0.0


SEED_SETTLE_SECONDS = 1_800  # the longest a seed's events may take to be handled after its last write
TUNABLES = ("FANOUT_MAX_FOLLOWERS", "TIMELINE_DAYS", "BACKFILL_POSTS")
CURSOR_SECRET_VARIABLE = environment.CURSOR_SECRET  # the local value of the cursor-key secret


class LocalPlatform:
    """moto + provisioning + HTTP server + event pump, started and stopped together."""

    _running: ClassVar[set[int]] = set()  # the platforms started and not yet stopped in this process

    def __init__(self, *, host: str = "127.0.0.1", port: int = 8000, app: Chalice | None = None,
                 manifest: Manifest | None = None, prefix: str = "social-local-", region: str = DEFAULT_REGION,
                 visibility_timeout: int | None = None, idle_interval: float = 1.0, clock: Clock = utc_now,
                 pump: bool = True, reset_on_stop: bool = True, database_url: str | None = None,
                 sqlite_file: Path | None = None, seed: Seed | None = demo_catalog, admin: bool = True,
                 admin_password: str | None = None, enforce_grants: bool = True,
                 websocket_port: int | None = None, search_file: Path | None = None,
                 web_dist: Path | None = None) -> None:
        self.host = host
        self.port = port
        self.prefix = prefix
        self.region = region
        self._app = app
        self._manifest = manifest
        self._visibility_timeout = visibility_timeout
        self._idle_interval = idle_interval
        self._clock = clock
        self._with_pump = pump
        self._reset_on_stop = reset_on_stop
        self._database_url = database_url
        self._sqlite_file = sqlite_file
        self._seed = seed
        self._with_admin = admin
        self._admin_password = admin_password
        self._enforce_grants = enforce_grants
        self._search_file = search_file
        self._web_dist = web_dist  # the web client's build, served at / (local.site); None: the API alone
        self.search: FreshSqliteFile | None = None
        # The WebSocket endpoint (when the app has on_ws_* handlers): the API's port + 1, any free one with port 0.
        self._websocket_port = websocket_port if websocket_port is not None else (port + 1 if port else 0)
        self.websocket: LocalWebSocketApi | None = None
        self.plan: AppPlan | None = None
        self.grants: Grants | None = None
        self.database: LocalDatabase | None = None
        self.admin: AdminAccount | None = None
        self._env = EnvPatch()
        self._moto: MotoServer | None = None
        self._http: HttpServer | None = None
        self._listener: socket.socket | None = None
        self._pump: EventPump | None = None
        self._clients: Clients | None = None
        self._pump_clients: Clients | None = None
        self.cursor_secret_from_env = False
        self.provisioned: Provisioned | None = None
        self.wires: list[Wire] = []
        self.events: LocalEventBus | None = None
        self._transcoder: LocalTranscoder | None = None
        self.startup_ms: float = 0.0
        self.outbox: Outbox | None = None

    # --- what runs where -------------------------------------------------------------------------

    @property
    def url(self) -> str:
        if self._http is None:
            raise RuntimeError("the platform is not started")
        return self._http.url

    @property
    def aws_endpoint(self) -> str:
        if self._moto is None:
            raise RuntimeError("the platform is not started")
        return self._moto.endpoint

    @property
    def pump(self) -> EventPump:
        if self._pump is None:
            raise RuntimeError("the platform has no running pump")
        return self._pump

    @property
    def clients(self) -> Clients:
        if self._clients is None:
            raise RuntimeError("the platform is not started")
        return self._clients

    @property
    def app(self) -> Chalice:
        if self._app is None:
            raise RuntimeError("the platform is not started")
        return self._app

    # --- lifecycle -------------------------------------------------------------------------------

    def start(self) -> LocalPlatform:
        started = time.perf_counter()
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        self.startup_ms = (time.perf_counter() - started) * 1000
        return self

    def _start(self) -> None:
        LocalPlatform._running.add(id(self))
        self._moto = MotoServer().start()
        self.outbox = Outbox().install()  # SES v2 templates and captured mails and pushes (moto has neither)
        self._env.update(aws_environment(self._moto.endpoint, self.region))
        self._clients = Clients(self._moto.endpoint, self.region)
        manifest = self._manifest
        if manifest is None:
            manifest = importlib.import_module("chalicelib.resources").MANIFEST
        password = self._check_admin_password(manifest)  # refuse a bad one before doing anything slow
        self.cursor_secret_from_env = bool(os.environ.get(CURSOR_SECRET_VARIABLE))
        values = {CURSOR_KEY.name: os.environ[CURSOR_SECRET_VARIABLE]} if self.cursor_secret_from_env else {}
        # The CDN's URLs are on the HTTP server: its port is taken now, served once the app exists.
        self._listener = listen(self.host, self.port)
        self.provisioned = provision(manifest, self._clients, prefix=self.prefix,
                                     visibility_timeout=self._visibility_timeout, secret_values=values,
                                     cdn_url=f"{socket_url(self._listener)}/cdn", api_url=socket_url(self._listener))
        self._env.update(self.provisioned.env)
        # The flags are read from a file here (AppConfig in AWS): the repository's document unless FLAGS_FILE
        # names another; the runtime reads it again whenever it changes, so an edit applies with no restart.
        self._env.update({environment.FLAGS_FILE: os.environ.get(environment.FLAGS_FILE) or str(DOCUMENT_PATH)})
        self._open_database(manifest)
        self._open_search()
        for table in manifest.tables:  # models read their table name at import, before it existed
            table.bind()
        if password is not None and self.provisioned.user_pool is not None:
            self.admin = create_admin(self._clients.cognito, self.provisioned.user_pool, password[0],
                                      generated=password[1], profile=_declares_users_table(manifest))
        if self._app is None:
            self._app = importlib.import_module("app").app
        assert self._app is not None
        self.plan = plan_app(self._app, manifest)
        self.wires = wire(self._app, manifest, self.provisioned, self._clients, plan=self.plan)
        if self._enforce_grants:
            self.grants = Grants(self.plan, self.provisioned).install()
        triggers = Invoker(self._app, function_prefix=self.prefix)
        for pure in self._app.pure_lambda_functions:  # what user pool triggers may call, by function name
            self._moto.lambda_functions[f"{self.prefix}{pure.name}"] = functools.partial(triggers.invoke, pure.name)
        invoker = Invoker(self._app, function_prefix=self.prefix, grants=self.grants)
        self.events = LocalEventBus(invoker, self.plan)
        self._pump_clients = Clients(self._moto.endpoint, self.region, user_agent_extra=QUIET_AGENT)
        if manifest.transcoders:
            self._transcoder = _local_transcoder(self.events, self._pump_clients)
        if self._with_pump:
            self._pump = EventPump(invoker, self.wires, self._pump_clients, idle_interval=self._idle_interval,
                                   clock=self._clock).start()
            self._moto.on_change(self._pump.poke)
        cdn = LocalCdn(self._pump_clients.s3, [b.name for b in self.provisioned.buckets.values() if b.declaration.cdn])
        # make reindex runs the function an operator invokes in AWS (reindex_search), with its grants.
        site = (LocalSite(self._web_dist, lambda: self.websocket.url if self.websocket is not None else None)
                if self._web_dist is not None else None)
        local_routes = LocalRoutes(cdn, self.outbox, self.schedules, lambda name: self.pump.fire(name),
                                   reindex=lambda: invoker.invoke(REINDEX_FUNCTION, {}), site=site,
                                   seed=lambda size: self.seed_graph(size).as_dict())
        self._http = HttpServer(self._app, region=self.region, plan=self.plan, grants=self.grants,
                                function_prefix=self.prefix, cdn=local_routes, listener=self._listener).start()
        self._listener = None  # the server owns it now
        if self.plan.websocket:
            from local.websocket import LocalWebSocketApi

            http = self._http
            self.websocket = LocalWebSocketApi(self._app, plan=self.plan, grants=self.grants, host=self.host,
                                               port=self._websocket_port, region=self.region,
                                               function_prefix=self.prefix,
                                               forwarded_host=lambda: http.url.split("://", 1)[1]).start()
            # Where handlers post to connections (what the stack sets to the API's management endpoint), and
            # where Mastodon clients stream (in AWS the site's own host, which the instance names by itself).
            self._env.update({environment.WEBSOCKET_ENDPOINT: self.websocket.management_endpoint,
                              environment.STREAMING_API_URL: self.websocket.origin})
        forget_runtime_caches()

    def _check_admin_password(self, manifest: Manifest) -> tuple[str, bool] | None:
        """``(password, generated)`` when this platform makes the admin account, else None."""
        pool = manifest.user_pool
        if not self._with_admin or pool is None or ADMINS_GROUP not in pool.groups:
            return None
        given = self._admin_password if self._admin_password is not None else os.environ.get(PASSWORD_VARIABLE)
        return admin_password(pool.password_policy, given)

    def _open_database(self, manifest: Manifest) -> None:
        """``DATABASE_URL`` (given, or from the environment) or a fresh SQLite file, migrated and seeded."""
        if not manifest.databases:
            return
        if len(manifest.databases) > 1:
            names = ", ".join(d.name for d in manifest.databases)
            raise StartupError(f"the manifest declares {len(manifest.databases)} databases ({names}); "
                               "the runtime finds one, through DATABASE_URL")
        url = self._database_url if self._database_url is not None else os.environ.get(environment.DATABASE_URL)
        self.database = LocalDatabase.open(manifest.databases[0], url=url, sqlite_file=self._sqlite_file)
        self._env.update({environment.DATABASE_URL: self.database.url})  # before the app (and its settings) is imported
        self.database.prepare(seed=self._seed)  # on a thread it would gain nothing: moto holds the GIL

    def _open_search(self) -> None:
        """The embedded search backend's file: fresh for each start (moto forgets the posts it indexed)."""
        self.search = FreshSqliteFile.claim(self._search_file or LOCAL_DIR / "search.db")
        self._env.update({environment.SEARCH_SQLITE_FILE: str(self.search.path)})

    def stop(self) -> None:
        """Stop everything this platform started, in reverse order; safe to call twice."""
        LocalPlatform._running.discard(id(self))
        if self.websocket is not None:
            self.websocket.stop()
            self.websocket = None
        if self._http is not None:
            self._http.stop()
            self._http = None
        if self._listener is not None:  # the start failed before the server took it
            self._listener.close()
            self._listener = None
        if self._pump is not None:
            self._pump.stop()
        if self._transcoder is not None:
            from chalicelib.media.transcoders import use_transcoder

            self._transcoder.close()
            use_transcoder(None)
            self._transcoder = None
        if self.grants is not None:
            self.grants.uninstall()
            self.grants = None
        for clients in (self._pump_clients, self._clients):
            if clients is not None:
                clients.close()
        if self._moto is not None:
            if self._reset_on_stop and LocalPlatform._running:
                # moto's backends are process-wide: a reset now would wipe a platform still running here.
                log.warning("moto not reset: %d other platform(s) still run in this process", len(self._running))
            elif self._reset_on_stop:
                try:
                    self._moto.reset()
                except Exception:
                    log.warning("could not reset moto", exc_info=True)
            self._moto.stop()
            self._moto = None
        if self.database is not None:
            self.database.close()
        forget_runtime_caches()  # drops the search backend's connection before its file is released
        if self.search is not None:
            self.search.release()
            self.search = None
        if self.outbox is not None:
            self.outbox.uninstall()
        forget_runtime_caches()
        self._env.restore()

    def __enter__(self) -> LocalPlatform:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def seed_graph(self, size: seed.Size) -> seed.Summary:
        """Fill the platform with a social graph of ``size`` (``local.seed``), celebrities past the threshold it
        applies now (the ``celebrity_threshold`` flag, else ``FANOUT_MAX_FOLLOWERS``)."""
        from chalicelib import flags
        from chalicelib.flags.catalog import CELEBRITY_THRESHOLD

        planned = seed.plan(size, threshold=flags.number(CELEBRITY_THRESHOLD))
        with self.bulk() as settled:  # answered once fan-out, notifications, search and coins are done
            summary = seed.run(planned)
        summary.settled_seconds = settled.seconds
        return summary

    @contextlib.contextmanager
    def bulk(self, settle_seconds: float = SEED_SETTLE_SECONDS) -> Iterator[Settled]:
        """For a bulk load: meanwhile no write wakes the pump, which takes what is written in batches at its
        idle interval instead of polling after each of thousands of writes; at exit, waits until the pump has
        handled it all (``Settled.seconds``: how long that took after the last write)."""
        if self._moto is None:
            raise RuntimeError("the platform is not started")
        settled = Settled()
        with self._moto.quiet():
            yield settled
        began = time.monotonic()
        self.pump.drain(settle_seconds)
        settled.seconds = round(time.monotonic() - began, 1)

    def schedules(self) -> list[str]:
        """The app's schedule handlers, which ``POST /local/schedules/<name>`` fires."""
        return [w.handler for w in self.wires if isinstance(w, ScheduleWire)]

    # --- the startup banner ------------------------------------------------------------------------

    def describe(self) -> list[str]:
        """What runs where, one line each."""
        lines = [f"API          {self.url}"]
        if self._web_dist is not None:
            built = (self._web_dist / "index.html").is_file()
            lines.append(f"web client   {self.url}/" + ("" if built else "  (not built: make web)"))
        if self.plan is not None:
            lines += [f"  {line}" for line in describe_apis(self.plan)]
        if self.websocket is not None:
            lines.append(f"WebSocket    {self.websocket.url}?token=<access token>")
            lines.append(f"  Mastodon   {self.websocket.origin}/api/v1/streaming?stream=user&access_token=<token>")
            lines.append(f"  management {self.websocket.management_endpoint}/@connections/<id> (WEBSOCKET_ENDPOINT)")
        lines.append(f"AWS (moto)   {self.aws_endpoint}")
        if self.provisioned is not None:
            lines += [f"  {line}" for line in self.provisioned.describe()]
            if self.provisioned.user_pool is not None:
                lines.append(f"  jwks    {self.provisioned.user_pool.jwks_url}")
        lines.append(f"handlers     {len(self.wires)} wired" + ("" if self._pump else " (pump off)"))
        lines.append("grants       " + ("enforced: each call judged against its function's policy"
                                        if self.grants is not None else "not enforced"))
        lines += [f"  {w.describe()}" for w in self.wires]
        if self.events is not None:
            lines += [f"  {name} <- eventbridge pattern (the local bus: the local video transcoder's job events)"
                      for name in self.events.rules()]
        if self._app is not None:
            pool = self.provisioned.user_pool.declaration if self.provisioned and self.provisioned.user_pool else None
            triggers = {pool.pre_sign_up} if pool is not None and pool.pre_sign_up else set()
            by_hand = f"invoked by hand in AWS; here make reindex (POST {self.url}/local/search/reindex)"
            lines += [f"  {name} <- " + ("the user pool, before each sign-up (called by the local Cognito)"
                                          if name in triggers else by_hand if name == REINDEX_FUNCTION else
                                          "invoked at deploy (a pure Lambda function; not run locally)")
                      for name in pure_functions(self._app)]
        if self.outbox is not None and self._http is not None:
            lines.append(f"outbox       {self.url}/local/outbox (mails and pushes, also printed here); "
                         f"fire a schedule: curl -XPOST {self.url}/local/schedules/<name>")
        if self.database is not None:
            lines += self.database.describe()
        if self.search is not None:
            lines.append(f"search       sqlite {self.search.path} (embedded FTS5 backend, fresh for this start)")
        if self.admin is not None:
            lines += self.admin.describe()
        lines += self.describe_settings()
        lines.append(f"started in   {self.startup_ms:.0f} ms")
        return lines

    def describe_settings(self) -> list[str]:
        """The runtime settings a developer may want to change, and where each value comes from."""
        settings = Settings.from_env()
        secret = ("from the environment" if self.cursor_secret_from_env
                  else "random for this start (set CURSOR_SECRET to keep cursors valid across restarts)")
        values = [f"{name}={getattr(settings, name.lower())}" + ("" if os.environ.get(name) else " (default)")
                  for name in TUNABLES]
        return [f"settings     CURSOR_SECRET {secret}",
                f"  {', '.join(values)}; override any of them in the environment",
                f"flags        {os.environ.get(environment.FLAGS_FILE) or DOCUMENT_PATH} (edits apply at once; "
                "FLAGS_FILE names another)"]


def describe_apis(plan: AppPlan) -> list[str]:
    """One line per function that serves routes: its name, how many routes, and the database it connects to."""
    lines = []
    for function in plan.apis:
        routes = [route for route, served in plan.routes.items() if served.name == function.name]
        databases = ", ".join(d.name for d in function.resources("database"))
        lines.append(f"{function.name} <- {len(routes)} routes" + (f" (connects to {databases})" if databases else ""))
    return lines


def _local_transcoder(bus: LocalEventBus, clients: Clients) -> LocalTranscoder:
    """Videos are transcoded in-process (PyAV); each job's end reaches the app's handlers as EventBridge's would.

    The transcoder reads and writes S3 as MediaConvert's role would, not as the submitting
    function: its calls are made on its own thread, where no function's grants apply.
    """
    from chalicelib.media.transcoders import LocalTranscoder, use_transcoder

    transcoder = LocalTranscoder(on_event=bus.put, s3=clients.s3, account=ACCOUNT_ID)
    use_transcoder(transcoder)
    return transcoder


def forget_runtime_caches() -> None:
    """Clear the runtime's ``lru_cache``s: settings, clients, keys and engines built from the environment.

    In Lambda a process sees one environment for its life, so the runtime builds these once. A
    process that starts platforms one after another (the tests) changes the environment under them:
    a platform started after another would otherwise register users in the earlier one's user pool.
    """
    for name, module in list(sys.modules.items()):
        if name != "app" and not name.startswith("chalicelib."):
            continue
        for value in list(vars(module).values()):
            clear = getattr(value, "cache_clear", None)
            if callable(clear) and getattr(value, "__module__", None) == name:
                clear()


def _declares_users_table(manifest: Manifest) -> bool:
    """Whether the manifest has the runtime's users table (so the admin gets a profile row)."""
    from chalicelib.users.models import UserModel

    return any(table.model is UserModel for table in manifest.tables)
