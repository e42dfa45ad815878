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
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cc_guard import paths
from cc_guard.handoff import extract, health, render
from cc_guard.handoff.snapshot import Checkpoint, Handoff, build

if TYPE_CHECKING:
    from cc_guard.transcripts.model import SessionModel

SEED_ENV = "CC_GUARD_SEED"
SEED_LIMIT = 9500  # Claude Code replaces additionalContext over 10,000 characters by a preview
_NONCE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def handoff_dir(state_dir: Path | None = None) -> Path:
    path = (state_dir or paths.state_dir()) / "handoff"
    paths.ensure_private_dir(path)
    return path


def _read_records(path: Path) -> Iterator[dict[str, Any]]:
    from cc_guard.transcripts.reader import iter_records

    yield from iter_records(path)


def subagent_files(transcript: Path) -> list[Path]:
    folder = transcript.with_suffix("") / "subagents"
    try:
        return sorted(folder.glob("agent-*.jsonl"))
    except OSError:
        return []


def read_facts(transcript: Path) -> extract.Facts:
    facts = extract.scan(_read_records(transcript))
    for sub in subagent_files(transcript):
        extract.scan(_read_records(sub), facts, sidechain_file=True)
    return facts


def load_model(transcript: Path) -> SessionModel | None:
    """The transcript engine's model of the session, or None when the engine cannot give one."""
    from cc_guard.transcripts.model import SessionModel

    try:
        from cc_guard.transcripts import engine
    except ImportError:
        return None
    load = getattr(engine, "load_session", None)
    if load is None:
        return None
    try:
        model = load(transcript)
    except Exception:  # the handoff must still be written when the model cannot be built
        return None
    return model if isinstance(model, SessionModel) else None


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


def read_failure(session_id: str, state_dir: Path | None = None) -> dict[str, Any] | None:
    path = handoff_dir(state_dir) / f"{session_id}.failure.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def save_failure(
    session_id: str, payload: dict[str, Any], time: str, state_dir: Path | None = None
) -> None:
    """Keep what the StopFailure hook said: the error and the last (maybe partial) answer."""
    last = payload.get("last_assistant_message")
    data = {
        "time": time,
        "error": payload.get("error"),
        "error_details": payload.get("error_details"),
        "last_assistant_message": last if isinstance(last, str) else None,
    }
    paths.write_private(
        handoff_dir(state_dir) / f"{session_id}.failure.json", json.dumps(data, sort_keys=True)
    )


def make_handoff(
    transcript: Path,
    state_dir: Path | None = None,
    now: float | None = None,
    with_checkpoint: bool = True,
) -> Handoff:
    """Build the handoff of one session from its transcript, model, checkpoints and hook signals."""
    state_dir = state_dir or paths.state_dir()
    facts = read_facts(transcript)
    model = load_model(transcript)
    session_id = facts.session_id or (model.session_id if model else transcript.stem)
    failure = read_failure(session_id, state_dir)
    events = health.session_events(state_dir, session_id)
    try:
        mtime: float | None = transcript.stat().st_mtime
    except OSError:
        mtime = None
    verdict = health.assess(facts, model, events, failure, mtime, now)
    checkpoint = (
        newest_checkpoint(facts.cwd or (model.project_dir if model else None), session_id)
        if with_checkpoint
        else None
    )
    handoff = build(transcript, facts, verdict, model, checkpoint, failure)
    handoff.subagents = len(subagent_files(transcript))
    return handoff


@dataclass
class Written:
    session_id: str
    md_path: Path
    json_path: Path
    rebuilt: bool
    handoff: Handoff | None


def _source_key(transcript: Path, state_dir: Path, session_id: str) -> dict[str, Any]:
    """What a handoff depends on that can change: the transcript (+subagents) and hook signals."""
    key: dict[str, Any] = {}
    for path in [transcript, *subagent_files(transcript)]:
        with contextlib.suppress(OSError):
            st = path.stat()
            key[path.name] = [st.st_size, st.st_mtime_ns]
    failure = handoff_dir(state_dir) / f"{session_id}.failure.json"
    with contextlib.suppress(OSError):
        key["failure"] = failure.stat().st_mtime_ns
    return key


def write_handoff(
    transcript: Path,
    state_dir: Path | None = None,
    force: bool = False,
    session_id: str | None = None,
) -> Written:
    """Write ``<id>.md`` and ``<id>.json`` unless they were built from the same transcript bytes."""
    state_dir = state_dir or paths.state_dir()
    folder = handoff_dir(state_dir)
    sid = session_id or transcript.stem
    md_path, json_path, meta_path = (
        folder / f"{sid}.md",
        folder / f"{sid}.json",
        folder / f"{sid}.meta.json",
    )
    key = _source_key(transcript, state_dir, sid)
    if not force and md_path.exists() and json_path.exists():
        with contextlib.suppress(OSError, ValueError):
            if json.loads(meta_path.read_text(encoding="utf-8")).get("source") == key:
                return Written(sid, md_path, json_path, False, None)
    handoff = make_handoff(transcript, state_dir)
    paths.write_private(md_path, render.to_markdown(handoff))
    paths.write_private(json_path, render.to_json(handoff))
    paths.write_private(
        meta_path, json.dumps({"source": key, "schema": handoff.schema}, sort_keys=True)
    )
    return Written(sid, md_path, json_path, True, handoff)


# ----------------------------------------------------------------------------- seeds


def new_nonce() -> str:
    return secrets.token_urlsafe(24)


def seed_path(nonce: str, state_dir: Path | None = None) -> Path:
    if not _NONCE.match(nonce):
        raise ValueError("invalid seed nonce")
    folder = handoff_dir(state_dir) / "seeds"
    paths.ensure_private_dir(folder)
    return folder / f"{nonce}.json"


def write_seed(nonce: str, text: str, source_session: str, state_dir: Path | None = None) -> Path:
    path = seed_path(nonce, state_dir)
    body = {"source_session": source_session, "text": render_seed(text)}
    paths.write_private(path, json.dumps(body, sort_keys=True))
    return path


def render_seed(text: str) -> str:
    from cc_guard.handoff.redact import redact

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
