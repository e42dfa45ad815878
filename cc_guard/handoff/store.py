"""Make, write and reuse handoffs in the state dir; one-time seed markers for ``resume --mode fresh``.

Layout under ``<state_dir>/handoff/``:

- ``<session-id>.md`` / ``<session-id>.json``: the full handoff (0600, written atomically);
- ``<session-id>.meta.json``: what the handoff was built from (transcript size and mtime,
  the StopFailure it saw), so hooks rebuild only when something changed;
- ``<session-id>.failure.json``: the last StopFailure payload (error, last assistant text);
- ``seeds/<nonce>.json``: a seed waiting for the one session cc-guard launched with
  ``CC_GUARD_SEED=<nonce>``; consumed (renamed away, then deleted) on first use.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cc_guard.base import fs, paths
from cc_guard.base.claude import require_session_id, valid_session_id
from cc_guard.handoff import extract, health, render
from cc_guard.handoff.assemble import Checkpoint, Handoff, build
from cc_guard.handoff.freshness import (
    handoff_dir,
    is_current,
    read_failure,
    session_file,
    source_key,
    subagent_files,
)

if TYPE_CHECKING:
    from cc_guard.transcripts.model import SessionModel

SEED_ENV = "CC_GUARD_SEED"
SEED_LIMIT = 9500  # Claude Code replaces additionalContext over 10,000 characters by a preview
_NONCE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def _read_records(path: Path) -> Iterator[dict[str, Any]]:
    from cc_guard.transcripts.reader import iter_records

    yield from iter_records(path)


def read_facts(transcript: Path) -> extract.Facts:
    facts = extract.scan(_read_records(transcript))
    for sub in subagent_files(transcript):
        extract.scan(_read_records(sub), facts, sidechain_file=True)
    return facts


def load_model(
    transcript: Path, state_dir: Path | None = None, now: float | None = None
) -> SessionModel | None:
    """The transcript engine's model of the session, or None when the engine cannot give one."""
    from cc_guard.transcripts.engine import load_session

    try:
        return load_session(transcript, state_dir, now)
    except Exception:  # the handoff must still be written when the model cannot be built
        return None


def newest_checkpoint(cwd: str | None, session_id: str) -> Checkpoint | None:
    if not cwd:
        return None
    try:
        from cc_guard.checkpoints import list_checkpoints
    except ImportError:
        return None
    try:
        found = list_checkpoints(Path(cwd), session_id)
    except Exception:
        return None
    if not found:
        return None
    top = found[0]
    when: Any = getattr(top, "time", None)
    stamp = (
        when.isoformat()
        if hasattr(when, "isoformat")
        else (str(when) if when is not None else None)
    )
    return Checkpoint(str(top.sha), stamp, getattr(top, "event", None))


def newest_ref(cwd: str | None, session_id: str) -> Checkpoint | None:
    """The tip of the session's checkpoint ref with one git process (the hook's fast path)."""
    if not valid_session_id(session_id):
        return None  # no such ref can exist
    if not cwd or not Path(cwd).is_dir():
        return None
    from cc_guard.checkpoints.snapshot import REF_PREFIX
    from cc_guard.git import DeadlineExceeded, Git

    try:
        proc = Git.for_command(cwd, timeout=5).run(
            "log",
            "-1",
            "--format=%H%x00%ct%x00%(trailers:key=Cc-Guard-Event,valueonly)",
            f"{REF_PREFIX}{session_id}",
            "--",
            check=False,
        )
    except (OSError, DeadlineExceeded):
        return None
    parts = proc.stdout.decode("utf-8", "replace").strip().split("\x00")
    if proc.returncode != 0 or len(parts[0]) < 40:
        return None
    event = parts[2].strip() if len(parts) > 2 and parts[2].strip() else None
    from datetime import UTC, datetime

    when = (
        datetime.fromtimestamp(int(parts[1]), UTC).isoformat()
        if len(parts) > 1 and parts[1].isdigit()
        else None
    )
    return Checkpoint(parts[0], when, event)


def make_handoff(
    transcript: Path,
    state_dir: Path | None = None,
    now: float | None = None,
    with_checkpoint: bool = True,
    use_engine: bool = True,
) -> Handoff:
    """Build the handoff of one session from its transcript, model, checkpoints and hook signals.

    The session's health is the transcript engine's judgement (with the hook facts).
    Hooks pass ``use_engine=False`` for the checkpoint: one ``git log`` for the ref's tip
    rather than the checkpoints package's full chain.
    """
    state_dir = state_dir or paths.state_dir()
    facts = read_facts(transcript)
    # The engine's judgement, the one every view shows (its hook facts included).
    model = load_model(transcript, state_dir, now)
    session_id = session_id_of(transcript, facts.session_id)
    failure = read_failure(session_id, state_dir)
    verdict = health.assess(model)
    cwd = facts.cwd or (model.project_dir if model else None)
    checkpoint = None
    if with_checkpoint:
        checkpoint = (
            newest_checkpoint(cwd, session_id) if use_engine else newest_ref(cwd, session_id)
        )
    handoff = build(transcript, facts, verdict, model, checkpoint, failure)
    handoff.subagents = len(subagent_files(transcript))
    return handoff


def session_id_of(transcript: Path, recorded: str | None = None) -> str:
    """The session a transcript belongs to: the id its records name, else its file name.

    Both come from outside cc-guard: ValueError when neither is a valid session id.
    """
    if valid_session_id(recorded):
        return recorded
    return require_session_id(transcript.stem)


class NoRecords(ValueError):
    """The transcript holds no readable Claude Code record: nothing to hand off."""


@dataclass
class Written:
    session_id: str
    md_path: Path
    json_path: Path
    rebuilt: bool
    handoff: Handoff | None


def write_handoff(
    transcript: Path,
    state_dir: Path | None = None,
    force: bool = False,
    session_id: str | None = None,
    use_engine: bool = True,
    require_records: bool = False,
) -> Written:
    """Write ``<id>.md`` and ``<id>.json`` unless they were built from the same transcript bytes.

    ``require_records``: raise :class:`NoRecords` (and write nothing) for a transcript
    with no readable record, which the commands report instead of an empty handoff.
    """
    state_dir = state_dir or paths.state_dir()
    sid = require_session_id(session_id) if session_id is not None else session_id_of(transcript)
    md_path, json_path, meta_path = (
        session_file(sid, suffix, state_dir) for suffix in (".md", ".json", ".meta.json")
    )
    if not force and is_current(transcript, state_dir, sid):
        return Written(sid, md_path, json_path, False, None)
    key = source_key(transcript, state_dir, sid)
    handoff = make_handoff(transcript, state_dir, use_engine=use_engine)
    if require_records and handoff.first_activity is None and handoff.project is None:
        raise NoRecords(f"{transcript} holds no readable Claude Code record.")
    fs.write_private(md_path, render.to_markdown(handoff))
    fs.write_private(json_path, render.to_json(handoff))
    fs.write_private(
        meta_path, json.dumps({"source": key, "schema": handoff.schema}, sort_keys=True)
    )
    return Written(sid, md_path, json_path, True, handoff)


# ----------------------------------------------------------------------------- seeds


def new_nonce() -> str:
    import secrets  # only `resume` needs it; keep it off the hook path

    return secrets.token_urlsafe(24)


def seed_path(nonce: str, state_dir: Path | None = None) -> Path:
    if not _NONCE.match(nonce):
        raise ValueError("invalid seed nonce")
    folder = handoff_dir(state_dir) / "seeds"
    fs.ensure_private_dir(folder)
    return folder / f"{nonce}.json"


#: A seed nobody launched with (``resume --print`` never run) is deleted after this long.
SEED_MAX_AGE = 7 * 24 * 3600.0


def write_seed(nonce: str, text: str, source_session: str, state_dir: Path | None = None) -> Path:
    path = seed_path(nonce, state_dir)
    _prune_seeds(path.parent)
    body = {"source_session": source_session, "text": render_seed(text)}
    fs.write_private(path, json.dumps(body, sort_keys=True))
    return path


def _prune_seeds(folder: Path) -> None:
    import time

    cutoff = time.time() - SEED_MAX_AGE
    for old in folder.glob("*.json"):
        with contextlib.suppress(OSError):
            if old.stat().st_mtime < cutoff:
                old.unlink()


def render_seed(text: str) -> str:
    from cc_guard.base.redact import redact

    return redact(text)[:SEED_LIMIT]


def consume_seed(nonce: str | None, state_dir: Path | None = None) -> str | None:
    """The seed for ``nonce``, exactly once: the file is renamed away before it is read."""
    if not nonce:
        return None
    try:
        path = seed_path(nonce, state_dir)
    except ValueError:
        return None
    claimed = path.with_name(f".{path.name}.{os.getpid()}.claimed")
    try:
        os.rename(path, claimed)  # atomic: of two racing hooks, one wins
    except OSError:
        return None
    try:
        data = json.loads(claimed.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        data = None
    finally:
        with contextlib.suppress(OSError):
            claimed.unlink()
    if not isinstance(data, dict) or not isinstance(data.get("text"), str):
        return None
    return render_seed(data["text"])
