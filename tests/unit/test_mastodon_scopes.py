"""Mastodon's scope rules: umbrellas, the legacy follow scope, alternatives, and unknown names."""

from __future__ import annotations

import pytest

from chalicelib.mastodon import scopes


def test_read_and_write_cover_their_granular_scopes_and_nothing_else() -> None:
    granted = scopes.parse("read write")
    assert scopes.allows(granted, "read:statuses") and scopes.allows(granted, "write:media")
    assert not scopes.allows(granted, "push") and not scopes.allows(granted, "admin:read:accounts")
    assert not scopes.allows(granted, "profile")


def test_follow_covers_follows_blocks_and_mutes_both_ways_only() -> None:
    granted = scopes.parse("follow")
    for scope in ("read:follows", "write:follows", "read:blocks", "write:blocks", "read:mutes", "write:mutes"):
        assert scopes.allows(granted, scope), scope
    assert not scopes.allows(granted, "read:statuses")
    assert not scopes.allows(granted, "read")


def test_a_granular_scope_does_not_cover_its_umbrella_or_siblings() -> None:
    granted = scopes.parse("read:accounts")
    assert scopes.allows(granted, "read:accounts")
    assert not scopes.allows(granted, "read") and not scopes.allows(granted, "read:statuses")


def test_admin_umbrellas_cover_their_own_kind() -> None:
    assert scopes.allows(scopes.parse("admin:read"), "admin:read:reports")
    assert not scopes.allows(scopes.parse("admin:read"), "admin:write:reports")


def test_alternatives_pass_when_any_one_is_granted() -> None:
    # verify_credentials: read:accounts or profile.
    assert scopes.allows(scopes.parse("profile"), ("read:accounts", "profile"))
    assert not scopes.allows(scopes.parse("write"), ("read:accounts", "profile"))


def test_parsing_takes_spaces_or_pluses_defaults_to_read_and_refuses_unknown_scopes() -> None:
    assert scopes.parse("read+write:statuses") == {"read", "write:statuses"}
    assert scopes.parse("") == {"read"} and scopes.parse(None) == {"read"}
    with pytest.raises(ValueError, match="reed"):
        scopes.parse("read reed")


def test_a_grant_may_ask_for_less_than_the_app_registered_but_never_more() -> None:
    registered = scopes.parse("read write follow")
    assert scopes.within({"read:statuses", "write:follows"}, registered)
    assert not scopes.within({"push"}, registered)
    assert scopes.render({"write:media", "read", "push"}) == "push read write:media"
