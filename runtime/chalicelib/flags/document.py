"""The flags document: where it is in the repository, how to read it, and its values as AppConfig serves them.

The document is in AppConfig's native feature-flags format (``AWS.AppConfig.FeatureFlags``):
``{"version": "1", "flags": {name: definition}, "values": {name: {"enabled": ..., attribute: value}}}``.
The stack uploads it as the profile's hosted version; the local platform reads it from disk.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from chalicelib.flags.evaluation import Values

# Inside chalicelib so ``chalice package`` ships it with the code (it packages chalicelib/ whole).
DOCUMENT_PATH = Path(__file__).with_name("flags.json")


def load(path: Path = DOCUMENT_PATH) -> dict[str, Any]:
    loaded = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(loaded, dict):
        raise ValueError(f"{path}: a flags document is a JSON object")
    return loaded


def values_of(payload: Any) -> Values:
    """The values of a whole document, or a data-API payload as it is (it holds only the values).

    AppConfig's data API answers a feature-flags profile with ``{flag: {"enabled": ..., ...}}``: the
    document's ``values`` section, without the definitions. Either shape gives the same mapping here.
    """
    if not isinstance(payload, dict):
        return {}
    if payload.get("version") is not None and isinstance(payload.get("values"), dict):
        payload = payload["values"]
    return {name: entry for name, entry in payload.items() if isinstance(name, str) and isinstance(entry, dict)}
