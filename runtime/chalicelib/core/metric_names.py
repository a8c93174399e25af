"""The business metrics' names: what the runtime emits and what the stack's dashboard graphs, in one place.

The runtime writes them as CloudWatch embedded metric format (a JSON log line, no API call) in ONE
namespace, ``Social``, each with the ``Stage`` dimension (the stack's name: ``dev``, ``prod``,
``preview-x``; ``Knobs.stage``, as the ledger's own ``Social/Ledger`` metrics already carry it), and
``NotificationsSent`` with ``Channel`` as well (``email``, ``push``, ``realtime``: the channels the
manifest's subscriptions name). ``stacks/dashboard.py`` imports this module, so a metric renamed here
is renamed on both sides. Plain Python: no Pulumi, no boto3.

Usage::

    from chalicelib.core import metric_names as m
    {"Namespace": m.NAMESPACE, "Dimensions": [[m.STAGE]], "Metrics": [{"Name": m.POSTS_CREATED, "Unit": "Count"}]}
    {"Namespace": m.NAMESPACE, "Dimensions": [[m.STAGE, m.CHANNEL]], "Metrics": [{"Name": m.NOTIFICATIONS_SENT}]}
"""

from __future__ import annotations

from typing import Final

NAMESPACE: Final = "Social"
STAGE: Final = "Stage"  # dimension: the stack's stage (same spelling as the ledger's metrics)
CHANNEL: Final = "Channel"  # dimension of NOTIFICATIONS_SENT only

POSTS_CREATED: Final = "PostsCreated"
LIKES_ADDED: Final = "LikesAdded"
COMMENTS_ADDED: Final = "CommentsAdded"
FOLLOWS: Final = "Follows"
COINS_AWARDED: Final = "CoinsAwarded"
COINS_REDEEMED: Final = "CoinsRedeemed"
ORDERS_PLACED: Final = "OrdersPlaced"
FANOUT_WRITES: Final = "FanoutWrites"
NOTIFICATIONS_SENT: Final = "NotificationsSent"
MEDIA_PROCESSED: Final = "MediaProcessed"
MEDIA_FAILED: Final = "MediaFailed"
SEARCH_QUERIES: Final = "SearchQueries"

# Every business metric, in the order the dashboard shows them (what users do, coins, delivery, media, search).
BUSINESS_METRICS: Final[tuple[str, ...]] = (
    POSTS_CREATED, LIKES_ADDED, COMMENTS_ADDED, FOLLOWS, COINS_AWARDED, COINS_REDEEMED, ORDERS_PLACED,
    FANOUT_WRITES, NOTIFICATIONS_SENT, MEDIA_PROCESSED, MEDIA_FAILED, SEARCH_QUERIES,
)
# The metrics emitted per channel (dimensions Stage and Channel), not per stage alone.
PER_CHANNEL: Final[frozenset[str]] = frozenset({NOTIFICATIONS_SENT})

# The ledger's reconciliation (chalicelib/ledger/handlers.py), whose mismatches raise an alarm.
LEDGER_NAMESPACE: Final = "Social/Ledger"
LEDGER_MISMATCHES: Final = "LedgerMismatches"
