"""What the dashboard's keys do, as plain functions over the core (no Textual).

Everything here may block (git, reading transcripts, running cc-guard): the UI
calls these from worker threads only. Errors a user can cause come back as
:class:`ActionError` with one sentence to show.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from cc_guard.checkpoints.history import Checkpoint, list_checkpoints, user_git
from cc_guard.checkpoints.restore import RestoreResult
from cc_guard.git import GitError
from cc_guard.transcripts.model import SessionModel

#: A diff bigger than this is cut (the dashboard is not a pager for generated files).
MAX_DIFF_CHARS = 400_000
#: Environment variables that place cc-guard's world (the demo changes all of them).
WORLD_VARS = ("CLAUDE_CONFIG_DIR", "CC_GUARD_HOME", "CC_GUARD_CONFIG")


class ActionError(Exception):
    """An action could not be done; the message is one sentence for the user."""


def project_of(session: SessionModel) -> Path:
    """The session's project directory; ActionError when it is unknown or gone."""
    if not session.project_dir:
        raise ActionError("this session has no project directory yet")
    path = Path(session.project_dir)
    if not path.is_dir():
        raise ActionError(f"the project directory {path} does not exist any more")
    return path


# ----------------------------------------------------------------------------- checkpoints


def checkpoints(session: SessionModel) -> tuple[list[Checkpoint], str]:
    """The session's checkpoints (newest first) and a note for when there are none."""
    if not session.project_dir or not Path(session.project_dir).is_dir():
        return [], "project directory not found: no checkpoints"
    try:
        user_git(Path(session.project_dir))
    except LookupError:
        return [], "not a git repository: no checkpoints"
    chain = list_checkpoints(Path(session.project_dir), session.session_id)
    return chain, "" if chain else "no checkpoints yet"


def diff(session: SessionModel, left: str, right: str | None = None) -> str:
    """``git diff`` of checkpoint ``left`` against ``right`` (a checkpoint) or the work tree
    (:func:`cc_guard.checkpoints.diff.diff_text`, what ``cc-guard diff`` prints)."""
    from cc_guard.checkpoints.diff import diff_text

    project = project_of(session)
    spec = f"{left}..{right}" if right is not None else left
    try:
        raw = diff_text(project, spec)
    except (LookupError, GitError, OSError) as exc:
        raise ActionError(str(exc)) from None
    text = raw.decode("utf-8", "replace")
    if len(text) > MAX_DIFF_CHARS:
        text = text[:MAX_DIFF_CHARS] + f"\n... diff cut at {MAX_DIFF_CHARS:,} characters\n"
    return text


def plan_restore(session: SessionModel, sha: str) -> RestoreResult:
    """Checkpoint the work tree, then what restoring ``sha`` would change (nothing written)."""
    from cc_guard.checkpoints import restore

    try:
        return restore.plan_restore(project_of(session), sha)
    except (LookupError, GitError, OSError) as exc:
        raise ActionError(f"nothing was restored: {exc}") from None


def apply_restore(session: SessionModel, plan: RestoreResult) -> RestoreResult:
    from cc_guard.checkpoints import restore

    try:
        return restore.apply_restore(project_of(session), plan)
    except (OSError, GitError) as exc:
        raise ActionError(f"restore stopped: {exc}; undo puts back what it changed") from None


def plan_undo(session: SessionModel) -> tuple[RestoreResult, dict[str, object]]:
    from cc_guard.checkpoints import restore

    try:
        return restore.plan_undo(project_of(session))
    except (LookupError, GitError, OSError) as exc:
        raise ActionError(str(exc)) from None


def apply_undo(
    session: SessionModel, plan: RestoreResult, record: dict[str, object]
) -> RestoreResult:
    from cc_guard.checkpoints import restore

    try:
        return restore.apply_undo(project_of(session), plan, record)
    except (OSError, GitError) as exc:
        raise ActionError(f"undo stopped: {exc}") from None


def can_undo(session: SessionModel) -> bool:
    """Whether the session's work tree has a restore that was not undone."""
    from cc_guard.checkpoints import restore

    try:
        return restore.last_restore(project_of(session)) is not None
    except (ActionError, LookupError, GitError, OSError):
        return False


# ----------------------------------------------------------------------------- handoff


@dataclass(frozen=True)
class Snapshot:
    checkpoint: str | None  # the new checkpoint's sha; None when nothing changed
    latest: str | None  # the session's newest checkpoint after the snapshot
    handoff: Path  # the Markdown handoff just written


def snapshot(session: SessionModel, state_dir: Path) -> Snapshot:
    """A checkpoint of the work tree and a fresh handoff, now."""
    from cc_guard.checkpoints import take_checkpoint
    from cc_guard.handoff import store
    from cc_guard.handoff.worker import build_lock

    sha = None
    if session.project_dir and Path(session.project_dir).is_dir():
        try:
            sha = take_checkpoint(Path(session.project_dir), session.session_id, "Snapshot")
        except (GitError, OSError, ValueError) as exc:
            raise ActionError(f"no checkpoint taken: {exc}") from None
    transcript = Path(session.transcript_path)
    try:
        with build_lock(session.session_id, state_dir):
            written = store.write_handoff(transcript, state_dir, force=True, require_records=True)
    except store.NoRecords as exc:
        raise ActionError(str(exc)) from None
    except OSError as exc:
        raise ActionError(f"no handoff written: {exc}") from None
    chain, _ = checkpoints(session)
    return Snapshot(sha, chain[0].sha if chain else None, written.md_path)


def handoff_markdown(session: SessionModel, state_dir: Path) -> str:
    """The session's handoff as Markdown, built now from the transcript (nothing written)."""
    from cc_guard.handoff import render, store

    try:
        handoff = store.make_handoff(Path(session.transcript_path), state_dir)
    except OSError as exc:
        raise ActionError(f"no handoff: {exc}") from None
    return render.to_markdown(handoff)


# ----------------------------------------------------------------------------- resume


@dataclass(frozen=True)
class ResumePreview:
    """What ``cc-guard resume`` would do with this session, before anything runs."""

    session_id: str
    auto_mode: str  # continue | fresh
    why: str
    continue_prompt: str
    seed: str  # the short handoff a fresh session gets (redacted)
    running: str | None  # "pid 123 (claude ...)" when a live process still owns it
    project: str | None


def resume_preview(session: SessionModel, state_dir: Path) -> ResumePreview:
    """Both plans of :func:`cc_guard.handoff.resume.plan_resume` (no seed written yet)."""
    from cc_guard.handoff import resume, store

    transcript = Path(session.transcript_path)
    try:
        handoff = store.make_handoff(transcript, state_dir)
    except OSError as exc:
        raise ActionError(f"cannot read the session: {exc}") from None
    binary = resume.shown_binary()
    auto = resume.plan_resume(handoff, transcript, "auto", binary, write_seed=False)
    cont = resume.plan_resume(handoff, transcript, "continue", binary, write_seed=False)
    fresh = resume.plan_resume(handoff, transcript, "fresh", binary, write_seed=False)
    running = None
    if handoff.health.state == "running" or handoff.health.process:
        running = handoff.health.process or "a Claude Code process"
    return ResumePreview(
        session_id=session.session_id,
        auto_mode=auto.mode,
        why=auto.why,
        continue_prompt=cont.prompt,
        seed=fresh.seed or "",
        running=running,
        project=handoff.project,
    )


def cc_guard_argv() -> list[str]:
    """argv prefix that runs this cc-guard (the console script when there is one)."""
    from cc_guard.install.command import find_executable

    return find_executable()


def world_env(claude_dir: Path, state_dir: Path) -> dict[str, str]:
    """The variables a cc-guard command needs to see the dashboard's world."""
    env = {"CLAUDE_CONFIG_DIR": str(claude_dir), "CC_GUARD_HOME": str(state_dir)}
    config = os.environ.get("CC_GUARD_CONFIG")
    if config:
        env["CC_GUARD_CONFIG"] = config
    return env


def _non_default(env: dict[str, str]) -> dict[str, str]:
    """The part of ``env`` a shell would not already have (so a pasted command works)."""
    from cc_guard.base.paths import claude_dir, state_dir

    defaults = {
        "CLAUDE_CONFIG_DIR": str(claude_dir()),
        "CC_GUARD_HOME": str(state_dir(create=False)),
    }
    return {
        k: v
        for k, v in env.items()
        if k in WORLD_VARS and (os.environ.get(k) is None or defaults.get(k) != v)
    }


def resume_argv(session_id: str, mode: str, *, print_only: bool = False) -> list[str]:
    return [
        *cc_guard_argv(),
        "resume",
        session_id,
        "--mode",
        mode,
        *(["--print"] if print_only else []),
    ]


def resume_command(session_id: str, mode: str, env: dict[str, str]) -> str:
    """The shell command that resumes the session (what ``y`` copies)."""
    prefix = " ".join(f"{k}={shlex.quote(v)}" for k, v in sorted(_non_default(env).items()))
    name = "cc-guard" if shutil.which("cc-guard") else shlex.join(cc_guard_argv())
    command = f"{name} resume {shlex.quote(session_id)} --mode {mode}"
    return f"{prefix} {command}" if prefix else command


def resume_print(session_id: str, mode: str, env: dict[str, str]) -> str:
    """``cc-guard resume SESSION --mode MODE --print``, run for real; its output."""
    proc = subprocess.run(
        resume_argv(session_id, mode, print_only=True),
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    text = (proc.stderr + proc.stdout).strip()
    if proc.returncode != 0:
        raise ActionError(text.splitlines()[-1] if text else "cc-guard resume failed")
    return text


def claude_available() -> bool:
    from cc_guard.base.claude import CLAUDE_BIN_ENV

    return shutil.which(os.environ.get(CLAUDE_BIN_ENV) or "claude") is not None


# ----------------------------------------------------------------------------- editor


def editor_argv(project: Path) -> list[str]:
    """``$VISUAL`` or ``$EDITOR`` (split like a shell would) with the project directory."""
    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR")
    if not editor:
        raise ActionError("set $EDITOR (or $VISUAL) to open projects from the dashboard")
    try:
        argv = shlex.split(editor)
    except ValueError as exc:
        raise ActionError(f"$EDITOR is not a command: {exc}") from None
    if not argv or shutil.which(argv[0]) is None:
        raise ActionError(f"the editor {editor!r} was not found")
    return [*argv, str(project)]
