"""The Lambda archive from `make package`, and the offline plan tool."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import app as runtime_app
from chalicelib.resources import LEDGER, MANIFEST
from stacks.appgraph import plan_app
from stacks.migrations import RUNTIME, archive_scripts_hash, scripts_hash
from stacks.mocks import ROOT, render
from stacks.package import PackageError, write_manifest
from stacks.settings import LAMBDA_RUNTIME
from tools.plan import main


def test_a_missing_package_warns_in_preview(tmp_path: Path) -> None:
    rendering = render("preview-nopkg", {"lambdaPackage": str(tmp_path / "missing.zip")})
    assert any("make package" in warning for warning in rendering.warnings)
    functions = rendering.of_type("aws:lambda/function:Function")
    assert "social-preview-nopkg-api-handler" in {f.inputs["name"] for f in functions}


def test_a_missing_package_fails_a_real_update(tmp_path: Path) -> None:
    with pytest.raises(Exception, match="make package"):
        render("preview-nopkg", {"lambdaPackage": str(tmp_path / "missing.zip")}, preview=False)


def _package(tmp_path: Path, runtime: str = LAMBDA_RUNTIME, migrations: Path | None = None) -> Path:
    """A zip laid out as `make package` lays it out (the runtime's sources at its root), with its manifest."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    archive = tmp_path / "deployment.zip"
    scripts = migrations or RUNTIME / LEDGER.migrations
    with zipfile.ZipFile(archive, "w") as package:
        package.writestr("app.py", "app = None\n")
        for path in (p for p in scripts.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            package.write(path, f"{LEDGER.migrations}/{path.relative_to(scripts).as_posix()}")
    write_manifest(archive, runtime)
    return archive


def test_a_built_package_is_deployed_without_warning(tmp_path: Path) -> None:
    archive = _package(tmp_path)
    rendering = render("preview-pkg", {"lambdaPackage": str(archive)}, preview=False)
    assert not [w for w in rendering.warnings if "package" in w]
    # One function per planned handler of the real app, whatever it declares today.
    expected = {f.name for f in plan_app(runtime_app.app, MANIFEST).functions}
    assert len(rendering.of_type("aws:lambda/function:Function")) == len(expected) >= 1


def test_a_package_older_than_the_runtime_or_for_another_python_is_refused(tmp_path: Path) -> None:
    archive = _package(tmp_path)
    manifest = json.loads((tmp_path / "package.json").read_text())
    (tmp_path / "package.json").write_text(json.dumps({**manifest, "sources": "0" * 64}))
    with pytest.raises(PackageError, match="older than runtime/"):
        render("preview-pkg", {"lambdaPackage": str(archive)}, preview=False)
    rendering = render("preview-pkg", {"lambdaPackage": str(archive)})  # a preview only warns
    assert any("older than runtime/" in w for w in rendering.warnings)
    write_manifest(archive, "python3.12")
    with pytest.raises(PackageError, match=r"built for python3\.12"):
        render("preview-pkg", {"lambdaPackage": str(archive)}, preview=False)
    archive.with_name("package.json").unlink()
    with pytest.raises(PackageError, match="not built by `make package`"):
        render("preview-pkg", {"lambdaPackage": str(archive)}, preview=False)


def test_the_migration_hash_is_taken_from_the_deployed_archive(tmp_path: Path) -> None:
    source = RUNTIME / LEDGER.migrations
    current = _package(tmp_path / "current")
    assert archive_scripts_hash(current, LEDGER.migrations) == scripts_hash(source)
    edited = tmp_path / "edited"
    shutil.copytree(source, edited, ignore=shutil.ignore_patterns("__pycache__"))
    (edited / "versions" / "0002_more.py").write_text("revision = '0002'\ndown_revision = '0001'\n")
    older = _package(tmp_path / "older", migrations=edited)
    assert archive_scripts_hash(older, LEDGER.migrations) != scripts_hash(source)
    rendering = render("preview-pkg", {"lambdaPackage": str(older)})
    [migrate] = [i for i in rendering.of_type("aws:lambda/invocation:Invocation") if i.name.endswith("-migrate")]
    assert migrate.inputs["triggers"] == {"scripts": archive_scripts_hash(older, LEDGER.migrations)}


def test_plan_prints_every_resource_and_a_count(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--stack", "prod"]) == 0
    out = capsys.readouterr().out
    rendering = render("prod")
    rows = out.strip().splitlines()
    assert rows[0].split() == ["TYPE", "NAME", "KEY", "SETTINGS"]
    assert f"{len(rendering.custom)} resources in stack 'prod'" in rows[-1]
    for resource in rendering.custom:
        assert resource.name in out
    assert "deletionProtection=True" in out and "handler=app.app" in out
    # The ledger's network, database, proxy and migration, with what matters about them.
    for expected in ("rds:Instance", "encrypted=True", "public=False", "multiAz=True", "rds:Proxy",
                     "requireTls=True", "lambda:Invocation", "scripts=", "ec2:VpcEndpoint", "ec2:NatGateway"):
        assert expected in out, expected
    for secret in rendering.of_type("random:index/randomPassword:RandomPassword"):
        assert secret.outputs["result"] not in out, "the plan must not print a generated secret"


def test_plan_runs_as_the_makefile_runs_it() -> None:
    result = subprocess.run([sys.executable, "-m", "tools.plan", "--stack", "preview-anything"], cwd=ROOT,
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert "resources in stack 'preview-anything'" in result.stdout
    assert "social-preview-anything-api-handler" in result.stdout
