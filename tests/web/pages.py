"""What a person does in the web client, step by step, with WEB.md's accessible names (shared by the tests)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from playwright.sync_api import Locator, Page, expect

from tests.web.conftest import Account


def sign_in(page: Page, account: Account) -> Account:
    """Through /signin; done when the navigation shows (the app's home)."""
    page.goto("/signin")
    page.get_by_label("Username").fill(account.username)
    page.get_by_label("Password").fill(account.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    return account


def sign_up(page: Page, account: Account, display_name: str) -> Account:
    """Through /signup; the local platform confirms at once, so the app signs in and goes home."""
    page.goto("/signup")
    page.get_by_label("Username").fill(account.username)
    page.get_by_label("Display name").fill(display_name)
    page.get_by_label("Email").fill(f"{account.username}@example.org")
    page.get_by_label("Password").fill(account.password)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    return account


@contextmanager
def step(name: str) -> Iterator[None]:
    """A step of a scenario: its failure says which step (a missing page fails at the first step needing it)."""
    try:
        yield
    except BaseException as failure:
        failure.add_note(f"in scenario step {name}")
        raise


def nav(page: Page, name: str) -> Locator:
    """A link of the navigation (WEB.md section 1); pages may have links of the same name in their content."""
    return page.get_by_role("navigation").get_by_role("link", name=name).first
