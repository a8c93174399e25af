"""The local outbox: every mail SES sends and every push SNS delivers on moto, printed and listed.

moto keeps sent mail in its SES backend but implements neither SES v2's templated ``SendEmail``
(``NotImplementedError("Template functionality not ready")``) nor its ``Headers``, and it keeps a
push only on its endpoint (gone with the endpoint). While installed, this module stands in, inside
the in-process moto server:

- SES v2 ``SendEmail`` with ``Content.Template``: moto's SES v1 backend checks what AWS checks
  (a verified sender, the template exists) and counts the message; the mail is rendered here from
  the stored template (``{{x}}`` escaped in HTML, ``{{{x}}}`` raw, as Handlebars does) and put in
  the outbox with its headers (``List-Unsubscribe``...). Simple and raw content go to moto as before
  and are recorded too.
- SNS ``Publish`` to a platform endpoint: recorded with the endpoint's token and platform (moto's
  own ``EndpointDisabled`` for a disabled endpoint still applies).

Each entry is printed to the console (logger ``local.outbox``) and listed, newest last, at
``GET /local/outbox`` (``?kind=email|push``, ``?to=<address or username>``); ``DELETE
/local/outbox`` empties it (``local.devroutes``).

Usage::

    outbox = Outbox().install()
    outbox.entries(kind="email")     # [{"kind": "email", "to": [...], "subject": ..., "text": ..., ...}]
    outbox.uninstall()
"""

from __future__ import annotations

import base64
import html
import json
import logging
import re
import threading
from datetime import UTC, datetime
from typing import Any

log = logging.getLogger("local.outbox")
_VARIABLE = re.compile(r"\{\{\{\s*([\w.]+)\s*\}\}\}|\{\{\s*([\w.]+)\s*\}\}")


def render(template: str, data: dict[str, Any], *, escape: bool) -> str:
    """Handlebars' variables: ``{{x}}`` (HTML-escaped when ``escape``) and ``{{{x}}}`` (raw)."""

    def value(match: re.Match[str]) -> str:
        raw, escaped = match.group(1), match.group(2)
        found = data.get(raw or escaped, "")
        text = "" if found is None else str(found)
        return html.escape(text) if escaped and escape else text

    return _VARIABLE.sub(value, template)


class Outbox:
    """Captured mails and pushes of this process's moto, newest last (at most ``size``)."""

    def __init__(self, size: int = 1000, echo: bool = True) -> None:
        self._size = size
        self._echo = echo
        self._lock = threading.Lock()
        self._entries: list[dict[str, Any]] = []

    def entries(self, kind: str | None = None, to: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            found = list(self._entries)
        if kind:
            found = [e for e in found if e["kind"] == kind]
        if to:
            found = [e for e in found if to in e.get("to", []) or e.get("user") == to]
        return found

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def add(self, entry: dict[str, Any]) -> None:
        entry = {"at": datetime.now(UTC).isoformat(), **entry}
        with self._lock:
            self._entries.append(entry)
            del self._entries[:-self._size]
        if self._echo:
            log.info("%s", describe(entry))

    # --- standing in for moto (patched once per process, shared by every installed outbox) ----------

    def install(self) -> Outbox:
        with _LOCK:
            if not _INSTALLED:
                _patch_moto()
            _INSTALLED.append(self)
        return self

    def uninstall(self) -> None:
        with _LOCK:
            if self in _INSTALLED:
                _INSTALLED.remove(self)
                if not _INSTALLED:
                    _unpatch_moto()


_LOCK = threading.Lock()
_INSTALLED: list[Outbox] = []  # moto's backends are process-wide: every platform's outbox sees every message
_UNDO: list[tuple[Any, str, Any]] = []


def _broadcast(entry: dict[str, Any]) -> None:
    for outbox in list(_INSTALLED):
        outbox.add(dict(entry))


def _patch_moto() -> None:
    from moto.sesv2.responses import SESV2Response
    from moto.sns.models import PlatformEndpoint

    send_email = SESV2Response.send_email
    publish = PlatformEndpoint.publish

    def templated_send_email(response: SESV2Response) -> str:
        params = json.loads(response.body)
        if "Template" not in params.get("Content", {}):
            answer = send_email(response)
            _broadcast(_plain_entry(params, json.loads(answer)["MessageId"]))
            return answer
        entry = _send_templated(response, params)
        _broadcast(entry)
        return json.dumps({"MessageId": entry["message_id"]})

    def recorded_publish(endpoint: PlatformEndpoint, message: str) -> str:
        message_id = publish(endpoint, message)
        _broadcast({"kind": "push", "message_id": message_id, "user": endpoint.custom_user_data,
                    "platform": endpoint.application.platform, "token": endpoint.token,
                    "endpoint": endpoint.arn, "message": _maybe_json(message)})
        return message_id

    for owner, name, replacement in ((SESV2Response, "send_email", templated_send_email),
                                     (PlatformEndpoint, "publish", recorded_publish)):
        _UNDO.append((owner, name, owner.__dict__[name]))
        setattr(owner, name, replacement)


def _unpatch_moto() -> None:
    while _UNDO:
        owner, name, original = _UNDO.pop()
        setattr(owner, name, original)


def _send_templated(response: Any, params: dict[str, Any]) -> dict[str, Any]:
    from moto.ses.models import ses_backends

    backend = ses_backends[response.current_account][response.region]
    template = params["Content"]["Template"]
    destination = params.get("Destination", {})
    data_text = template.get("TemplateData", "{}")
    # moto's v1 backend checks the sender is verified and the template exists, and counts the mail.
    message = backend.send_templated_email(params.get("FromEmailAddress", ""), template["TemplateName"],
                                           data_text, destination)
    stored = backend.get_template(template["TemplateName"])
    data = json.loads(data_text)
    return {
        "kind": "email", "message_id": str(message.id), "from": params.get("FromEmailAddress"),
        "to": [a for key in ("ToAddresses", "CcAddresses", "BccAddresses") for a in destination.get(key, [])],
        "template": template["TemplateName"],
        "subject": render(str(stored.get("subject_part", "")), data, escape=False),
        "text": render(str(stored.get("text_part", "")), data, escape=False),
        "html": render(str(stored.get("html_part", "")), data, escape=True),
        "headers": {h["Name"]: h["Value"] for h in template.get("Headers", [])},
        "data": data,
    }


def _plain_entry(params: dict[str, Any], message_id: str) -> dict[str, Any]:
    content = params.get("Content", {})
    simple = content.get("Simple", {})
    body = simple.get("Body", {})
    raw = content.get("Raw", {}).get("Data")
    return {"kind": "email", "message_id": message_id, "from": params.get("FromEmailAddress"),
            "to": params.get("Destination", {}).get("ToAddresses", []),
            "subject": simple.get("Subject", {}).get("Data"),
            "text": body.get("Text", {}).get("Data") or (base64.b64decode(raw).decode() if raw else None),
            "html": body.get("Html", {}).get("Data"),
            "headers": {h["Name"]: h["Value"] for h in simple.get("Headers", [])}}


def _maybe_json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def describe(entry: dict[str, Any]) -> str:
    """One console block per captured message."""
    if entry["kind"] == "email":
        lines = [f"mail to {', '.join(entry.get('to', []))}: {entry.get('subject')!r}"]
        lines += [f"  {name}: {value}" for name, value in entry.get("headers", {}).items()]
        lines += [f"  | {line}" for line in str(entry.get("text") or "").splitlines()]
        return "\n".join(lines)
    message = entry.get("message")
    text = message.get("default") if isinstance(message, dict) else message
    return f"push to {entry.get('user')} ({entry.get('platform')} {str(entry.get('token'))[:12]}...): {text!r}"
