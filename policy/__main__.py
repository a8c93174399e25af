"""The policy pack's entry point: the Pulumi CLI runs this file (``--policy-pack policy``); tests import
``policy.pack`` instead (``PolicyPack(...)`` serves the engine and never returns).

Enforcement: every policy is mandatory unless the pack's config says otherwise. The preview workflow passes
``--policy-pack-config policy/preview.json``, ``{"all": "advisory"}``: the CLI reads that file (a JSON object
keyed by policy name, or "all", each an enforcement level string or an object with "enforcementLevel" and
the policy's own properties), applies "all" to every policy and then per-policy keys, and sends each policy's
level to the pack (Analyzer.Configure), which the SDK then prefers over the level given here
(pulumi_policy/policy.py, _get_enforcement_level; pulumi's analyzer config.go, applyConfig).
"""

import sys
from pathlib import Path

from pulumi_policy import PolicyPack

# The CLI runs this file with the pack's directory on sys.path; the rules import as ``policy.rules`` (as the
# tests import them), so the repository's root goes first.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from policy.pack import ENFORCEMENT_LEVEL, PACK_NAME, POLICIES  # needs the path above

PolicyPack(name=PACK_NAME, enforcement_level=ENFORCEMENT_LEVEL, policies=list(POLICIES))
