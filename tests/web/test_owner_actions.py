"""What you wrote you can take back: a comment and then the post go, each after the same confirmation dialog."""

from __future__ import annotations

from collections.abc import Callable

import requests
from playwright.sync_api import Page, expect

from tests.web.conftest import Site, register
from tests.web.pages import sign_in


def test_the_author_deletes_a_comment_then_the_post_after_confirming(page: Page, site: Site,
                                                                     check: Callable[..., None]) -> None:
    author = sign_in(page, register(site))
    post = requests.post(site.api("/posts"), json={"content": "Soon gone"}, headers=author.headers, timeout=10)
    assert post.status_code == 201, post.text
    post_id = post.json()["id"]
    comment = requests.post(site.api(f"/posts/{post_id}/comments"), json={"content": "A second thought"},
                            headers=author.headers, timeout=10)
    assert comment.status_code == 201, comment.text

    page.goto(f"/posts/{post_id}")
    expect(page.get_by_text("A second thought")).to_be_visible()
    page.get_by_role("button", name="Delete comment").click()
    dialog = page.get_by_role("dialog", name="Delete comment?")
    expect(dialog).to_be_visible()
    check(page, "delete-comment-dialog")
    page.keyboard.press("Escape")  # changing one's mind keeps the comment
    expect(dialog).to_be_hidden()
    expect(page.get_by_text("A second thought")).to_be_visible()
    page.get_by_role("button", name="Delete comment").click()
    page.get_by_role("dialog", name="Delete comment?").get_by_role("button", name="Delete", exact=True).click()
    expect(page.get_by_text("A second thought")).to_be_hidden()

    page.get_by_role("button", name="Delete post").click()
    page.get_by_role("dialog", name="Delete post?").get_by_role("button", name="Delete", exact=True).click()
    expect(page).to_have_url(f"{site.url}/")
    gone = requests.get(site.api(f"/posts/{post_id}"), headers=author.headers, timeout=10)
    assert gone.status_code == 404
    check(page, "post-deleted")
