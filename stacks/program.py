"""The Pulumi program as a function: ``__main__.py`` calls ``run()``, the offline renderer too.

Usage::

    platform = run()                                 # the runtime's app and MANIFEST, settings from config
    platform = run(app=my_app, manifest=my_manifest)  # any Chalice app with its own manifest (tests)
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pulumi
from chalice.app import Chalice

from chalicelib.core.declarations import Manifest
from stacks.platform import Platform, PlatformArgs
from stacks.settings import StackSettings

ROOT = Path(__file__).resolve().parents[1]
RUNTIME = ROOT / "runtime"


def ensure_runtime_on_path() -> None:
    """Put ``runtime/`` first on ``sys.path``: the app imports ``chalicelib`` as Lambda does."""
    if str(RUNTIME) not in sys.path:
        sys.path.insert(0, str(RUNTIME))


def lambda_code(settings: StackSettings) -> pulumi.Archive:
    """The ``chalice package`` zip; a placeholder with a warning in previews when it was not built yet.

    A real update without the zip fails: deploying a placeholder would break every function.
    """
    path = Path(settings.lambda_package)
    path = path if path.is_absolute() else ROOT / path
    if path.is_file():
        return pulumi.FileArchive(str(path))
    message = (f"the Lambda package {path} does not exist: run `make package` (chalice package "
               f"--pkg-format terraform build/chalice in runtime/) or set social:lambdaPackage")
    if pulumi.runtime.is_dry_run():
        pulumi.log.warn(message + "; previewing with a placeholder archive")
        return pulumi.AssetArchive({"MISSING_PACKAGE.txt": pulumi.StringAsset(message)})
    raise FileNotFoundError(message)


def load_app() -> tuple[Chalice, Manifest]:
    """The runtime's Chalice app and its manifest."""
    ensure_runtime_on_path()
    app_module = importlib.import_module("app")
    resources = importlib.import_module("chalicelib.resources")
    return app_module.app, resources.MANIFEST


def run(app: Chalice | None = None, manifest: Manifest | None = None,
        settings: StackSettings | None = None) -> Platform:
    """Build the whole stack and export its endpoints."""
    settings = settings or StackSettings.from_config()
    if app is None or manifest is None:
        default_app, default_manifest = load_app()
        app = app or default_app
        manifest = manifest or default_manifest
    platform = Platform(settings.namer.prefix, PlatformArgs(settings, app, manifest, lambda_code(settings)))
    if platform.api_url is not None:
        pulumi.export("apiUrl", platform.api_url)
    if platform.websocket_url is not None:
        pulumi.export("websocketUrl", platform.websocket_url)
    if platform.user_pool_id is not None:
        pulumi.export("userPoolId", platform.user_pool_id)
        pulumi.export("userPoolClientId", platform.user_pool_client_id)
    pulumi.export("tableNames", platform.table_names)
    return platform
