"""The Pulumi program as a function: ``__main__.py`` calls ``run()``, the offline renderer too.

The stack's name decides what it builds: ``account-<region>`` the account stack (``stacks/account.py``),
anything else (dev, prod, preview-*) the platform of the Chalice app.

Usage::

    root = run()                                 # the runtime's app and MANIFEST, settings from config
    root = run(app=my_app, manifest=my_manifest)  # any Chalice app with its own manifest (tests)
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pulumi
from chalice.app import Chalice

from chalicelib.core.declarations import Manifest
from stacks.account import Account, AccountArgs
from stacks.package import LambdaPackage
from stacks.platform import Platform, PlatformArgs
from stacks.settings import StackSettings

ROOT = Path(__file__).resolve().parents[1]
RUNTIME = ROOT / "runtime"


def ensure_runtime_on_path() -> None:
    """Put ``runtime/`` first on ``sys.path``: the app imports ``chalicelib`` as Lambda does."""
    if str(RUNTIME) not in sys.path:
        sys.path.insert(0, str(RUNTIME))


def load_app() -> tuple[Chalice, Manifest]:
    """The runtime's Chalice app and its manifest."""
    ensure_runtime_on_path()
    app_module = importlib.import_module("app")
    resources = importlib.import_module("chalicelib.resources")
    return app_module.app, resources.MANIFEST


def run(app: Chalice | None = None, manifest: Manifest | None = None,
        settings: StackSettings | None = None) -> Platform | Account:
    """Build the whole stack and export its outputs."""
    settings = settings or StackSettings.from_config()
    settings.check_deployable()
    if settings.environment == "account":
        account = Account(settings.namer.prefix, AccountArgs.from_config(settings))
        for key, value in account.outputs.items():
            pulumi.export(key, value)
        return account
    # `make package` builds runtime/'s app: another app (a test's) is rendered from its sources.
    package = LambdaPackage.load(settings) if app is None else LambdaPackage.sources_only(app.app_name)
    if app is None or manifest is None:
        default_app, default_manifest = load_app()
        app = app or default_app
        manifest = manifest or default_manifest
    platform = Platform(settings.namer.prefix, PlatformArgs(settings, app, manifest, package))
    for key, value in platform.exports().items():
        pulumi.export(key, value)
    return platform
