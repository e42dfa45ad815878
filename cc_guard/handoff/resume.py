"""Resuming a session: continue it in place or start fresh from its handoff.

The plan (:func:`plan_resume`) is the same for every front end: ``cc-guard resume``
runs it, ``resume --print`` and the dashboard show it (the command, the prompt and
the seed) before anything runs.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from cc_guard.base.claude import CLAUDE_BIN_ENV
from cc_guard.base.redact import redact
from cc_guard.handoff import render, store
from cc_guard.handoff.assemble import Handoff, one_line
from cc_guard.transcripts.classify import OWN_PROMPT_PREFIX

MODES = ("auto", "continue", "fresh")


def continuation_prompt(h: Handoff) -> str:
    """What ``resume --mode continue`` says to the resumed session."""
    health = h.health
    lines = [
        f"{OWN_PROMPT_PREFIX}This session was interrupted and is being resumed."
        if health.interrupted
        else f"{OWN_PROMPT_PREFIX}This session is being resumed."
    ]
    if health.interrupted:
        lines.append(
            f"Your last turn failed: {health.kind}"
            + (f" ({health.reason})" if health.reason else "")
            + (f" at {health.time}." if health.time else ".")
        )
    if h.partial_text:
        tail = redact(h.partial_text)[-400:]  # redact before cutting: half a key matches nothing
        lines.append(f'Your last response was cut off mid-stream after: "{one_line(tail, 400)}"')
    if h.in_flight_note:
        lines.append(f"{h.in_flight_note} Redo that step.")
    for call in h.pending_tool_calls[-3:]:
        lines.append(
            f"This tool call was started but never returned a result: {call.summary}. Check whether it ran before repeating it."
        )
    in_progress = [t for t in h.todos if t.status == "in_progress"]
    if in_progress:
        lines.append(f"The todo in progress was: {in_progress[0].content}.")
    lines.append(f"Check first: {h.next_step}")
    if not health.interrupted:
        # Nothing failed: repeating the last request could redo finished work.
        lines.append("Its last turn ended normally; wait for the user's next request.")
    elif h.goal_latest:
        lines.append(f"Then carry on with the last request: {one_line(h.goal_latest, 600)}")
    return redact("\n".join(lines))


def fresh_prompt(h: Handoff) -> str:
    return (
        f"{OWN_PROMPT_PREFIX}Continue the work described in the cc-guard handoff in your "
        "context. Check the files on disk first, then take the next step it names."
    )


#: ``--mode auto`` starts fresh at this share of Claude Code's own compaction point: a
#: resumed turn adds the prompt and tool results and would compact (or overflow) at once.
FRESH_AT = 0.9


def choose_mode(h: Handoff, transcript: Path) -> tuple[str, str]:
    """(mode, why) for ``--mode auto``: continue when the old session can go on, else fresh."""
    from cc_guard.handoff.store import load_model

    model = load_model(transcript)
    if model is not None:
        if model.state.value == "stuck":
            return "fresh", f"the session is stuck ({model.state_reason})"
        if model.stats.malformed_lines or model.stats.non_utf8_lines:
            return (
                "fresh",
                f"the transcript is damaged ({model.stats.malformed_lines + model.stats.non_utf8_lines} unreadable lines)",
            )
        from cc_guard.context.report import auto_compact_for

        window, tokens = model.context_window, model.context_tokens
        auto = auto_compact_for(model)  # the session's own point (its settings honoured)
        if window and auto and tokens is not None and tokens >= FRESH_AT * auto.threshold:
            return (
                "fresh",
                f"the context is {100 * tokens / window:.0f}% full ({tokens:,} of {window:,} "
                f"tokens; Claude Code compacts at {auto.threshold:,}); "
                "resuming would compact or overflow at once",
            )
    if h.health.kind in ("invalid_request",):
        return "fresh", "the last request was rejected as invalid (typically an over-full context)"
    if (
        h.compactions
        and h.health.interrupted
        and h.last_activity
        and h.health.reason
        and "compact" in h.health.reason.lower()
    ):
        return "fresh", "compaction failed"
    if h.health.interrupted:
        return (
            "continue",
            f"the transcript is intact and the failure ({h.health.kind}) was transient",
        )
    return "continue", f"the session is healthy ({h.health.state}): nothing was interrupted"


@dataclass
class ResumePlan:
    """What resuming a session will run, and why."""

    session_id: str
    mode: str  # continue | fresh
    why: str
    cwd: Path
    argv: list[str]
    prompt: str
    #: The text injected once into the fresh session (None for continue).
    seed: str | None = None
    #: Extra environment for the launched claude (the seed's nonce).
    env: dict[str, str] = field(default_factory=dict)
    #: ``auto`` found nothing to recover (the session is healthy): a front end asks
    #: before it runs the plan.
    healthy: bool = False
    #: Which form the seed is (the API summary or the offline short handoff), for the user.
    seed_note: str | None = None

    def shell_command(self) -> str:
        """The command as one pasteable shell line."""
        env_part = " ".join(f"{k}={shlex.quote(v)}" for k, v in self.env.items())
        return f"cd {shlex.quote(str(self.cwd))} && {env_part + ' ' if env_part else ''}{shlex.join(self.argv)}"

    def printable(self) -> str:
        """``resume --print``: the command, then the seed as shell comments (pasting the
        whole text runs the command and nothing else: the seed quotes commands in backticks)."""
        lines = [self.shell_command()]
        if self.seed is not None:
            lines.append(
                "\n# Seed injected once by the SessionStart hook of the session started with this command:\n#"
            )
            lines.append("\n".join(f"# {line}".rstrip() for line in self.seed.splitlines()))
        return "\n".join(lines)


def plan_resume(
    handoff: Handoff,
    transcript: Path,
    mode: str,
    binary: str,
    claude_args: tuple[str, ...] = (),
    *,
    write_seed: bool = True,
    make_seed: Callable[[Handoff], tuple[str, str]] | None = None,
) -> ResumePlan:
    """The plan for ``mode`` (``auto`` picks one, see :func:`choose_mode`).

    A fresh plan stores its one-time seed (unless ``write_seed`` is False, for a
    preview); the launched session's SessionStart hook consumes it. ``make_seed``
    gives the seed's text and a note saying which form it is (the API summarizer's
    ``seed_for``); it is only called for a fresh plan. Default: the offline short form.
    """
    why = "requested"
    healthy = False
    if mode == "auto":
        mode, why = choose_mode(handoff, transcript)
        healthy = not handoff.health.interrupted and handoff.health.state != "stuck"
    cwd = Path(handoff.project) if handoff.project else Path.cwd()
    if mode == "continue":
        prompt = continuation_prompt(handoff)
        argv = [binary, "--resume", handoff.session_id, *claude_args, prompt]
        return ResumePlan(handoff.session_id, mode, why, cwd, argv, prompt, healthy=healthy)
    if make_seed is not None:
        text, note = make_seed(handoff)
    else:
        text, note = render.to_short(handoff), "seeding the new session with the offline short handoff"
    seed = store.render_seed(text)
    env: dict[str, str] = {}
    if write_seed:
        nonce = store.new_nonce()
        store.write_seed(nonce, seed, handoff.session_id)
        env[store.SEED_ENV] = nonce
    prompt = fresh_prompt(handoff)
    argv = [binary, *claude_args, prompt]
    return ResumePlan(
        handoff.session_id, mode, why, cwd, argv, prompt, seed, env, healthy, note
    )


def shown_binary() -> str:
    """The executable a printed command names (even when it is not installed here)."""
    import shutil

    return os.environ.get(CLAUDE_BIN_ENV) or shutil.which("claude") or "claude"
