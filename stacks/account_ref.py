"""What dev, prod and previews read from the account stack (``stacks/account.py``), through a StackReference.

Nothing here creates a resource in AWS: the reference only reads the account stack's outputs, so
destroying a preview or dev never touches what they share.

Usage::

    account = AccountReference("social-dev-account", settings)
    account.mail_identity_arn, account.placement().subnet_ids, account.database_host
"""

from __future__ import annotations

from typing import Any

import pulumi

from stacks.network import VpcPlacement
from stacks.settings import StackSettings


class AccountReference:
    """The account stack's outputs, typed."""

    def __init__(self, name: str, settings: StackSettings, opts: pulumi.ResourceOptions | None = None) -> None:
        self.stack_name = settings.account_stack_name
        self.reference = pulumi.StackReference(name, stack_name=self.stack_name, opts=opts)

    def _get(self, group: str, key: str) -> pulumi.Output[Any]:
        def pick(outputs: Any) -> Any:
            if not isinstance(outputs, dict) or key not in outputs:
                raise KeyError(f"the account stack {self.stack_name} exports no {group}.{key}: run `pulumi up` "
                               f"on it first (see README, First deploy)")
            return outputs[key]

        return self.reference.require_output(group).apply(pick)

    @property
    def mail_identity_arn(self) -> pulumi.Output[str]:
        return self._get("mail", "identityArn")

    @property
    def mail_from(self) -> pulumi.Output[str]:
        return self._get("mail", "from")

    @property
    def database_host(self) -> pulumi.Output[str]:
        return self._get("database", "host")

    @property
    def database_port(self) -> pulumi.Output[int]:
        return self._get("database", "port")

    @property
    def database_admin_secret_arn(self) -> pulumi.Output[str]:
        return self._get("database", "adminSecretArn")

    @property
    def search_endpoint(self) -> pulumi.Output[str]:
        """The shared OpenSearch domain's https URL."""
        return self._get("search", "endpoint")

    @property
    def search_domain_arn(self) -> pulumi.Output[str]:
        return self._get("search", "domainArn")

    def placement(self) -> VpcPlacement:
        """The shared network's private subnets and functions' security group."""
        return VpcPlacement(
            subnet_ids=self._get("network", "privateSubnetIds"),
            subnet_arns=self._get("network", "privateSubnetArns"),
            security_group_id=self._get("network", "functionsSecurityGroupId"),
            security_group_arn=self._get("network", "functionsSecurityGroupArn"),
            network_interfaces_arn=self._get("network", "networkInterfacesArn"),
        )
