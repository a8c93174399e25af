"""The mails' SES templates (Handlebars): declared here, created by the stack and by the local platform.

Every variable is escaped by SES (``{{x}}``) except the ``*_html`` ones (``{{{x}}}``), which the
runtime builds from escaped text (``chalicelib.channels.content``).
"""

from __future__ import annotations

from chalicelib.core.declarations import EmailTemplate

_FOOTER_TEXT = "\n\n--\nYou get these mails because email notifications are on. Unsubscribe: {{unsubscribe_url}}\n"
_FOOTER_HTML = ('<p style="color:#666;font-size:12px">You get these mails because email notifications are on. '
                '<a href="{{unsubscribe_url}}">Unsubscribe</a></p>')

NOTIFICATION = EmailTemplate(
    "notification",
    subject="{{summary}}",
    text="Hi {{display_name}},\n\n{{summary}}.\n{{detail}}" + _FOOTER_TEXT,
    html="<p>Hi {{display_name}},</p><p><strong>{{summary}}</strong>.</p><p>{{detail}}</p>" + _FOOTER_HTML,
)

DIGEST = EmailTemplate(
    "digest",
    subject="Your day: {{count}} new notifications",
    text="Hi {{display_name}},\n\nWhile you were away:\n{{items_text}}" + _FOOTER_TEXT,
    html="<p>Hi {{display_name}},</p><p>While you were away:</p><ul>{{{items_html}}}</ul>" + _FOOTER_HTML,
)

TEMPLATES = (NOTIFICATION, DIGEST)
