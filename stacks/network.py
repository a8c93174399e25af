"""Network: the VPC the ledger's functions, its RDS Proxy and its database live in.

Private subnets only, one per AZ, each with its own route table. The functions that
``connect()`` to a database reach AWS through VPC endpoints: DynamoDB and S3 gateway
endpoints on the private route tables, and interface endpoints with private DNS for
Secrets Manager, SNS, SQS, STS, X-Ray, CloudWatch (monitoring) and, without NAT, Cognito
(cognito-idp). Three security groups chain the database path: functions -> proxy on 5432
-> database on 5432, each admitting only the group before it.

Internet egress exists only when ``natGateways`` > 0 (public subnets, an internet gateway
and that many NAT gateways, AZ i routed through NAT i mod n). Why it matters: the API
function verifies Cognito JWTs against
``https://cognito-idp.<region>.amazonaws.com/<pool>/.well-known/jwks.json``. AWS documents
the cognito-idp interface endpoint for the user-pool API operations (SigV4-signed and
unauthenticated) and excludes managed login, the hosted UI and the OAuth endpoints of user
pool domains; it does not document the JWKS document as served through the endpoint. With
private DNS on, that host resolves to the endpoint for everything in the VPC, so a NAT
gateway cannot route around it: with NAT, the stack creates no cognito-idp endpoint and both
the user-pool API and the JWKS go out through NAT to the public endpoint. Without NAT
(previews by default) the cognito-idp endpoint carries the user-pool API calls
(AdminConfirmSignUp and friends), and token verification depends on the endpoint answering
the JWKS request too, which AWS does not promise; nothing else on the internet is reachable.

Usage::

    network = Network("social-dev-network", NetworkArgs(settings), opts)
    network.private_subnets, network.functions_group.id, network.proxy_group.id, network.database_group.id
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from stacks.settings import StackSettings

POSTGRES_PORT = 5432
HTTPS_PORT = 443
GATEWAY_SERVICES = ("dynamodb", "s3")
# What the ledger functions call, besides DynamoDB and S3; cognito-idp only where there is no NAT (see above).
INTERFACE_SERVICES = ("secretsmanager", "sns", "sqs", "sts", "xray", "monitoring")
COGNITO_SERVICE = "cognito-idp"
ANYWHERE = "0.0.0.0/0"


def subnet_cidrs(vpc_cidr: str, zones: int) -> tuple[list[str], list[str]]:
    """Private /20s from the start of the VPC range, public /24s from the end (for NAT gateways only).

    >>> subnet_cidrs("10.40.0.0/16", 2)
    (['10.40.0.0/20', '10.40.16.0/20'], ['10.40.255.0/24', '10.40.254.0/24'])
    """
    network = ipaddress.ip_network(vpc_cidr)
    if network.prefixlen > 16:
        raise ValueError(f"vpcCidr {vpc_cidr} must be a /16 or larger")
    private = [str(s) for s in list(network.subnets(new_prefix=20))[:zones]]
    last = list(network.subnets(new_prefix=24))
    public = [str(last[-1 - i]) for i in range(zones)]
    return private, public


@dataclass(frozen=True)
class NetworkArgs:
    """The environment: AZ count, CIDR and NAT gateways."""

    settings: StackSettings


class Network(pulumi.ComponentResource):
    """A private VPC with endpoints, optional NAT, and the functions/proxy/database security groups."""

    vpc: aws.ec2.Vpc
    private_subnets: list[aws.ec2.Subnet]
    private_route_tables: list[aws.ec2.RouteTable]
    nat_gateways: list[aws.ec2.NatGateway]
    functions_group: aws.ec2.SecurityGroup
    proxy_group: aws.ec2.SecurityGroup
    database_group: aws.ec2.SecurityGroup
    endpoints_group: aws.ec2.SecurityGroup
    endpoints: dict[str, aws.ec2.VpcEndpoint]  # by service (dynamodb, s3, secretsmanager, ...)
    network_interfaces_arn: pulumi.Output[str]  # arn:aws:ec2:<region>:<account>:network-interface/*

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("social:network:Network", name, None, opts)
        settings = args.settings
        self._namer = namer = settings.namer
        self._child = child = pulumi.ResourceOptions(parent=self)
        zones = settings.availability_zones
        private_cidrs, public_cidrs = subnet_cidrs(settings.vpc_cidr, zones)
        available = aws.get_availability_zones_output(state="available", opts=pulumi.InvokeOptions(parent=self))

        def zone(index: int) -> pulumi.Output[str]:
            return available.names.apply(lambda names: _zone(names, index, zones))

        self.vpc = aws.ec2.Vpc(
            namer.name("vpc"),
            cidr_block=settings.vpc_cidr,
            enable_dns_support=True,
            enable_dns_hostnames=True,  # interface endpoints' private DNS needs both
            tags=self._tags("vpc"),
            opts=child,
        )
        self.private_subnets, self.private_route_tables = [], []
        for index in range(zones):
            subnet = aws.ec2.Subnet(
                namer.name(f"private-{index}"),
                vpc_id=self.vpc.id,
                cidr_block=private_cidrs[index],
                availability_zone=zone(index),
                map_public_ip_on_launch=False,
                tags=self._tags(f"private-{index}", tier="private"),
                opts=child,
            )
            table = aws.ec2.RouteTable(namer.name(f"private-{index}-routes"), vpc_id=self.vpc.id,
                                       tags=self._tags(f"private-{index}-routes", tier="private"), opts=child)
            aws.ec2.RouteTableAssociation(namer.name(f"private-{index}-routes"), subnet_id=subnet.id,
                                          route_table_id=table.id, opts=child)
            self.private_subnets.append(subnet)
            self.private_route_tables.append(table)

        self.nat_gateways = self._nat(settings, public_cidrs, zone) if settings.nat_gateways else []
        for index, table in enumerate(self.private_route_tables):
            if self.nat_gateways:
                aws.ec2.Route(
                    namer.name(f"private-{index}-to-nat"),
                    route_table_id=table.id,
                    destination_cidr_block=ANYWHERE,
                    nat_gateway_id=self.nat_gateways[index % len(self.nat_gateways)].id,
                    opts=child,
                )

        self.functions_group = self._group("functions", "functions that connect to a database")
        self.proxy_group = self._group("proxy", "RDS Proxy: 5432 from the functions only")
        self.database_group = self._group("database", "RDS instances: 5432 from the proxy only")
        self.endpoints_group = self._group("endpoints", "interface endpoints: 443 from the functions only")
        self._allow("proxy-from-functions", self.proxy_group, self.functions_group, POSTGRES_PORT)
        self._allow("database-from-proxy", self.database_group, self.proxy_group, POSTGRES_PORT)
        self._allow("endpoints-from-functions", self.endpoints_group, self.functions_group, HTTPS_PORT)
        self._egress("functions-to-proxy", self.functions_group, POSTGRES_PORT, to=self.proxy_group)
        self._egress("functions-to-endpoints", self.functions_group, HTTPS_PORT, to=self.endpoints_group)
        self._egress("proxy-to-database", self.proxy_group, POSTGRES_PORT, to=self.database_group)

        self.endpoints = {}
        for service in GATEWAY_SERVICES:
            endpoint = aws.ec2.VpcEndpoint(
                namer.name(f"{service}-endpoint"),
                vpc_id=self.vpc.id,
                service_name=f"com.amazonaws.{settings.region}.{service}",
                vpc_endpoint_type="Gateway",
                route_table_ids=[t.id for t in self.private_route_tables],
                tags=self._tags(f"{service}-endpoint"),
                opts=child,
            )
            self.endpoints[service] = endpoint
            self._egress(f"functions-to-{service}", self.functions_group, HTTPS_PORT,
                         prefix_list=endpoint.prefix_list_id)
        # Interface endpoints are billed per AZ and hour: a preview keeps one AZ's worth (reachable from the
        # other AZ too); dev and prod one per AZ, so an AZ outage does not take the endpoints with it.
        endpoint_subnets = self.private_subnets[:1] if settings.is_preview else self.private_subnets
        services = INTERFACE_SERVICES + (() if self.nat_gateways else (COGNITO_SERVICE,))
        for service in services:
            self.endpoints[service] = aws.ec2.VpcEndpoint(
                namer.name(f"{service}-endpoint"),
                vpc_id=self.vpc.id,
                service_name=f"com.amazonaws.{settings.region}.{service}",
                vpc_endpoint_type="Interface",
                private_dns_enabled=True,
                subnet_ids=[s.id for s in endpoint_subnets],
                security_group_ids=[self.endpoints_group.id],
                tags=self._tags(f"{service}-endpoint"),
                opts=child,
            )
        if self.nat_gateways:
            self._egress("functions-to-internet", self.functions_group, HTTPS_PORT, cidr=ANYWHERE)

        # Lambda creates the functions' network interfaces as the function's role: their ARNs, for its policy.
        self.network_interfaces_arn = self.private_subnets[0].arn.apply(
            lambda arn: f"{arn.split(':subnet/')[0]}:network-interface/*")
        self.register_outputs({
            "vpcId": self.vpc.id,
            "privateSubnetIds": [s.id for s in self.private_subnets],
            "functionsSecurityGroupId": self.functions_group.id,
            "natGateways": len(self.nat_gateways),
        })

    @property
    def ready(self) -> list[pulumi.Resource]:
        """What must exist before a function in the VPC can reach AWS (for the migration's invocation)."""
        return list(self.endpoints.values()) + list(self.nat_gateways)

    def _tags(self, logical: str, **extra: str) -> dict[str, str]:
        return self._namer.tags(component="network", Name=self._namer.name(logical), **extra)

    def _nat(self, settings: StackSettings, public_cidrs: list[str],
             zone: Callable[[int], pulumi.Output[str]]) -> list[aws.ec2.NatGateway]:
        """Public subnets, an internet gateway and ``natGateways`` NAT gateways (AZ 0, 1, ...)."""
        namer, child = self._namer, self._child
        gateway = aws.ec2.InternetGateway(namer.name("internet"), vpc_id=self.vpc.id, tags=self._tags("internet"),
                                          opts=child)
        public_routes = aws.ec2.RouteTable(namer.name("public-routes"), vpc_id=self.vpc.id,
                                           tags=self._tags("public-routes", tier="public"), opts=child)
        aws.ec2.Route(namer.name("public-to-internet"), route_table_id=public_routes.id,
                      destination_cidr_block=ANYWHERE, gateway_id=gateway.id, opts=child)
        nats = []
        for index in range(settings.nat_gateways):
            subnet = aws.ec2.Subnet(
                namer.name(f"public-{index}"),
                vpc_id=self.vpc.id,
                cidr_block=public_cidrs[index],
                availability_zone=zone(index),
                map_public_ip_on_launch=False,  # only the NAT gateways live here, with their own EIPs
                tags=self._tags(f"public-{index}", tier="public"),
                opts=child,
            )
            aws.ec2.RouteTableAssociation(namer.name(f"public-{index}-routes"), subnet_id=subnet.id,
                                          route_table_id=public_routes.id, opts=child)
            address = aws.ec2.Eip(namer.name(f"nat-{index}-ip"), domain="vpc", tags=self._tags(f"nat-{index}-ip"),
                                  opts=pulumi.ResourceOptions(parent=self, depends_on=[gateway]))
            nats.append(aws.ec2.NatGateway(
                namer.name(f"nat-{index}"),
                allocation_id=address.allocation_id,
                subnet_id=subnet.id,
                connectivity_type="public",
                tags=self._tags(f"nat-{index}"),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[gateway]),
            ))
        return nats

    def _group(self, logical: str, description: str) -> aws.ec2.SecurityGroup:
        # No inline rules: the provider then removes AWS's default allow-all egress, and every rule below
        # is a resource of its own (groups that reference each other need no create order).
        return aws.ec2.SecurityGroup(
            self._namer.name(f"{logical}-sg"),
            name=self._namer.name(logical, 255),
            description=description,
            vpc_id=self.vpc.id,
            revoke_rules_on_delete=True,
            tags=self._tags(f"{logical}-sg"),
            opts=self._child,
        )

    def _allow(self, logical: str, group: aws.ec2.SecurityGroup, source: aws.ec2.SecurityGroup, port: int) -> None:
        aws.vpc.SecurityGroupIngressRule(
            self._namer.name(logical),
            security_group_id=group.id,
            referenced_security_group_id=source.id,
            ip_protocol="tcp",
            from_port=port,
            to_port=port,
            description=logical,
            tags=self._tags(logical),
            opts=self._child,
        )

    def _egress(self, logical: str, group: aws.ec2.SecurityGroup, port: int, *,
                to: aws.ec2.SecurityGroup | None = None, prefix_list: pulumi.Input[str] | None = None,
                cidr: str | None = None) -> None:
        """One egress rule: to a group, a gateway endpoint's prefix list, or (with NAT only) a CIDR."""
        aws.vpc.SecurityGroupEgressRule(
            self._namer.name(logical),
            security_group_id=group.id,
            referenced_security_group_id=to.id if to is not None else None,
            prefix_list_id=prefix_list,
            cidr_ipv4=cidr,
            ip_protocol="tcp",
            from_port=port,
            to_port=port,
            description=logical,
            tags=self._tags(logical),
            opts=self._child,
        )


def _zone(names: list[str], index: int, zones: int) -> str:
    if len(names) < zones:
        raise ValueError(f"availabilityZones is {zones} but the region has {len(names)} available: {names}")
    return names[index]
