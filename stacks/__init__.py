"""The Pulumi components of the platform: one file per concern, composed by ``Platform``.

Usage (what ``__main__.py`` does)::

    from stacks.program import run
    run()  # settings from Pulumi config, the Chalice app and MANIFEST from runtime/
"""

import sys
from pathlib import Path

# Every component reads the runtime's declarations (``chalicelib``), which import each other as
# top-level packages, as they do inside Lambda: make ``runtime/`` importable wherever stacks is used.
_RUNTIME = str(Path(__file__).resolve().parents[1] / "runtime")
if _RUNTIME not in sys.path:
    sys.path.insert(0, _RUNTIME)
