"""Doctor's local checks: key, proxy variables, config and settings files, Claude Code,
cc-guard's hooks, incidents across local sessions, cc-guard's own API calls, one session.

Each returns a :class:`~cc_guard.doctor.result.Finding`. Nothing here touches the
network; the incidents check reads only transcripts changed within the window.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cc_guard.doctor.network import KIND_VERDICTS
from cc_guard.doctor.result import Finding, Status, Verdict
from cc_guard.doctor.verdict import PRECEDENCE
from cc_guard.incidents import IncidentKind, kind_for_name

#: Kinds whose appearance in several sessions at once points upstream.
SHARED_KINDS = (
    IncidentKind.OVERLOADED,
    IncidentKind.RATE_LIMIT,
    IncidentKind.SERVER_ERROR,
    IncidentKind.AUTH,
)
PROXY_VARIABLES = ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "NO_PROXY")
CLAUDE_ENV = "CC_GUARD_CLAUDE"


# ----------------------------------------------------------------------------- credentials


def check_key(
    api_key: str | None,
    auth_token: str | None,
    source: str | None,
    base_url: str,
    problem: str | None,
) -> Finding:
    from cc_guard.api.credentials import API_KEY_ENV, AUTH_TOKEN_ENV, DEFAULT_BASE_URL, key_problem

    if api_key is None and auth_token is None:
        return Finding(
            "key",
            Status.WARN,
            f"API unavailable: {problem}" if problem else "no API key or token",
            fix=f"To let cc-guard probe the API, export {API_KEY_ENV} (a Console key).",
            data={"present": False},
        )
    anthropic_endpoint = base_url.rstrip("/") == DEFAULT_BASE_URL
    problems = []
    if api_key is not None:
        found = key_problem(api_key, API_KEY_ENV)
        if found and (anthropic_endpoint or "sk-ant-" not in found):
            problems.append(found)
    if auth_token is not None:
        found = key_problem(auth_token, AUTH_TOKEN_ENV)
        if found:
            problems.append(found)
    if problems:
        return Finding(
            "key",
            Status.FAIL,
            "; ".join(problems) + f" (from {source})",
            fix="Set the variable again, copying the key exactly (no quotes, no spaces).",
            points_to=Verdict.LOCAL_CONFIG_PROBLEM,
            data={"present": True, "well_formed": False, "source": source},
        )
    return Finding(
        "key",
        Status.OK,
        f"{source}: present and well-formed",
        data={"present": True, "well_formed": True, "source": source},
    )


def check_proxy(environ: Mapping[str, str]) -> Finding:
    found: dict[str, str] = {}
    for name in PROXY_VARIABLES:
        for spelled in (name, name.lower()):
            value = environ.get(spelled)
            if value:
                found[spelled] = _hide_userinfo(value)
    if not found:
        return Finding("proxy", Status.INFO, "no proxy variables set", data={"variables": {}})
    text = ", ".join(f"{k}={v}" for k, v in found.items())
    return Finding(
        "proxy",
        Status.INFO,
        text,
        fix="If the API cannot be reached, check that this proxy lets api.anthropic.com through.",
        data={"variables": found},
    )


def _hide_userinfo(value: str) -> str:
    return re.sub(r"(://)[^/@\s]+@", r"\1***@", value)


# ----------------------------------------------------------------------------- files


def check_config(cwd: Path, state_dir: Path) -> Finding:
    from cc_guard.config.load import ConfigError, load_config

    unusable = next(
        (p for p in (state_dir, *state_dir.parents) if p.exists() and not p.is_dir()), None
    )
    if unusable is not None or (state_dir.is_dir() and not os.access(state_dir, os.W_OK | os.X_OK)):
        return Finding(
            "config",
            Status.FAIL,
            f"cc-guard's state dir {state_dir} is unusable"
            + (f" ({unusable} is a file)" if unusable is not None else " (not writable)"),
            fix="Point CC_GUARD_HOME at a directory you own, or remove what is in the way.",
            points_to=Verdict.LOCAL_CONFIG_PROBLEM,
        )
    try:
        config = load_config(cwd)
    except ConfigError as exc:
        return Finding(
            "config",
            Status.FAIL,
            str(exc),
            fix="Fix that key (cc-guard config show lists every key).",
            points_to=Verdict.LOCAL_CONFIG_PROBLEM,
        )
    files = [str(f) for f in config.files]
    return Finding(
        "config",
        Status.OK,
        f"cc-guard config valid ({', '.join(files) if files else 'defaults only'})",
        data={"files": files},
    )


def settings_files(claude_dir: Path, cwd: Path) -> list[Path]:
    """Claude Code's settings files that apply in ``cwd`` (existing or not)."""
    from cc_guard.base.claude import global_config_path
    from cc_guard.install.settings import project_root

    root = project_root(cwd)
    return [
        claude_dir / "settings.json",
        Path(global_config_path(str(claude_dir))),
        root / ".claude" / "settings.json",
        root / ".claude" / "settings.local.json",
    ]


def check_settings(claude_dir: Path, cwd: Path) -> Finding:
    bad: list[str] = []
    good: list[str] = []
    for path in settings_files(claude_dir, cwd):
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            continue
        except (OSError, UnicodeDecodeError) as exc:
            bad.append(f"{path}: unreadable ({exc})")
            continue
        try:
            data = json.loads(text)
        except ValueError as exc:
            bad.append(f"{path}: not valid JSON ({exc})")
            continue
        if not isinstance(data, dict):
            bad.append(f"{path}: not a JSON object")
            continue
        good.append(str(path))
    if bad:
        return Finding(
            "settings",
            Status.FAIL,
            "; ".join(bad),
            fix="Claude Code ignores or rejects a broken settings file: fix its JSON.",
            points_to=Verdict.LOCAL_CONFIG_PROBLEM,
            data={"valid": good, "invalid": bad},
        )
    return Finding(
        "settings",
        Status.OK,
        f"{len(good)} Claude Code settings file(s) valid"
        if good
        else "no Claude Code settings files",
        data={"valid": good, "invalid": []},
    )


# ----------------------------------------------------------------------------- Claude Code


_VERSION = re.compile(r"\b(\d+\.\d+\.\d+)\b")


def check_claude_code(timeout: float, environ: Mapping[str, str]) -> Finding:
    executable = environ.get(CLAUDE_ENV) or shutil.which("claude")
    if not executable:
        return Finding("claude_code", Status.INFO, "claude is not on PATH", data={"version": None})
    try:
        proc = subprocess.Popen(
            [executable, "--version"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL,
            text=True,
            start_new_session=True,
        )
    except OSError as exc:
        return Finding(
            "claude_code", Status.WARN, f"{executable} does not run ({exc.strerror or exc})"
        )
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        return Finding(
            "claude_code",
            Status.TIMEOUT,
            f"{executable} --version did not answer within {timeout:g} s",
        )
    found = _VERSION.search(out or "")
    version = found.group(1) if found else None
    return Finding(
        "claude_code",
        Status.INFO if version else Status.WARN,
        f"Claude Code {version} ({executable})"
        if version
        else f"{executable} --version printed no version",
        data={"version": version, "executable": executable},
    )


# ----------------------------------------------------------------------------- hooks


def check_hooks(claude_dir: Path, cwd: Path, state_dir: Path, now: float) -> Finding:
    from cc_guard.install.command import is_own_hook

    installed: dict[str, list[str]] = {}
    for path in settings_files(claude_dir, cwd):
        if path.name == ".claude.json":
            continue
        try:
            settings = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        hooks = settings.get("hooks") if isinstance(settings, dict) else None
        for event, groups in (hooks or {}).items() if isinstance(hooks, dict) else ():
            for group in groups if isinstance(groups, list) else ():
                for hook in (group.get("hooks") or []) if isinstance(group, dict) else ():
                    if isinstance(hook, dict) and is_own_hook(hook.get("command")):
                        installed.setdefault(str(path), []).append(str(event))
    last = _last_hook_event(state_dir)
    errors = _recent_hook_errors(state_dir, now)
    data: dict[str, Any] = {
        "installed_in": sorted(installed),
        "last_event": datetime.fromtimestamp(last, UTC).isoformat(timespec="seconds")
        if last
        else None,
        "errors_last_hour": errors,
    }
    if not installed and last is None:
        return Finding(
            "hooks",
            Status.WARN,
            "cc-guard's hooks are not installed (no settings entry, no hook event seen)",
            fix="Run cc-guard install (or use the plugin) so sessions are checkpointed and watched.",
            data=data,
        )
    where = ", ".join(f"{p} ({len(set(e))} events)" for p, e in installed.items()) or "the plugin"
    fired = f"last hook event {_ago(now - last)} ago" if last else "no hook event seen yet"
    stale = _missing_events(installed)
    if stale:
        data["missing_events"] = stale
        return Finding(
            "hooks",
            Status.WARN,
            "installed by an older cc-guard: "
            + "; ".join(f"{path} lacks {', '.join(events)}" for path, events in stale.items()),
            fix="Run cc-guard install again (with the same --scope) to add the hooks this "
            "version uses; restart running Claude Code sessions afterwards.",
            data=data,
        )
    active = _newest_transcript(claude_dir)
    if active is not None and now - active < 3600 and (last is None or active - last > 300):
        return Finding(
            "hooks",
            Status.WARN,
            f"installed in {where}, but not firing: a transcript changed {_ago(now - active)} ago, {fired}",
            fix="Restart Claude Code sessions started before cc-guard install; see hook-errors.log.",
            data=data,
        )
    status = Status.WARN if errors else Status.OK
    text = f"installed in {where}; {fired}" + (
        f"; {errors} hook error(s) in the last hour" if errors else ""
    )
    return Finding(
        "hooks",
        status,
        text,
        fix=f"See {state_dir / 'hook-errors.log'}." if errors else None,
        data=data,
    )


def _missing_events(installed: dict[str, list[str]]) -> dict[str, list[str]]:
    """Settings file -> the events this cc-guard installs that the file has no hook for."""
    from cc_guard.install.merge import EVENTS

    wanted = [event for event, _, _ in EVENTS]
    missing = {}
    for path, events in installed.items():
        lacking = [event for event in wanted if event not in events]
        if lacking:
            missing[path] = lacking
    return missing


def _last_hook_event(state_dir: Path) -> float | None:
    path = state_dir / "events.jsonl"
    try:
        return path.stat().st_mtime
    except OSError:
        return None


def _recent_hook_errors(state_dir: Path, now: float) -> int:
    """Problems cc-guard logged in the hour before ``now`` (read through state/errors)."""
    from cc_guard.state import errors as error_log

    found = error_log.failing(str(state_dir), now=now, window=3600.0)
    return found.count if found is not None else 0


def _newest_transcript(claude_dir: Path) -> float | None:
    newest = None
    for path in (claude_dir / "projects").glob("*/*.jsonl"):
        try:
            mtime = path.stat().st_mtime
        except OSError:
            continue
        newest = mtime if newest is None else max(newest, mtime)
    return newest


# ----------------------------------------------------------------------------- incidents


def check_incidents(
    claude_dir: Path,
    state_dir: Path,
    window_minutes: float,
    now: float,
    out_of_time: Callable[[], bool] = lambda: False,
) -> Finding:
    """API failures in every local session over the window (transcripts and StopFailure hooks)."""
    from cc_guard.transcripts.engine import load_session

    cutoff = now - window_minutes * 60
    cutoff_iso = datetime.fromtimestamp(cutoff, UTC).isoformat()
    sessions: dict[IncidentKind, set[str]] = {}
    counts: dict[IncidentKind, int] = {}
    finals: dict[IncidentKind, int] = {}
    recent = []
    for path in (claude_dir / "projects").glob("*/*.jsonl"):
        try:
            if path.stat().st_mtime >= cutoff:
                recent.append(path)
        except OSError:
            continue
    unread = 0
    for path in sorted(recent, key=lambda p: -p.stat().st_mtime if p.exists() else 0):
        if out_of_time():
            unread += 1
            continue
        try:
            model = load_session(path, state_dir)
        except Exception:  # a transcript the engine cannot read: skipped, counted
            unread += 1
            continue
        for incident in model.incidents:
            if not incident.time or _iso_before(incident.time, cutoff_iso):
                continue
            kind = IncidentKind(incident.kind)
            sessions.setdefault(kind, set()).add(model.session_id)
            counts[kind] = counts.get(kind, 0) + 1
            if incident.final is not False:
                finals[kind] = finals.get(kind, 0) + 1
    for event in _events_since(state_dir, cutoff):
        if event.get("event") != "StopFailure" or event.get("agent_id"):
            continue  # (a compaction agent's failure is not the turn's)
        # The kind the hook read from the transcript (the one every view shows), else the
        # payload's own name ("server_error" for a 529).
        recorded = str(event.get("kind") or "")
        kind = (
            IncidentKind(recorded)
            if recorded in {k.value for k in IncidentKind}
            else kind_for_name(str(event.get("error") or "")) or IncidentKind.UNKNOWN
        )
        sid = str(event.get("session_id") or "?")
        if sid in sessions.get(kind, set()):
            continue  # the transcript already showed it
        sessions.setdefault(kind, set()).add(sid)
        counts[kind] = counts.get(kind, 0) + 1
        finals[kind] = finals.get(kind, 0) + 1
    data: dict[str, Any] = {
        "window_minutes": window_minutes,
        "sessions_read": len(recent) - unread,
        "sessions_unread": unread,
        "by_kind": {
            str(k): {
                "incidents": counts[k],
                "sessions": len(sessions[k]),
                "final": finals.get(k, 0),
            }
            for k in counts
        },
    }
    if not counts:
        text = f"no API failures in {len(recent)} session(s) active in the last {window_minutes:g} minutes"
        if unread:
            text += f" ({unread} not read in time)"
        return Finding("incidents", Status.OK, text, data=data)
    candidates: list[Verdict] = []
    for kind in counts:
        verdict = KIND_VERDICTS.get(kind)
        shared = kind in SHARED_KINDS and (len(sessions[kind]) >= 2 or counts[kind] >= 3)
        if verdict is not None and shared:
            candidates.append(verdict)
        elif finals.get(kind):
            candidates.append(Verdict.DEGRADED)
    points_to = next((v for v in PRECEDENCE if v in candidates), None)
    parts = [
        f"{len(sessions[k])} session(s) saw {k} ({counts[k]}x)"
        for k in sorted(counts, key=lambda k: -counts[k])
    ]
    return Finding(
        "incidents",
        Status.FAIL if points_to not in (None, Verdict.DEGRADED) else Status.WARN,
        "; ".join(parts) + f" in the last {window_minutes:g} minutes",
        points_to=points_to,
        data=data,
    )


def _iso_before(stamp: str, cutoff_iso: str) -> bool:
    try:
        when = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
        return when < datetime.fromisoformat(cutoff_iso)
    except ValueError:
        return True


def _events_since(state_dir: Path, since: float) -> list[dict[str, Any]]:
    """Hook events logged after ``since`` (the end of the log, through state/events)."""
    from cc_guard.base.timefmt import epoch
    from cc_guard.state import events as event_log

    out = []
    for event in event_log.tail(str(state_dir)):
        when = epoch(str(event.get("time")))
        if when is not None and when >= since:
            out.append(event)
    return out


# ----------------------------------------------------------------------------- cc-guard's API


def check_own_api(
    state_dir: Path, window_minutes: float, chain_keys: list[str], now: float
) -> Finding:
    """cc-guard's own API attempts in the window, and its circuit breakers."""
    from cc_guard.api.attempts import read_attempts
    from cc_guard.api.circuit import CIRCUIT_FILE

    since = datetime.fromtimestamp(now, UTC) - timedelta(minutes=window_minutes)
    attempts = read_attempts(state_dir, since)
    outcomes: dict[str, int] = {}
    for attempt in attempts:
        outcome = str(attempt.get("outcome"))
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    open_now: dict[str, float] = {}
    try:
        stored = json.loads((state_dir / CIRCUIT_FILE).read_text(encoding="utf-8"))
        for key, value in (stored.get("models") or {}).items():
            until = float(value.get("open_until") or 0)
            if until > now:
                open_now[str(key)] = until - now
    except (OSError, ValueError, AttributeError, TypeError):
        pass
    data = {"attempts": outcomes, "open_circuits": {k: round(v) for k, v in open_now.items()}}
    if not attempts and not open_now:
        return Finding(
            "cc_guard_api",
            Status.INFO,
            f"no API calls by cc-guard in the last {window_minutes:g} minutes",
            data=data,
        )
    parts = [
        f"{count} {outcome}" for outcome, count in sorted(outcomes.items(), key=lambda i: -i[1])
    ]
    text = "cc-guard's own calls: " + (", ".join(parts) or "none")
    if open_now:
        text += "; circuit open for " + ", ".join(
            f"{k} ({v:.0f} s more)" for k, v in open_now.items()
        )
    points_to = None
    if open_now:
        points_to = Verdict.UPSTREAM_OVERLOADED
    elif outcomes.get("auth"):
        points_to = Verdict.AUTH_PROBLEM
    return Finding(
        "cc_guard_api",
        Status.WARN if points_to else Status.INFO,
        text,
        points_to=points_to,
        data=data,
    )


# ----------------------------------------------------------------------------- one session


def check_session(transcript: Path, state_dir: Path) -> Finding:
    from cc_guard.transcripts.engine import load_session

    model = load_session(transcript, state_dir)
    last = model.incidents[-1] if model.incidents else None
    text = f"session {model.session_id[:8]} is {model.state}"
    if model.state_reason:
        text += f" ({model.state_reason})"
    if last is not None:
        status = f" {last.status}" if last.status else ""
        text += f"; last incident: {last.kind}{status} at {last.time}"
    return Finding(
        "session",
        Status.WARN if str(model.state) == "interrupted" else Status.INFO,
        text,
        fix=f"cc-guard resume {model.session_id[:8]}"
        if str(model.state) == "interrupted"
        else None,
        data={
            "session_id": model.session_id,
            "state": str(model.state),
            "incidents": len(model.incidents),
            "last_incident": (
                {
                    "kind": str(last.kind),
                    "status": last.status,
                    "time": last.time,
                    "final": last.final,
                }
                if last is not None
                else None
            ),
            "context_percent": model.context_percent,
        },
    )


def _ago(seconds: float) -> str:
    seconds = max(0.0, seconds)
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
