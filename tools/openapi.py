"""Write the API's OpenAPI document (what ``GET /v1/openapi.json`` serves) to a file, without a server.

The web client's types are generated from it (``make web``: ``web/src/api/schema.d.ts``), so the app is
compiled against the contract the running API serves and a changed response shape breaks its build.

Usage::

    python -m tools.openapi web/openapi.json
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import stacks  # noqa: F401  (puts runtime/ on sys.path, as Lambda has it)
from chalicelib.core.openapi import build_openapi
from chalicelib.meta.routes import TITLE, VERSION


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", type=Path)
    args = parser.parse_args(argv)
    from app import app  # the Chalice app, with every route registered

    document = build_openapi(app, title=TITLE, version=VERSION)
    text = json.dumps(document, indent=1, sort_keys=True) + "\n"
    if not args.output.exists() or args.output.read_text() != text:  # unchanged: keep make's timestamps
        args.output.write_text(text)


if __name__ == "__main__":
    main()
