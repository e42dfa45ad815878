"""The API summarizer: the narrative part of a handoff, written by a model, checked by cc-guard.

Input: the offline handoff (its facts) and a redacted digest of the transcript
(:mod:`cc_guard.handoff.digest`). Output: Markdown under five headings (goal,
decisions made and why, current state, open problems, next step).

- **Budget.** Every request's input is counted with tiktoken (``cc_guard.tokens``)
  times a safety factor calibrated from the usage the API reported before, and kept
  within ``[handoff] summary_input_tokens``. A digest bigger than that is summarized
  in chunks (at most :data:`MAX_CHUNKS`, newest kept) and the chunk summaries merged
  (map-reduce). Every request asks for at most ``[handoff] summary_max_tokens``.
- **Validation.** The answer must name every file in the handoff's file list, each
  in-progress todo and the latest request; otherwise the next model of the chain is
  asked, and when none gives a valid answer the caller uses the offline handoff.
  "prompt is too long" shrinks the input once.
- **Cache.** A summary is kept per session in ``<state dir>/handoff/summaries/``
  under the transcript's fingerprint (its bytes, the prompt version and the budgets),
  so the same transcript is never summarized twice.

Secrets are redacted before anything is sent (the digest and the facts are built
from redacted text) and again in the answer.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cc_guard.base.redact import redact
from cc_guard.handoff import digest, render
from cc_guard.handoff.assemble import Handoff
from cc_guard.handoff.freshness import handoff_dir

if TYPE_CHECKING:
    from cc_guard.api.client import Request
    from cc_guard.api.complete import ApiClient, Outcome
    from cc_guard.config.load import Config

#: Bumped whenever the prompts change, so cached summaries are not reused across them.
PROMPT_VERSION = 1
SECTIONS = ("Goal", "Decisions made and why", "Current state", "Open problems", "Next step")
#: Map requests at most; a longer digest keeps its newest part.
MAX_CHUNKS = 8
#: Rounds of merging chunk summaries that do not fit one request.
MAX_MERGE_ROUNDS = 3
#: Characters of the latest request the answer must quote.
LATEST_QUOTE = 120
SUMMARY_DIR = "summaries"

SYSTEM = (
    "You write handoff notes that let a new Claude Code session pick up work that was "
    "interrupted. Use only the facts and transcript excerpts you are given; never invent "
    "anything. Be concrete: name files, functions, commands and errors. Never write out "
    "secrets, keys or passwords."
)


@dataclass(frozen=True)
class Summary:
    """A validated API summary."""

    text: str
    model: str
    provider: str
    fingerprint: str
    created: str
    requests: int  # API attempts it took, failures included
    chunks: int  # map requests (0: the digest fit one request)
    input_tokens: int
    output_tokens: int
    cached: bool = False


@dataclass
class Result:
    """What the summarizer came to: a summary, or why the offline handoff is used."""

    summary: Summary | None
    note: str  # one line for the user: who wrote it, or why not
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def used(self) -> str:
        return "api" if self.summary is not None else "offline"


class _Failed(Exception):
    """The chain gave no valid answer to one request (the message says why)."""


# ----------------------------------------------------------------------------- requirements


@dataclass(frozen=True)
class Requirements:
    """What a valid answer must mention."""

    files: tuple[tuple[str, ...], ...]  # per file: the spellings accepted (absolute, relative)
    todos: tuple[str, ...]
    latest: str | None

    def instructions(self) -> str:
        lines = ["Requirements (checked automatically; an answer that misses one is discarded):"]
        if self.files:
            shown = ", ".join(f"`{spellings[-1]}`" for spellings in self.files)
            lines.append(f"- Mention every one of these files, with its path as written: {shown}")
        for todo in self.todos:
            lines.append(f'- Mention this in-progress todo word for word: "{todo}"')
        if self.latest:
            lines.append(
                f'- Under "## Goal", quote the latest request word for word: "{self.latest}"'
            )
        return "\n".join(lines)

    def missing(self, text: str) -> list[str]:
        """The requirements ``text`` does not meet (empty when it is valid)."""
        have = _normal(text)
        out = [
            f"file {spellings[-1]}"
            for spellings in self.files
            if not any(_normal(s) in have for s in spellings)
        ]
        out += [f"todo {todo!r}" for todo in self.todos if _normal(todo) not in have]
        if self.latest and _normal(self.latest) not in have:
            out.append("the latest request")
        return out


def requirements(handoff: Handoff) -> Requirements:
    project = (handoff.project or "").rstrip("/")
    files = []
    for change in handoff.files:
        spellings = [change.path]
        if project and change.path.startswith(project + "/"):
            spellings.append(change.path[len(project) + 1 :])
        files.append(tuple(spellings))
    todos = tuple(
        t.content for t in handoff.todos if t.status == "in_progress" and t.content.strip()
    )
    latest = None
    if handoff.goal_latest:
        flat = " ".join(redact(handoff.goal_latest).split())
        latest = flat if len(flat) <= LATEST_QUOTE else flat[:LATEST_QUOTE].rsplit(" ", 1)[0]
    return Requirements(tuple(files), tuple(redact(t) for t in todos), latest)


# Markdown emphasis and quotes of every kind (typographic ones by code point).
_STRIP = re.compile("[`*_\"'\u201c\u201d\u2018\u2019]")


def _normal(text: str) -> str:
    return " ".join(_STRIP.sub("", text).lower().split())


# ----------------------------------------------------------------------------- cache


def fingerprint(transcript: Path, config: Config) -> str:
    """The transcript's bytes plus everything that changes what a summary would be."""
    sha = hashlib.sha256()
    sha.update(
        f"v{PROMPT_VERSION}:{config.handoff.summary_max_tokens}:"
        f"{config.handoff.summary_input_tokens}\n".encode()
    )
    from cc_guard.base.fs import open_regular

    fh = open_regular(transcript)  # a FIFO or a device must not block or never end
    if fh is None:
        sha.update(b"(unreadable)")
        return sha.hexdigest()
    try:
        with fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                sha.update(block)
    except OSError:
        sha.update(b"(unreadable)")
    return sha.hexdigest()


def _cache_path(session_id: str, state_dir: Path | None) -> Path:
    from cc_guard.base.claude import require_session_id
    from cc_guard.base.fs import ensure_private_dir

    require_session_id(session_id)
    folder = handoff_dir(state_dir) / SUMMARY_DIR
    ensure_private_dir(folder)
    return folder / f"{session_id}.json"


def cached(session_id: str, transcript_print: str, state_dir: Path | None = None) -> Summary | None:
    """The stored summary of ``session_id`` if it was made from fingerprint ``transcript_print``."""
    try:
        data = json.loads(_cache_path(session_id, state_dir).read_text(encoding="utf-8"))
        if isinstance(data, dict) and data.get("fingerprint") == transcript_print:
            return Summary(**{**data, "cached": True})
    except (OSError, ValueError, TypeError):
        pass
    return None


def _store(session_id: str, summary: Summary, state_dir: Path | None) -> None:
    from cc_guard.base.fs import write_private

    data = asdict(summary)
    data.pop("cached")
    write_private(_cache_path(session_id, state_dir), json.dumps(data, indent=2) + "\n")


# ----------------------------------------------------------------------------- prompts


def _reduce_prompt(
    facts: str, body_tag: str, body: str, needs: Requirements, max_tokens: int
) -> str:
    headings = "\n".join(f"## {name}" for name in SECTIONS)
    words = max(100, int(max_tokens * 0.6))
    return (
        "Write the narrative part of a handoff for the Claude Code session described below, "
        f"as Markdown with exactly these headings, in this order:\n{headings}\n\n"
        "Under them: the goal; the decisions made so far and why; the current state (what is "
        "done, what is half done, what was in flight when it stopped); open problems; the "
        f"one next step. At most {words} words.\n\n"
        f"{needs.instructions()}\n\n"
        f"<facts>\n{facts}\n</facts>\n\n<{body_tag}>\n{body}\n</{body_tag}>"
    )


def _map_prompt(part: int, parts: int, body: str, max_tokens: int) -> str:
    words = max(80, int(max_tokens * 0.6))
    return (
        f"Below is part {part} of {parts} of a Claude Code session's transcript, in order. "
        "Summarize it for someone who will merge the parts: what the user asked, what was "
        "decided and why, what was done, what failed and how it was fixed, and what was "
        f"unfinished at the end of this part. Keep every file path exactly. At most {words} "
        f"words.\n\n<transcript_part>\n{body}\n</transcript_part>"
    )


# ----------------------------------------------------------------------------- summarizing


@dataclass
class _Budget:
    input_tokens: int
    max_tokens: int
    count: Callable[[str], int]  # estimated tokens (with the safety factor)


def summarize(
    handoff: Handoff,
    transcript: Path,
    config: Config,
    mode: str = "api",
    client: ApiClient | None = None,
    state_dir: Path | None = None,
) -> Result:
    """The API summary of ``handoff``'s session, or a Result saying why there is none.

    ``mode`` ``api`` always tries the chain; ``auto`` first checks that the API is usable
    and that some model's circuit is closed. Never raises for API or network trouble.
    """
    from cc_guard.api.complete import ApiClient
    from cc_guard.base.paths import state_dir as default_state_dir

    state = state_dir or default_state_dir()
    transcript_print = fingerprint(transcript, config)
    hit = cached(handoff.session_id, transcript_print, state)
    if hit is not None:
        return Result(hit, f"API summary by {hit.model} (cached)")
    if client is None:
        with ApiClient(config.api, state_dir=state) as own:
            return _summarize(handoff, transcript, config, mode, own, state, transcript_print)
    return _summarize(handoff, transcript, config, mode, client, state, transcript_print)


def _summarize(
    handoff: Handoff,
    transcript: Path,
    config: Config,
    mode: str,
    client: ApiClient,
    state: Path,
    transcript_print: str,
) -> Result:
    from cc_guard import tokens
    from cc_guard.api.attempts import token_samples

    reason = client.unavailable_reason()
    if reason is not None:
        return Result(None, f"API unavailable: {reason}")
    if mode == "auto":
        open_now = client.open_circuits()
        usable = client.usable_models()
        if usable and all(m.key in open_now for m in usable):
            soonest = min(open_now.values())
            return Result(
                None, f"every model's circuit is open (the first reopens in {soonest:.0f} s)"
            )
    factor = tokens.calibrate(token_samples(state))
    budget = _Budget(
        config.handoff.summary_input_tokens,
        config.handoff.summary_max_tokens,
        lambda text: tokens.estimate(text, factor),
    )
    needs = requirements(handoff)
    entries = [e.render() for e in digest.read(transcript)]
    result = Result(None, "")
    for shrink in (False, True):
        try:
            text, model, chunks = _run(handoff, entries, needs, budget, client, result)
        except _Shrink as too_long:
            if shrink:
                result.note = "the input was still too long after shrinking it once"
                return result
            # Half of what was refused: a request that fit the budget can still be too
            # long for the model (the real tokenizer counts more than the estimate).
            budget.input_tokens = max(1000, min(budget.input_tokens, too_long.tokens) // 2)
            continue
        except _Failed as exc:
            result.note = str(exc)
            return result
        summary = Summary(
            text=text,
            model=model.label(),
            provider=model.provider,
            fingerprint=transcript_print,
            created=datetime.now(UTC).isoformat(timespec="seconds"),
            requests=sum(len(o.attempts) for o in result.outcomes),
            chunks=chunks,
            input_tokens=sum(
                a.input_tokens or 0
                for o in result.outcomes
                for a in o.attempts
                if a.outcome == "ok"
            ),
            output_tokens=sum(
                a.output_tokens or 0
                for o in result.outcomes
                for a in o.attempts
                if a.outcome == "ok"
            ),
        )
        _store(handoff.session_id, summary, state)
        result.summary = summary
        result.note = f"API summary by {model.label()}" + _failure_note(result.outcomes)
        return result
    return result


def _failure_note(outcomes: list[Outcome]) -> str:
    """ " after claude-sonnet-5-5: overloaded 529" when models failed on the way, else ""."""
    seen: dict[str, str] = {}
    for outcome in outcomes:
        for ref, failure in outcome.failures:
            status = f" {failure.status}" if failure.status not in (None, 200) else ""
            seen.setdefault(ref.label(), f"{failure.kind}{status}")
    return (" after " + ", ".join(f"{k}: {v}" for k, v in seen.items())) if seen else ""


class _Shrink(Exception):
    """A request was too long for the model: shrink the input and start over."""

    def __init__(self, tokens: int) -> None:
        super().__init__(f"a request of about {tokens} tokens was too long")
        self.tokens = tokens


def _run(
    handoff: Handoff,
    entries: list[str],
    needs: Requirements,
    budget: _Budget,
    client: ApiClient,
    result: Result,
) -> tuple[str, Any, int]:
    """(narrative, the ModelRef that wrote it, map requests) or raise _Failed/_Shrink."""
    facts = _facts(handoff, budget)
    overhead = budget.count(
        SYSTEM + _reduce_prompt(facts, "transcript", "", needs, budget.max_tokens)
    )
    room = budget.input_tokens - overhead
    body = "\n".join(entries)
    chunks = 0
    if room > 0 and budget.count(body) <= room:
        return (*_final(facts, "transcript", body, needs, budget, client, result), chunks)
    # Map: summarize the digest in parts, newest parts kept when there are too many.
    map_room = budget.input_tokens - budget.count(SYSTEM + _map_prompt(1, 1, "", budget.max_tokens))
    if map_room < 200:
        raise _Failed("[handoff] summary_input_tokens is too small to hold a transcript part")
    parts = _split(entries, map_room, budget.count)
    dropped = max(0, len(parts) - MAX_CHUNKS)
    parts = parts[dropped:]
    pieces: list[str] = []
    for number, part in enumerate(parts, 1):
        answer, _ = _ask(
            client,
            SYSTEM,
            _map_prompt(number, len(parts), "\n".join(part), budget.max_tokens),
            budget,
            "chunk",
            result,
            None,
        )
        pieces.append(f"Part {number} of {len(parts)}:\n{answer}")
        chunks += 1
    if dropped:
        pieces.insert(0, f"(The oldest {dropped} part(s) of the transcript were left out.)")
    # Reduce: merge the part summaries, in rounds while they do not fit one request.
    for _ in range(MAX_MERGE_ROUNDS):
        body = "\n\n".join(pieces)
        if room > 0 and budget.count(body) <= room:
            return (*_final(facts, "part_summaries", body, needs, budget, client, result), chunks)
        groups = _split(pieces, max(map_room, 200), budget.count)
        if len(groups) >= len(pieces):
            break  # no two pieces fit together: merging cannot make progress
        merged = []
        for number, group in enumerate(groups, 1):
            answer, _ = _ask(
                client,
                SYSTEM,
                _map_prompt(number, len(groups), "\n\n".join(group), budget.max_tokens),
                budget,
                "merge",
                result,
                None,
            )
            merged.append(f"Part {number} of {len(groups)}:\n{answer}")
            chunks += 1
        pieces = merged
    raise _Failed("the part summaries do not fit [handoff] summary_input_tokens")


def _final(
    facts: str,
    tag: str,
    body: str,
    needs: Requirements,
    budget: _Budget,
    client: ApiClient,
    result: Result,
) -> tuple[str, Any]:
    """The reduce request, asked down the chain until a model's answer is valid."""
    prompt = _reduce_prompt(facts, tag, body, needs, budget.max_tokens)
    skip: set[str] = set()
    problems: list[str] = []
    for _ in range(len(client.chain)):
        try:
            answer, model = _ask(client, SYSTEM, prompt, budget, "summary", result, skip)
        except _Failed as exc:
            if problems:
                raise _Failed(
                    f"{exc}; earlier answers were invalid: {'; '.join(problems)}"
                ) from None
            raise
        missing = needs.missing(answer)
        if not missing:
            return answer, model
        problems.append(f"{model.label()} left out {', '.join(missing[:5])}")
        skip.add(model.key)
        if all(m.key in skip for m in client.usable_models()):
            break
    raise _Failed("no model wrote a valid summary: " + "; ".join(problems))


def _ask(
    client: ApiClient,
    system: str,
    prompt: str,
    budget: _Budget,
    purpose: str,
    result: Result,
    skip: set[str] | None,
) -> tuple[str, Any]:
    """One request down the chain; the redacted answer text and the model that gave it."""
    from cc_guard import tokens
    from cc_guard.api.client import Request

    request: Request = Request(
        system=system,
        messages=({"role": "user", "content": prompt},),
        max_tokens=budget.max_tokens,
        purpose=purpose,
        cl100k_tokens=tokens.count(system) + tokens.count(prompt),
    )
    outcome = client.complete(request, skip=skip or set())
    result.outcomes.append(outcome)
    if outcome.shrink:
        raise _Shrink(budget.count(system + prompt))
    if outcome.reply is None:
        raise _Failed(outcome.summary())
    return redact(outcome.reply.text).strip(), outcome.reply.model


def _facts(handoff: Handoff, budget: _Budget) -> str:
    """The offline handoff's short form, trimmed to a third of the input budget."""
    limit = render.SHORT_LIMIT
    text = render.to_short(handoff, limit)
    while budget.count(text) > budget.input_tokens // 3 and limit > 1000:
        limit = limit * 2 // 3
        text = render.to_short(handoff, limit)
    return text


def _split(items: list[str], room: int, count: Callable[[str], int]) -> list[list[str]]:
    """``items`` in order, grouped so each group's text fits ``room`` tokens (one item may not)."""
    groups: list[list[str]] = []
    current: list[str] = []
    used = 0
    for item in items:
        size = count(item) + 1
        if current and used + size > room:
            groups.append(current)
            current, used = [], 0
        if size > room:  # one entry alone is too big: keep what fits of it
            item = item[: max(200, len(item) * room // size)]
            size = count(item) + 1
        current.append(item)
        used += size
    if current:
        groups.append(current)
    return groups
