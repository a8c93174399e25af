"""The whole local platform as one object: moto, the provisioned manifest, the HTTP API and the event pump.

Start order matters: moto first and the AWS environment (endpoint, fake
credentials, region) set in ``os.environ``; then the manifest is provisioned
and every variable the runtime reads is set; only then is the runtime's app
imported (when none is given), so that its settings see the local names.
Reading the manifest imports the PynamoDB models before their tables exist,
so each ``Table.bind()`` then points its model at the provisioned table.
``stop()`` undoes it all, environment included (moto's state is reset unless
``reset_on_stop=False``).

Usage::

    with LocalPlatform(port=0) as platform:                 # the real app and MANIFEST
        requests.get(f"{platform.url}/v1/health")

    with LocalPlatform(port=0, app=app, manifest=manifest, visibility_timeout=1) as platform:
        platform.clients.sqs.send_message(QueueUrl=platform.provisioned.queues["jobs"].url, MessageBody="{}")
        platform.pump.drain(5)
"""

from __future__ import annotations

import importlib
import logging
import time
from types import TracebackType
from typing import TYPE_CHECKING

from local.aws import DEFAULT_REGION, MotoServer, aws_environment
from local.clients import Clients
from local.env import EnvPatch
from local.gateway import HttpServer
from local.handlers import Invoker
from local.provision import Provisioned, provision
from local.pump import Clock, EventPump, utc_now
from local.wiring import Wire, wire

if TYPE_CHECKING:
    from chalice.app import Chalice

    from chalicelib.core.declarations import Manifest

log = logging.getLogger("local.platform")


class LocalPlatform:
    """moto + provisioning + HTTP server + event pump, started and stopped together."""

    def __init__(self, *, host: str = "127.0.0.1", port: int = 8000, app: Chalice | None = None,
                 manifest: Manifest | None = None, prefix: str = "social-local-", region: str = DEFAULT_REGION,
                 visibility_timeout: int | None = None, idle_interval: float = 0.2, clock: Clock = utc_now,
                 pump: bool = True, reset_on_stop: bool = True) -> None:
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
        self._env = EnvPatch()
        self._moto: MotoServer | None = None
        self._http: HttpServer | None = None
        self._pump: EventPump | None = None
        self._clients: Clients | None = None
        self.provisioned: Provisioned | None = None
        self.wires: list[Wire] = []
        self.startup_ms: float = 0.0

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
        self._moto = MotoServer().start()
        self._env.update(aws_environment(self._moto.endpoint, self.region))
        self._clients = Clients(self._moto.endpoint, self.region)
        manifest = self._manifest
        if manifest is None:
            manifest = importlib.import_module("chalicelib.resources").MANIFEST
        self.provisioned = provision(manifest, self._clients, prefix=self.prefix,
                                     visibility_timeout=self._visibility_timeout)
        self._env.update(self.provisioned.env)
        for table in manifest.tables:  # models read their table name at import, before it existed
            table.bind()
        if self._app is None:
            self._app = importlib.import_module("app").app
        assert self._app is not None
        self.wires = wire(self._app, self.provisioned, self._clients)
        if self._with_pump:
            invoker = Invoker(self._app, function_prefix=self.prefix)
            self._pump = EventPump(invoker, self.wires, self._clients, idle_interval=self._idle_interval,
                                   clock=self._clock).start()
        self._http = HttpServer(self._app, self.host, self.port, region=self.region).start()

    def stop(self) -> None:
        """Stop everything this platform started, in reverse order; safe to call twice."""
        if self._http is not None:
            self._http.stop()
            self._http = None
        if self._pump is not None:
            self._pump.stop()
        if self._clients is not None:
            self._clients.close()
        if self._moto is not None:
            if self._reset_on_stop:
                try:
                    self._moto.reset()
                except Exception:
                    log.warning("could not reset moto", exc_info=True)
            self._moto.stop()
            self._moto = None
        self._env.restore()

    def __enter__(self) -> LocalPlatform:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    # --- the startup banner ------------------------------------------------------------------------

    def describe(self) -> list[str]:
        """What runs where, one line each."""
        lines = [f"API          {self.url}", f"AWS (moto)   {self.aws_endpoint}"]
        if self.provisioned is not None:
            lines += [f"  {line}" for line in self.provisioned.describe()]
            if self.provisioned.user_pool is not None:
                lines.append(f"  jwks    {self.provisioned.user_pool.jwks_url}")
        lines.append(f"handlers     {len(self.wires)} wired" + ("" if self._pump else " (pump off)"))
        lines += [f"  {w.describe()}" for w in self.wires]
        lines.append(f"started in   {self.startup_ms:.0f} ms")
        return lines

