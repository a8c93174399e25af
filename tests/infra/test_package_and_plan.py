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
from stacks.package import (
    ELF_MACHINES,
    MANIFEST_NAME,
    PackageError,
    chalice_architecture,
    compiled_machines,
    precompile,
    write_manifest,
)
from stacks.package import main as package_main
from stacks.settings import LAMBDA_ARCHITECTURE, LAMBDA_RUNTIME
from tools.plan import main


def test_a_missing_package_warns_in_preview(tmp_path: Path) -> None:
    rendering = render("preview-nopkg", {"lambdaPackage": str(tmp_path / "missing.zip")})
    assert any("make package" in warning for warning in rendering.warnings)
    functions = rendering.of_type("aws:lambda/function:Function")
    assert "social-preview-nopkg-api-handler" in {f.inputs["name"] for f in functions}


def test_a_missing_package_fails_a_real_update(tmp_path: Path) -> None:
    with pytest.raises(Exception, match="make package"):
        render("preview-nopkg", {"lambdaPackage": str(tmp_path / "missing.zip")}, preview=False)


def _elf(architecture: str) -> bytes:
    """The start of a little-endian 64-bit ELF shared object for ``architecture`` (what `file` would read)."""
    [machine] = [number for number, name in ELF_MACHINES.items() if name == architecture]
    return b"\x7fELF\x02\x01\x01" + bytes(9) + (3).to_bytes(2, "little") + machine.to_bytes(2, "little") + bytes(44)


def _package(tmp_path: Path, runtime: str = LAMBDA_RUNTIME, migrations: Path | None = None,
             modules: tuple[str, ...] = (LAMBDA_ARCHITECTURE,), manifest: bool = True) -> Path:
    """A zip laid out as `make package` lays it out (the runtime's sources and the wheels' modules at its root,
    one compiled module per architecture in ``modules``), with its manifest."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    archive = tmp_path / "deployment.zip"
    scripts = migrations or RUNTIME / LEDGER.migrations
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("app.py", "app = None\n")
        for path in (p for p in scripts.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            package.write(path, f"{LEDGER.migrations}/{path.relative_to(scripts).as_posix()}")
        for architecture in modules:
            package.writestr(f"pydantic_core/_pydantic_core.cpython-313-{architecture}-linux-gnu.so",
                             _elf(architecture))
    if manifest:
        write_manifest(archive, runtime, modules[0] if modules else LAMBDA_ARCHITECTURE)
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
    write_manifest(archive, "python3.12", LAMBDA_ARCHITECTURE)
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


# ---- the architecture --------------------------------------------------------------------------------

def test_a_package_for_another_architecture_is_refused_and_an_unrecorded_one_was_x86_64(tmp_path: Path) -> None:
    x86 = _package(tmp_path / "x86", modules=("x86_64",))
    with pytest.raises(PackageError, match="built for x86_64, the functions run on arm64"):
        render("preview-pkg", {"lambdaPackage": str(x86)}, preview=False)
    rendering = render("preview-pkg", {"lambdaPackage": str(x86)})  # a preview only warns
    assert any("built for x86_64" in w for w in rendering.warnings)
    # A manifest from before architectures were recorded: every such package was built for x86_64.
    archive = _package(tmp_path / "old")
    manifest = archive.with_name(MANIFEST_NAME)
    manifest.write_text(json.dumps({k: v for k, v in json.loads(manifest.read_text()).items() if k != "architecture"}))
    with pytest.raises(PackageError, match="built for x86_64"):
        render("preview-pkg", {"lambdaPackage": str(archive)}, preview=False)
    # A stack set to x86_64 takes the x86_64 package and refuses the arm64 one.
    rendering = render("preview-pkg", {"lambdaPackage": str(x86), "lambdaArchitecture": "x86_64"}, preview=False)
    assert {tuple(f.inputs["architectures"]) for f in rendering.of_type("aws:lambda/function:Function")} == {
        ("x86_64",)}
    with pytest.raises(PackageError, match="built for arm64, the functions run on x86_64"):
        render("preview-pkg", {"lambdaPackage": str(_package(tmp_path / "arm")), "lambdaArchitecture": "x86_64"},
               preview=False)


def test_the_manifest_records_the_machine_of_the_compiled_modules(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    archive = _package(tmp_path / "arm", manifest=False)
    assert package_main([str(archive)]) == 0
    built = json.loads(archive.with_name(MANIFEST_NAME).read_text())
    assert built["architecture"] == "arm64" and built["runtime"] == f"python{sys.version_info[0]}.{sys.version_info[1]}"
    assert "on arm64" in capsys.readouterr().out
    # x86_64 modules are recorded as such (chalice was told arm64: the build is refused) ...
    x86 = _package(tmp_path / "x86", modules=("x86_64",), manifest=False)
    with pytest.raises(SystemExit):
        package_main([str(x86)])
    assert "holds x86_64 modules" in capsys.readouterr().err
    assert not x86.with_name(MANIFEST_NAME).exists()
    # ... and an archive that mixes both is refused outright, naming the culprits.
    mixed = _package(tmp_path / "mixed", modules=("arm64", "x86_64"), manifest=False)
    assert set(compiled_machines(mixed)) == {"arm64", "x86_64"}
    with pytest.raises(SystemExit):
        package_main([str(mixed)])
    assert "['arm64', 'x86_64']" in capsys.readouterr().err and not mixed.with_name(MANIFEST_NAME).exists()


def test_the_package_carries_bytecode_that_loads_without_its_source_check(tmp_path: Path) -> None:
    """Lambda unpacks the archive read-only: without bytecode in it, each cold start compiles every module."""
    archive = _package(tmp_path, manifest=False)
    with zipfile.ZipFile(archive, "a") as package:
        package.writestr("chalicelib/__init__.py", "")
        package.writestr("chalicelib/greeting.py", "def hello() -> str:\n    raise ValueError('hello')\n")
    sources = [name for name in zipfile.ZipFile(archive).namelist() if name.endswith(".py")]
    assert precompile(archive, sys.executable) == len(sources) >= 3  # one module each, migrations included
    tag = sys.implementation.cache_tag
    with zipfile.ZipFile(archive) as package:
        names = set(package.namelist())
        bytecode = package.read(f"chalicelib/__pycache__/greeting.{tag}.pyc")
        assert f"__pycache__/app.{tag}.pyc" in names
    assert int.from_bytes(bytecode[4:8], "little") == 0b01  # PEP 552: hash-based, source not checked
    # As Lambda runs it, unpacked and unwritable: the bytecode is what runs, never compared with its source
    # (a source edited afterwards, which no deploy does, shows it: the packaged code still runs).
    unpacked = tmp_path / "task"
    zipfile.ZipFile(archive).extractall(unpacked)
    (unpacked / "chalicelib" / "greeting.py").write_text("def hello() -> str:\n    return 'edited'\n")
    probe = "import chalicelib.greeting as g\ntry:\n    print(g.hello())\nexcept ValueError as e:\n    print(e)"
    done = subprocess.run([sys.executable, "-c", probe], cwd=unpacked, capture_output=True, text=True, check=True,
                          env={"PYTHONDONTWRITEBYTECODE": "1", "PATH": "/usr/bin:/bin"})
    assert done.stdout.strip() == "hello"
    assert precompile(archive, sys.executable) == 0  # once: a second run adds nothing


def test_chalice_builds_for_the_functions_architecture_and_picks_aarch64_wheels() -> None:
    """`make package` runs `chalice package`, whose packager selects wheels by the config's lambda_architecture."""
    from chalice.cli.factory import CLIFactory
    from chalice.deploy.packager import DependencyBuilder
    from chalice.utils import OSUtils

    config = CLIFactory(str(RUNTIME)).create_config_obj()  # as `chalice package` loads it (stage dev)
    assert config.lambda_architecture == chalice_architecture() == LAMBDA_ARCHITECTURE == "arm64"
    builder = DependencyBuilder(OSUtils(), architecture=config.lambda_architecture)
    # The check chalice applies to every downloaded wheel (private, but it is the whole selection); file names of
    # pillow 13.0.0's real wheels for Python 3.13.
    accepts = builder._is_compatible_wheel_filename
    assert accepts("cp313", "pillow-13.0.0-cp313-cp313-manylinux_2_27_aarch64.manylinux_2_28_aarch64.whl")
    assert not accepts("cp313", "pillow-13.0.0-cp313-cp313-manylinux_2_27_x86_64.manylinux_2_28_x86_64.whl")
    assert not accepts("cp313", "pillow-13.0.0-cp312-cp312-manylinux_2_27_aarch64.manylinux_2_28_aarch64.whl")
    assert accepts("cp313", "blurhash-1.1.5-py2.py3-none-any.whl")


BUILT = ROOT / "build" / "chalice" / "deployment.zip"


@pytest.mark.skipif(not BUILT.with_name(MANIFEST_NAME).is_file(), reason="no `make package` build here")
def test_the_built_package_holds_only_aarch64_modules() -> None:
    """The real archive (after `make package`): every ELF file in it is for the functions' architecture."""
    machines = compiled_machines(BUILT)
    assert set(machines) == {LAMBDA_ARCHITECTURE}
    assert any(name.startswith("pydantic_core/") and name.endswith("-aarch64-linux-gnu.so")
               for name in machines[LAMBDA_ARCHITECTURE])
    assert json.loads(BUILT.with_name(MANIFEST_NAME).read_text())["architecture"] == LAMBDA_ARCHITECTURE
