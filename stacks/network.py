"""Network: the VPC the ledger's functions, its RDS Proxy and its database live in.

Private subnets only, one per AZ, each with its own route table. DynamoDB and S3 are reached
through gateway endpoints (free) on the private route tables. Interface endpoints (billed per AZ
and hour) exist only for the services the VPC's functions call (``services``, derived from their
grants by ``endpoint_services``): always when there is no NAT, and with NAT only where the stack
asks for private endpoints (and then not for ``THROUGH_NAT``). Security groups chain the
database path: functions -> proxy on 5432 -> database on 5432 (or functions -> database where
there is no proxy), each admitting only the group before it.

Internet egress exists only when ``natGateways`` > 0 (public subnets, an internet gateway
and that many NAT gateways, AZ i routed through NAT i mod n). Why it matters: a route
function in the VPC verifies Cognito JWTs against
``https://cognito-idp.<region>.amazonaws.com/<pool>/.well-known/jwks.json``. AWS documents the
cognito-idp interface endpoint for the user-pool API operations and excludes managed login and
the user pool domain's endpoints; it does not document the JWKS document as served through it.
With private DNS on, that host resolves to the endpoint for everything in the VPC, so a NAT
gateway cannot route around it: with NAT, the stack creates no cognito-idp endpoint and both the
user-pool API and the JWKS go out through NAT. Every network that hosts a route function has a NAT
gateway for that reason (the shared one in the account stack, prod's own).

Usage::

    network = Network("social-dev-network", NetworkArgs(settings), opts)
    network.private_subnets, network.functions_group.id, network.proxy_group.id, network.database_group.id
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from chalicelib.core.declarations import Grant
from stacks.settings import StackSettings

POSTGRES_PORT = 5432
HTTPS_PORT = 443
GATEWAY_SERVICES = ("dynamodb", "s3")
# The interface endpoint each kind of grant needs (a table or bucket goes through a free gateway endpoint).
GRANT_SERVICES = {"queue": "sqs", "topic": "sns", "user_pool": "cognito-idp", "database": "secretsmanager",
                  "secret": "secretsmanager"}
# Grants the function's role needs but the function's code never exercises: Lambda's own pollers receive
# and delete a consumed queue's messages, from outside the VPC.
SERVICE_SIDE = {("queue", "consume")}
ANYWHERE = "0.0.0.0/0"


# With NAT, what goes out through it even where the stack asks for private endpoints. cognito-idp:
# its private DNS would capture the JWKS requests too, which AWS does not document it serving.
# xray and sns: trace segments and the ledger's domain events (the outbox relay's) carry no
# credentials, over TLS; an interface endpoint in 2 AZs costs $14.60 a month each, against some
# $0.25 of NAT processing for the launch load's ~5.6 GB of segments and cents for the events.
# Secrets Manager, which hands out the database's password, keeps its private endpoint.
# appconfigdata: the feature flags (no credentials, a few KB per change) every function polls.
THROUGH_NAT = frozenset({"cognito-idp", "xray", "sns", "appconfigdata"})


def endpoint_services(grants: Iterable[Grant], *, tracing: bool, verifies_tokens: bool) -> tuple[str, ...]:
    """The interface endpoints that functions holding ``grants`` call, and nothing else.

    X-Ray's daemon in a VPC function sends segments over the function's own network; a route
    function fetches the user pool's JWKS from cognito-idp; every function reads the feature flags
    from AppConfig's data API (``chalicelib.flags``: the grant is every function's, not declared).

    >>> from chalicelib.core.declarations import Database, Queue
    >>> endpoint_services([Database("ledger").connect(), Queue("jobs").consume()], tracing=True,
    ...                   verifies_tokens=False)
    ('appconfigdata', 'secretsmanager', 'xray')
    """
    services = {GRANT_SERVICES[g.resource.kind] for g in grants
                if g.resource.kind in GRANT_SERVICES and (g.resource.kind, g.access) not in SERVICE_SIDE}
    services |= {"xray"} if tracing else set()
    services |= {"cognito-idp"} if verifies_tokens else set()
    services |= {"appconfigdata"}
    return tuple(sorted(services))


@dataclass(frozen=True)
class VpcPlacement:
    """Where a function that connects to a database runs: subnets and security group, own or shared.

    ``ready`` is what must exist before such a function can reach AWS and its database.
    """

    subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]]
    subnet_arns: pulumi.Input[Sequence[pulumi.Input[str]]]
    security_group_id: pulumi.Input[str]
    security_group_arn: pulumi.Input[str]
    network_interfaces_arn: pulumi.Input[str]
    ready: tuple[pulumi.Resource, ...] = ()


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
    """The environment (AZ count, CIDR, NAT gateways), the interface endpoints its functions need, and
    whether the database sits behind an RDS Proxy (else the functions reach the instance itself)."""

    settings: StackSettings
    services: tuple[str, ...] = ()
    proxy: bool = True


class Network(pulumi.ComponentResource):
    """A private VPC with endpoints, optional NAT, and the functions/proxy/database security groups."""

    vpc: aws.ec2.Vpc
    private_subnets: list[aws.ec2.Subnet]
    private_route_tables: list[aws.ec2.RouteTable]
    nat_gateways: list[aws.ec2.NatGateway]
    functions_group: aws.ec2.SecurityGroup
    proxy_group: aws.ec2.SecurityGroup | None  # only in front of a proxy
    database_group: aws.ec2.SecurityGroup
    endpoints_group: aws.ec2.SecurityGroup | None  # only where there are interface endpoints
    rules: list[pulumi.Resource]  # routes and security group rules
    endpoints: dict[str, aws.ec2.VpcEndpoint]  # by service (dynamodb, s3, secretsmanager, ...)
    network_interfaces_arn: pulumi.Output[str]  # arn:aws:ec2:<region>:<account>:network-interface/*

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("social:network:Network", name, None, opts)
        self.rules = []
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
                self.rules.append(aws.ec2.Route(
                    namer.name(f"private-{index}-to-nat"),
                    route_table_id=table.id,
                    destination_cidr_block=ANYWHERE,
                    nat_gateway_id=self.nat_gateways[index % len(self.nat_gateways)].id,
                    opts=child,
                ))

        self.functions_group = self._group("functions", "functions that connect to a database")
        self.proxy_group = None
        if args.proxy:
            self.proxy_group = self._group("proxy", "RDS Proxy: 5432 from the functions only")
            self.database_group = self._group("database", "RDS instances: 5432 from the proxy only")
            self._allow("proxy-from-functions", self.proxy_group, self.functions_group, POSTGRES_PORT)
            self._allow("database-from-proxy", self.database_group, self.proxy_group, POSTGRES_PORT)
            self._egress("functions-to-proxy", self.functions_group, POSTGRES_PORT, to=self.proxy_group)
            self._egress("proxy-to-database", self.proxy_group, POSTGRES_PORT, to=self.database_group)
        else:
            self.database_group = self._group("database", "RDS instances: 5432 from the functions only")
            self._allow("database-from-functions", self.database_group, self.functions_group, POSTGRES_PORT)
            self._egress("functions-to-database", self.functions_group, POSTGRES_PORT, to=self.database_group)
        services = args.services if not settings.nat_gateways or settings.private_endpoints else ()
        if settings.nat_gateways:
            services = tuple(s for s in services if s not in THROUGH_NAT)
        self.endpoints_group = None
        if services:
            self.endpoints_group = self._group("endpoints", "interface endpoints: 443 from the functions only")
            self._allow("endpoints-from-functions", self.endpoints_group, self.functions_group, HTTPS_PORT)
            self._egress("functions-to-endpoints", self.functions_group, HTTPS_PORT, to=self.endpoints_group)

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
        # Interface endpoints are billed per AZ and hour: one per AZ, so an AZ outage does not take them along.
        for service in services:
            assert self.endpoints_group is not None
            self.endpoints[service] = aws.ec2.VpcEndpoint(
                namer.name(f"{service}-endpoint"),
                vpc_id=self.vpc.id,
                service_name=f"com.amazonaws.{settings.region}.{service}",
                vpc_endpoint_type="Interface",
                private_dns_enabled=True,
                subnet_ids=[s.id for s in self.private_subnets],
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
        """What must exist before a function in the VPC can reach AWS and the database: endpoints, NAT,
        the routes through it and the security group rules (a rule still being added drops packets)."""
        return [*self.endpoints.values(), *self.nat_gateways, *self.rules]

    def placement(self) -> VpcPlacement:
        """Where this network's functions run."""
        return VpcPlacement(
            subnet_ids=[s.id for s in self.private_subnets], subnet_arns=[s.arn for s in self.private_subnets],
            security_group_id=self.functions_group.id, security_group_arn=self.functions_group.arn,
            network_interfaces_arn=self.network_interfaces_arn, ready=tuple(self.ready))

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
        self.rules.append(aws.vpc.SecurityGroupIngressRule(
            self._namer.name(logical),
            security_group_id=group.id,
            referenced_security_group_id=source.id,
            ip_protocol="tcp",
            from_port=port,
            to_port=port,
            description=logical,
            tags=self._tags(logical),
            opts=self._child,
        ))

    def _egress(self, logical: str, group: aws.ec2.SecurityGroup, port: int, *,
                to: aws.ec2.SecurityGroup | None = None, prefix_list: pulumi.Input[str] | None = None,
                cidr: str | None = None) -> None:
        """One egress rule: to a group, a gateway endpoint's prefix list, or (with NAT only) a CIDR."""
        self.rules.append(aws.vpc.SecurityGroupEgressRule(
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
        ))


def _zone(names: list[str], index: int, zones: int) -> str:
    if len(names) < zones:
        raise ValueError(f"availabilityZones is {zones} but the region has {len(names)} available: {names}")
    return names[index]
