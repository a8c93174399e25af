"""moto's DynamoDB made to stay fast as tables grow, with the same answers and the same rollback.

Two costs in moto 5.2 grow with a table's size, not with the request:

* ``TransactWriteItems`` deep-copies every table it names before it starts, to put the copies back if
  the transaction is cancelled (``moto/dynamodb/models/__init__.py``). A post's transaction took 17 ms
  on an empty platform and 67 ms after 400 posts.
* ``Query`` on a table's own key walks ``Table.all_items()``, every item of the table sorted, to keep
  those of one partition, then sorts the partition with ``DynamoType`` comparisons before it stops at
  ``Limit`` (``moto/dynamodb/models/table.py``).

``install()`` replaces both, in this process, once:

* A transaction keeps a journal instead: the prior state of only the items it names (a copy of each, or
  "absent") and the length of each table's stream shard. If moto cancels it (a failed condition, a
  validation error, two operations on one item), the journal puts those items back and drops the stream
  records the transaction appended, so the tables and streams are exactly as before; a committed
  transaction is untouched. The table objects stay the same, so open stream iterators stay valid, where
  moto's swap had left them on a replaced shard.
* A query on the table's own key reads only its page: each partition of a table with a range key is kept in
  key order (a ``SortedDict`` by the key's native value), and ``all_items()`` answers, for the duration of the
  query on that thread, with the slice moto's loop would act on: the items the key condition and the start key
  keep, up to ``Limit`` + 1 (moto reads one more to know a next page exists), found by bisection. moto still
  sorts, checks the condition, applies the filter and pages them. A home timeline page read 8,000 entries to
  answer 22 (47 ms); it now reads 23 (11 ms, the same as at 100).

moto's own transaction code still runs (its conditions, its cancellation reasons, its errors): only the
table copy it rolls back to is replaced by the journal. Tables are not copied anywhere else in that module.
The local platform serialises DynamoDB calls (``local.aws``), stream reads included, so nobody reads a
stream record that a rollback then drops.

Usage::

    from local import moto_dynamodb
    moto_dynamodb.install()   # idempotent; MotoServer.start() calls it
"""

from __future__ import annotations

import base64
import copy
import decimal
import inspect
import threading
import types
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from moto.dynamodb import models as dynamodb_models
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import Table
from sortedcontainers import SortedDict

_installed = False
_install_lock = threading.Lock()
# .key while a query runs on this thread: (table, hash key, []) on the table's key, (table, None, the index's
# hash key conditions) on an index.
_partition = threading.local()


@dataclass
class _Journal:
    """The prior state of the items a transaction names, and its tables' stream lengths."""

    priors: dict[tuple[int, DynamoType, DynamoType | None], tuple[Table, Item | None]] = field(default_factory=dict)
    streams: dict[int, tuple[Table, int]] = field(default_factory=dict)

    @classmethod
    def of(cls, backend: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> _Journal:
        journal = cls()
        for entry in transact_items:
            for op in entry.values():
                name = op.get("TableName") if isinstance(op, dict) else None
                table = backend.tables.get(name) if isinstance(name, str) else None
                key = _key(table, op) if table is not None else None
                if table is None or key is None:
                    continue  # moto refuses the operation before it writes anything
                journal.remember(table, *key)
        return journal

    def remember(self, table: Table, hash_key: DynamoType, range_key: DynamoType | None) -> None:
        slot = (id(table), hash_key, range_key)
        if slot not in self.priors:  # the first state is the one to go back to
            current = _stored(table, hash_key, range_key)
            self.priors[slot] = (table, copy.deepcopy(current) if current is not None else None)
        if table.stream_shard is not None and id(table) not in self.streams:
            self.streams[id(table)] = (table, len(table.stream_shard.items))

    def restore(self) -> None:
        for (_, hash_key, range_key), (table, prior) in self.priors.items():
            stored: dict[Any, Any] = table.items  # {hash: item}, or {hash: {range: item}} with a range key
            if range_key is None:
                if prior is None:
                    stored.pop(hash_key, None)
                else:
                    stored[hash_key] = prior
            elif prior is None:
                stored[hash_key].pop(range_key, None)
            else:
                stored[hash_key][range_key] = prior
        for table, length in self.streams.values():
            if table.stream_shard is not None:
                del table.stream_shard.items[length:]


def _key(table: Table, op: dict[str, Any]) -> tuple[DynamoType, DynamoType | None] | None:
    """The key an operation writes (a Put's from its item), or None if it names no valid key."""
    attrs = op.get("Key") or op.get("Item")
    if not isinstance(attrs, dict) or table.hash_key_attr not in attrs:
        return None
    try:
        hash_key = DynamoType(attrs[table.hash_key_attr])
        if table.range_key_attr is None:
            return hash_key, None
        if table.range_key_attr not in attrs:
            return None
        return hash_key, DynamoType(attrs[table.range_key_attr])
    except (TypeError, ValueError, AttributeError, IndexError):  # a malformed attribute value
        return None


def _stored(table: Table, hash_key: DynamoType, range_key: DynamoType | None) -> Item | None:
    if range_key is None:
        stored = table.items.get(hash_key)
        return stored if isinstance(stored, Item) else None
    partition = table.items.get(hash_key)
    return partition.get(range_key) if isinstance(partition, dict) else None


def _journaled(original: Callable[[DynamoDBBackend, list[dict[str, Any]]], None]
               ) -> Callable[[DynamoDBBackend, list[dict[str, Any]]], None]:
    def transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
        journal = _Journal.of(self, transact_items)
        try:
            original(self, transact_items)
        except BaseException:
            journal.restore()
            raise

    return transact_write_items


def _uncopied_tables() -> types.SimpleNamespace:
    """A stand-in for the ``copy`` module in moto's backend module: tables are journaled, not copied."""

    def deepcopy(value: Any, memo: dict[int, Any] | None = None) -> Any:
        return value if isinstance(value, Table) else copy.deepcopy(value, memo)

    return types.SimpleNamespace(deepcopy=deepcopy, copy=copy.copy)


@dataclass(frozen=True)
class _Window:
    """What a key query asks of its partition, to hand moto only the items its loop would look at."""

    comparison: str | None  # moto's range comparison ("<", "BETWEEN", "begins_with", ...), None for none
    bounds: list[DynamoType]
    limit: int | None
    start: DynamoType | None  # the exclusive start key's range key
    forward: bool

    def indices(self, partition: SortedDict) -> tuple[int, int] | None:
        """The slice of the partition (in key order) holding every item moto's loop would act on: the items
        the key condition and the start key keep, and, past them in the query's direction, up to ``limit`` + 1
        in all (moto reads one more to know there is a next page). None when this cannot be worked out
        natively (moto then reads the whole partition, as before)."""
        size = len(partition)
        left, right = partition.bisect_key_left, partition.bisect_key_right
        if any(bound.type not in ("S", "N") for bound in self.bounds):
            return None
        values = [_native(bound) for bound in self.bounds]
        operator = (self.comparison or "").upper()
        if len(values) != (0 if not operator else 2 if operator == "BETWEEN" else 1):
            return None
        low, high = 0, size
        if not operator:
            pass
        elif operator in ("EQ", "="):
            low, high = left(values[0]), right(values[0])
        elif operator in ("LT", "<"):
            high = left(values[0])
        elif operator in ("LE", "<="):
            high = right(values[0])
        elif operator in ("GT", ">"):
            low = right(values[0])
        elif operator in ("GE", ">="):
            low = left(values[0])
        elif operator == "BETWEEN":
            low, high = left(values[0]), right(values[1])
        elif operator == "BEGINS_WITH" and isinstance(values[0], str) and values[0] and values[0][-1] < chr(0x10FFFF):
            prefix: str = values[0]
            # Strings with the prefix are exactly those from it up to (not including) its successor.
            low, high = left(prefix), left(prefix[:-1] + chr(ord(prefix[-1]) + 1))
        else:
            return None
        if self.start is not None:
            if self.start.type not in ("S", "N"):
                return None
            if self.forward:
                low = max(low, right(_native(self.start)))
            else:
                high = min(high, left(_native(self.start)))
        seen = None if self.limit is None else self.limit + 1
        if self.forward:
            return low, size if seen is None else min(size, low + seen)
        return (0 if seen is None else max(0, high - seen)), high


def _window(signature: inspect.Signature, table: Table, hash_key: DynamoType, args: tuple[Any, ...],
            kwargs: dict[str, Any]) -> _Window | None:
    """The window of a query on ``table``'s own key, or None when moto must read the whole partition."""
    if not table.range_key_attr:  # the partition is one item: nothing to window
        return None
    asked = signature.bind(table, hash_key, *args, **kwargs).arguments
    if asked.get("filter_kwargs"):  # legacy QueryFilter: counted in moto's loop
        return None
    start_key = asked.get("exclusive_start_key")
    start = None
    if start_key:
        if table.hash_key_attr not in start_key or table.range_key_attr not in start_key \
                or DynamoType(start_key[table.hash_key_attr]) != hash_key:
            return None
        start = DynamoType(start_key[table.range_key_attr])
    conditions = asked.get("range_key_conditions") or []
    if len(conditions) > 1 or (conditions and conditions[0][0] != table.range_key_attr):
        return None
    limit = asked.get("limit")
    return _Window(asked.get("range_comparison"), list(asked.get("range_objs") or []),
                   int(limit) if limit is not None else None, start, asked.get("scan_index_forward", True) is not False)


def _partition_query(original: Callable[..., Any]) -> Callable[..., Any]:
    signature = inspect.signature(original)
    index_at = list(signature.parameters).index("index_name") - 2  # in *args after hash_key

    def query(self: Table, hash_key: DynamoType | None, *args: Any, **kwargs: Any) -> Any:
        index_name = args[index_at] if len(args) > index_at else kwargs.get("index_name")
        if index_name:
            _partition.key = (self, None, kwargs.get("hash_key_conditions") or [], None)
        elif hash_key is not None:
            _partition.key = (self, hash_key, [], _window(signature, self, hash_key, args, kwargs))
        else:
            return original(self, hash_key, *args, **kwargs)
        try:
            return original(self, hash_key, *args, **kwargs)
        finally:
            _partition.key = None

    return query


def _partition_items(original: Callable[[Table], list[Item]]) -> Callable[[Table], list[Item]]:
    def all_items(self: Table) -> list[Item]:
        scope = getattr(_partition, "key", None)
        if scope is None or scope[0] is not self:
            return original(self)
        hash_key, conditions, window = scope[1], scope[2], scope[3]
        if hash_key is None:  # an index query: the index's key matched natively; moto checks and sorts again
            wanted = [(name, value.type, _native(value)) for name, value in conditions]
            return [item for partition in self.items.values()
                    for item in (partition.values() if isinstance(partition, dict) else (partition,))
                    if all(_matches(item.attrs.get(name), kind, value) for name, kind, value in wanted)]
        stored = self.items.get(hash_key)
        if stored is None:
            return []
        if not self.range_key_attr:
            return [stored] if isinstance(stored, Item) else []
        if not isinstance(stored, SortedDict):  # a partition made before install()
            return sorted(stored.values(), key=_range_order)  # moto's order within one hash key
        bounds = window.indices(stored) if window is not None else None
        if bounds is None:
            return list(stored.values())
        return list(stored.values()[bounds[0]:bounds[1]])

    return all_items


def _sorted_partition() -> SortedDict:
    """A partition of a table with a range key: its items by range key, kept in DynamoDB's order."""
    return SortedDict(_native)


def _sorted_partitions(original: Callable[..., None]) -> Callable[..., None]:
    def init(self: Table, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        if self.range_key_attr and not self.items:
            self.items = defaultdict(_sorted_partition)

    return init


def _native(value: DynamoType) -> Any:
    """A key attribute as a Python value that compares as DynamoDB compares it: strings by UTF-8 bytes (the
    same order as by code point), numbers by value, binary by bytes. ``DynamoType``'s own comparisons give
    the same answers in slower Python code, which a query over a large table runs once per item."""
    if value.type == "N":
        return decimal.Decimal(value.value)
    if value.type == "B":
        return base64.b64decode(value.value) if isinstance(value.value, str) else bytes(value.value)
    return value.value


def _matches(attribute: DynamoType | None, kind: str, value: Any) -> bool:
    return attribute is not None and attribute.type == kind and _native(attribute) == value


def _range_order(item: Item) -> Any:
    return 0 if item.range_key is None else _native(item.range_key)


def install() -> None:
    """Patch moto's DynamoDB backend in this process (once; later calls do nothing)."""
    global _installed
    with _install_lock:
        if _installed:
            return
        DynamoDBBackend.transact_write_items = _journaled(  # type: ignore[method-assign,assignment]
            DynamoDBBackend.transact_write_items)
        dynamodb_models.copy = _uncopied_tables()  # type: ignore[assignment,attr-defined]
        Table.__init__ = _sorted_partitions(Table.__init__)  # type: ignore[method-assign]
        Table.query = _partition_query(Table.query)  # type: ignore[method-assign]
        Table.all_items = _partition_items(Table.all_items)  # type: ignore[method-assign,assignment]
        _installed = True
