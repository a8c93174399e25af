"""``make bench``: every benchmark, one after the other; each prints its own figures."""

from __future__ import annotations

from benchmarks import (
    coin_report,
    cold_start,
    connections,
    feed,
    hops,
    ledger,
    live_notifications,
    local_scale,
    local_startup,
    mastodon_timeline,
    media,
    realtime,
    search,
    web_client,
)

if __name__ == "__main__":
    for benchmark in (cold_start, local_startup, connections, hops, feed, mastodon_timeline, ledger, media, realtime,
                      live_notifications, search, coin_report, web_client, local_scale):
        print(f"== {benchmark.__name__}")
        benchmark.main()
