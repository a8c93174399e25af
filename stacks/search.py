"""Search: an Amazon OpenSearch Service domain inside the VPC, reachable only by the functions that search.

The domain lives in the private subnets with a security group that admits HTTPS from the functions'
security group and nothing else; it encrypts at rest and between nodes, and refuses plain HTTP and
TLS below 1.2. Requests are signed (SigV4) by the functions' roles: the access policy names them
(``allow``), and each function's own policy grants ``es:ESHttp*`` on the domain (``stacks/policies.py``).

Per environment (``stacks/settings.py``, ``search*`` keys): dev (in the account stack, shared by dev and
every preview, each stack with its own index prefix) is one small node in one AZ; prod is its own domain,
zone-aware over ``searchZones`` AZs with ``searchDedicatedMasters`` dedicated master nodes.

Usage::

    search = Search("social-prod-search", SearchArgs(settings, vpc_id, subnet_ids, functions_group_id), opts)
    search.endpoint          # https://vpc-social-prod-search-....es.amazonaws.com
    search.allow([role.arn for role in search_roles])
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from stacks.network import HTTPS_PORT
from stacks.settings import StackSettings

DOMAIN_NAME_MAX = 28  # OpenSearch Service: 3-28 characters, a lowercase letter first
# TLS 1.2 or newer with forward secrecy only (AWS's newest policy; Policy-Min-TLS-1-2-2019-07 allows non-PFS
# suites). The provider passes it as DomainEndpointOptions.TLSSecurityPolicy.
TLS_POLICY = "Policy-Min-TLS-1-2-PFS-2023-10"
HTTP_ACTIONS = ("es:ESHttpDelete", "es:ESHttpGet", "es:ESHttpHead", "es:ESHttpPost", "es:ESHttpPut")


@dataclass(frozen=True)
class SearchArgs:
    """The environment (sizes), and the network the domain joins: the VPC, its private subnets (one per
    zone the domain uses, in order) and the security group of the functions that reach it."""

    settings: StackSettings
    vpc_id: pulumi.Input[str]
    subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]]
    functions_group_id: pulumi.Input[str]
    depends_on: Sequence[pulumi.Resource] = ()  # e.g. the account's service-linked role for OpenSearch


def access_policy(domain_arn: str, principals: Sequence[str], *,
                  principal_arn_like: str | None = None) -> dict[str, Any]:
    """The domain's resource policy: the named principals may send any HTTP request to the domain's paths.

    ``principal_arn_like``: with an account as principal (a domain several stacks share), only its
    roles matching this pattern (the project's), each still needing es:ESHttp* in its own policy.

    >>> access_policy("arn:aws:es:r:1:domain/d", ["arn:aws:iam::1:role/a"])["Statement"][0]["Resource"]
    'arn:aws:es:r:1:domain/d/*'
    """
    statement: dict[str, Any] = {
        "Sid": "SearchFunctions", "Effect": "Allow",
        "Principal": {"AWS": sorted(set(principals))},
        "Action": list(HTTP_ACTIONS),
        "Resource": f"{domain_arn}/*",
    }
    if principal_arn_like is not None:
        statement["Condition"] = {"ArnLike": {"aws:PrincipalArn": principal_arn_like}}
    return {"Version": "2012-10-17", "Statement": [statement]}


class Search(pulumi.ComponentResource):
    """The domain, its security group and the rules between it and the functions."""

    domain: aws.opensearch.Domain
    security_group: aws.ec2.SecurityGroup
    endpoint: pulumi.Output[str]  # https://<the domain's VPC endpoint>
    arn: pulumi.Output[str]
    rules: list[pulumi.Resource]

    def __init__(self, name: str, args: SearchArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("social:search:Search", name, None, opts)
        settings = args.settings
        self._namer = namer = settings.namer
        self._child = child = pulumi.ResourceOptions(parent=self)
        tags = namer.tags(component="search")
        zones = settings.search_zones

        self.security_group = aws.ec2.SecurityGroup(
            namer.name("search-sg"),
            name=namer.name("search", 255),
            description="OpenSearch domain: 443 from the functions only",
            vpc_id=args.vpc_id,
            revoke_rules_on_delete=True,
            tags=namer.tags(component="search", Name=namer.name("search-sg")),
            opts=child,
        )
        self.rules = [
            aws.vpc.SecurityGroupIngressRule(
                namer.name("search-from-functions"),
                security_group_id=self.security_group.id,
                referenced_security_group_id=args.functions_group_id,
                ip_protocol="tcp", from_port=HTTPS_PORT, to_port=HTTPS_PORT,
                description="search-from-functions", tags=tags, opts=child),
            aws.vpc.SecurityGroupEgressRule(
                namer.name("functions-to-search"),
                security_group_id=args.functions_group_id,
                referenced_security_group_id=self.security_group.id,
                ip_protocol="tcp", from_port=HTTPS_PORT, to_port=HTTPS_PORT,
                description="functions-to-search", tags=tags, opts=child),
        ]
        # A VPC domain takes one subnet per zone it spreads over (AWS refuses more).
        subnets = pulumi.Output.from_input(args.subnet_ids).apply(lambda ids: list(ids)[:zones])
        masters = settings.search_dedicated_masters
        self.domain = aws.opensearch.Domain(
            namer.name("search-domain"),
            domain_name=namer.name("search", DOMAIN_NAME_MAX),
            engine_version=settings.search_engine_version,
            cluster_config=aws.opensearch.DomainClusterConfigArgs(
                instance_type=settings.search_instance_type,
                instance_count=settings.search_instance_count,
                zone_awareness_enabled=zones > 1,
                zone_awareness_config=(aws.opensearch.DomainClusterConfigZoneAwarenessConfigArgs(
                    availability_zone_count=zones) if zones > 1 else None),
                dedicated_master_enabled=masters > 0,
                dedicated_master_count=masters or None,
                dedicated_master_type=settings.search_master_type if masters else None,
            ),
            ebs_options=aws.opensearch.DomainEbsOptionsArgs(
                ebs_enabled=True, volume_type="gp3", volume_size=settings.search_volume_gb),
            vpc_options=aws.opensearch.DomainVpcOptionsArgs(
                subnet_ids=subnets, security_group_ids=[self.security_group.id]),
            encrypt_at_rest=aws.opensearch.DomainEncryptAtRestArgs(enabled=True),
            node_to_node_encryption=aws.opensearch.DomainNodeToNodeEncryptionArgs(enabled=True),
            domain_endpoint_options=aws.opensearch.DomainDomainEndpointOptionsArgs(
                enforce_https=True, tls_security_policy=TLS_POLICY),
            # No request deletes indexes by wildcard (DELETE /social-*): each index must be named.
            advanced_options={"rest.action.destructive_requires_name": "true"},
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[*self.rules, *args.depends_on],
                                        protect=settings.deletion_protection),
        )
        self.endpoint = self.domain.endpoint.apply(lambda host: f"https://{host}")
        self.arn = self.domain.arn
        self.register_outputs({"endpoint": self.endpoint, "domainArn": self.arn})

    def allow(self, principals: pulumi.Input[Sequence[pulumi.Input[str]]], *,
              principal_arn_like: pulumi.Input[str] | None = None) -> aws.opensearch.DomainPolicy:
        """The domain's access policy, naming ``principals`` (the searching functions' roles) only.

        A resource of its own (not the domain's ``access_policies``): the roles exist after the functions,
        whose environment needs the domain's endpoint first.
        """
        document = pulumi.Output.all(self.arn, principals, principal_arn_like).apply(
            lambda values: json.dumps(access_policy(values[0], values[1], principal_arn_like=values[2]),
                                      sort_keys=True))
        return aws.opensearch.DomainPolicy(
            self._namer.name("search-policy"),
            domain_name=self.domain.domain_name,
            access_policies=document,
            opts=self._child,
        )
