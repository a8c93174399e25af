"""Invalidate, after ``pulumi up``, the web client's files that keep their name (``index.html``...).

pulumi-aws has no invalidation resource (stacks/web.py): this is the deploy's last step. Hashed assets
get new names and need none. The request's caller reference is a digest of those files' contents, so
CloudFront treats a second run for the same build as the same request (``CreateInvalidation`` is
idempotent per caller reference) and a changed ``index.html`` as a new one.

Usage::

    python -m tools.invalidate --distribution-id "$(pulumi stack output webDistributionId -s dev)"
    python -m tools.invalidate --distribution-id E2QWRUHEXAMPLE --dist web/dist
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from stacks.webfiles import DIST, SiteFile, invalidation_paths, site_files


def caller_reference(files: Sequence[SiteFile]) -> str:
    """A digest of the fixed-name files' keys and contents: the same build, the same reference."""
    digest = hashlib.sha256()
    for file in files:
        if not file.hashed:
            digest.update(file.key.encode() + b"\0" + file.path.read_bytes() + b"\0")
    return f"web-{digest.hexdigest()[:32]}"


def invalidate(cloudfront: Any, distribution_id: str, dist: Path) -> tuple[str, list[str]]:
    """Ask CloudFront to drop its copies of the build's fixed-name files; the invalidation's id and paths."""
    files = site_files(dist) if dist.is_dir() else []
    paths = invalidation_paths(files)
    answer = cloudfront.create_invalidation(
        DistributionId=distribution_id,
        InvalidationBatch={"Paths": {"Quantity": len(paths), "Items": paths},
                           "CallerReference": caller_reference(files)},
    )
    return str(answer["Invalidation"]["Id"]), paths


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--distribution-id", required=True, help="the stack's webDistributionId output")
    parser.add_argument("--dist", type=Path, default=DIST, help="the build (default web/dist)")
    args = parser.parse_args(argv)
    import boto3  # only here: the rest of the module is importable without AWS

    invalidation, paths = invalidate(boto3.client("cloudfront"), args.distribution_id, args.dist)
    print(f"invalidation {invalidation} of {' '.join(paths)} on {args.distribution_id}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
