"""The instance's description: ``/api/v1/instance``, ``/api/v2/instance``, custom emojis, NodeInfo, and
the OAuth server metadata (RFC 8414) that Mastodon.py reads before signing in.

The limits are the platform's own: the post length (``posts.views.MAX_CONTENT``), media per post
(``media.service.MAX_ATTACHED``), types and sizes (``media.signatures``). Polls do not exist here: their
configuration, which Mastodon's entity requires, allows none (zero options). Statistics come from DynamoDB's
item counts (refreshed by AWS every few hours), kept an hour in the process.
"""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING, Any

from chalicelib.core.declarations import uses
from chalicelib.core.environment import STREAMING_API_URL
from chalicelib.core.lazy import lazy_module
from chalicelib.core.logs import get_logger
from chalicelib.core.routes import Reply
from chalicelib.mastodon import scopes as scope_rules
from chalicelib.mastodon.params import MAX_UPLOAD_FILE
from chalicelib.mastodon.routing import MastodonCall, MastodonRouter
from chalicelib.resources import POSTS, USERS

if TYPE_CHECKING:
    from chalicelib.mastodon import oauth
    from chalicelib.media import service as media_service
    from chalicelib.media import signatures
    from chalicelib.media import views as media_views
    from chalicelib.posts import models as post_models
    from chalicelib.posts import views as post_views
    from chalicelib.users import models as user_models
else:
    oauth = lazy_module("chalicelib.mastodon.oauth")
    media_service = lazy_module("chalicelib.media.service")
    signatures = lazy_module("chalicelib.media.signatures")
    media_views = lazy_module("chalicelib.media.views")
    post_models = lazy_module("chalicelib.posts.models")
    post_views = lazy_module("chalicelib.posts.views")
    user_models = lazy_module("chalicelib.users.models")

router = MastodonRouter(__name__)
log = get_logger(__name__)

MASTODON_VERSION = "4.3.0"  # the Mastodon API this face follows; Mastodon.py reads the part before the space
PLATFORM = "Social"
PLATFORM_VERSION = "1.0"
VERSION = f"{MASTODON_VERSION} (compatible; {PLATFORM} {PLATFORM_VERSION})"
API_VERSION = 2  # Mastodon 4.3's api_versions.mastodon
TITLE = "Social"
DESCRIPTION = "A social network where posts, likes and comments earn coins."
STATS_SECONDS = 3600

_stats: tuple[float, dict[str, int]] | None = None


def stats() -> dict[str, int]:
    """Users and posts as DynamoDB counts them (approximate), cached for an hour."""
    global _stats
    if _stats is not None and time.monotonic() - _stats[0] < STATS_SECONDS:
        return _stats[1]
    try:
        counted = {"user_count": int(user_models.UserModel.describe_table().get("ItemCount", 0)),
                   "status_count": int(post_models.PostModel.describe_table().get("ItemCount", 0)),
                   "domain_count": 0}
    except Exception:  # the figures are decoration: the instance must answer without them (clients start here)
        log.warning("instance statistics unavailable", exc_info=True)
        return {"user_count": 0, "status_count": 0, "domain_count": 0}
    _stats = (time.monotonic(), counted)
    return counted


def _media() -> dict[str, Any]:
    # What an upload through this face can be (MAX_UPLOAD_FILE: Lambda's payload limit), not the media's own
    # limits (larger images and videos go through /v1's presigned uploads): clients shrink files to fit.
    limits = {kind: min(size, MAX_UPLOAD_FILE) for kind, size in signatures.MAX_BYTES.items()}
    return {"supported_mime_types": sorted(signatures.ALLOWED_TYPES), "image_size_limit": limits["image"],
            "image_matrix_limit": 16_777_216, "video_size_limit": limits["video"], "video_frame_rate_limit": 60,
            "video_matrix_limit": 8_294_400, "description_limit": media_views.MAX_DESCRIPTION}


def _statuses() -> dict[str, int]:
    return {"max_characters": post_views.MAX_CONTENT, "max_media_attachments": media_service.MAX_ATTACHED,
            "characters_reserved_per_url": 23}


# Polls turned off: Mastodon's Instance always carries this object, and clients read it before offering a poll.
NO_POLLS = {"max_options": 0, "max_characters_per_option": 0, "min_expiration": 0, "max_expiration": 0}


def _host(call: MastodonCall[Any]) -> str:
    return call.base_url.split("://", 1)[1]


def _streaming(call: MastodonCall[Any]) -> str:
    """Where clients open ``/api/v1/streaming`` (``mastodon.streaming``): the site's own host in AWS, whose
    CloudFront sends that path to the WebSocket API (stacks/web.py); ``STREAMING_API_URL`` where the WebSocket
    has a host of its own (the local platform's port)."""
    configured = os.environ.get(STREAMING_API_URL)
    if configured:
        return configured.rstrip("/")
    return call.base_url.replace("https://", "wss://").replace("http://", "ws://")


@router.route("/api/v1/streaming/health", "GET", public=True)
def streaming_health(call: MastodonCall[Any]) -> Reply:
    """Mastodon's streaming health check: ``OK`` as text."""
    return Reply("OK", media_type="text/plain; charset=utf-8")


@router.route("/api/v1/instance", "GET", public=True)
@uses(USERS.read(), POSTS.read())
def instance_v1(call: MastodonCall[Any]) -> dict[str, Any]:
    """The instance (Mastodon's v1 entity)."""
    return {
        "uri": _host(call), "title": TITLE, "short_description": DESCRIPTION, "description": DESCRIPTION,
        "email": "", "version": VERSION, "urls": {"streaming_api": _streaming(call)}, "stats": stats(),
        "thumbnail": None, "languages": ["en"], "registrations": True, "approval_required": False,
        "invites_enabled": False,
        "configuration": {"accounts": {"max_featured_tags": 0}, "statuses": _statuses(),
                          "media_attachments": _media(), "polls": NO_POLLS},
        "contact_account": None, "rules": [],
    }


@router.route("/api/v2/instance", "GET", public=True)
@uses(USERS.read())
def instance_v2(call: MastodonCall[Any]) -> dict[str, Any]:
    """The instance (Mastodon's v2 entity)."""
    return {
        "domain": _host(call), "title": TITLE, "version": VERSION, "source_url": call.base_url,
        "description": DESCRIPTION,
        "usage": {"users": {"active_month": stats()["user_count"]}},
        "thumbnail": {"url": call.base_url + "/favicon.ico"}, "icon": [], "languages": ["en"],
        "configuration": {
            "urls": {"streaming": _streaming(call), "status": None},
            "vapid": {"public_key": ""},
            "accounts": {"max_featured_tags": 0, "max_pinned_statuses": 0},
            "statuses": _statuses(), "media_attachments": _media(), "polls": NO_POLLS,
            "translation": {"enabled": False},
        },
        "registrations": {"enabled": True, "approval_required": False, "message": None, "url": None},
        "api_versions": {"mastodon": API_VERSION},
        "contact": {"email": "", "account": None}, "rules": [],
    }


@router.route("/api/v1/custom_emojis", "GET", public=True)
def custom_emojis(call: MastodonCall[Any]) -> list[Any]:
    """No custom emojis here."""
    return []


@router.route("/.well-known/nodeinfo", "GET", public=True)
def nodeinfo_links(call: MastodonCall[Any]) -> dict[str, Any]:
    """Where the NodeInfo document is."""
    return {"links": [{"rel": "http://nodeinfo.diaspora.software/ns/schema/2.0",
                       "href": f"{call.base_url}/nodeinfo/2.0"}]}


@router.route("/nodeinfo/2.0", "GET", public=True)
@uses(USERS.read(), POSTS.read())
def nodeinfo(call: MastodonCall[Any]) -> dict[str, Any]:
    """NodeInfo 2.0: software, protocols (none: no federation), usage."""
    counted = stats()
    return {"version": "2.0", "software": {"name": PLATFORM.lower(), "version": PLATFORM_VERSION},
            "protocols": [], "services": {"outbound": [], "inbound": []},
            "usage": {"users": {"total": counted["user_count"]}, "localPosts": counted["status_count"]},
            "openRegistrations": True, "metadata": {"nodeName": TITLE}}


@router.route("/.well-known/oauth-authorization-server", "GET", public=True)
def oauth_metadata(call: MastodonCall[Any]) -> dict[str, Any]:
    """RFC 8414: the OAuth server's endpoints, grants, scopes and PKCE methods."""
    base = call.base_url
    return {
        "issuer": base + "/", "service_documentation": "https://docs.joinmastodon.org/",
        "authorization_endpoint": f"{base}/oauth/authorize", "token_endpoint": f"{base}/oauth/token",
        "revocation_endpoint": f"{base}/oauth/revoke", "app_registration_endpoint": f"{base}/api/v1/apps",
        "scopes_supported": sorted(scope_rules.KNOWN), "response_types_supported": ["code"],
        "response_modes_supported": ["query"], "code_challenge_methods_supported": ["S256", "plain"],
        "grant_types_supported": list(oauth.GRANT_TYPES),
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
    }
