"""A fresh clone passes its own tests: everything the tests need is in the repository, and
no file of the project refers to a place outside it."""

import re
import shutil
import subprocess

import pytest
from fakezoom import SPEC_FILE, load_spec
from support import ROOT

# A path that leaves the checkout: the old folder beside it, or this machine's own folders.
# Written in pieces so this file (and other checkers' greps) do not match it.
BESIDE = "sha" + "red"
OUTSIDE = re.compile("|".join([r"\.\./" + BESIDE, BESIDE + "/zoom", "/" + "work/"]))


def tracked_files():
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.decode()
    return [ROOT / name for name in listed.split("\0") if name]


def test_the_zoom_api_description_is_tracked_inside_the_tests():
    assert SPEC_FILE.is_relative_to(ROOT / "tests")
    assert SPEC_FILE in tracked_files()
    assert (SPEC_FILE.parent / "README.md") in tracked_files()  # where it comes from
    assert "/users/{userId}/meetings" in load_spec()["paths"]


def test_no_file_refers_to_anything_outside_the_repository():
    offenders = []
    for path in tracked_files():
        if not path.is_file() or path.suffix in {".json", ".png", ".ico", ".mo"}:
            continue
        text = path.read_text(errors="replace")
        for number, line in enumerate(text.splitlines(), 1):
            if OUTSIDE.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not offenders, "\n".join(offenders)
