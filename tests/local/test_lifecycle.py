"""Starting and stopping a platform leaves no threads, servers or environment behind; the settings it sets."""

from __future__ import annotations

import os
import socket
import threading

import pytest
import requests
from chalice.app import Chalice, Rate

from chalicelib.core.declarations import Manifest, Queue, uses
from chalicelib.core.keys import KeyRing
from chalicelib.core.pagination import CURSOR_KEY
from local.platform import TUNABLES, LocalPlatform


def _ours(thread: threading.Thread) -> bool:
    return thread.name.startswith("local-") or "_server_entry" in thread.name


def test_stop_ends_every_thread_and_server_and_restores_the_environment() -> None:
    app = Chalice(app_name="lifecycle")
    queue = Queue("lifecycle-jobs")

    @app.route("/hello")
    def hello() -> dict[str, str]:
        return {"hello": "world"}

    @app.on_sqs_message(queue=queue.name)
    def consume(event: object) -> None:
        pass

    @app.schedule(Rate(5, unit=Rate.MINUTES))
    def tick(event: object) -> None:
        pass

    threads_before = set(threading.enumerate())  # the package's shared platform may be running
    endpoint_before = os.environ.get("AWS_ENDPOINT_URL")
    queue_env_before = os.environ.get(queue.env_var)
    # Other platforms of this test run share moto's process-wide backends: keep theirs (no reset), own prefix.
    with LocalPlatform(port=0, app=app, manifest=Manifest(queues=(queue,)), prefix="lifecycle-",
                       reset_on_stop=False, idle_interval=0.05) as platform:
        url, endpoint = platform.url, platform.aws_endpoint
        started = [t for t in set(threading.enumerate()) - threads_before if _ours(t)]
        assert len([t for t in started if t.name.startswith("local-pump-")]) == 2
        session = requests.Session()  # a kept-alive connection must not keep the server's thread alive
        assert session.get(f"{url}/hello", timeout=5).json() == {"hello": "world"}
        assert os.environ[queue.env_var].endswith("/lifecycle-lifecycle-jobs")

    assert [t.name for t in started if t.is_alive()] == []
    for address in (url, endpoint):
        host, port = address.removeprefix("http://").split(":")
        with socket.socket() as probe:
            assert probe.connect_ex((host, int(port))) != 0, f"{address} still accepts connections"
    assert os.environ.get("AWS_ENDPOINT_URL") == endpoint_before
    assert os.environ.get(queue.env_var) == queue_env_before
    session.close()


def _settings_platform() -> LocalPlatform:
    app = Chalice(app_name="settings")

    @app.route("/secret")
    @uses(CURSOR_KEY.read())
    def secret() -> dict[str, str | None]:  # what any handler of the process reads, from Secrets Manager
        return {"secret": KeyRing.from_environment(CURSOR_KEY.env_var).current}

    return LocalPlatform(port=0, app=app, manifest=Manifest(secrets=(CURSOR_KEY,)), prefix="settings-", pump=False,
                         reset_on_stop=False)


def test_each_start_gets_its_own_cursor_secret_unless_the_environment_has_one(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CURSOR_SECRET", raising=False)  # the package's platform may have set one
    secrets = []
    for _ in range(2):
        with _settings_platform() as platform:
            secret = requests.get(f"{platform.url}/secret", timeout=5).json()["secret"]
            assert secret and len(secret) >= 32
            assert "CURSOR_SECRET" not in os.environ  # the value lives in the secret, not the environment
            assert os.environ[CURSOR_KEY.env_var].startswith("arn:aws:secretsmanager:")
            assert "CURSOR_SECRET random for this start" in "\n".join(platform.describe())
            secrets.append(secret)
        assert CURSOR_KEY.env_var not in os.environ
    assert secrets[0] != secrets[1]

    monkeypatch.setenv("CURSOR_SECRET", "kept-across-restarts")
    with _settings_platform() as platform:
        assert requests.get(f"{platform.url}/secret", timeout=5).json() == {"secret": "kept-across-restarts"}
        assert "CURSOR_SECRET from the environment" in "\n".join(platform.describe())
    assert os.environ["CURSOR_SECRET"] == "kept-across-restarts"


def test_runtime_tunables_keep_their_defaults_unless_the_environment_sets_them(
        monkeypatch: pytest.MonkeyPatch) -> None:
    for name in TUNABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("FANOUT_MAX_FOLLOWERS", "3")
    with _settings_platform() as platform:
        assert "FANOUT_MAX_FOLLOWERS" not in platform.provisioned.env  # type: ignore[union-attr]
        settings = "\n".join(platform.describe_settings())
    assert "FANOUT_MAX_FOLLOWERS=3," in settings
    assert "TIMELINE_DAYS=30 (default)" in settings
    assert "BACKFILL_POSTS=20 (default)" in settings
    assert "override any of them in the environment" in settings


def test_a_platform_stopped_while_another_runs_leaves_the_others_state(platform: LocalPlatform) -> None:
    # moto's backends are process-wide: an inner platform's reset on stop wiped the package platform's
    # queues, and every later test in the package failed with NonExistentQueue.
    queue = next(iter(platform.provisioned.queues.values())) if platform.provisioned else None
    assert queue is not None
    with LocalPlatform(port=0, app=Chalice(app_name="inner"), manifest=Manifest(queues=(Queue("inner-jobs"),)),
                       prefix="inner-", pump=False, admin=False):  # reset_on_stop left at its default
        pass
    attributes = platform.clients.sqs.get_queue_attributes(QueueUrl=queue.url, AttributeNames=["QueueArn"])
    assert attributes["Attributes"]["QueueArn"] == queue.arn


def test_the_runtimes_cached_settings_follow_the_platform_started_last(platform: LocalPlatform) -> None:
    from chalicelib.core.settings import get_settings

    get_settings()  # cached while the package platform's environment is in place
    with LocalPlatform(port=0, app=Chalice(app_name="cursor"), manifest=Manifest(secrets=(CURSOR_KEY,)),
                       prefix="cached-", pump=False, admin=False, reset_on_stop=False) as inner:
        assert inner.provisioned is not None
        arn = inner.provisioned.secrets[CURSOR_KEY.name].arn
        assert os.environ[CURSOR_KEY.env_var] == arn
        assert get_settings.cache_info().currsize == 0  # rebuilt from this environment on next use
