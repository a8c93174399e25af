"""The runtime's AWS clients: one per service and process, built on first use.

boto3 and each service's model cost tens to hundreds of milliseconds to load, so nothing builds a
client at import: a function pays only for the services it calls. A process sees one environment
in Lambda; the local platform clears this cache (with the runtime's others) when it changes it.

Usage::

    aws_client("sns").publish(TopicArn=..., Message=...)
"""

from __future__ import annotations

from functools import cache
from typing import Any


@cache
def aws_client(service: str) -> Any:
    """The process's boto3 client for ``service``, with the environment's region and endpoint."""
    import boto3

    return boto3.client(service)
