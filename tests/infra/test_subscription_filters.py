"""Subscriptions filtered on the ``channels`` attribute (the notifications topic's) render as SNS filter policies.

A throwaway manifest declares the topic and one queue per delivery channel, the way the channel
helpers declare theirs; the real manifest's own subscriptions are checked by test_resources.py.
"""

from __future__ import annotations

import json

import pytest
from chalice.app import Chalice

from chalicelib.core.declarations import Manifest, Queue, Subscription, Topic
from stacks.mocks import Rendering, render
from tests.infra.conftest import arn_of

NOTES = Topic("notes")
EMAIL = Queue("notes-email", subscriptions=(Subscription(NOTES, channels=("email",)),))
PUSH = Queue("notes-push", subscriptions=(Subscription(NOTES, channels=("push",)),))
REALTIME = Queue("notes-realtime", subscriptions=(Subscription(NOTES, channels=("realtime",)),))
LIKES_BY_EMAIL = Queue("likes-email", subscriptions=(Subscription(NOTES, types=("like",), channels=("email",)),))
MANIFEST = Manifest(queues=(EMAIL, PUSH, REALTIME, LIKES_BY_EMAIL), topics=(NOTES,))

app = Chalice(app_name="channels-fixture")


@app.route("/ping")
def ping() -> dict[str, str]:
    return {"ok": "yes"}


@pytest.fixture(scope="module")
def rendering() -> Rendering:
    return render("dev", app=app, manifest=MANIFEST)


def test_each_channel_queue_gets_raw_deliveries_filtered_on_its_channel(rendering: Rendering) -> None:
    topic = arn_of(rendering.named("social-dev-notes-topic"))
    found = {s.inputs["endpoint"]: s.inputs for s in rendering.of_type("aws:sns/topicSubscription:TopicSubscription")}
    expected = {"notes-email": {"channels": ["email"]}, "notes-push": {"channels": ["push"]},
                "notes-realtime": {"channels": ["realtime"]},
                "likes-email": {"channels": ["email"], "type": ["like"]}}
    assert len(found) == len(expected)
    for queue, policy in expected.items():
        inputs = found[arn_of(rendering.named(f"social-dev-{queue}"))]
        assert (inputs["topic"], inputs["protocol"], inputs["rawMessageDelivery"]) == (topic, "sqs", True)
        assert json.loads(inputs["filterPolicy"]) == policy
        assert inputs["filterPolicyScope"] == "MessageAttributes"


def test_the_filter_policy_names_only_what_is_declared() -> None:
    assert Subscription(NOTES).filter_policy() is None
    assert Subscription(NOTES, types=("like",)).filter_policy() == {"type": ["like"]}
    assert Subscription(NOTES, channels=("email", "push")).filter_policy() == {"channels": ["email", "push"]}
