"""The environment variables that tell the runtime where things are: their names.

The runtime (``chalicelib.core.settings``, the declarations) reads the names defined here; the stack and the
local platform build their values with ``chalicelib.core.environment_build`` (kept apart, so a cold start
loads names only). A new variable (say a secret's ARN) is one more name here and one more field of
``environment_build.Physical`` or ``Knobs``.
"""

from __future__ import annotations

from collections.abc import Mapping

from chalicelib.core.metric_names import NAMESPACE

# Where the runtime runs and how it behaves.
STAGE = "STAGE"
AUTO_CONFIRM_SIGNUP = "AUTO_CONFIRM_SIGNUP"
# "true" where the pool offers TOTP (prod): admin routes then refuse admins without it.
ADMIN_MFA_REQUIRED = "ADMIN_MFA_REQUIRED"
MAX_BODY_BYTES = "MAX_BODY_BYTES"
JWKS_CACHE_SECONDS = "JWKS_CACHE_SECONDS"
TRACING = "TRACING"
LOG_LEVEL = "LOG_LEVEL"
CURSOR_SECRET = "CURSOR_SECRET"  # the cursor key where no secret is declared (unit tests, scripts)
FANOUT_MAX_FOLLOWERS = "FANOUT_MAX_FOLLOWERS"
TIMELINE_DAYS = "TIMELINE_DAYS"
BACKFILL_POSTS = "BACKFILL_POSTS"
# The coin rules (no environment sets them yet: the runtime's defaults are the rules).
COINS_POST = "COINS_POST"
COINS_LIKE_RECEIVED = "COINS_LIKE_RECEIVED"
COINS_COMMENT = "COINS_COMMENT"
DAILY_CAP = "DAILY_CAP"
WEEKLY_BONUS = "WEEKLY_BONUS"
# The feature flags: a document on disk (the local platform), or AppConfig's data API (the stack), cached briefly.
FLAGS_FILE = "FLAGS_FILE"
APPCONFIG_APPLICATION = "APPCONFIG_APPLICATION"
APPCONFIG_ENVIRONMENT = "APPCONFIG_ENVIRONMENT"
APPCONFIG_PROFILE = "APPCONFIG_PROFILE"
FLAGS_CACHE_SECONDS = "FLAGS_CACHE_SECONDS"
# The user pool.
USER_POOL_ID = "USER_POOL_ID"
USER_POOL_CLIENT_ID = "USER_POOL_CLIENT_ID"
JWKS_URL = "JWKS_URL"
TOKEN_ISSUER = "TOKEN_ISSUER"
# Where the public API answers (links in mails: unsubscribe), and how the digest pages over users.
PUBLIC_API_URL = "PUBLIC_API_URL"
DIGEST_SEGMENTS = "DIGEST_SEGMENTS"
# Search: the OpenSearch domain's https URL and the stack's index prefix (AWS), or the embedded backend's
# SQLite file (the local platform). See chalicelib/search/backends.py.
SEARCH_ENDPOINT = "SEARCH_ENDPOINT"
SEARCH_INDEX_PREFIX = "SEARCH_INDEX_PREFIX"
SEARCH_SQLITE_FILE = "SEARCH_SQLITE_FILE"
# The WebSocket API's management endpoint.
WEBSOCKET_ENDPOINT = "WEBSOCKET_ENDPOINT"
# Where Mastodon clients open the streaming API (``ws://host:port``) when it is not the site's own host (the
# local platform's WebSocket port); unset in AWS, where CloudFront routes /api/v1/streaming on the site's host.
STREAMING_API_URL = "STREAMING_API_URL"
# Browser origins of third-party clients the API answers with CORS headers: a JSON list; none by default.
CORS_ORIGINS = "CORS_ORIGINS"
# A database: a URL (local platform, tests), or the proxy and the credentials' secret (set per connecting function).
DATABASE_URL = "DATABASE_URL"
DATABASE_HOST = "DATABASE_HOST"
DATABASE_PORT = "DATABASE_PORT"
DATABASE_NAME = "DATABASE_NAME"
DATABASE_SECRET_ARN = "DATABASE_SECRET_ARN"
DATABASE_VARIABLES = (DATABASE_HOST, DATABASE_PORT, DATABASE_NAME, DATABASE_SECRET_ARN)
# A shared server's master secret: only the migrate function gets it, to create and drop the stack's database.
DATABASE_ADMIN_SECRET_ARN = "DATABASE_ADMIN_SECRET_ARN"

# What names each kind of declared resource, as a suffix of its logical name: USERS_TABLE, FANOUT_QUEUE_URL...
_RESOURCE_SUFFIXES = {"table": "TABLE", "queue": "QUEUE_URL", "topic": "TOPIC_ARN", "bucket": "BUCKET",
                      "secret": "SECRET_ARN", "bucket_url": "BUCKET_URL", "transcoder_role": "TRANSCODER_ROLE_ARN",
                      "transcoder_queue": "TRANSCODER_QUEUE_ARN", "mailer_from": "MAILER_FROM",
                      "mailer_templates": "MAILER_TEMPLATES", "push_apps": "PUSH_APPS",
                      "usage_plan": "USAGE_PLAN"}


def resource_variable(kind: str, name: str) -> str:
    """The variable that holds the physical name (URL, ARN) of a declared resource.

    >>> resource_variable("queue", "timeline-updates")
    'TIMELINE_UPDATES_QUEUE_URL'
    """
    return f"{name.upper().replace('-', '_')}_{_RESOURCE_SUFFIXES[kind]}"


# The libraries' own settings, the same for the stack's functions and the local platform. Powertools
# (chalicelib.core.logs, chalicelib.core.metrics): the service on every log line and the business metrics'
# namespace. Pydantic: no plugins are used, and looking for them reads every installed package's metadata
# (36 ms of a cold start here, in the first model built).
LIBRARY_SETTINGS: Mapping[str, str] = {"POWERTOOLS_SERVICE_NAME": "social", "POWERTOOLS_METRICS_NAMESPACE": NAMESPACE,
                                       "PYDANTIC_DISABLE_PLUGINS": "__all__"}
