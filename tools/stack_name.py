"""The preview stack of a git branch: ``preview-<slug>``, the one rule every workflow calls.

The name must be a stack the program accepts (``stacks.settings.environment_of``: lower-case words of
letters and digits joined by single dashes, at most ``MAX_STACK_NAME`` = 32 characters). That is the tightest
budget the stacks need: every physical name is ``social-<stack>-<resource>`` and ``stacks/naming.py`` cuts any
name over its service's limit to a stable hash, the stack's own PostgreSQL database in the shared server is
``ledger_<stack>`` (63-character identifiers), the Cognito domain prefix ``social-<stack>-signin`` cut to 50
plus the account id. Within it:

- a branch that already is such a slug (``feature-x``) keeps its name: ``preview-feature-x``;
- any other branch (``Feature/X``, ``fix_ü``, 200 characters) is lower-cased, transliterated to ASCII (NFKD,
  accents dropped, other scripts dropped), every run of other characters becomes one dash, and the slug is
  cut to fit and ends with ``-`` + the first 6 hex digits of the SHA-256 of the branch exactly as written:
  ``Feature/X`` and ``feature-x``, or two long branches with the same start, get different stacks;
- a kept name never ends in a segment of 6 hex digits (such a branch is hashed too), so a kept name can never
  equal a hashed one;
- ``main``, ``dev``, ``prod`` are ordinary branches here: their previews are ``preview-main`` and so on,
  which no long-lived stack is called (those are ``dev``, ``prod``, ``account-<region>``);
- a branch with nothing left to slug (only punctuation or another script) is the hash alone: ``preview-3fa9c1``;
- an empty or blank branch is refused (``StackNameError``): it means the workflow ran without a branch.

Usage::

    stack_name("Feature/X")                      # 'preview-feature-x-<6 hex>'
    python -m tools.stack_name "$GITHUB_HEAD_REF"   # prints it; exit status 2 and a message when refused
"""

from __future__ import annotations

import hashlib
import re
import sys
import unicodedata
from collections.abc import Sequence
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from stacks.settings import MAX_STACK_NAME, PREVIEW_PREFIX, environment_of

HASH_LENGTH = 6
_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_HASH_TAIL = re.compile(rf"(?:^|-)[0-9a-f]{{{HASH_LENGTH}}}$")
_OTHER = re.compile(r"[^a-z0-9]+")


class StackNameError(ValueError):
    """The branch cannot name a preview stack; the message says why."""


def stack_name(branch: str) -> str:
    """The ``preview-*`` stack of ``branch`` (a branch name as ``GITHUB_HEAD_REF`` gives it)."""
    if not branch.strip():
        raise StackNameError("no branch name: run this with the pull request's head branch (GITHUB_HEAD_REF)")
    budget = MAX_STACK_NAME - len(PREVIEW_PREFIX)
    if _SLUG.fullmatch(branch) and len(branch) <= budget and not _HASH_TAIL.search(branch):
        return PREVIEW_PREFIX + branch
    ascii_text = unicodedata.normalize("NFKD", branch).encode("ascii", "ignore").decode("ascii")
    slug = _OTHER.sub("-", ascii_text.lower()).strip("-")
    digest = hashlib.sha256(branch.encode("utf-8", "surrogatepass")).hexdigest()[:HASH_LENGTH]
    head = slug[: budget - HASH_LENGTH - 1].rstrip("-")
    name = f"{PREVIEW_PREFIX}{head}-{digest}" if head else f"{PREVIEW_PREFIX}{digest}"
    environment_of(name)  # the program's own rule: raises (SettingsError) if the two ever drift apart
    return name


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        print("usage: python -m tools.stack_name <branch>", file=sys.stderr)
        return 2
    try:
        print(stack_name(args[0]))
    except StackNameError as exc:
        print(f"stack_name: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
