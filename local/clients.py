"""boto3 clients bound to one endpoint, independent of the process environment.

Usage::

    clients = Clients("http://127.0.0.1:5000", region="us-east-1")
    clients.sqs.list_queues()
    quiet = Clients(endpoint, region, user_agent_extra=QUIET_AGENT)   # the pump's: wakes no one
    clients.close()
"""

from __future__ import annotations

import threading
from typing import Any

import boto3
from botocore.config import Config


class Clients:
    """One lazily built client per service; boto3 clients are safe to share between threads."""

    def __init__(self, endpoint: str, region: str, *, user_agent_extra: str | None = None) -> None:
        self.endpoint = endpoint
        self.region = region
        self.user_agent_extra = user_agent_extra
        self._session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                                              region_name=region)
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()

    def client(self, service: str) -> Any:
        with self._lock:
            if service not in self._clients:
                self._clients[service] = self._session.client(
                    service, endpoint_url=self.endpoint,
                    config=Config(retries={"max_attempts": 2, "mode": "standard"},
                                  user_agent_extra=self.user_agent_extra))
            return self._clients[service]

    @property
    def sqs(self) -> Any:
        return self.client("sqs")

    @property
    def sns(self) -> Any:
        return self.client("sns")

    @property
    def s3(self) -> Any:
        return self.client("s3")

    @property
    def dynamodb(self) -> Any:
        return self.client("dynamodb")

    @property
    def streams(self) -> Any:
        return self.client("dynamodbstreams")

    @property
    def cognito(self) -> Any:
        return self.client("cognito-idp")

    def close(self) -> None:
        with self._lock:
            for client in self._clients.values():
                client.close()
            self._clients.clear()
