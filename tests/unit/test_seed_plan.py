"""The social graph ``make seed`` draws (``local.seed.plan``): shaped like a real network, and reproducible."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from local.seed import Size, plan


def test_follows_are_heavy_tailed_with_celebrities_past_the_threshold() -> None:
    graph = plan(Size(users=1_000, posts=0, celebrities=3), threshold=150)
    followers = graph.followers()
    ranked = sorted(followers.values(), reverse=True)
    assert len(graph.follows) == len(set(graph.follows)), "nobody follows the same account twice"
    assert all(a != b for a, b in graph.follows), "nobody follows themselves"
    # A power law, not a uniform draw: the top 1% of accounts hold a large share of all follows, the median
    # account very few.
    assert sum(ranked[:10]) > 0.2 * len(graph.follows)
    assert ranked[len(ranked) // 2] < len(graph.follows) / 1_000
    assert len(graph.celebrities) >= 3
    assert all(followers[star] > 150 for star in graph.celebrities)
    assert graph.celebrities == graph.users[:len(graph.celebrities)], "the most popular ones"


def test_a_graph_too_small_for_the_threshold_has_no_celebrity() -> None:
    graph = plan(Size(users=40, posts=10), threshold=50)
    assert graph.celebrities == []
    assert max(graph.followers().values()) <= 39


def test_posts_carry_hashtags_mentions_images_and_reactions_from_followers() -> None:
    size = Size(users=300, posts=3_000, media_every=40, likes_per_post=1.0, comments_per_post=0.2)
    graph = plan(size, threshold=100)
    assert len(graph.posts) == 3_000
    following = {(a, b) for a, b in graph.follows}
    tags = Counter(t for post in graph.posts for t in re.findall(r"#(\w+)", post.text))
    assert len(tags) >= 10 and tags.most_common(1)[0][1] > 5 * tags.most_common()[-1][1], "a few tags are popular"
    assert sum("@" in post.text for post in graph.posts) > 100
    assert all((post.author, re.search(r"@(\S+)", post.text)[1]) in following  # type: ignore[index]
               for post in graph.posts if "@" in post.text), "mentions name followed accounts"
    assert 40 <= sum(post.image for post in graph.posts) <= 120
    likes = sum(len(post.likers) for post in graph.posts)
    comments = sum(len(post.commenters) for post in graph.posts)
    assert 0.6 * 3_000 < likes < 1.4 * 3_000 and 0.1 * 3_000 < comments < 0.3 * 3_000
    assert all((liker, post.author) in following for post in graph.posts for liker in post.likers)
    by_author = Counter(post.author for post in graph.posts)
    assert by_author.most_common(1)[0][1] > 10 * (3_000 / 300), "a few authors write much of it"


def test_the_same_seed_draws_the_same_graph_and_another_seed_other_names() -> None:
    one, again = plan(Size(users=50, posts=100, seed=4), threshold=10), plan(Size(users=50, posts=100, seed=4),
                                                                              threshold=10)
    assert one == again
    other = plan(Size(users=50, posts=100, seed=5), threshold=10)
    assert not set(one.users) & set(other.users)


@pytest.mark.parametrize("size", [Size(users=1, posts=10), Size(users=10, posts=-1)])
def test_a_size_that_cannot_make_a_network_is_refused(size: Size) -> None:
    with pytest.raises(ValueError):
        plan(size, threshold=10)
