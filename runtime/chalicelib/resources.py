"""The manifest: every AWS resource the runtime declares.

``stacks/`` and the local platform both read this module; add a resource here
and both provide it.
"""

from __future__ import annotations

from chalicelib.channels.templates import TEMPLATES
from chalicelib.channels.unsubscribe import UNSUBSCRIBE_KEY
from chalicelib.core.declarations import (
    Bucket,
    Database,
    Mailer,
    Manifest,
    Notification,
    PasswordPolicy,
    PushService,
    Queue,
    SearchDomain,
    Subscription,
    Table,
    Topic,
    Transcoder,
    UsagePlan,
    UserPool,
    WebSocket,
)
from chalicelib.core.pagination import CURSOR_KEY

# Its stream feeds the search indexer (profiles found by name as soon as they exist).
USERS = Table("users", "chalicelib.users.models:UserModel", stream="NEW_AND_OLD_IMAGES")
# The streams of what users do are the outbox of domain events: a change that
# committed is published, at least once, even if the request died right after.
FOLLOWS = Table("follows", "chalicelib.users.models:FollowModel", stream="NEW_AND_OLD_IMAGES")
POSTS = Table("posts", "chalicelib.posts.models:PostModel", stream="NEW_AND_OLD_IMAGES")
INTERACTIONS = Table("interactions", "chalicelib.posts.models:InteractionModel", stream="NEW_AND_OLD_IMAGES")
TIMELINE = Table("timeline", "chalicelib.feed.models:TimelineModel", ttl_attribute="expires_at")
MEDIA = Table("media", "chalicelib.media.models:MediaModel", ttl_attribute="expires_at")
IDEMPOTENCY = Table("idempotency", "chalicelib.core.idempotency_model:IdempotencyModel", ttl_attribute="expires_at")

# The Mastodon face's OAuth (chalicelib.mastodon): registered apps, one-time codes (10 minutes), and tokens,
# each read and counted (rate limit) by one UpdateItem per request; revoked tokens expire a week later.
MASTODON_APPS = Table("mastodon-apps", "chalicelib.mastodon.models:MastodonAppModel")
MASTODON_CODES = Table("mastodon-codes", "chalicelib.mastodon.models:MastodonCodeModel", ttl_attribute="expires_at")
MASTODON_TOKENS = Table("mastodon-tokens", "chalicelib.mastodon.models:MastodonTokenModel",
                        ttl_attribute="expires_at")

# Domain events (post.created, like.created, follow.deleted, ...), with a
# ``type`` message attribute that subscribers filter on.
DOMAIN_EVENTS = Topic("domain-events")

TIMELINE_UPDATES = Queue(
    "timeline-updates", visibility_timeout=120, max_receives=5,
    subscriptions=(Subscription(DOMAIN_EVENTS, types=("post.created", "post.deleted", "follow.created",
                                                      "follow.deleted")),),
)
POST_CLEANUP = Queue(
    "post-cleanup", visibility_timeout=120, max_receives=5,
    subscriptions=(Subscription(DOMAIN_EVENTS, types=("post.deleted",)),),
)

# The coin ledger consumes what earns coins, and who was active (for the weekly bonus).
COIN_AWARDS = Queue(
    "coin-awards", visibility_timeout=60, max_receives=5,
    subscriptions=(Subscription(DOMAIN_EVENTS, types=("post.created", "like.created", "comment.created")),),
)

LEDGER = Database("ledger", migrations="chalicelib/ledger/migrations")

# Media: clients upload straight to the uploads bucket (a presigned POST per media), whose object
# events reach the processor through the media-uploads queue; what users see is served from the
# media bucket through the CDN. Raw uploads live a day at most.
MEDIA_UPLOADS = Queue("media-uploads", visibility_timeout=300, max_receives=3)
UPLOADS = Bucket("uploads", cors_origins=("*",), expire_days=1,
                 notifications=(Notification(MEDIA_UPLOADS, prefix="uploads/"),))
MEDIA_FILES = Bucket("media", cdn=True)
VIDEO = Transcoder("video", source=UPLOADS, destination=MEDIA_FILES)

USER_POOL = UserPool(
    "users",
    password_policy=PasswordPolicy(min_length=10, require_lowercase=True, require_uppercase=True, require_numbers=True),
    groups=("admins",),
    # Usernames are checked at sign-up itself, also for sign-ups that go around the API.
    pre_sign_up="pre_sign_up",
)

# Notifications: the notifications queue turns domain events into per-recipient notifications
# (newest first, grouped, kept 90 days) and publishes each on the notifications topic with a
# ``channels`` attribute that each delivery channel's queue subscribes to (Subscription(channels=...)).
NOTIFICATIONS = Table("notifications", "chalicelib.notifications.models:NotificationModel", ttl_attribute="expires_at")
NOTIFICATION_SETTINGS = Table("notification-settings", "chalicelib.notifications.models:PreferencesModel")
NOTIFICATIONS_TOPIC = Topic("notifications")
NOTIFICATION_INTAKE = Queue(
    "notifications", visibility_timeout=60, max_receives=5,
    subscriptions=(Subscription(DOMAIN_EVENTS, types=(
        "like.created", "like.deleted", "comment.created", "follow.created", "post.created", "coins.awarded",
        "order.created", "order.updated", "message.created")),),
)

# Channels (issue 9): email through SES, mobile push through SNS, the daily digest and the weekly clean-up.
NOTIFY_EMAIL = Queue("notify-email", visibility_timeout=60, max_receives=5,
                     subscriptions=(Subscription(NOTIFICATIONS_TOPIC, channels=("email",)),))
NOTIFY_PUSH = Queue("notify-push", visibility_timeout=60, max_receives=5,
                    subscriptions=(Subscription(NOTIFICATIONS_TOPIC, channels=("push",)),))
# One message per leg of a digest segment; its consumer runs up to the workers' 5 minutes (a sixth of this).
DIGEST_PAGES = Queue("digest-pages", visibility_timeout=1800, max_receives=3)
DEVICES = Table("devices", "chalicelib.channels.models:DeviceModel")
CHANNEL_SENDS = Table("channel-sends", "chalicelib.channels.models:SentModel", ttl_attribute="expires_at")
MAIL = Mailer("mail", templates=TEMPLATES)
PUSH = PushService("push")

# Real time: the WebSocket API (derived from the app's on_ws_* handlers), who is connected, direct
# messages (whose stream publishes message.created), and the pushes of new posts and notifications.
WEBSOCKET = WebSocket("websocket")
CONNECTIONS = Table("connections", "chalicelib.realtime.models:ConnectionModel", ttl_attribute="expires_at")
MESSAGES = Table("messages", "chalicelib.realtime.models:MessageModel", stream="NEW_AND_OLD_IMAGES")
CONVERSATIONS = Table("conversations", "chalicelib.realtime.models:ConversationModel")
FEED_PUSH = Queue(  # post.deleted: the Mastodon streams' ``delete`` events (chalicelib.realtime.feed)
    "feed-push", visibility_timeout=60, max_receives=5,
    subscriptions=(Subscription(DOMAIN_EVENTS, types=("post.created", "post.deleted")),),
)
NOTIFY_REALTIME = Queue(
    "notify-realtime", visibility_timeout=60, max_receives=5,
    subscriptions=(Subscription(NOTIFICATIONS_TOPIC, channels=("realtime",)),),
)

# Posts and people, indexed from the posts and users streams (chalicelib.search): OpenSearch in AWS.
SEARCH = SearchDomain("search")

# Integrations: partners call the key-required routes with an API key an admin made (chalicelib.integrations);
# API Gateway meters each key against this plan's quota and throttle (stacks/integrations.py).
INTEGRATIONS = UsagePlan("integrations")

MANIFEST = Manifest(
    tables=(USERS, FOLLOWS, POSTS, INTERACTIONS, TIMELINE, IDEMPOTENCY, MEDIA, NOTIFICATIONS, NOTIFICATION_SETTINGS,
            DEVICES, CHANNEL_SENDS, CONNECTIONS, MESSAGES, CONVERSATIONS, MASTODON_APPS, MASTODON_CODES,
            MASTODON_TOKENS),
    queues=(TIMELINE_UPDATES, POST_CLEANUP, COIN_AWARDS, MEDIA_UPLOADS, NOTIFICATION_INTAKE, NOTIFY_EMAIL, NOTIFY_PUSH,
            DIGEST_PAGES, FEED_PUSH, NOTIFY_REALTIME),
    buckets=(UPLOADS, MEDIA_FILES),
    topics=(DOMAIN_EVENTS, NOTIFICATIONS_TOPIC),
    user_pool=USER_POOL,
    databases=(LEDGER,),
    secrets=(CURSOR_KEY, UNSUBSCRIBE_KEY),
    transcoders=(VIDEO,),
    mailers=(MAIL,),
    push_services=(PUSH,),
    search=SEARCH,
    websocket=WEBSOCKET,
    usage_plans=(INTEGRATIONS,),
)
