"""The admin coin report end to end: coins earned and spent today show up, as JSON and as CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import requests

from tests.e2e.conftest import RunningPlatform, User, register_and_login, start_platform
from tests.e2e.test_social import Api, eventually

ADMIN_PASSWORD = "Admin-pass-2028"
REPORT = "/admin/reports/coins"


@pytest.fixture(scope="module")
def report_platform() -> Iterator[RunningPlatform]:
    with start_platform(LOCAL_ADMIN_PASSWORD=ADMIN_PASSWORD) as running:
        yield running


@pytest.fixture(scope="module")
def admin(report_platform: RunningPlatform) -> Api:
    login = requests.post(report_platform.api("/auth/login"),
                          json={"username": "admin", "password": ADMIN_PASSWORD}, timeout=10)
    assert login.status_code == 200, login.text
    return Api(report_platform, User("admin", ADMIN_PASSWORD, login.json()))


def test_todays_coins_in_json_and_csv(report_platform: RunningPlatform, admin: Api) -> None:
    ann = Api(report_platform, register_and_login(report_platform, "rep"))
    ann.ok("POST", "/posts", 201, json={"content": "a post pays ten coins"})
    eventually(lambda: ann.ok("GET", "/wallet")["balance"], lambda balance: balance == 10)
    reward = admin.ok("POST", "/admin/rewards", 201, json={"name": "Pin", "cost": 4, "stock": 3})
    ann.ok("POST", f"/rewards/{reward['id']}/redeem", 201)

    today = datetime.now(UTC).date()
    yesterday = today - timedelta(days=1)
    query = {"from": yesterday.isoformat(), "to": today.isoformat()}
    assert admin.ok("GET", REPORT, params=query) == {"days": [
        {"day": yesterday.isoformat(), "issued": 0, "redeemed": 0, "outstanding": 0},
        {"day": today.isoformat(), "issued": 10, "redeemed": 4, "outstanding": 6},
    ]}

    for extra in ({"params": {**query, "format": "csv"}}, {"params": query, "headers": {"Accept": "text/csv"}}):
        answer = admin.call("GET", REPORT, **extra)
        assert answer.status_code == 200, answer.text
        assert answer.headers["Content-Type"].startswith("text/csv")
        assert "attachment" in answer.headers["Content-Disposition"]
        rows = list(csv.DictReader(io.StringIO(answer.text)))
        assert rows == [
            {"day": yesterday.isoformat(), "issued": "0", "redeemed": "0", "outstanding": "0"},
            {"day": today.isoformat(), "issued": "10", "redeemed": "4", "outstanding": "6"},
        ]
    # Without a range: the last 30 days, ending today.
    days = admin.ok("GET", REPORT)["days"]
    assert len(days) == 30 and days[-1]["day"] == today.isoformat() and days[-1]["outstanding"] == 6


def test_only_admins_see_the_report(report_platform: RunningPlatform) -> None:
    user = Api(report_platform, register_and_login(report_platform, "rep"))
    refused = user.call("GET", REPORT)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "admins_only"
    assert requests.get(report_platform.api(REPORT), timeout=10).status_code == 401


@pytest.mark.parametrize("params", [{"from": "2026-02-30"}, {"to": "20260301"}, {"from": "yesterday"},
                                    {"from": "2026-03-02", "to": "2026-03-01"},
                                    {"from": "2024-01-01", "to": "2026-01-01"}, {"format": "xml"}])
def test_a_bad_range_or_format_is_a_422(admin: Api, params: dict[str, str]) -> None:
    refused = admin.call("GET", REPORT, params=params)
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"]["code"] == "validation_failed"
