"""A restore asks before it changes anything, the ref included; ``~N`` counts work.

The safety checkpoint (what ``--undo`` goes back to) is taken only once the user goes
ahead: a declined restore leaves the session's ref where it was, so the same
``<session>~N`` names the same checkpoint before and after. ``~N`` steps over the
checkpoints restores and undos make, which are labelled as such.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cc_guard.checkpoints.history import list_checkpoints, resolve_checkpoint
from cc_guard.checkpoints.snapshot import take_checkpoint
from tests.support.checkpoints import cli, make_repo, ref_sha, user_state

SID = "c0ffee00-1234-4abc-8def-000000000010"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "repo")


def _work(repo: Path) -> list[str]:
    shas = [take_checkpoint(repo, SID, "UserPromptSubmit", prompt="go")]
    (repo / "feature.py").write_text("v1\n")
    shas.append(take_checkpoint(repo, SID, "PostToolUse", "Write", ["feature.py"]))
    (repo / "feature.py").write_text("v2\n")
    shas.append(take_checkpoint(repo, SID, "PostToolUse", "Edit", ["feature.py"]))
    assert all(shas)
    return [s for s in shas if s]


def test_a_declined_restore_moves_no_ref_and_changes_nothing(repo: Path) -> None:
    shas = _work(repo)
    (repo / "feature.py").write_text("the user's edit, not checkpointed yet\n")
    tip = ref_sha(repo, SID)
    before = user_state(repo)
    first = cli(repo, "restore", f"{SID[:8]}~1", input="n\n")
    assert first.returncode == 1 and "Nothing changed." in first.stdout
    assert ref_sha(repo, SID) == tip
    assert user_state(repo) == before
    # Asking again shows the same plan for the same checkpoint.
    second = cli(repo, "restore", f"{SID[:8]}~1", input="n\n")
    assert second.stdout == first.stdout
    assert shas[1][:10] in first.stdout
    assert ref_sha(repo, SID) == tip


def test_nothing_to_restore_takes_no_checkpoint(repo: Path) -> None:
    _work(repo)
    tip = ref_sha(repo, SID)
    proc = cli(repo, "restore", f"{SID[:8]}~0", "--yes")
    assert proc.returncode == 0 and "Nothing to restore" in proc.stdout
    assert ref_sha(repo, SID) == tip


def test_tilde_counts_the_sessions_work_not_restores_or_undos(repo: Path) -> None:
    shas = _work(repo)
    assert resolve_checkpoint(repo, f"{SID}~1").sha == shas[1]
    (repo / "feature.py").write_text("edited by hand\n")
    assert cli(repo, "restore", f"{SID}~1", "--yes").returncode == 0
    assert cli(repo, "restore", "--undo", "--yes").returncode == 0
    events = [cp.event for cp in list_checkpoints(repo, SID)]
    assert events[:2] == ["PreUndo", "PreRestore"]
    # The same names still mean the same checkpoints of the session's work.
    assert resolve_checkpoint(repo, f"{SID}~0").sha == shas[2]
    assert resolve_checkpoint(repo, f"{SID}~1").sha == shas[1]
    assert resolve_checkpoint(repo, f"{SID}~2").sha == shas[0]
    listing = cli(repo, "checkpoints", SID[:8])
    assert "PreUndo" in listing.stdout and "PreRestore" in listing.stdout


def test_the_work_tree_changing_while_the_user_decides_restores_nothing(repo: Path) -> None:
    from cc_guard.checkpoints.restore import apply_restore, plan_restore

    shas = _work(repo)
    plan = plan_restore(repo, shas[0])
    assert plan.safety == "" and "feature.py" in plan.deleted
    (repo / "feature.py").write_text("changed after the plan was shown\n")
    with pytest.raises(LookupError, match="changed"):
        apply_restore(repo, plan)
    assert (repo / "feature.py").read_text() == "changed after the plan was shown\n"
