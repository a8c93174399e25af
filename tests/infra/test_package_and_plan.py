"""The Lambda archive from `make package`, and the offline plan tool."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import app as runtime_app
from chalicelib.resources import MANIFEST
from stacks.appgraph import plan_app
from stacks.mocks import ROOT, render
from tools.plan import main


def test_a_missing_package_warns_in_preview(tmp_path: Path) -> None:
    rendering = render("preview-nopkg", {"lambdaPackage": str(tmp_path / "missing.zip")})
    assert any("make package" in warning for warning in rendering.warnings)
    functions = rendering.of_type("aws:lambda/function:Function")
    assert "social-preview-nopkg-api-handler" in {f.inputs["name"] for f in functions}


def test_a_missing_package_fails_a_real_update(tmp_path: Path) -> None:
    with pytest.raises(Exception, match="make package"):
        render("preview-nopkg", {"lambdaPackage": str(tmp_path / "missing.zip")}, preview=False)


def test_a_built_package_is_deployed_without_warning(tmp_path: Path) -> None:
    archive = tmp_path / "deployment.zip"
    with zipfile.ZipFile(archive, "w") as package:
        package.writestr("app.py", "app = None\n")
    rendering = render("preview-pkg", {"lambdaPackage": str(archive)}, preview=False)
    assert not [w for w in rendering.warnings if "package" in w]
    # One function per planned handler of the real app, whatever it declares today.
    expected = {f.name for f in plan_app(runtime_app.app, MANIFEST).functions}
    assert len(rendering.of_type("aws:lambda/function:Function")) == len(expected) >= 1


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
    [secret] = rendering.of_type("random:index/randomPassword:RandomPassword")
    assert secret.outputs["result"] not in out, "the plan must not print the cursor secret"


def test_plan_runs_as_the_makefile_runs_it() -> None:
    result = subprocess.run([sys.executable, "-m", "tools.plan", "--stack", "preview-anything"], cwd=ROOT,
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert "resources in stack 'preview-anything'" in result.stdout
    assert "social-preview-anything-api-handler" in result.stdout
