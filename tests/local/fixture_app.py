"""A small Chalice app with one handler of every kind the pump delivers, and its manifest.

Every handler records the raw event it got (as Lambda passed it) in ``RECORDER``.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError
from chalice.app import (
    Chalice,
    CloudWatchEvent,
    DynamoDBEvent,
    Rate,
    S3Event,
    SNSEvent,
    SQSEvent,
)
from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import PynamoDBException
from pynamodb.models import Model

from chalicelib.core.declarations import (
    Bucket,
    Manifest,
    PasswordPolicy,
    Queue,
    Subscription,
    Table,
    Topic,
    UserPool,
    aws_region,
    physical_name,
    table_name_for,
    uses,
)
from chalicelib.core.routes import BODY_LIMIT_ATTRIBUTE


class Recorder:
    """Thread-safe: what each handler received; ``wait`` is woken by each arrival, not by polling."""

    def __init__(self) -> None:
        self._arrived = threading.Condition()
        self._events: dict[str, list[dict[str, Any]]] = defaultdict(list)

    def add(self, handler: str, event: dict[str, Any]) -> None:
        with self._arrived:
            self._events[handler].append(event)
            self._arrived.notify_all()

    def events(self, handler: str) -> list[dict[str, Any]]:
        with self._arrived:
            return list(self._events[handler])

    def wait(self, handler: str, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        with self._arrived:
            if not self._arrived.wait_for(lambda: len(self._events[handler]) >= count, timeout):
                raise TimeoutError(f"{handler} got {len(self._events[handler])} events, expected {count}")
            return list(self._events[handler])

    def clear(self) -> None:
        with self._arrived:
            self._events.clear()


RECORDER = Recorder()


class ItemModel(Model):
    class Meta:
        logical_name = "pump-items"
        table_name = table_name_for(logical_name)
        region = aws_region()

    pk = UnicodeAttribute(hash_key=True)
    value = NumberAttribute(default=0)


ITEMS = Table.of(ItemModel, stream="NEW_AND_OLD_IMAGES")
JOBS = Queue("jobs", visibility_timeout=30)
FLAKY = Queue("flaky", visibility_timeout=30, max_receives=3)
PARTIAL = Queue("partial", visibility_timeout=30, max_receives=5)
UPLOADS = Bucket("uploads")
NEWS = Topic("news")
EVENTS = Topic("events")  # domain events, with a ``type`` message attribute
POST_EVENTS = Queue("post-events", visibility_timeout=30,
                    subscriptions=(Subscription(EVENTS, types=("post.created", "post.deleted")),))
ALL_EVENTS = Queue("all-events", visibility_timeout=30, subscriptions=(Subscription(EVENTS),))
PEOPLE = UserPool("people", password_policy=PasswordPolicy(min_length=12, require_symbols=True), groups=("admins",))



class GuardedModel(Model):
    """A table every route of the fixture only reads (so ``api_handler`` may only read it)."""

    class Meta:
        logical_name = "guarded"
        table_name = table_name_for(logical_name)
        region = aws_region()

    pk = UnicodeAttribute(hash_key=True)


GUARDED = Table.of(GuardedModel)
ALERTS = Topic("alerts")  # no subscribers: publishing to it wakes no handler
ALARMS = Queue("alarms", visibility_timeout=30, max_receives=1)  # its handler publishes without the grant
NOTICES = Queue("notices", visibility_timeout=30, max_receives=1)  # its handler publishes with the grant

MANIFEST = Manifest(tables=(ITEMS, GUARDED), queues=(JOBS, FLAKY, PARTIAL, POST_EVENTS, ALL_EVENTS, ALARMS, NOTICES),
                    topics=(NEWS, EVENTS, ALERTS), buckets=(UPLOADS,), user_pool=PEOPLE)

app = Chalice(app_name="pump-fixture")


@app.on_sqs_message(queue=JOBS.name, batch_size=5)
def take_jobs(event: SQSEvent) -> None:
    RECORDER.add("take_jobs", event.to_dict())


@app.on_sqs_message(queue=FLAKY.name, batch_size=1)
def always_fails(event: SQSEvent) -> None:
    RECORDER.add("always_fails", event.to_dict())
    raise RuntimeError("this handler always fails")


@app.on_sqs_message(queue=PARTIAL.name, batch_size=10)
def fails_some(event: SQSEvent) -> dict[str, Any]:
    """Fails the records whose body starts with "bad" the first time they come."""
    RECORDER.add("fails_some", event.to_dict())
    records = [record.to_dict() for record in event]
    return {"batchItemFailures": [{"itemIdentifier": r["messageId"]} for r in records
                                  if r["body"].startswith("bad") and r["attributes"]["ApproximateReceiveCount"] == "1"]}


@app.on_sqs_message(queue=POST_EVENTS.name, batch_size=10)
def post_events(event: SQSEvent) -> None:
    RECORDER.add("post_events", event.to_dict())


@app.on_sqs_message(queue=ALL_EVENTS.name, batch_size=10)
def all_events(event: SQSEvent) -> None:
    RECORDER.add("all_events", event.to_dict())


@app.on_s3_event(bucket=UPLOADS.name)
def uploaded(event: S3Event) -> None:
    RECORDER.add("uploaded", {"bucket": event.bucket, "key": event.key, "raw": event.to_dict()})


@app.on_sns_message(topic=NEWS.name)
def news(event: SNSEvent) -> None:
    RECORDER.add("news", {"message": event.message, "subject": event.subject, "raw": event.to_dict()})


@app.on_dynamodb_record(stream_arn=ITEMS.name)
def item_changes(event: DynamoDBEvent) -> None:
    """Records every batch; fails any batch holding the item "poison"."""
    RECORDER.add("item_changes", event.to_dict())
    if any(record.keys == {"pk": {"S": "poison"}} for record in event):
        raise ValueError("poison record")


@app.schedule(Rate(1, unit=Rate.MINUTES))
def every_minute(event: CloudWatchEvent) -> None:
    RECORDER.add("every_minute", event.to_dict())


@app.schedule("cron(0 12 * * ? *)")
def at_noon(event: CloudWatchEvent) -> str:
    RECORDER.add("at_noon", event.to_dict())
    return "noon done"


@app.route("/echo/{word}")
def echo(word: str) -> dict[str, Any]:
    request = app.current_request
    assert request is not None
    return {"word": word, "query": request.query_params, "path": request.path}


TOGETHER = 16
_together = threading.Barrier(TOGETHER, timeout=10)


@app.route("/together/{word}")
def together(word: str) -> dict[str, Any]:
    """``echo``, answered only once TOGETHER requests are inside the app at the same time."""
    _together.wait()  # every one of them has set its current_request before any reads it
    request = app.current_request  # another request's, if current_request were shared between threads
    assert request is not None
    return {"word": word, "query": request.query_params, "path": request.path}


def _aws_error(call: Callable[[], object]) -> str | None:
    """The AWS error code ``call`` met (through PynamoDB or boto3), or None when it succeeded."""
    try:
        call()
    except PynamoDBException as error:
        return error.cause_response_code
    except ClientError as error:
        return str(error.response["Error"]["Code"])
    return None


@app.route("/guarded/{pk}", methods=["PUT"])
@uses(GUARDED.read())
def write_what_was_only_read(pk: str) -> dict[str, Any]:
    """Declares read, writes: the answer carries what AWS (and the local platform) said."""
    return {"error": _aws_error(GuardedModel(pk=pk).save)}


@app.route("/guarded/{pk}", methods=["GET"])
@uses(GUARDED.read())
def read_what_was_declared(pk: str) -> dict[str, Any]:
    found: list[bool] = []
    error = _aws_error(lambda: found.append(GuardedModel.count(pk) == 1))
    return {"error": error, "found": found == [True]}


def _announce(handler: str, event: SQSEvent) -> None:
    import boto3

    for record in event:
        code = _aws_error(lambda body=record.body: boto3.client("sns").publish(  # type: ignore[misc]
            TopicArn=physical_name(ALERTS), Message=body))
        RECORDER.add(handler, {"body": record.body, "error": code})
        if code is not None:
            raise RuntimeError(f"publishing failed with {code}")


@app.on_sqs_message(queue=ALARMS.name)
def announce_undeclared(event: SQSEvent) -> None:
    """Publishes to a topic it did not declare: AWS refuses it."""
    _announce("announce_undeclared", event)


@app.on_sqs_message(queue=NOTICES.name)
@uses(ALERTS.publish())
def announce_declared(event: SQSEvent) -> None:
    _announce("announce_declared", event)


@app.route("/body", methods=["POST"], content_types=["application/json", "text/plain"])
def body() -> dict[str, Any]:
    """The request body as the app received it."""
    request = app.current_request
    assert request is not None
    raw = request.raw_body
    return {"body": raw if isinstance(raw, str) else raw.decode("utf-8")}


UPLOAD_LIMIT = 256 * 1024


@app.route("/upload", methods=["POST"], content_types=["application/octet-stream"])
def upload() -> dict[str, Any]:
    """Its size, for a route that declares a larger body limit than the platform's (as uploads do)."""
    request = app.current_request
    assert request is not None
    return {"size": len(request.raw_body)}


setattr(upload, BODY_LIMIT_ATTRIBUTE, UPLOAD_LIMIT)
