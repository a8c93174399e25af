"""The whole scenario of the web client (WEB.md), as two people and an admin live it, in a real browser.

Alice signs up and posts a photo with alt text; Bob signs up, finds her by searching, follows her, likes and
comments on her post; Alice's unread badge moves without a reload; she spends her coins on a reward; the
admin adds a reward. Each step takes a screenshot (build/screenshots/web/), runs axe and fails on any CSP
violation or uncaught error; the main pages are checked at 375 px too.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import requests
from playwright.sync_api import Locator, Page, expect

from tests.media_samples import jpeg_rotated_with_gps
from tests.web.conftest import ADMIN_PASSWORD, Account, NewContext, Site, login
from tests.web.pages import nav, sign_in, sign_up, step

PROCESSING_MS = 30_000  # upload, the media pipeline's variants, then the post
LIVE_MS = 15_000  # a WebSocket push through the platform's event pump
STICKERS = "Sticker pack"  # the cheapest reward of the seeded demo catalog (local/database.py demo_catalog)
STICKERS_COST = 50


def post_card(page: Page, text: str) -> Locator:
    """The feed's card (an <article>) holding ``text``."""
    return page.get_by_role("article").filter(has_text=text).first


def unread(page: Page) -> int:
    badge = page.get_by_test_id("unread-badge")
    if not badge.count():
        return 0
    digits = re.sub(r"\D", "", badge.inner_text())
    return int(digits or 0)


def wait_for_balance(site: Site, account: Account, at_least: int) -> int:
    """The wallet's balance once the ledger has paid what the events earned (the pump is asynchronous)."""
    deadline = time.monotonic() + LIVE_MS / 1000
    balance = 0
    while time.monotonic() < deadline:
        answer = requests.get(site.api("/wallet"), headers=account.headers, timeout=10)
        assert answer.status_code == 200, answer.text
        balance = int(answer.json()["balance"])
        if balance >= at_least:
            return balance
        time.sleep(0.25)
    raise AssertionError(f"{account.username} has {balance} coins, not the {at_least} the posts earn")


def test_two_people_and_an_admin(browser_context: NewContext, site: Site, check: Callable[..., None],
                                 tmp_path: Path) -> None:
    tag = uuid.uuid4().hex[:8]
    alice = Account(f"alice_{tag}")
    bob = Account(f"bob_{tag}")
    text = f"Sunset from the pier #web{tag}"
    alt = f"An orange sunset over the sea, seen from a wooden pier ({tag})"
    photo = tmp_path / "sunset.jpg"
    photo.write_bytes(jpeg_rotated_with_gps())  # stored landscape, EXIF orientation 6: shown portrait

    with step("1. Alice signs up through the form and is signed in at Home."):
        a = browser_context().new_page()
        a.goto("/signup")
        check(a, "01-signup", phone=True)
        sign_up(a, alice, "Alice Liddell")
        expect(a).to_have_url(f"{site.url}/")
        expect(a.get_by_role("heading", level=1)).to_be_visible()
        check(a, "02-home-new", phone=True)

    with step("2. She posts a photo with alt text; the post appears at the top with the processed image."):
        a.get_by_label("What's happening?").fill(text)
        a.get_by_label("Add photos or a video").set_input_files(photo)
        a.get_by_label("Alt text for photo 1").fill(alt)
        post_button = a.get_by_role("button", name="Post", exact=True)
        expect(post_button).to_be_enabled(timeout=PROCESSING_MS)  # the upload is ready
        check(a, "03-compose")
        post_button.click()
        card = post_card(a, text)
        expect(card).to_be_visible(timeout=PROCESSING_MS)
        image = card.get_by_role("img", name=alt)
        expect(image).to_be_visible(timeout=PROCESSING_MS)
        expect(image).not_to_have_attribute("src", re.compile(r"^(blob|data):"))
        a.wait_for_function("(img) => img.complete && img.naturalWidth > 0", arg=image.element_handle())
        width, height = image.evaluate("(img) => [img.naturalWidth, img.naturalHeight]")
        assert height > width, f"the processed photo should be upright (portrait), got {width}x{height}"
        check(a, "04-posted", phone=True)
        badge_before = unread(a)

    with step("3. Bob signs up in his own browser context and finds Alice by a prefix of her username."):
        b = browser_context().new_page()
        sign_up(b, bob, "Bob Builder")
        nav(b, "Search").click()
        search = b.get_by_role("combobox", name="Search")
        search.fill(alice.username[: len("alice_") + 4])
        option = b.get_by_role("option", name=f"@{alice.username} Alice Liddell")
        expect(option).to_be_visible()
        expect(search).to_have_attribute("aria-expanded", "true")
        check(b, "05-search-suggestions", phone=True)
        option.click()

    with step("4. Her profile; he follows her."):
        expect(b).to_have_url(f"{site.url}/u/{alice.username}")
        expect(b.get_by_role("heading", level=1, name="Alice Liddell")).to_be_visible()
        expect(b.get_by_text("1 posts").or_(b.get_by_text("1 post", exact=True))).to_be_visible()
        b.get_by_role("button", name="Follow", exact=True).click()
        expect(b.get_by_role("button", name="Unfollow")).to_be_visible()
        expect(b.get_by_role("link", name=re.compile(r"^1 followers?$"))).to_be_visible()
        check(b, "06-profile-followed", phone=True)

    with step("5. Home shows her post; he likes it."):
        nav(b, "Home").click()
        card = post_card(b, text)
        # Following copies her recent posts into his timeline asynchronously (the follow's backfill); his empty
        # feed looks again every few seconds, so the post arrives without a reload.
        expect(card).to_be_visible(timeout=PROCESSING_MS)
        expect(card.get_by_role("img", name=alt)).to_be_visible()
        like = card.get_by_role("button", name="Like")
        expect(like).to_have_attribute("aria-pressed", "false")
        like.click()
        expect(like).to_have_attribute("aria-pressed", "true")
        # The count is beside the button (its name stays "Like") and describes it.
        expect(like).to_have_accessible_description(re.compile(r"^\s*1\s+likes?\s*$"))
        check(b, "07-home-liked", phone=True)

    with step("6. He opens the post and comments."):
        card.get_by_role("link", name="0 comments").click()
        expect(b).to_have_url(re.compile(r"/posts/[^/]+$"))
        expect(b.get_by_text(text)).to_be_visible()
        comment = f"Beautiful colours, Alice! ({tag})"
        b.get_by_label("Add a comment").fill(comment)
        b.get_by_role("button", name="Comment", exact=True).click()
        expect(b.get_by_text(comment)).to_be_visible()
        expect(b.get_by_label("Add a comment")).to_have_value("")
        check(b, "08-post-commented", phone=True)

    with step("7. Alice's unread badge moved while she did nothing (the WebSocket, no reload)."):
        badge = a.get_by_test_id("unread-badge")
        expect(badge).to_be_visible(timeout=LIVE_MS)
        a.wait_for_function("([before]) => { const b = document.querySelector('[data-testid=unread-badge]');"
                            " return b && parseInt(b.textContent.replace(/\\D/g, ''), 10) > before; }",
                            arg=[badge_before], timeout=LIVE_MS)
        assert a.evaluate("() => performance.getEntriesByType('navigation').length") == 1
        check(a, "09-badge-live")

    with step("8. Her notifications: opening the page marks them read and the badge clears."):
        nav(a, "Notifications").click()
        expect(a.get_by_role("heading", level=1, name="Notifications")).to_be_visible()
        expect(a.get_by_text("Bob Builder").first.or_(a.get_by_text(bob.username).first)).to_be_visible()
        expect(a.get_by_test_id("unread-badge")).to_have_count(0, timeout=LIVE_MS)
        check(a, "10-notifications", phone=True)

    with step("9. Her wallet shows the coins she earned (a post and a like so far)."):
        nav(a, "Wallet").click()
        balance = a.get_by_test_id("balance")
        expect(balance).to_have_text(re.compile(r"[1-9]"))
        assert int(re.sub(r"\D", "", balance.inner_text())) > 0
        expect(a.get_by_text("Balance", exact=True)).to_be_visible()
        check(a, "11-wallet", phone=True)

    with step("10. More posts (through the API) earn enough for the cheapest reward; she redeems it in the dialog."):
        login(site, alice)
        for n in range(STICKERS_COST // 10):
            made = requests.post(site.api("/posts"), json={"content": f"Saving up for stickers, day {n + 1}"},
                                 headers=alice.headers, timeout=10)
            assert made.status_code == 201, made.text
        wait_for_balance(site, alice, STICKERS_COST)
        nav(a, "Rewards").click()
        expect(a.get_by_text(STICKERS).first).to_be_visible()
        check(a, "12-rewards", phone=True)
        a.get_by_role("button", name=f"Redeem {STICKERS}").click()
        dialog = a.get_by_role("dialog", name=f"Redeem {STICKERS}?")
        expect(dialog).to_be_visible()
        check(a, "13-redeem-dialog")
        dialog.get_by_role("button", name="Confirm").click()
        expect(dialog).to_be_hidden()
        orders_link = a.get_by_role("link", name="See your orders")
        expect(orders_link).to_be_visible()
        check(a, "14-redeemed")
        orders_link.click()
        expect(a).to_have_url(f"{site.url}/orders")
        expect(a.get_by_text(STICKERS).first).to_be_visible()
        expect(a.get_by_text(str(STICKERS_COST)).first).to_be_visible()
        check(a, "15-orders", phone=True)

    with step("11. The admin signs in through the form and adds a reward to the catalog."):
        admin = browser_context().new_page()
        sign_in(admin, Account("admin", ADMIN_PASSWORD))
        nav(admin, "Admin").click()
        expect(admin).to_have_url(f"{site.url}/admin")
        reward = f"Tote bag {tag}"
        # "a form 'Add a reward'": its accessible name, or else the form holding the "Add reward" button.
        form = admin.get_by_role("form", name="Add a reward").or_(
            admin.locator("form").filter(has=admin.get_by_role("button", name="Add reward"))).first
        form.get_by_label("Name").fill(reward)
        form.get_by_label("Cost").fill("120")
        form.get_by_label("Stock").fill("7")
        form.get_by_role("button", name="Add reward").click()
        expect(admin.get_by_text(reward, exact=True)).to_be_visible()  # in the catalog list
        expect(admin.get_by_role("heading", name="Coins report")).to_be_visible()
        expect(admin.get_by_role("table").first).to_be_visible()
        download = admin.get_by_role("link", name="Download CSV").or_(admin.get_by_role("button", name="Download CSV"))
        expect(download.first).to_be_visible()
        check(admin, "16-admin", phone=True)

    with step("12. Alice sees the admin's new reward in the catalog."):
        a.goto("/rewards")  # a fresh visit: the app may keep the catalog it read a few seconds ago (staleTime)
        expect(a.get_by_role("button", name=f"Redeem {reward}")).to_be_visible()
