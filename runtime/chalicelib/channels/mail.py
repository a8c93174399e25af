"""Sending one templated mail through SES (API v2), with RFC 8058 one-click unsubscribe headers.

SES v2 ``SendEmail`` with ``Content.Template`` renders the stored template (its text and HTML
parts become a multipart/alternative message) and, since the API gained ``Template.Headers``,
adds our headers: ``List-Unsubscribe: <url>`` and ``List-Unsubscribe-Post:
List-Unsubscribe=One-Click`` (botocore's sesv2 model: ``Template`` has ``Headers``, a
``MessageHeaderList``). SES v1's ``SendTemplatedEmail`` takes no headers, and a raw message would
bypass the templates. moto implements neither v2 templates nor headers; the local platform stands
in (``local/outbox.py``).

Usage::

    message_id = send_templated("ada@example.org", "digest", {"display_name": "Ada", ...}, unsubscribe_url)
"""

from __future__ import annotations

import json
import os
from typing import Any

from chalicelib.core.clients import aws_client
from chalicelib.resources import MAIL


def send_templated(to: str, template: str, data: dict[str, Any], unsubscribe_url: str) -> str:
    """Send template ``template`` to ``to``; SES's message id."""
    answer = aws_client("sesv2").send_email(
        FromEmailAddress=os.environ[MAIL.env_var],
        Destination={"ToAddresses": [to]},
        Content={"Template": {
            "TemplateName": os.environ.get(MAIL.templates_env_var, "") + template,
            "TemplateData": json.dumps({**data, "unsubscribe_url": unsubscribe_url}),
            "Headers": [{"Name": "List-Unsubscribe", "Value": f"<{unsubscribe_url}>"},
                        {"Name": "List-Unsubscribe-Post", "Value": "List-Unsubscribe=One-Click"}],
        }},
    )
    return str(answer["MessageId"])
