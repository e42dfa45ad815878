"""Auto-resume (``[recover] auto = true``): continue a session a transient failure interrupted.

When a turn fails on a 529, a 5xx or a cut stream, the StopFailure hook starts this
in the background. It waits until the upstream answers again (a free ``GET
/v1/models``, the first wait ``probe_interval_seconds``, doubling up to ten minutes,
for at most ``max_wait_minutes``), then checks that nothing changed: no prompt since,
the session still there, its last turn failed transiently, no tool call in flight;
then, once the pane is idle with an empty input box, types ``[recover] prompt``
("continue") once. Never for auth, billing, rate-limit or invalid-request failures.
Every decision is logged.
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from cc_guard.base import paths
from cc_guard.base.timefmt import epoch
from cc_guard.compaction.pane import Pane, type_line, wait_until_idle
from cc_guard.config import compact_config, recover_config
from cc_guard.config.sections import RecoverConfig
from cc_guard.incidents import TRANSIENT_KINDS
from cc_guard.state import compaction as store
from cc_guard.state import events as event_log
from cc_guard.state.errors import now_iso

ANTHROPIC_VERSION = "2023-06-01"
MAX_PROBE_INTERVAL = 600.0
PROBE_TIMEOUT = 10.0

UP = "up"
DOWN = "down"
AUTH = "auth"

Probe = Callable[[], tuple[str, str]]


def probe_upstream(env: Mapping[str, str], timeout: float = PROBE_TIMEOUT) -> tuple[str, str]:
    """(up | down | auth, what was seen) from one free ``GET /v1/models`` to the session's API."""
    base = (env.get("ANTHROPIC_BASE_URL") or "https://api.anthropic.com").rstrip("/")
    request = urllib.request.Request(base + "/v1/models?limit=1", method="GET")
    request.add_header("anthropic-version", ANTHROPIC_VERSION)
    if env.get("ANTHROPIC_API_KEY"):
        request.add_header("x-api-key", env["ANTHROPIC_API_KEY"])
    elif env.get("ANTHROPIC_AUTH_TOKEN"):
        request.add_header("authorization", "Bearer " + env["ANTHROPIC_AUTH_TOKEN"])
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read(1 << 16)
            return UP, f"GET /v1/models answered {response.status}"
    except urllib.error.HTTPError as exc:
        if exc.code in (401, 403):
            return AUTH, f"GET /v1/models answered {exc.code}: the credentials are refused"
        return DOWN, f"GET /v1/models answered {exc.code}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
        return DOWN, f"GET /v1/models failed: {reason}"


def _log(state: str, session_id: str, action: str, reason: str) -> None:
    store.log_decision(
        state,
        {
            "time": now_iso(),
            "session_id": session_id,
            "event": "recover",
            "action": action,
            "reason": reason,
        },
    )


def _interruption(state: str, session_id: str, since: float) -> str | None:
    what = event_log.moved_on(state, session_id, since)
    if what == "prompt":
        return "the user sent a prompt since the failure"
    return "the session ended" if what == "ended" else None


def verdict_for(transcript: Path, state_dir: Path) -> tuple[bool, str]:
    """(may continue, why): the last turn failed transiently and no tool call is in flight."""
    from cc_guard.handoff.store import make_handoff

    handoff = make_handoff(transcript, state_dir, with_checkpoint=False)
    health = handoff.health
    if handoff.pending_tool_calls:
        return False, f"a tool call was in flight ({handoff.pending_tool_calls[-1].summary})"
    if not health.interrupted:
        return False, f"the session is not interrupted now ({health.state})"
    if health.kind not in {k.value for k in TRANSIENT_KINDS}:
        return False, f"the failure ({health.kind}) is not transient"
    return True, f"the last turn failed transiently ({health.kind})"


def recover(
    session_id: str,
    transcript: Path,
    pane: Pane | None,
    since: str,
    *,
    config: RecoverConfig | None = None,
    probe: Probe | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.time,
) -> str:
    """Run the auto-resume for one failure (``since``: the StopFailure's time); what happened."""
    state_dir = paths.state_dir()
    state = str(state_dir)
    project = _project_of(transcript)
    config = config or recover_config(project)
    started = epoch(since) or clock()
    if pane is None:
        _log(state, session_id, "nothing", "no tmux pane: cannot type into the session")
        return "no pane"
    probe = probe or (lambda: probe_upstream(os.environ))
    deadline = started + config.max_wait_minutes * 60
    interval = config.probe_interval_seconds
    while True:
        stop = _interruption(state, session_id, started)
        if stop:
            _log(state, session_id, "nothing", stop)
            return stop
        status, seen = probe()
        if status == UP:
            _log(state, session_id, "probe", f"the upstream answers again: {seen}")
            break
        if status == AUTH:
            _log(state, session_id, "nothing", f"{seen}; never resumed on an auth problem")
            return seen
        if clock() + interval > deadline:
            _log(
                state,
                session_id,
                "nothing",
                f"gave up after {config.max_wait_minutes:g} min: {seen}",
            )
            return "gave up"
        _log(state, session_id, "wait", f"{seen}; next probe in {interval:g} s")
        sleep(interval)
        interval = min(interval * 2, MAX_PROBE_INTERVAL)
    data = store.read(state, session_id).get("recover")
    if isinstance(data, dict) and data.get("for") == since:
        _log(state, session_id, "nothing", "already continued after this failure")
        return "already continued"
    ok, why = verdict_for(transcript, state_dir)
    if not ok:
        _log(state, session_id, "nothing", why)
        return why
    idle = compact_config(project).idle_wait_seconds
    waited = wait_until_idle(pane, idle, abort=lambda: _interruption(state, session_id, started))
    if not waited.idle:
        _log(state, session_id, "nothing", f"did not type: {waited.reason}")
        return waited.reason
    typed, how = type_line(pane, config.prompt)
    if not typed:
        _log(state, session_id, "nothing", how)
        return how
    store.update(state, session_id, lambda d: d.update(recover={"for": since, "at": now_iso()}))
    _log(
        state,
        session_id,
        "continued",
        f"{why}; typed {json.dumps(config.prompt)} into pane {pane.describe()}",
    )
    return "continued"


def _project_of(transcript: Path) -> str | None:
    """The session's cwd from its transcript's first records."""
    from cc_guard.transcripts.reader import iter_records

    try:
        for index, record in enumerate(iter_records(transcript)):
            cwd: Any = record.get("cwd")
            if isinstance(cwd, str) and cwd:
                return cwd
            if index > 50:
                break
    except OSError:
        return None
    return None
