"""Hostile input on the Mastodon face's social routes: whatever the path or parameters hold, never a 5xx."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.unit.mastodon_world import World, dynamodb, world

__all__ = ["dynamodb", "world"]  # fixtures, used by name

NASTY = ["", " ", "x" * 2000, "é" * 399, "%00", "\u202e", "'; DROP TABLE", "../..", "#", "a#b", "-1", "1e9",
         "[]", "{}", "ungrouped-" + "ü" * 300, "like-" + "ü" * 300, "follow-", "null"]
PATHS = ["/api/v1/accounts/{v}", "/api/v1/accounts/{v}/followers", "/api/v1/accounts/{v}/statuses",
         "/api/v1/notifications/{v}", "/api/v2/notifications/{v}", "/api/v2/notifications/{v}/accounts",
         "/api/v1/tags/{v}"]
QUERIES = ["/api/v1/accounts/lookup?acct={v}", "/api/v1/accounts/relationships?id[]={v}&id[]=ada",
           "/api/v1/accounts/ada/followers?max_id={v}", "/api/v1/accounts/ada/followers?min_id={v}",
           "/api/v1/accounts/ada/statuses?max_id={v}&min_id={v}", "/api/v1/accounts/ada/statuses?since_id={v}",
           "/api/v1/notifications?max_id={v}", "/api/v1/notifications?min_id={v}&types[]={v}",
           "/api/v2/notifications?since_id={v}&exclude_types[]={v}", "/api/v1/accounts/search?q={v}",
           "/api/v2/search?q={v}&offset=999", "/api/v1/trends/tags?limit={v}"]


@pytest.mark.parametrize("template", PATHS + QUERIES)
def test_no_hostile_value_in_a_read_is_a_5xx(world: World, template: str) -> None:
    world.user("ada")
    for value in NASTY:
        path = template.format(v=quote(value, safe=""))
        status, _ = world.call("GET", path, as_user="ada")
        assert status < 500, (path, status)


def test_no_hostile_id_in_a_write_is_a_5xx(world: World) -> None:
    world.user("ada")
    for value in NASTY:
        named = quote(value, safe="")
        for path in [f"/api/v1/accounts/{named}/{action}" for action in ("follow", "unfollow", "block", "unmute")] + [
                f"/api/v1/notifications/{named}/dismiss", f"/api/v2/notifications/{named}/dismiss",
                f"/api/v1/tags/{named}/follow"]:
            status, _ = world.call("POST", path, as_user="ada")
            assert status < 500, (path, status)
