"""The Mastodon face's tables: OAuth apps, one-time authorization codes, and tokens (access and refresh).

Secrets are never stored, only their SHA-256 (``chalicelib.mastodon.oauth.digest``). A token record carries
what every request needs without another read: the principal (user id, username, groups), the scopes, the
Cognito session behind it, and the rate-limit window (``window_start``, ``window_count``).
"""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
)
from pynamodb.models import Model

from chalicelib.core.declarations import aws_region, table_name_for


class MastodonAppModel(Model):
    class Meta:
        logical_name = "mastodon-apps"
        table_name = table_name_for(logical_name)
        region = aws_region()

    client_id = UnicodeAttribute(hash_key=True)
    secret_hash = UnicodeAttribute()
    name = UnicodeAttribute()
    redirect_uris = UnicodeAttribute()  # newline-separated, as Mastodon's apps answer them
    scopes = UnicodeAttribute()  # space-separated
    website = UnicodeAttribute(null=True)
    created_at = NumberAttribute()


class _UserAttributes:
    """The signed-in user's fields, shared by codes and tokens (PynamoDB collects inherited attributes too)."""

    user_id = UnicodeAttribute(null=True)
    username = UnicodeAttribute(null=True)
    groups = UnicodeAttribute(null=True)  # space-separated Cognito groups
    cognito_access = UnicodeAttribute(null=True)
    cognito_refresh = UnicodeAttribute(null=True)
    session_expires_at = NumberAttribute(null=True)


class MastodonCodeModel(_UserAttributes, Model):
    class Meta:
        logical_name = "mastodon-codes"
        table_name = table_name_for(logical_name)
        region = aws_region()

    code_hash = UnicodeAttribute(hash_key=True)
    client_id = UnicodeAttribute()
    redirect_uri = UnicodeAttribute()
    scopes = UnicodeAttribute()
    challenge = UnicodeAttribute(null=True)
    challenge_method = UnicodeAttribute(null=True)
    expires_at = TTLAttribute()


class MastodonTokenModel(_UserAttributes, Model):
    class Meta:
        logical_name = "mastodon-tokens"
        table_name = table_name_for(logical_name)
        region = aws_region()

    token_hash = UnicodeAttribute(hash_key=True)
    kind = UnicodeAttribute()  # "access" or "refresh"
    client_id = UnicodeAttribute()
    scopes = UnicodeAttribute()
    created_at = NumberAttribute()
    pair = UnicodeAttribute(null=True)
    revoked = BooleanAttribute(default=False)
    window_start = NumberAttribute(default=0)
    window_count = NumberAttribute(default=0)
    expires_at = TTLAttribute(null=True)  # set when revoked: the record goes a while later
