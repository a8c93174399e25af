"""The branch -> preview stack rule (tools/stack_name.py) that every workflow calls."""

from __future__ import annotations

import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stacks.naming import Namer
from stacks.settings import MAX_STACK_NAME, environment_of
from tools.stack_name import StackNameError, stack_name

# Branch names as people type them: ASCII words, separators, upper case, accents, other scripts, emoji.
BRANCHES = st.text(
    alphabet=st.one_of(st.sampled_from("abcxyzABCXYZ0189/-_.@ +#"), st.characters(codec="utf-8")),
    min_size=1, max_size=220,
).filter(lambda text: bool(text.strip()))


def _valid(name: str) -> None:
    assert environment_of(name) == "preview", name  # what the program itself accepts
    assert len(name) <= MAX_STACK_NAME
    # The derived physical names stay within AWS's rules: S3 (63, lower-case), IAM roles (64).
    namer = Namer("social", name, "preview")
    assert len(namer.name("media-uploads", 63)) <= 63
    assert len(namer.global_name("api-handler-role", 64)) <= 64


@given(BRANCHES)
@settings(max_examples=400, deadline=None)
def test_every_branch_becomes_a_valid_preview_stack(branch: str) -> None:
    _valid(stack_name(branch))


@given(BRANCHES, BRANCHES)
@settings(max_examples=400, deadline=None)
def test_different_branches_get_different_stacks(first: str, second: str) -> None:
    if first != second:
        assert stack_name(first) != stack_name(second)


@given(BRANCHES)
@settings(max_examples=200, deadline=None)
def test_the_name_is_stable(branch: str) -> None:
    assert stack_name(branch) == stack_name(branch)


@pytest.mark.parametrize(("branch", "expected"), [
    ("feature-x", "preview-feature-x"),
    ("fix-42", "preview-fix-42"),
    ("main", "preview-main"),
    ("dev", "preview-dev"),
    ("prod", "preview-prod"),
    ("a" * 24, "preview-" + "a" * 24),
])
def test_a_branch_that_already_is_a_slug_keeps_its_name(branch: str, expected: str) -> None:
    assert stack_name(branch) == expected


@pytest.mark.parametrize(("branch", "readable"), [
    ("Feature/X", "preview-feature-x-"),
    ("feature/x", "preview-feature-x-"),
    ("feature_x", "preview-feature-x-"),
    ("feature.x", "preview-feature-x-"),
    ("FEATURE--X", "preview-feature-x-"),
    ("fix/Über_straße", "preview-fix-uber-strae-"),
    ("-leading/and/trailing-", "preview-leading-and-trai"),
])
def test_other_branches_are_slugged_and_get_a_hash(branch: str, readable: str) -> None:
    name = stack_name(branch)
    assert name.startswith(readable)
    _valid(name)


def test_branches_that_slug_alike_do_not_collide() -> None:
    names = [stack_name(b) for b in ("feature-x", "Feature/X", "feature/x", "feature_x", "Feature-X", "feature.x")]
    assert len(set(names)) == len(names), names


def test_long_branches_with_the_same_start_do_not_collide() -> None:
    stem = "feature/" + "very-long-description-of-the-change-" * 5
    first, second = stack_name(stem + "one"), stack_name(stem + "two")
    assert first != second
    assert len(first) == len(second) == MAX_STACK_NAME
    assert first.startswith("preview-feature-very-lon")
    _valid(first)


def test_a_200_character_branch_fits() -> None:
    name = stack_name("x" * 200)
    assert len(name) <= MAX_STACK_NAME
    _valid(name)


def test_a_kept_name_never_looks_like_a_hashed_one() -> None:
    # 'Feature/X' hashes to 'preview-feature-x-<6 hex>': a branch literally named like that is hashed too,
    # so it cannot take that stack.
    hashed = stack_name("Feature/X")
    literal = hashed.removeprefix("preview-")
    assert stack_name(literal) != hashed
    assert stack_name(literal).startswith("preview-feature-x-")


@pytest.mark.parametrize("branch", ["日本語", "🚀", "///", "---", "ü"])
def test_a_branch_with_nothing_to_slug_is_its_hash(branch: str) -> None:
    name = stack_name(branch)
    _valid(name)
    assert len(name) == len("preview-") + 6 or name.startswith("preview-u-")


@pytest.mark.parametrize("branch", ["", " ", "\t\n"])
def test_no_branch_is_refused(branch: str) -> None:
    with pytest.raises(StackNameError, match="GITHUB_HEAD_REF"):
        stack_name(branch)


def test_the_command_prints_the_name_or_refuses() -> None:
    ran = subprocess.run([sys.executable, "-m", "tools.stack_name", "Feature/X"],
                         capture_output=True, text=True, check=True)
    assert ran.stdout == stack_name("Feature/X") + "\n"
    refused = subprocess.run([sys.executable, "-m", "tools.stack_name", ""], capture_output=True, text=True)
    assert refused.returncode == 2 and "no branch name" in refused.stderr and not refused.stdout
