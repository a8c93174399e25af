"""How the flags look on the wire."""

from __future__ import annotations

from chalicelib.core.schema import ResponseBody


class ClientFlags(ResponseBody):
    """The client-visible flags for the caller: a switch is true or false, a number flag its value."""

    flags: dict[str, bool | int]
