"""JSON Schemas of Mastodon's entities, written from docs.joinmastodon.org/entities (the mastodon/documentation
repository's ``content/en/entities/*.md`` and ``methods/grouped_notifications.md``), independent of the
platform's own pydantic models: the point is to catch where our answers differ from Mastodon's.

What is required: every attribute the documentation lists without ``{{%optional%}}`` that Mastodon 4.3.0 (the
version the instance announces) already had; attributes added later (``quotes_count``, ``quote``,
``avatar_description``...) are not required but, when present, must have their documented type.
``{{<nullable>}}`` attributes accept null; an optional attribute is absent or of its type, never null unless
it is also nullable (Mastodon leaves ``Status.application`` or ``Notification.status`` out, it does not send
null). Extra attributes are allowed, as clients ignore them.

Usage::

    from tests.clients.mastodon_schemas import assert_entity

    assert_entity("Status", api.status_post("hi"))
    assert_entity("Status[]", api.timeline_home())  # a list of entities
    assert_entity("Error", response.json())
"""

from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator

Schema = dict[str, Any]

STRING: Schema = {"type": "string"}
INTEGER: Schema = {"type": "integer"}
NUMBER: Schema = {"type": "number"}
BOOLEAN: Schema = {"type": "boolean"}
ID: Schema = {"type": "string", "minLength": 1}  # "cast from an integer but not guaranteed to be a number"
URL: Schema = {"type": "string", "pattern": r"^https?://\S+$"}
# Mastodon's Datetime (/api/datetime-format): ISO 8601 with a UTC offset or Z, e.g. 2019-12-08T03:48:33.901Z.
DATETIME: Schema = {"type": "string", "pattern": r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:?\d\d)$"}
DATE: Schema = {"type": "string", "pattern": r"^\d{4}-\d\d-\d\d$"}  # Account.last_status_at
LANGUAGE: Schema = {"type": "string", "pattern": r"^[a-z]{2,3}$"}


def ref(name: str) -> Schema:
    return {"$ref": f"#/$defs/{name}"}


def nullable(schema: Schema) -> Schema:
    return {"anyOf": [schema, {"type": "null"}]}


def array(items: Schema) -> Schema:
    return {"type": "array", "items": items}


def enum(*values: str) -> Schema:
    return {"type": "string", "enum": list(values)}


def entity(required: dict[str, Schema], optional: dict[str, Schema] | None = None) -> Schema:
    """An object with ``required`` attributes and, when present, typed ``optional`` ones."""
    return {"type": "object", "required": sorted(required), "properties": {**required, **(optional or {})}}


NOTIFICATION_TYPES = ("mention", "status", "reblog", "follow", "follow_request", "favourite", "poll", "update",
                      "admin.sign_up", "admin.report", "severed_relationships", "moderation_warning", "quote",
                      "quoted_update", "added_to_collection", "collection_update")
MEDIA_TYPES = ("unknown", "image", "gifv", "video", "audio")
VISIBILITIES = ("public", "unlisted", "private", "direct")

DEFS: dict[str, Schema] = {
    "CustomEmoji": entity({"shortcode": STRING, "url": URL, "static_url": URL, "visible_in_picker": BOOLEAN},
                          {"category": nullable(STRING)}),
    "Field": entity({"name": STRING, "value": STRING, "verified_at": nullable(DATETIME)}),
    "AccountRole": entity({"id": STRING, "name": STRING, "color": STRING}),
    "Account": entity(
        {"id": ID, "username": STRING, "acct": STRING, "url": nullable(URL), "uri": URL, "display_name": STRING,
         "note": STRING, "avatar": URL, "avatar_static": URL, "header": URL, "header_static": URL,
         "locked": BOOLEAN, "fields": array(ref("Field")), "emojis": array(ref("CustomEmoji")), "bot": BOOLEAN,
         "group": BOOLEAN, "discoverable": nullable(BOOLEAN), "indexable": BOOLEAN, "created_at": DATETIME,
         "last_status_at": nullable(DATE), "statuses_count": INTEGER, "followers_count": INTEGER,
         "following_count": INTEGER, "hide_collections": nullable(BOOLEAN),
         "roles": nullable(array(ref("AccountRole")))},
        {"noindex": nullable(BOOLEAN), "moved": nullable(ref("Account")), "memorial": BOOLEAN,
         "suspended": BOOLEAN, "limited": BOOLEAN, "avatar_description": STRING, "header_description": STRING,
         "source": ref("Source")}),
    # CredentialAccount's ``source`` (verify_credentials, update_credentials).
    "Source": entity(
        {"note": STRING, "fields": array(ref("Field")), "privacy": enum(*VISIBILITIES), "sensitive": BOOLEAN,
         # "ISO 639-1 language two-letter code, or empty string"; Mastodon itself answers null when unset.
         "language": nullable({"anyOf": [LANGUAGE, {"const": ""}]}), "follow_requests_count": INTEGER,
         "hide_collections": nullable(BOOLEAN), "discoverable": nullable(BOOLEAN), "indexable": BOOLEAN},
        {"attribution_domains": array(STRING), "quote_policy": STRING}),
    "CredentialAccount": {"allOf": [ref("Account"), {"required": ["source"]}]},
    "PartialAccountWithAvatar": entity({"id": ID, "acct": STRING, "url": URL, "avatar": URL, "avatar_static": URL,
                                        "locked": BOOLEAN, "bot": BOOLEAN}),
    "Mention": entity({"id": ID, "username": STRING, "url": URL, "acct": STRING}),
    "StatusTag": entity({"name": STRING, "url": URL}),
    "TagHistory": entity({"day": {"type": "string", "pattern": r"^\d+$"},
                          "uses": {"type": "string", "pattern": r"^\d+$"},
                          "accounts": {"type": "string", "pattern": r"^\d+$"}}),
    "Tag": entity({"name": STRING, "url": URL, "history": array(ref("TagHistory"))},
                  {"id": ID, "following": BOOLEAN, "featuring": BOOLEAN}),
    "MediaAttachment": entity(
        {"id": ID, "type": enum(*MEDIA_TYPES), "url": nullable(URL), "preview_url": nullable(URL),
         "remote_url": nullable(URL), "meta": nullable({"type": "object"}), "description": nullable(STRING),
         "blurhash": nullable(STRING)}),
    "Status": entity(
        {"id": ID, "uri": STRING, "created_at": DATETIME, "account": ref("Account"), "content": STRING,
         "visibility": enum(*VISIBILITIES), "sensitive": BOOLEAN, "spoiler_text": STRING,
         "media_attachments": array(ref("MediaAttachment")), "mentions": array(ref("Mention")),
         "tags": array(ref("StatusTag")), "emojis": array(ref("CustomEmoji")), "reblogs_count": INTEGER,
         "favourites_count": INTEGER, "replies_count": INTEGER, "url": nullable(URL),
         "in_reply_to_id": nullable(ID), "in_reply_to_account_id": nullable(ID), "reblog": nullable(ref("Status")),
         "poll": nullable({"type": "object"}), "card": nullable({"type": "object"}),
         "language": nullable(LANGUAGE), "edited_at": nullable(DATETIME)},
        # ``text`` is listed unmarked but only answered by delete and source-bearing calls.
        {"application": entity({"name": STRING}, {"website": nullable(URL)}), "text": nullable(STRING),
         "favourited": BOOLEAN, "reblogged": BOOLEAN, "muted": BOOLEAN, "bookmarked": BOOLEAN, "pinned": BOOLEAN,
         "filtered": array({"type": "object"}), "quotes_count": INTEGER, "quote": nullable({"type": "object"}),
         "quote_approval": {"type": "object"}}),
    # A status as a signed-in user sees it: Mastodon adds the viewer's flags.
    "ViewerStatus": {"allOf": [ref("Status"), {"required": ["favourited", "reblogged", "muted", "bookmarked"]}]},
    "StatusEdit": entity(
        {"content": STRING, "spoiler_text": STRING, "sensitive": BOOLEAN, "created_at": DATETIME,
         "account": ref("Account"), "media_attachments": array(ref("MediaAttachment")),
         "emojis": array(ref("CustomEmoji"))},
        {"poll": {"type": "object"}, "quote": nullable({"type": "object"})}),
    "StatusSource": entity({"id": ID, "text": STRING, "spoiler_text": STRING}),
    "Marker": entity({"last_read_id": ID, "version": INTEGER, "updated_at": DATETIME}),
    "Markers": {"type": "object", "properties": {"home": ref("Marker"), "notifications": ref("Marker")},
                "additionalProperties": False},
    "Context": entity({"ancestors": array(ref("Status")), "descendants": array(ref("Status"))}),
    "Relationship": entity(
        {"id": ID, "following": BOOLEAN, "showing_reblogs": BOOLEAN, "notifying": BOOLEAN,
         "languages": nullable(array(STRING)), "followed_by": BOOLEAN, "blocking": BOOLEAN, "blocked_by": BOOLEAN,
         "muting": BOOLEAN, "muting_notifications": BOOLEAN, "requested": BOOLEAN, "requested_by": BOOLEAN,
         "domain_blocking": BOOLEAN, "endorsed": BOOLEAN, "note": STRING},
        {"muting_expires_at": nullable(DATETIME)}),
    "Notification": entity(
        {"id": ID, "type": enum(*NOTIFICATION_TYPES), "group_key": STRING, "created_at": DATETIME,
         "account": ref("Account")},
        {"status": ref("Status"), "report": {"type": "object"}, "event": {"type": "object"},
         "moderation_warning": {"type": "object"}}),
    "NotificationGroup": entity(
        {"group_key": STRING, "notifications_count": INTEGER, "type": enum(*NOTIFICATION_TYPES),
         "most_recent_notification_id": ID, "sample_account_ids": array(ID)},
        {"page_min_id": ID, "page_max_id": ID, "latest_page_notification_at": DATETIME, "status_id": ID,
         "report": {"type": "object"}, "event": {"type": "object"}, "moderation_warning": {"type": "object"}}),
    "GroupedNotificationsResults": entity(
        {"accounts": array(ref("Account")), "statuses": array(ref("Status")),
         "notification_groups": array(ref("NotificationGroup"))},
        {"partial_accounts": array(ref("PartialAccountWithAvatar"))}),
    "Search": entity({"accounts": array(ref("Account")), "statuses": array(ref("Status")),
                      "hashtags": array(ref("Tag"))}),
    "Rule": entity({"id": ID, "text": STRING}, {"hint": STRING, "translations": {"type": "object"}}),
    "Instance": entity(
        {"domain": STRING, "title": STRING, "version": STRING, "source_url": URL, "description": STRING,
         "usage": entity({"users": entity({"active_month": INTEGER})}),
         "thumbnail": entity({"url": URL}, {"blurhash": STRING, "versions": {"type": "object"},
                                            "description": STRING}),
         "icon": array(entity({"src": URL, "size": {"type": "string", "pattern": r"^\d+x\d+$"}})),
         "languages": array(LANGUAGE),
         "configuration": entity({
             "urls": entity({"streaming": STRING}),
             "vapid": entity({"public_key": STRING}),
             "accounts": entity({"max_featured_tags": INTEGER, "max_pinned_statuses": INTEGER}),
             "statuses": entity({"max_characters": INTEGER, "max_media_attachments": INTEGER,
                                 "characters_reserved_per_url": INTEGER}),
             "media_attachments": entity({"supported_mime_types": array(STRING), "image_size_limit": INTEGER,
                                          "image_matrix_limit": INTEGER, "video_size_limit": INTEGER,
                                          "video_frame_rate_limit": INTEGER, "video_matrix_limit": INTEGER},
                                         {"description_limit": INTEGER}),
             "polls": entity({"max_options": INTEGER, "max_characters_per_option": INTEGER,
                              "min_expiration": INTEGER, "max_expiration": INTEGER}),
             "translation": entity({"enabled": BOOLEAN})}),
         "registrations": entity({"enabled": BOOLEAN, "approval_required": BOOLEAN, "message": nullable(STRING)},
                                 {"url": nullable(URL), "min_age": nullable(INTEGER),
                                  "reason_required": nullable(BOOLEAN)}),
         "api_versions": entity({"mastodon": INTEGER}),
         "contact": entity({"email": STRING, "account": nullable(ref("Account"))}),
         "rules": array(ref("Rule"))}),
    "V1Instance": entity(
        {"uri": STRING, "title": STRING, "short_description": STRING, "description": STRING, "email": STRING,
         "version": STRING, "urls": entity({"streaming_api": STRING}),
         "stats": entity({"user_count": INTEGER, "status_count": INTEGER, "domain_count": INTEGER}),
         "thumbnail": nullable(URL), "languages": array(LANGUAGE), "registrations": BOOLEAN,
         "approval_required": BOOLEAN, "invites_enabled": BOOLEAN,
         "configuration": entity({"accounts": {"type": "object"}, "statuses": {"type": "object"},
                                  "media_attachments": {"type": "object"}, "polls": {"type": "object"}}),
         "contact_account": nullable(ref("Account")), "rules": array(ref("Rule"))}),
    "Application": entity({"id": ID, "name": STRING, "scopes": array(STRING), "redirect_uris": array(STRING)},
                          {"website": nullable(STRING), "redirect_uri": STRING, "vapid_key": STRING}),
    "CredentialApplication": {"allOf": [ref("Application"), entity(
        {"client_id": STRING, "client_secret": STRING}, {"client_secret_expires_at": INTEGER})]},
    "Token": entity({"access_token": STRING, "token_type": {"type": "string", "pattern": "^(?i:bearer)$"},
                     "scope": STRING, "created_at": NUMBER}),
    "Preferences": entity(
        {"posting:default:visibility": enum(*VISIBILITIES), "posting:default:sensitive": BOOLEAN,
         "posting:default:language": nullable(LANGUAGE),
         "reading:expand:media": enum("default", "show_all", "hide_all"), "reading:expand:spoilers": BOOLEAN}),
    "Error": entity({"error": STRING}, {"error_description": STRING}),
}

KINDS = frozenset(DEFS)


def schema_of(kind: str) -> Schema:
    """The schema of ``kind`` (an entity name, or ``Name[]`` for a list of them), with every definition."""
    name = kind.removesuffix("[]")
    if name not in DEFS:
        raise KeyError(f"no schema for {name!r}; known: {', '.join(sorted(DEFS))}")
    target = array(ref(name)) if kind.endswith("[]") else ref(name)
    return {**target, "$defs": DEFS}


def entity_problems(kind: str, data: Any) -> list[str]:
    """Every way ``data`` differs from the ``kind`` entity, as ``$.path: message`` lines (empty when it fits)."""
    validator = Draft202012Validator(schema_of(kind))
    found = sorted(validator.iter_errors(data), key=lambda e: (list(map(str, e.absolute_path)), e.message))
    problems = []
    for error in found:
        # anyOf failures (nullable fields) hide the useful reason in their context.
        detail = error.message if not error.context else min((c.message for c in error.context), key=len)
        problems.append(f"{error.json_path}: {detail}"[:300])
    return problems


def assert_entity(kind: str, data: Any) -> None:
    """Fail, naming each failing path, unless ``data`` is a valid Mastodon ``kind`` (``Status``, ``Account[]``...)."""
    problems = entity_problems(kind, data)
    assert not problems, f"not a Mastodon {kind}:\n  " + "\n  ".join(problems)
