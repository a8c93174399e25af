"""One rule for every text a user writes (posts, comments, names, bios).

Refused: NUL and every other C0 or C1 control character (newline and tab
only where multi-line text is allowed), and the bidirectional overrides and
isolates (U+202A-U+202E, U+2066-U+2069) that make text read differently from
what it is. Blank: nothing but whitespace and zero-width characters.

Usage::

    class NewPost(RequestBody):
        content: MultiLineText = Field(min_length=1, max_length=2000)

    text_problem("a\\u202eb", multiline=False)   # 'must not contain bidirectional control characters'
    is_blank("\\u200b \\ufeff")                     # True
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))
_MULTILINE_ALLOWED = frozenset("\n\t")


def _is_control(char: str) -> bool:
    code = ord(char)
    return code < 0x20 or 0x7F <= code <= 0x9F


def is_blank(value: str) -> bool:
    """Nothing a reader would see: whitespace and zero-width characters only."""
    return not value.translate(_ZERO_WIDTH).strip()


def text_problem(value: str, *, multiline: bool) -> str | None:
    """What is wrong with ``value`` as user-written text, or ``None``."""
    for char in value:
        if _is_control(char) and not (multiline and char in _MULTILINE_ALLOWED):
            return "must not contain control characters" + ("" if multiline else " or line breaks")
        if char in _BIDI:
            return "must not contain bidirectional control characters"
    if is_blank(value):
        return "must not be blank"
    return None


def _checker(multiline: bool) -> AfterValidator:
    def check(value: str) -> str:
        problem = text_problem(value, multiline=multiline)
        if problem:
            raise PydanticCustomError("user_text", problem)
        return value

    return AfterValidator(check)


SingleLineText = Annotated[str, _checker(multiline=False)]
MultiLineText = Annotated[str, _checker(multiline=True)]
