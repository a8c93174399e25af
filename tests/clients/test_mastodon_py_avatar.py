"""Mastodon.py 2.3.3, unchanged, changing the avatar on the local platform: the file goes through the media
pipeline, and the account shows it once processed."""

from __future__ import annotations

import io

import requests
from PIL import Image

from tests.clients.test_mastodon_py_social import _client, _eventually
from tests.e2e.conftest import RunningPlatform, register_and_login
from tests.media_samples import png_with_alpha


def test_an_avatar_set_with_update_credentials_shows_once_processed(platform: RunningPlatform) -> None:
    user = register_and_login(platform, "mavatar")
    api = _client(platform, user)
    before = api.account_verify_credentials()["avatar"]

    # Small: the local gateway refuses any body over the platform's 64 KiB (MAX_BODY_BYTES), whatever the route.
    answered = api.account_update_credentials(display_name="Ava Tar", avatar=png_with_alpha(120, 120),
                                              avatar_mime_type="image/png")
    assert answered["display_name"] == "Ava Tar" and answered["avatar"] == before  # processed after the answer

    shown = _eventually(lambda: api.account_verify_credentials()["avatar"], lambda url: url != before)
    assert shown != before and "/media/" in shown, shown
    served = requests.get(shown, timeout=10)
    assert served.status_code == 200 and Image.open(io.BytesIO(served.content)).size == (120, 120)
    assert api.account(user.username)["avatar"] == shown  # everyone sees it
