"""Coins end to end on the local platform: earning from posts, likes and comments, and redeeming rewards."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
import requests

from tests.e2e.conftest import RunningPlatform, User, register_and_login, start_platform
from tests.e2e.test_social import Api, eventually

ADMIN_PASSWORD = "Admin-pass-2026"


@pytest.fixture(scope="module")
def coin_platform() -> Iterator[RunningPlatform]:
    with start_platform(LOCAL_ADMIN_PASSWORD=ADMIN_PASSWORD) as running:
        yield running


def _messages_in(platform: RunningPlatform, queue: str) -> int:
    """Messages the queue holds, visible, in flight or delayed."""
    sqs = boto3.client("sqs", endpoint_url=platform.aws_endpoint, region_name="us-east-1",
                       aws_access_key_id="testing", aws_secret_access_key="testing")
    url = next(url for url in sqs.list_queues()["QueueUrls"] if url.endswith(f"-{queue}"))
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
             "ApproximateNumberOfMessagesDelayed"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
    return sum(int(attributes[name]) for name in names)


def _balance(api: Api) -> int:
    return int(api.ok("GET", "/wallet")["balance"])


def test_posts_likes_and_comments_move_balances_as_the_rules_say(coin_platform: RunningPlatform) -> None:
    ann, ben = (Api(coin_platform, register_and_login(coin_platform, n)) for n in ("ann", "ben"))
    assert ann.ok("GET", "/wallet") == {"balance": 0, "earned_today": 0, "daily_cap": 500}

    post = ann.ok("POST", "/posts", 201, json={"content": "coins please"})  # ann +10
    ben.ok("PUT", f"/posts/{post['id']}/like")  # ann +2
    ann.ok("PUT", f"/posts/{post['id']}/like")  # liking your own post: nothing
    ben.ok("POST", f"/posts/{post['id']}/comments", 201, json={"content": "nice"})  # ben +5

    assert eventually(lambda: _balance(ann), lambda b: b == 12) == 12
    assert eventually(lambda: _balance(ben), lambda b: b == 5) == 5
    assert ann.ok("GET", "/wallet")["earned_today"] == 12
    entries = ann.ok("GET", "/wallet/transactions")["items"]
    assert sorted((e["amount"], e["reason"]) for e in entries) == [(2, "like_received"), (10, "post")]

    # Unlike and like again: the like was paid once and is not paid again.
    ben.ok("DELETE", f"/posts/{post['id']}/like")
    ben.ok("PUT", f"/posts/{post['id']}/like")
    # A marker behind the relike on its whole path: the next row of the same interactions stream
    # (one shard, published in order), so its like.created reaches the coin-awards queue after the
    # relike's. Once the marker is paid, the relike's event has been sent; once that queue holds
    # nothing, visible or in flight, it has been handled.
    cat = Api(coin_platform, register_and_login(coin_platform, "cat"))
    cat.ok("PUT", f"/posts/{post['id']}/like")  # ann +2
    eventually(lambda: _balance(ann), lambda b: b >= 14)
    eventually(lambda: _messages_in(coin_platform, "coin-awards"), lambda n: n == 0)
    assert _balance(ann) == 14


def _admin(platform: RunningPlatform) -> Api:
    login = requests.post(platform.api("/auth/login"), json={"username": "admin", "password": ADMIN_PASSWORD},
                          timeout=10)
    assert login.status_code == 200, login.text
    return Api(platform, User("admin", ADMIN_PASSWORD, login.json()))


def test_redeem_lists_the_order_lowers_the_balance_and_replays_with_its_key(coin_platform: RunningPlatform) -> None:
    admin, buyer = _admin(coin_platform), Api(coin_platform, register_and_login(coin_platform, "buyer"))
    assert buyer.call("POST", "/admin/rewards", json={"name": "x", "cost": 1, "stock": 1}).status_code == 403
    reward = admin.ok("POST", "/admin/rewards", 201, json={"name": "Mug", "cost": 15, "stock": 2})
    catalog, _ = buyer.all_pages("/rewards", 2)
    assert reward["id"] in {r["id"] for r in catalog} and len(catalog) > 1  # with the demo catalog

    for n in range(2):
        buyer.ok("POST", "/posts", 201, json={"content": f"earning {n}"})
    eventually(lambda: _balance(buyer), lambda b: b == 20)

    headers = {"Idempotency-Key": "mug-1"}
    order = buyer.ok("POST", f"/rewards/{reward['id']}/redeem", 201, headers=headers)
    assert (order["reward_id"], order["cost"], order["status"]) == (reward["id"], 15, "placed")
    replay = buyer.call("POST", f"/rewards/{reward['id']}/redeem", headers=headers)
    assert replay.status_code == 201 and replay.json() == order
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert _balance(buyer) == 5
    assert [o["id"] for o in buyer.ok("GET", "/orders")["items"]] == [order["id"]]
    assert -15 in [e["amount"] for e in buyer.ok("GET", "/wallet/transactions")["items"]]

    poor = buyer.call("POST", f"/rewards/{reward['id']}/redeem")
    assert poor.status_code == 409 and poor.json()["error"]["code"] == "insufficient_balance"
    assert admin.ok("PATCH", f"/admin/rewards/{reward['id']}", json={"stock": 0})["stock"] == 0
    gone = buyer.call("POST", f"/rewards/{reward['id']}/redeem")
    assert gone.status_code == 409 and gone.json()["error"]["code"] == "out_of_stock"
    assert buyer.call("POST", "/rewards/01JNQ0000000000000000000ZZ/redeem").status_code == 404
    assert _balance(buyer) == 5
