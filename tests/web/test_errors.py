"""Bad input and bad luck never show a blank page: each shows the sentence a person can act on."""

from __future__ import annotations

import json
from collections.abc import Callable

from playwright.sync_api import Page, expect

from tests.web.conftest import Account, Site, new_username, register
from tests.web.pages import sign_in


def test_a_wrong_password_says_so_and_keeps_the_form(page: Page, site: Site, check: Callable[..., None]) -> None:
    account = register(site)
    page.goto("/signin")
    page.get_by_label("Username").fill(account.username)
    page.get_by_label("Password").fill("Not-the-password-1")
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("alert")).to_have_text("Wrong username or password.")
    expect(page.get_by_role("button", name="Sign in")).to_be_enabled()
    expect(page.get_by_label("Username")).to_have_value(account.username)
    check(page, "wrong-password", phone=True)


def test_a_taken_username_says_so(page: Page, site: Site, check: Callable[..., None]) -> None:
    taken = register(site)
    page.goto("/signup")
    page.get_by_label("Username").fill(taken.username)
    page.get_by_label("Display name").fill("Someone Else")
    page.get_by_label("Email").fill(f"other_{taken.username}@example.org")
    page.get_by_label("Password").fill("Another-horse-42")
    page.get_by_role("button", name="Create account").click()

    expect(page.get_by_role("alert")).to_have_text("That username is taken. Try another one.")
    expect(page).to_have_url(f"{site.url}/signup")
    check(page, "username-taken", phone=True)


def test_an_expired_session_returns_to_sign_in_with_the_reason(page: Page, site: Site,
                                                               check: Callable[..., None]) -> None:
    page.goto("/signin")
    expired = {"username": new_username(), "accessToken": "expired.access.token", "idToken": "expired.id.token",
               "refreshToken": "refresh-token-the-server-never-issued", "expiresAt": 0, "groups": []}
    page.evaluate("(value) => localStorage.setItem('social.session', value)", json.dumps(expired))

    page.goto("/wallet")

    expect(page).to_have_url(f"{site.url}/signin")
    expect(page.get_by_text("Your session has expired")).to_be_visible()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    assert page.evaluate("() => localStorage.getItem('social.session')") is None
    check(page, "session-expired")


def test_an_unknown_address_shows_page_not_found(page: Page, site: Site, check: Callable[..., None]) -> None:
    sign_in(page, register(site))
    page.goto("/no/such/page")
    expect(page.get_by_role("heading", level=1, name="Page not found")).to_be_visible()
    check(page, "not-found", phone=True)


def test_a_missing_post_shows_its_friendly_message(page: Page, site: Site, check: Callable[..., None]) -> None:
    account: Account = sign_in(page, register(site))
    assert account.username
    page.goto("/posts/01HZZZZZZZZZZZZZZZZZZZZZZZ")
    expect(page.get_by_text("This post was deleted or never existed.")).to_be_visible()
    check(page, "post-not-found", phone=True)
