"""Settings of the runtime, read from environment variables only (named in ``chalicelib.core.environment``).

The Pulumi components set these on every function; the local platform sets
them for its process. Nothing here knows which environment it runs in.

Usage::

    from chalicelib.core.settings import get_settings
    if get_settings().auto_confirm: ...
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from functools import lru_cache

from chalicelib.core import environment as env


def _flag(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return default if raw is None or raw == "" else int(raw)


@dataclass(frozen=True)
class Settings:
    """Every knob of the runtime, typed; built once per process by ``get_settings``."""

    stage: str
    region: str
    user_pool_id: str
    user_pool_client_id: str
    jwks_url: str
    token_issuer: str
    auto_confirm: bool
    admin_mfa_required: bool
    max_body_bytes: int
    jwks_cache_seconds: int
    tracing: bool
    log_level: str
    cursor_secret: str
    fanout_max_followers: int
    timeline_days: int
    backfill_posts: int
    coins_post: int
    coins_like_received: int
    coins_comment: int
    daily_cap: int
    weekly_bonus: int

    @classmethod
    def from_env(cls) -> Settings:
        region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
        pool_id = os.environ.get(env.USER_POOL_ID, "")
        issuer = os.environ.get(env.TOKEN_ISSUER) or f"https://cognito-idp.{region}.amazonaws.com/{pool_id}"
        return cls(
            stage=os.environ.get(env.STAGE, "local"),
            region=region,
            user_pool_id=pool_id,
            user_pool_client_id=os.environ.get(env.USER_POOL_CLIENT_ID, ""),
            jwks_url=os.environ.get(env.JWKS_URL) or f"{issuer}/.well-known/jwks.json",
            token_issuer=issuer,
            auto_confirm=_flag(env.AUTO_CONFIRM_SIGNUP, default=False),
            admin_mfa_required=_flag(env.ADMIN_MFA_REQUIRED, default=False),
            max_body_bytes=_int(env.MAX_BODY_BYTES, 64 * 1024),
            jwks_cache_seconds=_int(env.JWKS_CACHE_SECONDS, 3600),
            tracing=_flag(env.TRACING, default=False),
            log_level=os.environ.get(env.LOG_LEVEL, "INFO"),
            # Signs pagination cursors where no CURSOR_KEY_SECRET_ARN names the secret (unit tests,
            # scripts). Unset, each process makes its own: cursors then stop working across
            # processes, which fails safe (400).
            cursor_secret=os.environ.get(env.CURSOR_SECRET) or secrets.token_urlsafe(32),
            fanout_max_followers=_int(env.FANOUT_MAX_FOLLOWERS, 50_000),
            timeline_days=_int(env.TIMELINE_DAYS, 30),
            backfill_posts=_int(env.BACKFILL_POSTS, 20),
            coins_post=_int(env.COINS_POST, 10),
            coins_like_received=_int(env.COINS_LIKE_RECEIVED, 2),
            coins_comment=_int(env.COINS_COMMENT, 5),
            daily_cap=_int(env.DAILY_CAP, 500),
            weekly_bonus=_int(env.WEEKLY_BONUS, 50),
        )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings.from_env()
