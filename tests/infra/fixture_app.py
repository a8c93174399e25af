"""A small Chalice app with one handler of every kind and its own manifest, for the infra tests.

Usage::

    from tests.infra.fixture_app import app, MANIFEST
    render("dev", app=app, manifest=MANIFEST)
"""

from __future__ import annotations

from typing import Any

from chalice.app import Chalice, Rate
from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, IncludeProjection, LocalSecondaryIndex
from pynamodb.models import Model

from chalicelib.core.declarations import (
    Bucket,
    Database,
    Manifest,
    Notification,
    Queue,
    Subscription,
    Table,
    Topic,
    Transcoder,
    UserPool,
    aws_region,
    uses,
)


class ByOwner(GlobalSecondaryIndex["ThingModel"]):  # type: ignore[no-untyped-call]  # pynamodb's hook
    class Meta:
        index_name = "by-owner"
        projection = IncludeProjection(["title"])

    owner = UnicodeAttribute(hash_key=True)
    created = NumberAttribute(range_key=True)


class ByCreated(LocalSecondaryIndex["ThingModel"]):  # type: ignore[no-untyped-call]  # pynamodb's hook
    class Meta:
        index_name = "by-created"
        projection = AllProjection()

    pk = UnicodeAttribute(hash_key=True)
    created = NumberAttribute(range_key=True)


class ThingModel(Model):
    class Meta:
        logical_name = "things"
        table_name = "things"
        region = aws_region()

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, attr_name="SK")  # the key is the attribute's DynamoDB name
    owner = UnicodeAttribute()
    created = NumberAttribute()
    title = UnicodeAttribute(null=True)
    expires = NumberAttribute(null=True)
    by_owner = ByOwner()
    by_created = ByCreated()


class AuditModel(Model):
    class Meta:
        logical_name = "audit"
        table_name = "audit"
        region = aws_region()

    entry = UnicodeAttribute(hash_key=True)


THINGS = Table.of(ThingModel, stream="NEW_AND_OLD_IMAGES", ttl_attribute="expires")
AUDIT = Table.of(AuditModel)
EVENTS = Topic("events")
ALERTS = Topic("alerts")
# Filtered on one topic, everything from the other: one queue policy names both.
JOBS = Queue("jobs", visibility_timeout=30, max_receives=3,
             subscriptions=(Subscription(EVENTS, types=("thing.created", "thing.deleted")), Subscription(ALERTS)))
ORDERS = Queue("orders", fifo=True, max_receives=2)
# Uploads notify a queue under "uploads/" and trigger a function under "in/": one bucket notification holds both.
ARRIVALS = Queue("arrivals", visibility_timeout=120, max_receives=3)
UPLOADS = Bucket("uploads", cors_origins=("https://example.com",), expire_days=2,
                 notifications=(Notification(ARRIVALS, prefix="uploads/"),))
GALLERY = Bucket("gallery", cdn=True)
CLIPS = Transcoder("clips", source=UPLOADS, destination=GALLERY)
POOL = UserPool("people", groups=("admins", "moderators"))
# Migrations are relative to runtime/, as the real app's are.
VAULT = Database("vault", migrations="../tests/infra/fixture_migrations")

MANIFEST = Manifest(tables=(THINGS, AUDIT), queues=(JOBS, ORDERS, ARRIVALS), topics=(EVENTS, ALERTS),
                    buckets=(UPLOADS, GALLERY), user_pool=POOL, databases=(VAULT,), transcoders=(CLIPS,))

app = Chalice(app_name="fixture")


@app.route("/things", methods=["GET"])
@uses(THINGS.read())
def list_things() -> dict[str, Any]:
    """List things."""
    return {}


@app.route("/things/{thing_id}", methods=["PUT", "DELETE"])
@uses(THINGS.read_write(), POOL.admin(), VAULT.connect())
def change_thing(thing_id: str) -> dict[str, Any]:
    """Change a thing."""
    return {}


@app.on_sqs_message(queue="jobs", batch_size=5, maximum_batching_window_in_seconds=2)
@uses(AUDIT.write(), VAULT.connect())
def work(event: Any) -> None:
    """Consume jobs (the consume grant is implied by the trigger)."""


@app.lambda_function(name="migrate_vault")
@uses(VAULT.connect())
def migrate_vault(event: Any, context: Any) -> dict[str, Any]:
    """Migrate the vault: invoked by the stack when its scripts change."""
    return {}


@app.on_s3_event(bucket="uploads", events=["s3:ObjectCreated:*"], prefix="in/", suffix=".jpg")
@uses(UPLOADS.read(), EVENTS.publish())
def ingest(event: Any) -> None:
    """Read an upload and announce it."""


@app.on_sns_message(topic="events")
@uses(JOBS.send())
def relay(event: Any) -> None:
    """Turn an event into a job."""


@app.on_dynamodb_record(stream_arn="things", batch_size=50, starting_position="TRIM_HORIZON")
@uses(AUDIT.write())
def changed(event: Any) -> None:
    """Audit every change of a thing."""


@app.schedule(Rate(1, unit=Rate.HOURS))
@uses(THINGS.read_write(), UPLOADS.write())
def sweep(event: Any) -> None:
    """Hourly clean-up."""


@app.on_ws_connect()
def connect(event: Any) -> None:
    """Accept a WebSocket connection."""


@app.on_ws_message()
def message(event: Any) -> None:
    """Answer a WebSocket message."""


@app.on_ws_disconnect()
@uses(AUDIT.write())
def disconnect(event: Any) -> None:
    """Forget a connection."""


@app.on_sqs_message(queue="arrivals", batch_size=1)
@uses(UPLOADS.read_write(), GALLERY.write(), THINGS.read_write(), CLIPS.transcode())
def process_upload(event: Any) -> None:
    """Process an upload: write its variants, or submit a transcoding job."""


@app.on_cw_event({"source": ["aws.mediaconvert"], "detail-type": ["MediaConvert Job State Change"]})
@uses(THINGS.read_write())
def transcoded(event: Any) -> None:
    """Record a finished (or failed) transcoding job."""
