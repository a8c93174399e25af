"""X-Ray subsegments for AWS calls, only where they are wanted.

Lambda's active tracing records each invocation without any SDK. The X-Ray SDK
adds a subsegment per AWS call but costs about 270 ms of cold start to import,
so it is patched in only when ``TRACING`` is on and the code runs in Lambda,
and only for botocore (what we call), never ``patch_all()``.
"""

from __future__ import annotations

import os

from chalicelib.core.settings import get_settings


def install_tracing() -> bool:
    """Patch botocore for X-Ray when enabled; returns whether it did."""
    if not get_settings().tracing or "AWS_LAMBDA_FUNCTION_NAME" not in os.environ:
        return False
    from aws_xray_sdk.core import patch

    patch(["botocore"])
    return True
