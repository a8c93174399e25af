"""The local platform: the whole serverless platform on one machine, no AWS account.

moto's server stands in for AWS (in-process, on loopback), the runtime's
declarations are provisioned on it, the Chalice app is served over HTTP as API
Gateway would call it, and an event pump delivers SQS, S3, SNS, DynamoDB stream
and schedule events to the same handlers Lambda would call.

Usage::

    from local.platform import LocalPlatform

    with LocalPlatform(port=0) as platform:       # the real app and MANIFEST
        requests.get(f"{platform.url}/v1/health")

or from a shell: ``python -m local`` (``--port``, env ``PORT``).

This package lives outside ``runtime/`` so that Chalice never packages it.
"""

import sys as _sys
from pathlib import Path as _Path

# The runtime's modules import as Lambda's task root has them (``import app``,
# ``import chalicelib``); every module here relies on that, whatever the entry point.
RUNTIME_DIR = _Path(__file__).resolve().parent.parent / "runtime"
if str(RUNTIME_DIR) not in _sys.path:
    _sys.path.insert(0, str(RUNTIME_DIR))
