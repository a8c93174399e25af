"""The Chalice app: one blueprint per domain, all routes under ``/v1``.

Every route runs in one Lambda (``app.app``); each event handler gets its own. Importing this module
loads no AWS client, table model or token library: each route group loads its domain on first use
(``chalicelib.core.lazy``), so a function's cold start pays only for what its first request needs.
"""

from typing import TYPE_CHECKING

from chalice.app import Chalice

from chalicelib.auth.routes import router as auth
from chalicelib.auth.triggers import sign_up_triggers
from chalicelib.channels.handlers import channels
from chalicelib.channels.routes import router as channel_routes
from chalicelib.core.lazy import lazy_module
from chalicelib.core.routes import install
from chalicelib.core.tracing import install_telemetry, install_tracing
from chalicelib.events.handlers import events
from chalicelib.feed.handlers import timelines
from chalicelib.feed.routes import router as feed
from chalicelib.flags.routes import router as flag_routes
from chalicelib.integrations import cors
from chalicelib.integrations.routes import router as integrations
from chalicelib.ledger.handlers import ledger_events
from chalicelib.ledger.routes import router as wallet
from chalicelib.mastodon import (
    account_routes,
    instance_routes,
    media_routes,
    oauth_routes,
    status_routes,
    timeline_routes,
)
from chalicelib.mastodon import notification_routes as mastodon_notifications
from chalicelib.mastodon import search_routes as mastodon_search
from chalicelib.mastodon.routing import FACE as MASTODON
from chalicelib.mastodon.routing import render_chalice_error
from chalicelib.media.handlers import media_pipeline
from chalicelib.media.routes import router as media
from chalicelib.meta.routes import router as meta
from chalicelib.notifications.handlers import notifications
from chalicelib.notifications.routes import router as notification_routes
from chalicelib.posts.handlers import cleanup
from chalicelib.posts.routes import router as posts
from chalicelib.realtime.handlers import sockets, websocket_api
from chalicelib.realtime.routes import router as conversations
from chalicelib.resources import USERS
from chalicelib.search.handlers import search_indexer
from chalicelib.search.routes import router as search
from chalicelib.users.routes import router as users

if TYPE_CHECKING:
    from chalicelib.users import profiles
else:
    profiles = lazy_module("chalicelib.users.profiles")

install_tracing()
app = Chalice(app_name="social")
install_telemetry(app)  # log keys of the invocation, metrics flushed per invocation

for router in (meta, auth, users, posts, feed, wallet, media, notification_routes, channel_routes, conversations,
               flag_routes, search, integrations):
    app.register_blueprint(router.blueprint, url_prefix="/v1")
# The Mastodon face (chalicelib.mastodon): Mastodon's own paths, /api/v1, /api/v2, /oauth, /.well-known, /nodeinfo.
for mastodon_routes in (oauth_routes, instance_routes, account_routes, status_routes, media_routes, timeline_routes,
                        mastodon_notifications, mastodon_search):
    app.register_blueprint(mastodon_routes.router.blueprint, url_prefix="")
# Mastodon clients upload media as multipart forms: API Gateway must pass those bodies through as binary.
app.api.binary_types.append("multipart/form-data")
for handlers in (events, timelines, cleanup, ledger_events, sign_up_triggers, media_pipeline, notifications, channels,
                 sockets, search_indexer):
    app.register_blueprint(handlers)
# The WebSocket handlers' own WebsocketAPI (a Blueprint has none: see chalicelib.realtime.handlers).
app.websocket_api = websocket_api

# Every authenticated route checks that the token's account owns its username's profile.
# Mastodon's routes prove their own tokens instead (chalicelib.mastodon.routing explains why no admit there).
install(app, admit=lambda principal: profiles.admit(principal), admit_uses=(USERS.read(),),
        faces={MASTODON: render_chalice_error})
# Third-party browser clients of the origins the stack configures (none by default: no CORS header at all).
cors.install(app)
