"""Notifications end to end on the local platform: grouped likes, undo before delivery, replays, follows,
comments and mentions, over real HTTP.

Events travel stream -> domain-events topic -> notifications queue -> handler, so checks poll the way
a client refreshing would. A queue of the test's own, subscribed to the domain-events topic, keeps a
copy of every event so that the test can publish them all again (a replay of everything).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import pytest

from tests.e2e.conftest import RunningPlatform, register_and_login, start_platform
from tests.e2e.test_coins import _messages_in
from tests.e2e.test_social import Api, eventually

# Delivery, not speed (make bench measures that): 25 likes go through the stream, the topic, the
# queue and one grouped entry each in turn, which took over 15 s on a loaded 2-core machine.
DELIVERY = 90.0


@pytest.fixture(scope="module")
def platform() -> Iterator[RunningPlatform]:
    with start_platform() as running:
        yield running


def _client(platform: RunningPlatform, service: str) -> Any:
    return boto3.client(service, endpoint_url=platform.aws_endpoint, region_name="us-east-1",
                        aws_access_key_id="testing", aws_secret_access_key="testing")


@pytest.fixture(scope="module")
def capture(platform: RunningPlatform) -> str:
    """A queue that receives a copy of every domain event from now on; its URL."""
    sns, sqs = _client(platform, "sns"), _client(platform, "sqs")
    topic = next(t["TopicArn"] for t in sns.list_topics()["Topics"] if t["TopicArn"].endswith("-domain-events"))
    url = sqs.create_queue(QueueName="e2e-event-copies")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})
    return str(url)


def _replay_everything(platform: RunningPlatform, capture: str) -> int:
    """Publish every captured event again, as the stream handlers published it; how many."""
    sns, sqs = _client(platform, "sns"), _client(platform, "sqs")
    topic = next(t["TopicArn"] for t in sns.list_topics()["Topics"] if t["TopicArn"].endswith("-domain-events"))
    events = []
    while True:
        got = sqs.receive_message(QueueUrl=capture, MaxNumberOfMessages=10, MessageAttributeNames=["All"],
                                  VisibilityTimeout=600).get("Messages", [])
        if not got:
            break
        events += got
    for event in events:
        kind = event["MessageAttributes"]["type"]["StringValue"]
        sns.publish(TopicArn=topic, Message=event["Body"],
                    MessageAttributes={"type": {"DataType": "String", "StringValue": kind}})
    return len(events)


def _all(api: Api, **params: str) -> list[dict[str, Any]]:
    return list(api.ok("GET", "/notifications", params={"limit": 100, **params})["items"])


def _settled(platform: RunningPlatform) -> None:
    eventually(lambda: _messages_in(platform, "notifications"), lambda n: n == 0, timeout=DELIVERY)


def test_likes_group_undo_leaves_nothing_replays_change_nothing_and_the_rest_arrive(
        platform: RunningPlatform, capture: str) -> None:
    ann, ben, cat, dan, eve = (Api(platform, register_and_login(platform, n)) for n in ("ann", "ben", "cat", "dan",
                                                                                         "eve"))
    with ThreadPoolExecutor(8) as pool:
        fans = list(pool.map(lambda n: Api(platform, register_and_login(platform, f"fan{n}")), range(25)))
    a, b, c = ann.user.username, ben.user.username, cat.user.username
    # Coins arrive whenever the ledger's relay next runs (every minute), so they would race every count below.
    for api in (ann, ben, cat):
        api.ok("PATCH", "/notifications/preferences", json={"types": {"coins": {"in_app": False}}})

    # 25 likes on one post: one notification, count 25, the latest actors.
    post = ann.ok("POST", "/posts", 201, json={"content": "like me"})
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda fan: fan.ok("PUT", f"/posts/{post['id']}/like"), fans))
    [likes] = eventually(lambda: _all(ann, types="like"), lambda items: bool(items) and items[0]["count"] == 25,
                         timeout=DELIVERY)
    assert (likes["post_id"], likes["read"], len(likes["actors"])) == (post["id"], False, 5)
    assert set(likes["actors"]) <= {fan.user.username for fan in fans}
    ann.ok("PUT", f"/posts/{post['id']}/like")  # your own like is no news
    assert ann.ok("GET", "/notifications/unread_count") == {"count": 1}

    # A like undone at once leaves nothing; eve's like after it is the marker that it was all handled.
    quiet = ann.ok("POST", "/posts", 201, json={"content": "quiet one"})
    dan.ok("PUT", f"/posts/{quiet['id']}/like")
    dan.ok("DELETE", f"/posts/{quiet['id']}/like")
    eve.ok("PUT", f"/posts/{quiet['id']}/like")
    eventually(lambda: [n for n in _all(ann, types="like") if n["post_id"] == quiet["id"]],
               lambda found: bool(found) and found[0]["actors"] == [eve.user.username], timeout=DELIVERY)
    _settled(platform)
    [marker] = [n for n in _all(ann, types="like") if n["post_id"] == quiet["id"]]
    assert (marker["count"], marker["actors"]) == (1, [eve.user.username])

    # Follows, comments, mentions in posts and in comments.
    ben.ok("PUT", f"/users/{a}/follow")
    cat.ok("PUT", f"/users/{a}/follow")
    comment = ben.ok("POST", f"/posts/{post['id']}/comments", 201, json={"content": f"great, right @{c}?"})
    ann.ok("POST", "/posts", 201, json={"content": f"hello @{b}"})
    [follows] = eventually(lambda: _all(ann, types="follow"), lambda items: bool(items) and items[0]["count"] == 2,
                           timeout=DELIVERY)
    assert sorted(follows["actors"]) == sorted([b, c])
    [commented] = eventually(lambda: _all(ann, types="comment"), bool, timeout=DELIVERY)
    assert (commented["actor"], commented["comment_id"], commented["post_id"]) == (b, comment["id"], post["id"])
    [named_in_comment] = eventually(lambda: _all(cat, types="mention"), bool, timeout=DELIVERY)
    assert (named_in_comment["actor"], named_in_comment["comment_id"]) == (b, comment["id"])
    [named_in_post] = eventually(lambda: _all(ben, types="mention"), bool, timeout=DELIVERY)
    assert (named_in_post["actor"], named_in_post["comment_id"]) == (a, None)

    # Read some, then replay every event: nothing changes, not a count, not a read mark.
    ann.ok("POST", "/notifications/read", json={"ids": [follows["id"]]})
    _settled(platform)
    before = {name: _all(api) for name, api in (("ann", ann), ("ben", ben), ("cat", cat))}
    assert _replay_everything(platform, capture) >= 25 + 3 + 2 + 1 + 2
    _settled(platform)
    after = {name: _all(api) for name, api in (("ann", ann), ("ben", ben), ("cat", cat))}
    assert after == before
    assert {n["type"]: n["count"] for n in after["ann"] if n["post_id"] != quiet["id"]} == {
        "like": 25, "follow": 2, "comment": 1}
    assert ann.ok("GET", "/notifications/unread_count") == {"count": 3}


def test_bad_input_gets_the_contracts_errors(platform: RunningPlatform) -> None:
    ann, ben = Api(platform, register_and_login(platform, "ann")), Api(platform, register_and_login(platform, "ben"))
    ben.ok("PUT", f"/users/{ann.user.username}/follow")
    [follow] = eventually(lambda: _all(ann), bool, timeout=DELIVERY)
    assert ann.call("GET", "/notifications", params={"types": "like,poke"}).status_code == 422
    foreign = ben.call("POST", "/notifications/read", json={"ids": [follow["id"]]})
    assert foreign.status_code == 403 and foreign.json()["error"]["code"] == "not_your_notification"
    assert ann.call("POST", "/notifications/read", data=b"{nope", headers={
        "Content-Type": "application/json"}).status_code == 400
    assert ann.call("PATCH", "/notifications/preferences", json={"types": {"poke": {"email": True}}}).status_code == 422
    assert json.loads(ann.call("GET", "/notifications/preferences").text)["digest"] is False
