"""The Lambda package: the ``chalice package`` zip, checked against the code it claims to hold.

``make package`` builds ``build/chalice/deployment.zip`` with the Python that Lambda will run
(binary wheels such as pydantic-core and psycopg are built per Python version), for the
architecture the functions run on (chalice's packager downloads the ``manylinux_*_aarch64``
wheels when ``lambda_architecture`` is ``arm64``), and writes ``package.json`` beside it: that
runtime, the architecture of the archive's compiled modules (read from their ELF headers, not
assumed) and a SHA-256 of every source file of ``runtime/``. It also adds the archive's bytecode
(``precompile``): chalice's packager unpacks wheels without it and Lambda's file system is
read-only, so every cold start would otherwise compile each module it imports from source.

A real ``pulumi up`` refuses a package whose sources differ from ``runtime/`` (an archive older
than the code: functions would run yesterday's handlers under today's routes and grants) or that was
built for another runtime or architecture (its extension modules would not load); ``pulumi preview``
and the offline plan only warn, and render with a placeholder when nothing was built yet.

Usage::

    package = LambdaPackage.load(settings)
    package.archive                        # what every function deploys
    package.scripts_hash(LEDGER)           # the ledger's migrations as packaged
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pulumi

from chalicelib.core.declarations import Database
from stacks.migrations import RUNTIME, archive_scripts_hash, scripts_folder, scripts_hash
from stacks.settings import StackSettings

ROOT = RUNTIME.parent
MANIFEST_NAME = "package.json"
# Chalice's own state, never packaged.
UNPACKAGED = frozenset({"deployments", "deployed"})
# ELF e_machine values (the System V ABI's EM_X86_64 and EM_AARCH64), by Lambda's name for the architecture.
ELF_MACHINES = {62: "x86_64", 183: "arm64"}
# Before package.json recorded an architecture every package was built for Lambda's default.
UNRECORDED_ARCHITECTURE = "x86_64"
# The stage `make package` runs `chalice package` for (chalice's default), whose lambda_architecture it builds.
CHALICE_STAGE = "dev"


class PackageError(RuntimeError):
    """The package is missing, stale or built for another runtime; the message says how to rebuild it."""


def sources_hash(runtime: Path = RUNTIME) -> str:
    """SHA-256 over every source file of ``runtime/`` (caches and Chalice's deploy state ignored)."""
    return scripts_hash(runtime, ignore=UNPACKAGED)


def write_manifest(zip_path: Path, runtime_name: str, architecture: str, runtime: Path = RUNTIME) -> Path:
    """Record, beside the zip, the runtime and architecture it was built for and the sources it was built from."""
    manifest = zip_path.parent / MANIFEST_NAME
    built = {"runtime": runtime_name, "architecture": architecture, "sources": sources_hash(runtime)}
    manifest.write_text(json.dumps(built, indent=2) + "\n")
    return manifest


def chalice_architecture(runtime: Path = RUNTIME, stage: str = CHALICE_STAGE) -> str:
    """The ``lambda_architecture`` chalice's packager builds for: the stage's, else the top level's, else x86_64
    (chalice's ``Config.lambda_architecture`` looks it up in that order)."""
    config = json.loads((runtime / ".chalice" / "config.json").read_text())
    staged = config.get("stages", {}).get(stage, {})
    return str(staged.get("lambda_architecture", config.get("lambda_architecture", UNRECORDED_ARCHITECTURE)))


def compiled_machines(zip_path: Path) -> dict[str, list[str]]:
    """The archive's ELF files (extension modules and the libraries wheels bundle) by architecture.

    >>> compiled_machines(Path("build/chalice/deployment.zip"))   # doctest: +SKIP
    {'arm64': ['_cffi_backend.cpython-313-aarch64-linux-gnu.so', ...]}
    """
    found: dict[str, list[str]] = {}
    with zipfile.ZipFile(zip_path) as archive:
        for info in archive.infolist():
            if info.is_dir() or info.file_size < 20:
                continue
            with archive.open(info) as member:
                header = member.read(20)
            if header[:4] != b"\x7fELF":
                continue
            # e_ident[EI_DATA] (byte 5) is 1 for little-endian, 2 for big; e_machine is the half-word at 18.
            machine = int.from_bytes(header[18:20], "little" if header[5] == 1 else "big")
            found.setdefault(ELF_MACHINES.get(machine, f"EM_{machine}"), []).append(info.filename)
    return found


def built_architecture(zip_path: Path, runtime: Path = RUNTIME) -> str:
    """The one architecture the archive's compiled modules are for (chalice's setting when it has none).

    Refuses an archive that mixes architectures or holds one Lambda does not run: chalice's packager keeps
    the wheel it downloaded for this machine when it finds none for the target and the package is on its
    whitelist of "compatible anyway" ones (sqlalchemy, pyyaml, pyrsistent), and a vendored file is copied as is.
    """
    machines = compiled_machines(zip_path)
    if not machines:
        return chalice_architecture(runtime)  # pure Python runs on either
    if len(machines) > 1 or not set(machines) <= set(ELF_MACHINES.values()):
        examples = "; ".join(f"{machine}: {', '.join(sorted(files)[:3])}"
                             for machine, files in sorted(machines.items()))
        raise PackageError(f"{zip_path} holds compiled modules for {sorted(machines)} ({examples}): rebuild it")
    [architecture] = machines
    return architecture


@dataclass(frozen=True)
class LambdaPackage:
    """The archive to deploy and, when it was built, its path (for the migrations inside it)."""

    archive: pulumi.Archive
    path: Path | None
    sha256: bytes = b""  # of the zip's bytes (or of the placeholder's text): names the uploaded object

    @classmethod
    def load(cls, settings: StackSettings, runtime: Path = RUNTIME) -> LambdaPackage:
        path = Path(settings.lambda_package)
        path = path if path.is_absolute() else ROOT / path
        problem = _problem(path, settings.lambda_runtime, settings.lambda_architecture, runtime)
        if problem is None:
            return cls(pulumi.FileArchive(str(path)), path, _file_sha256(path))
        message = f"{problem}: run `make package` (or set social:lambdaPackage)"
        if not pulumi.runtime.is_dry_run():
            raise PackageError(message)
        pulumi.log.warn(message + "; previewing anyway")
        if path.is_file():
            return cls(pulumi.FileArchive(str(path)), path, _file_sha256(path))
        return cls(pulumi.AssetArchive({"MISSING_PACKAGE.txt": pulumi.StringAsset(message)}), None,
                   hashlib.sha256(message.encode()).digest())

    @classmethod
    def sources_only(cls, app_name: str) -> LambdaPackage:
        """For an app other than ``runtime/``'s (tests' fixture apps): no archive holds it, so a placeholder
        is deployed and migrations are hashed from their source folders."""
        note = f"the app {app_name!r} is not the runtime's: rendered without a package"
        return cls(pulumi.AssetArchive({"NO_PACKAGE.txt": pulumi.StringAsset(note)}), None,
                   hashlib.sha256(note.encode()).digest())

    @property
    def object_key(self) -> str:
        """Where the archive goes in the code bucket: a new key per content, so new code is a new object."""
        return f"lambda/{self.sha256.hex()}.zip"

    @property
    def code_sha256(self) -> str:
        """Lambda's CodeSha256 of the archive (base64 of its SHA-256): what ``source_code_hash`` compares."""
        return base64.b64encode(self.sha256).decode()

    def scripts_hash(self, database: Database, runtime: Path = RUNTIME) -> str:
        """The database's migrations as deployed (from the archive), else as in the source tree."""
        if self.path is not None:
            return archive_scripts_hash(self.path, database.migrations)
        return scripts_hash(scripts_folder(database, runtime))


def _file_sha256(path: Path) -> bytes:
    digest = hashlib.sha256()
    with path.open("rb") as archive:
        for block in iter(lambda: archive.read(1 << 20), b""):
            digest.update(block)
    return digest.digest()


def _problem(path: Path, runtime_name: str, architecture: str, runtime: Path) -> str | None:
    if not path.is_file():
        return f"the Lambda package {path} does not exist"
    manifest = path.parent / MANIFEST_NAME
    if not manifest.is_file():
        return f"the Lambda package {path} has no {MANIFEST_NAME}: it was not built by `make package`"
    built = json.loads(manifest.read_text())
    if built.get("runtime") != runtime_name:
        return f"the Lambda package was built for {built.get('runtime')}, the functions run {runtime_name}"
    built_for = built.get("architecture", UNRECORDED_ARCHITECTURE)
    if built_for != architecture:
        return (f"the Lambda package was built for {built_for}, the functions run on {architecture} "
                "(its compiled modules would not load)")
    if built.get("sources") != sources_hash(runtime):
        return f"the Lambda package {path} is older than runtime/ (its sources differ)"
    return None


def precompile(zip_path: Path, python: str) -> int:
    """Add the bytecode of every module in the archive, compiled by ``python`` (Lambda's version), and
    return how many files were added.

    Unchecked-hash bytecode (PEP 552): the interpreter loads it without comparing it with the source (no
    timestamps to go wrong after unzipping), and the archive's sources never change apart from it. (The
    paths compiled in need no rewriting: the import system points them at the file it loaded.)
    """
    with tempfile.TemporaryDirectory() as scratch, zipfile.ZipFile(zip_path, "a", zipfile.ZIP_DEFLATED) as archive:
        root = Path(scratch)
        sources = [info for info in archive.infolist() if info.filename.endswith(".py") and not info.is_dir()]
        for info in sources:
            archive.extract(info, root)
        subprocess.run([python, "-m", "compileall", "-q", "-j", "0", "--invalidation-mode", "unchecked-hash",
                        str(root)], check=True)
        compiled = sorted(path for path in root.rglob("*.pyc"))
        present = set(archive.namelist())
        added = 0
        for path in compiled:
            name = path.relative_to(root).as_posix()
            if name not in present:
                archive.write(path, name)
                added += 1
    return added


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m stacks.package ZIP --python PY``: write ZIP's manifest (Python, machine, sources)."""
    parser = argparse.ArgumentParser(prog="python -m stacks.package", description=main.__doc__)
    parser.add_argument("zip", type=Path)
    parser.add_argument("--python", default=sys.executable, help="the interpreter `chalice package` ran with")
    args = parser.parse_args(argv)
    version = subprocess.run([args.python, "-c", "import sys; print('python%d.%d' % sys.version_info[:2])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    if not args.zip.is_file():
        parser.error(f"{args.zip} does not exist")
    try:
        architecture = built_architecture(args.zip)
    except PackageError as exc:
        parser.error(str(exc))
    if architecture != chalice_architecture():
        parser.error(f"{args.zip} holds {architecture} modules, but chalice was to build for "
                     f"{chalice_architecture()} (runtime/.chalice/config.json lambda_architecture): rebuild it")
    compiled = precompile(args.zip, args.python)
    manifest = write_manifest(args.zip, version, architecture)
    print(f"{manifest}: {version} on {architecture}, sources {sources_hash()[:12]}, {compiled} modules precompiled")
    return 0


if __name__ == "__main__":
    sys.exit(main())
