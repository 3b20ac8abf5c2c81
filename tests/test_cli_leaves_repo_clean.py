"""The commands a newcomer runs from a checkout leave the checkout as it was.

Each runs as the README shows it (the ``saathi`` script, from the repository root) with a
throwaway instance folder and database; afterwards ``git status`` and ``git diff`` must be
what they were before. A chart or report written into docs/ "for convenience" would turn
up in everyone's next commit.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SAATHI = Path(sys.executable).parent / "saathi"
pytestmark = pytest.mark.slow

COMMANDS = (
    ["db", "upgrade"],
    ["content", "validate"],
    ["content", "list"],
    ["content", "import"],
    ["translate", "compile"],
    ["demo"],
    ["dispatch", "--once"],
    ["learners", "show", "+919822000101", "--json"],
    ["voices", "list"],
    ["users", "list"],
    ["simulate", "--learners", "20", "--days", "14", "--checkpoints", "7,14", "--jobs", "1"],
)


def repo_state() -> tuple[str, str]:
    """What git sees: changed and untracked paths, and a digest of the tracked changes' content."""
    def git(*args: str) -> bytes:
        return subprocess.run(["git", *args], cwd=REPO, capture_output=True, check=True).stdout

    return git("status", "--porcelain", "--untracked-files=all").decode(), \
        hashlib.sha256(git("diff", "--binary", "HEAD")).hexdigest()


@pytest.fixture
def checkout():
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    inside = subprocess.run(["git", "rev-parse", "--is-inside-work-tree"], cwd=REPO, capture_output=True, text=True,
                            check=False)
    if inside.returncode != 0 or inside.stdout.strip() != "true":
        pytest.skip("not a git checkout")
    if not SAATHI.exists():
        pytest.skip(f"no saathi script beside {sys.executable} (run scripts/bootstrap)")
    return REPO


def test_commands_a_user_runs_change_no_file_of_the_repository(checkout, database_url, tmp_path):
    env = {**os.environ, "SAATHI_INSTANCE_PATH": str(tmp_path / "instance"), "SAATHI_DATABASE_URL": database_url,
           "SAATHI_DEMO_PASSWORD": "demo-password-for-tests"}
    env.pop("SAATHI_ENV", None)
    before = repo_state()
    for args in COMMANDS:
        result = subprocess.run([str(SAATHI), *args], check=False, cwd=checkout, env=env, capture_output=True, text=True,
                                timeout=240)
        assert result.returncode == 0, f"saathi {' '.join(args)}:\n{result.stdout}\n{result.stderr}"
        assert repo_state() == before, f"`saathi {' '.join(args)}` changed the checkout:\n{repo_state()[0]}"
