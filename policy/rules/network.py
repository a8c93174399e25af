"""Network: nothing is open to the internet. Every ingress rule of the stacks names a security group (functions
-> proxy -> database, functions -> endpoints and search); a CIDR of the whole internet would let anyone try.
"""

from __future__ import annotations

from policy.rules.common import Props, get, items, resource_rule

SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
LEGACY_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
ANYWHERE = ("0.0.0.0/0", "::/0")


def _closed(props: Props) -> list[str]:
    if "cidrIpv4" in props or "cidrIpv6" in props:  # a vpc.SecurityGroupIngressRule
        cidrs = [props.get("cidrIpv4"), props.get("cidrIpv6")]
    elif "type" in props:  # an ec2.SecurityGroupRule
        ingress = props["type"] == "ingress"
        cidrs = [*items(props.get("cidrBlocks")), *items(props.get("ipv6CidrBlocks"))] if ingress else []
    else:  # a security group's inline ingress rules
        cidrs = [c for rule in items(props.get("ingress"))
                 for c in (*items(get(rule, "cidrBlocks")), *items(get(rule, "ipv6CidrBlocks")))]
    open_to = [str(c) for c in cidrs if c in ANYWHERE]
    return [f"ingress open to {', '.join(open_to)}"] if open_to else []


NO_OPEN_INGRESS = resource_rule(
    "no-open-ingress", "No security group admits traffic from the whole internet (0.0.0.0/0 or ::/0).",
    (SECURITY_GROUP, INGRESS_RULE, LEGACY_RULE), _closed)

POLICIES = (NO_OPEN_INGRESS,)
