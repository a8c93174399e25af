"""The runtime's environment variables: one builder for the stack and the local platform, one set of names."""

from __future__ import annotations

import os
from unittest import mock

import pytest

from chalicelib.core import environment
from chalicelib.core.environment_build import (
    Knobs,
    MailerValues,
    Physical,
    PoolValues,
    TranscoderValues,
    build_environment,
)
from chalicelib.core.settings import Settings
from chalicelib.resources import MANIFEST


def _physical(**overrides: object) -> Physical[str]:
    values: dict[str, object] = {
        "tables": {t.name: f"t-{t.name}" for t in MANIFEST.tables},
        "queues": {q.name: f"https://q/{q.name}" for q in MANIFEST.queues},
        "topics": {t.name: f"arn:t:{t.name}" for t in MANIFEST.topics},
        "buckets": {b.name: f"b-{b.name}" for b in MANIFEST.buckets},
        "secrets": {s.name: f"arn:s:{s.name}" for s in MANIFEST.secrets},
        "bucket_urls": {b.name: f"https://cdn/{b.name}" for b in MANIFEST.buckets if b.cdn},
        "transcoders": {t.name: TranscoderValues(role_arn=f"arn:role/{t.name}", queue_arn=f"arn:queues/{t.name}")
                        for t in MANIFEST.transcoders},
        "user_pool": PoolValues(id="pool-1", client_id="client-1", jwks_url="https://jwks", issuer="https://iss"),
        "mailers": {m.name: MailerValues(from_address="no-reply@example.org", template_prefix=f"social-dev-{m.name}-")
                    for m in MANIFEST.mailers},
        "push_apps": {p.name: '{"apns": "arn:sns:app/APNS/x"}' for p in MANIFEST.push_services},
        "usage_plans": {p.name: f"social-dev-{p.name}" for p in MANIFEST.usage_plans},
        **overrides,
    }
    return Physical[str](**values)  # type: ignore[arg-type]


def test_every_declared_resource_gets_its_variable_and_the_settings_reader_finds_them() -> None:
    variables = build_environment(MANIFEST, _physical(), Knobs(stage="dev", auto_confirm_signup=False, tracing=True))
    for resource in MANIFEST.resources():
        if resource.kind in {"table", "queue", "topic", "bucket", "secret", "usage_plan"}:
            assert variables[resource.env_var].endswith(resource.name)
    with mock.patch.dict(os.environ, variables, clear=True):
        settings = Settings.from_env()
    assert (settings.stage, settings.user_pool_id, settings.user_pool_client_id, settings.jwks_url,
            settings.token_issuer, settings.auto_confirm, settings.tracing) == (
        "dev", "pool-1", "client-1", "https://jwks", "https://iss", False, True)
    assert environment.LOG_LEVEL not in variables  # None: the runtime's default


def test_a_declared_resource_without_a_physical_value_is_refused() -> None:
    with pytest.raises(LookupError, match="table 'users'"):
        build_environment(MANIFEST, _physical(tables={}), Knobs(stage="dev", auto_confirm_signup=False))


def test_cdn_urls_and_transcoders_reach_the_runtime() -> None:
    variables = build_environment(MANIFEST, _physical(), Knobs(stage="dev", auto_confirm_signup=False))
    assert variables["MEDIA_BUCKET_URL"] == "https://cdn/media" and "UPLOADS_BUCKET_URL" not in variables
    assert (variables["VIDEO_TRANSCODER_ROLE_ARN"], variables["VIDEO_TRANSCODER_QUEUE_ARN"]) == (
        "arn:role/video", "arn:queues/video")


def test_mailers_and_push_services_reach_the_runtime() -> None:
    variables = build_environment(MANIFEST, _physical(public_api_url="https://api.example.org"),
                                  Knobs(stage="dev", auto_confirm_signup=False, digest_segments=4))
    assert (variables["MAIL_MAILER_FROM"], variables["MAIL_MAILER_TEMPLATES"], variables["PUSH_PUSH_APPS"],
            variables["PUBLIC_API_URL"], variables["DIGEST_SEGMENTS"]) == (
        "no-reply@example.org", "social-dev-mail-", '{"apns": "arn:sns:app/APNS/x"}', "https://api.example.org", "4")


@pytest.mark.parametrize(("missing", "message"), [
    ({"bucket_urls": {}}, r"bucket 'media' is declared with cdn=True but has no public URL .*MEDIA_BUCKET_URL"),
    ({"transcoders": {}}, r"transcoder 'video' is declared but has no role and queue .*VIDEO_TRANSCODER_ROLE_ARN"),
    ({"mailers": {}}, r"mailer 'mail' is declared but has no sender"),
    ({"push_apps": {}}, r"push service 'push' is declared but has no applications"),
])
def test_a_cdn_bucket_or_transcoder_without_its_values_is_refused(missing: dict[str, object], message: str) -> None:
    with pytest.raises(LookupError, match=message):
        build_environment(MANIFEST, _physical(**missing), Knobs(stage="dev", auto_confirm_signup=False))
