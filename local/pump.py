"""The event pump: delivers SQS, S3, SNS, DynamoDB stream and schedule events to the Chalice handlers.

One thread per wire polls its source (each poll is short and bounded) and
calls the handler as Lambda would, with Lambda's semantics:

* SQS: up to ``batch_size`` messages received with the queue's visibility
  timeout; success deletes them all; ``{"batchItemFailures": [...]}`` deletes
  all but those; an exception deletes none, so they come back after the
  visibility timeout and moto's redrive moves them to the dead-letter queue
  after ``max_receives`` receives.
* S3 and SNS (asynchronous on AWS): one invocation per notification; a
  failure is retried twice through the internal queue, then parked.
* DynamoDB streams: per shard from where the pump started (LATEST); a failed
  batch is retried ``stream_retries`` times (from the first failed record when
  the handler reports ``batchItemFailures``) and then skipped.
* Schedules: evaluated by the pump's clock at minute resolution; ``fire(name)``
  runs one now.

A handler's error is logged with its name and never stops the pump.

Latency without busy polling: after an empty poll a source sleeps until
``poke()`` or ``idle_interval`` (1 s by default), whichever comes first. The
platform pokes after every write anyone but the pump makes to moto, with the
``Change`` it made, and only the sources that change can feed wake: a DynamoDB
write wakes the streams of the tables it names, an SQS call the queue it names,
an SNS publish or an S3 write the queues (moto delivers those synchronously),
Cognito or Secrets Manager nobody. So a write, a send or a publish is picked up
within milliseconds, and a handler's writes to a table without a stream cost
no polls at all, while an idle pump makes about one cheap request per source
per ``idle_interval``. The interval still bounds what no request announces:
messages becoming visible again after their visibility timeout, and the
schedule clock. ``clients`` must be quiet ones (``user_agent_extra=QUIET_AGENT``),
or the pump's own polls would poke it forever.

Usage::

    pump = EventPump(invoker, wires, quiet_clients).start()
    moto.on_change(pump.poke)             # pump.poke(Change(...)): the sources it can feed; poke(): all
    ...                                   # send a message, upload, publish, write
    pump.drain(timeout=5)                 # every source has polled empty since the call
    pump.deliveries("fan_out")            # what was delivered, and how it went
    pump.fire("nightly")                  # run a schedule handler now
    pump.stop()
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

from botocore.exceptions import ClientError

from local.clients import Clients
from local.events import (
    dynamodb_event,
    dynamodb_record,
    s3_event,
    s3_records,
    scheduled_event,
    sns_event,
    sns_record,
    sqs_event,
    sqs_record,
)
from local.handlers import Invoker
from local.wiring import QueueWire, S3Wire, ScheduleWire, SnsWire, StreamWire, Wire

if TYPE_CHECKING:
    from local.aws import Change

log = logging.getLogger("local.pump")

Clock = Callable[[], datetime]
Outcome = Literal["ok", "partial", "error"]
# Services whose writes feed no source here (moto sends none of their events anywhere we poll).
INERT_SERVICES = frozenset({"cognito-idp", "secretsmanager", "ses", "sts", "kms", "logs", "monitoring", "xray",
                            "execute-api"})


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Delivery:
    """One invocation: which handler, what it got (ids), how it went."""

    handler: str
    source: str
    ids: tuple[str, ...]
    outcome: Outcome
    failed: tuple[str, ...] = ()
    error: str | None = None


class _Journal:
    """The pump's record of deliveries and of how often each id was delivered."""

    def __init__(self, size: int = 10_000) -> None:
        self._lock = threading.Lock()
        self._deliveries: deque[Delivery] = deque(maxlen=size)
        self._attempts: Counter[str] = Counter()

    def add(self, delivery: Delivery) -> None:
        with self._lock:
            self._deliveries.append(delivery)
            self._attempts.update(delivery.ids)

    def deliveries(self, handler: str | None) -> list[Delivery]:
        with self._lock:
            return [d for d in self._deliveries if handler is None or d.handler == handler]

    def attempts(self, record_id: str) -> int:
        with self._lock:
            return self._attempts[record_id]


class _Source:
    """One polled source; ``poll`` returns how many records it handled (0: it found nothing)."""

    name: str

    def __init__(self, pump: EventPump, handler: str, kind: str) -> None:
        self.pump = pump
        self.handler = handler
        self.kind = kind
        self.name = f"{kind}:{handler}"

    def poll(self) -> int:
        raise NotImplementedError

    def wakes_on(self, change: Change) -> bool:
        """Whether ``change`` can have given this source something to deliver (unknown: yes)."""
        return change.service not in INERT_SERVICES

    def call(self, event: dict[str, Any], ids: Sequence[str]) -> tuple[Any, BaseException | None]:
        """Invoke the handler; record and log the outcome; never raise."""
        try:
            result = self.pump.invoker.invoke(self.handler, event)
        except Exception as error:
            log.exception("handler %s failed on %s %s", self.handler, self.kind, ", ".join(ids))
            self.pump.journal.add(Delivery(self.handler, self.kind, tuple(ids), "error", tuple(ids), repr(error)))
            return None, error
        failed = batch_failures(result, ids)
        if failed:
            log.warning("handler %s reported %d failed record(s) on %s", self.handler, len(failed), self.kind)
        outcome: Outcome = "partial" if failed else "ok"
        self.pump.journal.add(Delivery(self.handler, self.kind, tuple(ids), outcome, tuple(sorted(failed))))
        return result, None


def batch_failures(result: Any, ids: Sequence[str]) -> set[str]:
    """The ids a handler's ``batchItemFailures`` names; all of them when the answer is malformed (as Lambda does)."""
    if not isinstance(result, dict) or not result.get("batchItemFailures"):
        return set()
    failed: set[str] = set()
    for item in result["batchItemFailures"]:
        identifier = item.get("itemIdentifier") if isinstance(item, dict) else None
        if not identifier or identifier not in ids:
            return set(ids)
        failed.add(str(identifier))
    return failed


class _QueueSource(_Source):
    """The SQS behaviour shared by declared queues and the internal S3/SNS queues."""

    def __init__(self, pump: EventPump, handler: str, kind: str, url: str, batch_size: int,
                 visibility_timeout: int | None, topics: frozenset[str] = frozenset()) -> None:
        super().__init__(pump, handler, kind)
        self.url = url
        self.queue_name = url.rstrip("/").rsplit("/", 1)[-1]
        self.topics = topics  # the ARNs of the topics that deliver to this queue
        self.batch_size = batch_size
        self.visibility_timeout = visibility_timeout

    def receive(self) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = []
        while len(messages) < self.batch_size:
            wanted = min(10, self.batch_size - len(messages))
            params: dict[str, Any] = {"QueueUrl": self.url, "MaxNumberOfMessages": wanted, "WaitTimeSeconds": 0,
                                      "AttributeNames": ["All"], "MessageAttributeNames": ["All"]}
            if self.visibility_timeout is not None:
                params["VisibilityTimeout"] = self.visibility_timeout
            got = self.pump.clients.sqs.receive_message(**params).get("Messages", [])
            messages.extend(got)
            if len(got) < wanted:
                break
        return messages

    def wakes_on(self, change: Change) -> bool:
        # moto delivers a publish to its subscribed queues, and an S3 write to its notified ones, within
        # the request: the queue has it when the poke comes. DynamoDB never writes to a queue.
        if change.service == "dynamodb" or change.service in INERT_SERVICES:
            return False
        if change.names is None:
            return True
        if change.service == "sqs":
            return self.queue_name in change.names
        if change.service == "sns":
            return not self.topics.isdisjoint(change.names)
        return True

    def delete(self, messages: Iterable[dict[str, Any]]) -> None:
        entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)]
        for start in range(0, len(entries), 10):
            self.pump.clients.sqs.delete_message_batch(QueueUrl=self.url, Entries=entries[start:start + 10])


class _SqsSource(_QueueSource):
    def __init__(self, pump: EventPump, wire: QueueWire) -> None:
        super().__init__(pump, wire.handler, "sqs", wire.url, wire.batch_size, wire.visibility_timeout, wire.topics)
        self.arn = wire.arn

    def poll(self) -> int:
        messages = self.receive()
        if not messages:
            return 0
        ids = [m["MessageId"] for m in messages]
        event = sqs_event([sqs_record(m, self.arn, self.pump.clients.region) for m in messages])
        result, error = self.call(event, ids)
        if error is None:
            failed = batch_failures(result, ids)
            self.delete(m for m in messages if m["MessageId"] not in failed)
        return len(messages)


class _S3Source(_QueueSource):
    def __init__(self, pump: EventPump, wire: S3Wire) -> None:
        super().__init__(pump, wire.handler, "s3", wire.url, 10, None)

    def poll(self) -> int:
        messages = self.receive()
        for message in messages:
            records = s3_records(message.get("Body", "{}"), self.pump.clients.region)
            failed = False
            for record in records:  # S3 sends one record per notification
                ids = [f"s3://{record['s3']['bucket']['name']}/{record['s3']['object']['key']}"]
                failed = self.call(s3_event(record), ids)[1] is not None or failed
            if not failed:
                self.delete([message])
        return len(messages)


class _SnsSource(_QueueSource):
    def __init__(self, pump: EventPump, wire: SnsWire) -> None:
        super().__init__(pump, wire.handler, "sns", wire.url, 10, None, frozenset({wire.topic_arn}))
        self.subscription_arn = wire.subscription_arn

    def poll(self) -> int:
        messages = self.receive()
        for message in messages:
            envelope = json.loads(message["Body"])
            _, error = self.call(sns_event(sns_record(envelope, self.subscription_arn)), [envelope["MessageId"]])
            if error is None:
                self.delete([message])
        return len(messages)


class _StreamSource(_Source):
    """A table's stream, read shard by shard as Lambda reads it.

    Each read follows the previous one's ``NextShardIterator``, as Lambda does:
    one call per poll. An iterator moto refuses (or none yet) is renewed from the
    last sequence number read (``AFTER_SEQUENCE_NUMBER``). moto 5.2 used to
    replace a table's stream shard when it rolled back a cancelled transaction,
    leaving old iterators on a dead shard; ``local.moto_dynamodb`` rolls back
    in place, and the renewal keeps the pump safe should that come back.
    """

    def __init__(self, pump: EventPump, wire: StreamWire) -> None:
        super().__init__(pump, wire.handler, "dynamodb")
        self.wire = wire
        self.table = wire.stream_arn.split(":table/", 1)[-1].split("/stream/", 1)[0]  # physical: what writes name
        streams = pump.clients.streams
        shards = streams.describe_stream(StreamArn=wire.stream_arn)["StreamDescription"]["Shards"]
        # Last sequence number read per shard; None reads from the shard's start.
        self.positions: dict[str, str | None] = {shard["ShardId"]: None for shard in shards}
        if wire.starting_position != "TRIM_HORIZON":  # LATEST: skip what is already there
            for shard in self.positions:
                self.positions[shard] = self._last_sequence(shard)
        self.pending: dict[str, list[dict[str, Any]]] = {shard: [] for shard in self.positions}
        self.failures: dict[str, int] = {shard: 0 for shard in self.positions}
        self.iterators: dict[str, str | None] = {shard: None for shard in self.positions}  # the next read's

    def wakes_on(self, change: Change) -> bool:
        if change.service is None:
            return True
        return change.service == "dynamodb" and (change.names is None or self.table in change.names)

    def _iterator(self, shard: str, after: str | None) -> str:
        """An iterator just after sequence number ``after`` (``None``: the shard's start)."""
        where: dict[str, str] = ({"ShardIteratorType": "TRIM_HORIZON"} if after is None else
                                 {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": after})
        answer = self.pump.clients.streams.get_shard_iterator(StreamArn=self.wire.stream_arn, ShardId=shard, **where)
        return str(answer["ShardIterator"])

    def _last_sequence(self, shard: str) -> str | None:
        last = None
        while records := self.pump.clients.streams.get_records(ShardIterator=self._iterator(shard, last),
                                                               Limit=1000).get("Records", []):
            last = records[-1]["dynamodb"]["SequenceNumber"]
        return last

    def poll(self) -> int:
        handled = 0
        for shard in self.positions:
            if not self.pending[shard]:
                records = self._read(shard)
                if records:
                    self.positions[shard] = records[-1]["dynamodb"]["SequenceNumber"]
                self.pending[shard] = [dynamodb_record(r, self.wire.stream_arn, self.pump.clients.region)
                                       for r in records]
            if self.pending[shard]:
                handled += len(self.pending[shard])
                self._deliver(shard)
        return handled

    def _read(self, shard: str) -> list[dict[str, Any]]:
        """The next records of ``shard`` after the last one read (at most the wire's batch size)."""
        streams = self.pump.clients.streams
        iterator = self.iterators[shard]
        answer: dict[str, Any] | None = None
        if iterator is not None:
            try:
                answer = streams.get_records(ShardIterator=iterator, Limit=self.wire.batch_size)
            except ClientError:  # expired or unknown: start again from the last record read
                answer = None
        if answer is None:
            answer = streams.get_records(ShardIterator=self._iterator(shard, self.positions[shard]),
                                         Limit=self.wire.batch_size)
        self.iterators[shard] = answer.get("NextShardIterator")
        return list(answer.get("Records", []))

    def _deliver(self, shard: str) -> None:
        records = self.pending[shard]
        ids = [r["dynamodb"]["SequenceNumber"] for r in records]
        result, error = self.call(dynamodb_event(records), ids)
        failed = set(ids) if error is not None else batch_failures(result, ids)
        if not failed:
            self.pending[shard], self.failures[shard] = [], 0
            return
        self.failures[shard] += 1
        if self.failures[shard] > self.pump.stream_retries:
            log.error("handler %s: giving up on %d stream record(s) after %d attempts",
                      self.handler, len(records), self.failures[shard])
            self.pending[shard], self.failures[shard] = [], 0
            return
        first = min(ids.index(i) for i in failed)  # Lambda checkpoints before the first failure
        self.pending[shard] = records[first:]


class _ScheduleSource(_Source):
    """Every schedule, checked once per new minute of the pump's clock."""

    def __init__(self, pump: EventPump, wires: Sequence[ScheduleWire]) -> None:
        super().__init__(pump, "schedules", "schedule")
        self.wires = list(wires)
        self.started = pump.clock()
        self.last_minute = self.started.replace(second=0, microsecond=0)

    def wakes_on(self, change: Change) -> bool:
        return False  # the clock, not AWS, makes a schedule due

    def poll(self) -> int:
        now = self.pump.clock()
        minute = now.replace(second=0, microsecond=0)
        if minute <= self.last_minute:
            return 0
        self.last_minute = minute
        due = [w for w in self.wires if w.schedule.is_due(minute, self.started)]
        for schedule in due:
            self.pump.run_schedule(schedule, minute)
        return len(due)


class _Worker(threading.Thread):
    """Polls one source until stopped; after an empty poll, waits for a poke or ``idle_interval``."""

    def __init__(self, pump: EventPump, source: _Source) -> None:
        super().__init__(name=f"local-pump-{source.name}", daemon=True)
        self.pump = pump
        self.source = source
        self.idle_poll_started: float | None = None  # start of the latest poll that found nothing
        self.pokes = 0  # the pokes that woke this source (``EventPump.poke``)

    def run(self) -> None:
        while not self.pump.stopping.is_set():
            started = time.monotonic()
            seen = self.pokes  # a poke from now on makes the next wait return at once
            try:
                handled = self.source.poll()
            except Exception:
                if self.pump.stopping.is_set():
                    return
                log.exception("pump source %s could not be polled", self.source.name)
                handled = 0
            with self.pump.changed:
                self.idle_poll_started = started if handled == 0 else None
                self.pump.changed.notify_all()
            if handled == 0:
                self.pump.wait_for_poke(self, seen, self.pump.idle_interval)


class EventPump:
    """Background delivery of every wired event source to its handler."""

    def __init__(self, invoker: Invoker, wires: Sequence[Wire], clients: Clients, *, idle_interval: float = 1.0,
                 clock: Clock = utc_now, stream_retries: int = 2) -> None:
        self.invoker = invoker
        self.wires = list(wires)
        self.clients = clients
        self.idle_interval = idle_interval
        self.clock = clock
        self.stream_retries = stream_retries
        self.journal = _Journal()
        self.stopping = threading.Event()
        self.changed = threading.Condition()
        self._poked = threading.Condition()
        self._schedules = {w.handler: w for w in self.wires if isinstance(w, ScheduleWire)}
        self._workers: list[_Worker] = []

    def start(self) -> EventPump:
        """Open the sources (streams start at LATEST now) and start one thread per source."""
        sources: list[_Source] = []
        for wire in self.wires:
            if isinstance(wire, QueueWire):
                sources.append(_SqsSource(self, wire))
            elif isinstance(wire, S3Wire):
                sources.append(_S3Source(self, wire))
            elif isinstance(wire, SnsWire):
                sources.append(_SnsSource(self, wire))
            elif isinstance(wire, StreamWire):
                sources.append(_StreamSource(self, wire))
        if self._schedules:
            sources.append(_ScheduleSource(self, list(self._schedules.values())))
        self._workers = [_Worker(self, source) for source in sources]
        for worker in self._workers:
            worker.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop polling and wait for the threads (a running handler is allowed to finish)."""
        self.stopping.set()
        with self._poked:
            self._poked.notify_all()
        for worker in self._workers:
            worker.join(timeout)
        alive = [w.name for w in self._workers if w.is_alive()]
        if alive:
            log.warning("pump threads still running after %.0fs: %s", timeout, ", ".join(alive))

    def poke(self, change: Change | None = None) -> None:
        """``change`` may have been made on AWS: each idle source it can feed polls now; every source
        without one (cheap; safe from any thread)."""
        with self._poked:
            for worker in self._workers:
                if change is None or worker.source.wakes_on(change):
                    worker.pokes += 1
            self._poked.notify_all()

    def wait_for_poke(self, worker: _Worker, seen: int, timeout: float) -> None:
        """Sleep until ``worker`` is poked after its count ``seen``, ``stop()``, or ``timeout`` seconds."""
        with self._poked:
            self._poked.wait_for(lambda: worker.pokes != seen or self.stopping.is_set(), timeout)

    @property
    def threads(self) -> list[threading.Thread]:
        return list(self._workers)

    def drain(self, timeout: float = 10.0) -> None:
        """Wait until every source has polled and found nothing since this call; ``TimeoutError`` otherwise.

        Messages that a failed handler left invisible do not count: they are
        not deliverable yet (wait for them with ``wait_for``).
        """
        since = time.monotonic()
        self.poke()  # nobody waits out an idle interval

        def idle() -> bool:
            return all(w.idle_poll_started is not None and w.idle_poll_started >= since for w in self._workers)

        with self.changed:
            if not self.changed.wait_for(idle, timeout):
                busy = [w.source.name for w in self._workers
                        if w.idle_poll_started is None or w.idle_poll_started < since]
                raise TimeoutError(f"the pump is still busy after {timeout}s: {', '.join(busy)}")

    def wait_for(self, condition: Callable[[], bool], timeout: float = 10.0, interval: float = 0.05) -> None:
        """Poll ``condition`` until it holds; ``TimeoutError`` after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise TimeoutError(f"condition not met within {timeout}s")
            time.sleep(interval)

    def fire(self, name: str) -> Any:
        """Run schedule handler ``name`` now, in this thread, with a scheduled event; its result or its error."""
        if name not in self._schedules:
            raise LookupError(f"no schedule handler named {name!r}; known: {', '.join(self._schedules) or 'none'}")
        wire = self._schedules[name]
        event = scheduled_event(wire.rule_arn, self.clients.region, self.clock())
        try:
            result = self.invoker.invoke(name, event)
        except Exception as error:
            self.journal.add(Delivery(name, "schedule", (event["id"],), "error", (event["id"],), repr(error)))
            raise
        self.journal.add(Delivery(name, "schedule", (event["id"],), "ok"))
        return result

    def run_schedule(self, wire: ScheduleWire, minute: datetime) -> None:
        """Run one due schedule from the pump's thread: errors are logged, not raised."""
        event = scheduled_event(wire.rule_arn, self.clients.region, minute)
        _Source(self, wire.handler, "schedule").call(event, [event["id"]])

    def deliveries(self, handler: str | None = None) -> list[Delivery]:
        return self.journal.deliveries(handler)

    def attempts(self, record_id: str) -> int:
        """How many times the record with this id (SQS message id, SNS message id, ``s3://b/k``, stream
        sequence number) was delivered."""
        return self.journal.attempts(record_id)

