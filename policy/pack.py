"""The pack: its name, its rules and its default enforcement (what ``__main__.py`` serves, what tests run).

Mandatory by default (dev and prod: a violation stops ``pulumi up``); the preview workflow makes every rule
advisory with ``--policy-pack-config policy/preview.json`` (``{"all": "advisory"}``): see ``__main__.py``.
"""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, Policy

from policy.rules import data, edge, functions, iam, network, queues, storage

PACK_NAME = "social-platform"
ENFORCEMENT_LEVEL = EnforcementLevel.MANDATORY
POLICIES: tuple[Policy, ...] = (*storage.POLICIES, *iam.POLICIES, *queues.POLICIES, *functions.POLICIES,
                                *edge.POLICIES, *data.POLICIES, *network.POLICIES)
