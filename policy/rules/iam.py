"""IAM: no statement allows every action (``*``, ``*:*`` or a whole service's ``svc:*``) on every resource, and no
role, user or group gets AWS's administrator policies. ``stacks/policies.py`` builds exact actions on exact ARNs;
the one ``*`` resource it uses is for actions that allow nothing else (X-Ray's puts, EC2's Describe calls).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from policy.rules.common import Props, get, items, resource_rule, statements

# Documents by the resource type that holds them, and the property they are in.
DOCUMENTS = {
    "aws:iam/rolePolicy:RolePolicy": "policy",
    "aws:iam/policy:Policy": "policy",
    "aws:iam/userPolicy:UserPolicy": "policy",
    "aws:iam/groupPolicy:GroupPolicy": "policy",
    "aws:s3/bucketPolicy:BucketPolicy": "policy",
    "aws:sqs/queuePolicy:QueuePolicy": "policy",
    "aws:sns/topicPolicy:TopicPolicy": "policy",
    "aws:opensearch/domainPolicy:DomainPolicy": "accessPolicies",
}
ROLE = "aws:iam/role:Role"
ATTACHMENTS = ("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "aws:iam/userPolicyAttachment:UserPolicyAttachment",
               "aws:iam/groupPolicyAttachment:GroupPolicyAttachment", "aws:iam/policyAttachment:PolicyAttachment")
ADMIN_POLICIES = ("arn:aws:iam::aws:policy/AdministratorAccess", "arn:aws:iam::aws:policy/PowerUserAccess",
                  "arn:aws:iam::aws:policy/IAMFullAccess")


def _too_broad(statement: Mapping[str, Any]) -> str | None:
    """Why an Allow statement grants too much, or None."""
    if statement.get("Effect") != "Allow":
        return None
    sid = statement.get("Sid") or "(no Sid)"
    if "NotAction" in statement or "NotResource" in statement:
        return f"statement {sid} allows with NotAction/NotResource (everything but a list)"
    actions = [str(a) for a in items(statement.get("Action"))]
    wildcard = [a for a in actions if a == "*" or a.endswith(":*")]
    if wildcard and "*" in items(statement.get("Resource")):
        return f"statement {sid} allows {', '.join(wildcard)} on Resource '*'"
    return None


def _least_privilege(props: Props) -> list[str]:
    """Whatever of a policy document, a role's inline and managed policies, or an attachment ``props`` holds."""
    documents = [props.get("policy"), props.get("accessPolicies"),
                 *(get(p, "policy") for p in items(props.get("inlinePolicies")))]
    problems = [p for d in documents if d is not None for s in statements(d) if (p := _too_broad(s)) is not None]
    attached = [*items(props.get("managedPolicyArns")), props.get("policyArn")]
    problems += [f"attaches {arn}" for arn in attached if arn in ADMIN_POLICIES]
    return problems


IAM_NO_WILDCARD_ADMIN = resource_rule(
    "iam-no-wildcard-admin",
    "No IAM or resource policy allows '*' (or '*:*', 'service:*') on Resource '*', or allows with NotAction/"
    "NotResource; no administrator managed policy is attached.",
    (*DOCUMENTS, ROLE, *ATTACHMENTS), _least_privilege)

POLICIES = (IAM_NO_WILDCARD_ADMIN,)
