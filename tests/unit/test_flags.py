"""Feature flags: the evaluator's targeting, the document's validation, and both stores."""

from __future__ import annotations

import copy
import io
import json
import os
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.response import StreamingBody
from botocore.stub import Stubber

from chalicelib import flags
from chalicelib.flags import document, stores
from chalicelib.flags.evaluation import Subject, Values, is_on, number
from chalicelib.flags.stores import AppConfigStore, FileStore
from chalicelib.flags.validation import FlagsDocumentError, validate

# --- evaluation --------------------------------------------------------------------------------------------

def test_an_untargeted_enabled_flag_is_on_for_everyone_and_a_disabled_one_for_no_one() -> None:
    values: Values = {"a": {"enabled": True}, "b": {"enabled": False, "users": ["ada"]}}
    assert is_on(values, "a", Subject("ada"), default=False)
    assert is_on(values, "a", Subject(None), default=False)
    assert not is_on(values, "b", Subject("ada"), default=True)
    assert is_on(values, "missing", Subject("ada"), default=True)


def test_targeting_by_user_and_by_group() -> None:
    values = {"beta": {"enabled": True, "users": ["ada"], "groups": ["admins"]}}
    assert is_on(values, "beta", Subject("ada"), default=False)
    assert is_on(values, "beta", Subject.of("bob", ["admins"]), default=False)
    assert not is_on(values, "beta", Subject.of("bob", ["readers"]), default=False)
    assert not is_on(values, "beta", Subject(None), default=False)


def test_a_percentage_rollout_is_stable_per_user_and_about_the_right_share() -> None:
    values = {"rollout": {"enabled": True, "percentage": 25}}
    users = [f"user{i}" for i in range(1000)]
    first = [is_on(values, "rollout", Subject(u), default=False) for u in users]
    again = [is_on(values, "rollout", Subject(u), default=False) for u in users]
    assert first == again
    assert 200 <= sum(first) <= 300, sum(first)  # 25% of 1,000, within about 3.5 standard deviations
    # Raising the percentage only adds users: no one who had it loses it.
    wider = [is_on({"rollout": {"enabled": True, "percentage": 60}}, "rollout", Subject(u), default=False)
             for u in users]
    assert all(w for f, w in zip(first, wider, strict=True) if f) and 540 <= sum(wider) <= 660
    # Another flag at the same share picks another set of users.
    other = [is_on({"other": {"enabled": True, "percentage": 25}}, "other", Subject(u), default=False) for u in users]
    assert other != first


def test_a_number_flag_gives_its_value_to_the_users_it_targets_and_the_default_to_others() -> None:
    values: Values = {"limit": {"enabled": True, "value": 3, "users": ["ada"]},
                      "off": {"enabled": False, "value": 9}}
    assert number(values, "limit", Subject("ada"), default=100) == 3
    assert number(values, "limit", Subject("bob"), default=100) == 100
    assert number(values, "off", Subject("ada"), default=100) == 100
    assert number(values, "missing", Subject("ada"), default=100) == 100


# --- validation --------------------------------------------------------------------------------------------

def good() -> dict[str, Any]:
    return copy.deepcopy(document.load())


def test_the_repository_document_is_valid_and_defines_every_flag_the_runtime_reads() -> None:
    loaded = good()
    validate(loaded)
    assert set(flags.CATALOG) <= set(loaded["flags"]) and set(flags.CATALOG) <= set(loaded["values"])


def broken(change: str) -> dict[str, Any]:
    doc = good()
    if change == "missing_definition":
        del doc["flags"]["video_uploads"]
        del doc["values"]["video_uploads"]
    elif change == "missing_value":
        del doc["values"]["direct_messages"]
    elif change == "wrong_type":
        doc["values"]["celebrity_threshold"]["value"] = "lots"
    elif change == "out_of_range":
        doc["values"]["search"]["percentage"] = 150
    elif change == "undefined_attribute":
        doc["values"]["digest_email"]["colour"] = "red"
    elif change == "not_a_boolean":
        doc["values"]["coins_post"]["enabled"] = "yes"
    elif change == "bad_name":
        doc["flags"]["Bad Name"] = {"name": "x"}
    elif change == "number_without_value":
        del doc["flags"]["coins_comment"]["attributes"]["value"]
        del doc["values"]["coins_comment"]["value"]
    return doc


@pytest.mark.parametrize(("change", "flag", "words"), [
    ("missing_definition", "video_uploads", "does not define it"),
    ("missing_value", "direct_messages", "no value"),
    ("wrong_type", "celebrity_threshold", "expected a number"),
    ("out_of_range", "search", "above the maximum 100"),
    ("undefined_attribute", "digest_email", "'colour'"),
    ("not_a_boolean", "coins_post", "enabled"),
    ("bad_name", None, "Bad Name"),
    ("number_without_value", "coins_comment", "'value'"),
])
def test_an_invalid_document_is_refused_with_a_message_naming_the_bad_flag(
        change: str, flag: str | None, words: str) -> None:
    with pytest.raises(FlagsDocumentError) as raised:
        validate(broken(change))
    assert raised.value.flag == flag
    assert words in str(raised.value)
    if flag:
        assert repr(flag) in str(raised.value)


def test_a_whole_document_and_a_data_api_payload_give_the_same_values() -> None:
    whole = good()
    assert document.values_of(whole) == document.values_of(json.loads(json.dumps(whole["values"])))
    assert document.values_of([1, 2]) == {} and document.values_of({"x": 1}) == {}


# --- stores ------------------------------------------------------------------------------------------------

def write(path: Path, values: dict[str, Any], mtime: int) -> None:
    path.write_text(json.dumps({"version": "1", "flags": {}, "values": values}))
    os.utime(path, ns=(mtime, mtime))


def test_the_file_store_reads_the_document_again_when_it_changes(tmp_path: Path) -> None:
    path = tmp_path / "flags.json"
    write(path, {"video_uploads": {"enabled": True}}, 1_000_000_000)
    store = FileStore(path)
    assert store.values()["video_uploads"]["enabled"] is True
    write(path, {"video_uploads": {"enabled": False}}, 2_000_000_000)
    assert store.values()["video_uploads"]["enabled"] is False
    path.write_text("{half written")  # an editor saving: the last good values stay
    os.utime(path, ns=(3_000_000_000, 3_000_000_000))
    assert store.values()["video_uploads"]["enabled"] is False


def test_the_process_store_is_chosen_by_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("FLAGS_FILE", "APPCONFIG_APPLICATION", "APPCONFIG_ENVIRONMENT", "APPCONFIG_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    stores.flag_store.cache_clear()
    assert isinstance(stores.flag_store(), stores.NoFlags)
    assert flags.enabled(flags.VIDEO_UPLOADS, "ada") is flags.VIDEO_UPLOADS.default
    monkeypatch.setenv("APPCONFIG_APPLICATION", "app1")
    monkeypatch.setenv("APPCONFIG_ENVIRONMENT", "env1")
    monkeypatch.setenv("APPCONFIG_PROFILE", "prof1")
    stores.flag_store.cache_clear()
    assert isinstance(stores.flag_store(), AppConfigStore)
    monkeypatch.setenv("FLAGS_FILE", str(tmp_path / "flags.json"))
    write(tmp_path / "flags.json", {"video_uploads": {"enabled": False}, "celebrity_threshold": {
        "enabled": True, "value": 7}}, 1_000_000_000)
    stores.flag_store.cache_clear()
    try:
        assert flags.enabled(flags.VIDEO_UPLOADS, "ada") is False
        assert flags.number(flags.CELEBRITY_THRESHOLD, "ada") == 7
        assert flags.client_flags("ada", ())["video_uploads"] is False
    finally:
        stores.flag_store.cache_clear()


def body(payload: bytes) -> StreamingBody:
    return StreamingBody(io.BytesIO(payload), len(payload))


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_appconfig_store_polls_the_data_api_at_most_once_per_cache_period() -> None:
    client = boto3.client("appconfigdata", region_name="us-east-1")
    clock = Clock()
    store = AppConfigStore("app1", "env1", "prof1", cache_seconds=30, client=client, clock=clock)
    served = json.dumps({"video_uploads": {"enabled": False}}).encode()
    with Stubber(client) as stub:
        stub.add_response("start_configuration_session", {"InitialConfigurationToken": "t0"}, {
            "ApplicationIdentifier": "app1", "EnvironmentIdentifier": "env1", "ConfigurationProfileIdentifier": "prof1",
            "RequiredMinimumPollIntervalInSeconds": 30})
        stub.add_response("get_latest_configuration", {
            "NextPollConfigurationToken": "t1", "NextPollIntervalInSeconds": 30, "ContentType": "application/json",
            "Configuration": body(served)}, {"ConfigurationToken": "t0"})
        assert store.values()["video_uploads"]["enabled"] is False
        clock.now = 29  # within the cache period: no call (the Stubber would fail on an unexpected one)
        assert store.values()["video_uploads"]["enabled"] is False
        clock.now = 31  # unchanged: an empty body keeps the values; the next token is used
        stub.add_response("get_latest_configuration", {
            "NextPollConfigurationToken": "t2", "NextPollIntervalInSeconds": 60, "Configuration": body(b"")},
            {"ConfigurationToken": "t1"})
        assert store.values()["video_uploads"]["enabled"] is False
        clock.now = 95  # AppConfig asked for 60 s: a failed poll keeps the values and starts a new session next
        stub.add_client_error("get_latest_configuration", "BadRequestException", http_status_code=400,
                              expected_params={"ConfigurationToken": "t2"})
        assert store.values()["video_uploads"]["enabled"] is False
        clock.now = 130
        stub.add_response("start_configuration_session", {"InitialConfigurationToken": "t3"}, {
            "ApplicationIdentifier": "app1", "EnvironmentIdentifier": "env1", "ConfigurationProfileIdentifier": "prof1",
            "RequiredMinimumPollIntervalInSeconds": 30})
        stub.add_response("get_latest_configuration", {
            "NextPollConfigurationToken": "t4", "NextPollIntervalInSeconds": 30,
            "Configuration": body(json.dumps({"video_uploads": {"enabled": True}}).encode())},
            {"ConfigurationToken": "t3"})
        assert store.values()["video_uploads"]["enabled"] is True
        stub.assert_no_pending_responses()
