"""The Pulumi program: ``pulumi up -s dev|prod|preview-<branch>``.

Settings come from ``Pulumi.<stack>.yaml`` (see ``stacks/settings.py``); the
Chalice app and its declared resources from ``runtime/`` (``stacks`` puts it on
``sys.path``). Offline: ``python -m tools.plan --stack prod``.
"""

from stacks.program import run

run()
