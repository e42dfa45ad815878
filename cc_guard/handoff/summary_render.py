"""The handoff with its API summary: how ``handoff --summarizer`` prints it and what
``resume --mode fresh`` seeds.

The summary leads (its headings one level down) and cc-guard's own facts follow; in
the short, injectable form the summary gets at most two thirds of the room. Without a
valid summary every form is exactly the offline handoff, and the note says why.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING

from cc_guard.base.redact import redact
from cc_guard.handoff import render
from cc_guard.handoff.assemble import Handoff
from cc_guard.handoff.summarize import Result, Summary, cached, fingerprint, summarize

if TYPE_CHECKING:
    from cc_guard.config.load import Config


def summary_block(summary: Summary) -> str:
    """The summary as a handoff section (the model's headings one level down)."""
    body = re.sub(r"(?m)^(#{1,5}) ", r"#\1 ", redact(summary.text).strip())
    return (
        f"## Summary (written by {summary.model} through the API; the sections after it "
        f"are cc-guard's own facts)\n\n{body}\n"
    )


def render_with(
    handoff: Handoff, summary: Summary | None, fmt: str, limit: int = render.SHORT_LIMIT
) -> str:
    """The handoff in ``fmt`` with the API summary in it (the offline form without one)."""
    if summary is None:
        return render.to_short(handoff, limit) if fmt == "short" else render.render(handoff, fmt)
    if fmt == "json":
        data = json.loads(render.to_json(handoff))
        data["summary"] = {
            "source": "api",
            "model": summary.model,
            "provider": summary.provider,
            "created": summary.created,
            "fingerprint": summary.fingerprint,
            "text": redact(summary.text),
        }
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    block = summary_block(summary)
    if fmt == "short":
        return short_with(handoff, block, limit)
    markdown = render.to_markdown(handoff)
    marker = "\n## Goal\n"
    at = markdown.find(marker)
    if at < 0:
        return markdown + "\n" + block
    return markdown[: at + 1] + block + markdown[at:]


def short_with(handoff: Handoff, block: str, limit: int) -> str:
    """The injectable form led by the summary: header, summary, then the offline sections.

    The summary gets at most two thirds of the room after the header; the offline
    sections (next step, latest request, files, ...) fill what is left, in their order.
    """
    header = render.to_short(handoff, limit).partition("\n\n")[0]
    block = redact(block).strip()
    cap = (limit - len(header)) * 2 // 3
    if len(block) > cap:
        block = block[: max(0, cap - 2)].rstrip() + " …"
    room = limit - len(header) - len(block) - 4
    facts = render.to_short(handoff, len(header) + room).partition("\n\n")[2] if room > 200 else ""
    return (f"{header}\n\n{block}" + (f"\n\n{facts}" if facts else ""))[:limit]


# ----------------------------------------------------------------------------- commands


def _guarded(handoff: Handoff, transcript: Path, config: Config, mode: str) -> Result:
    """``summarize``, and whatever goes wrong in it, the offline handoff: a command that
    asked for a summary always ends with a handoff, never a traceback."""
    try:
        return summarize(handoff, transcript, config, mode)
    except Exception as exc:
        return Result(None, f"the API summarizer failed ({type(exc).__name__}: {exc})")


def for_command(
    handoff: Handoff, transcript: Path, mode: str, fmt: str, config: Config
) -> tuple[str, str]:
    """What ``cc-guard handoff --summarizer api|auto`` prints, and its one-line note.

    The offline handoff whenever there is no valid API summary; the note says which.
    """
    result = _guarded(handoff, transcript, config, mode)
    text = render_with(handoff, result.summary, fmt)
    if result.summary is not None:
        return text, result.note
    return text, f"{result.note}; using the offline handoff"


def seed_for(handoff: Handoff, transcript: Path, config: Config) -> tuple[str, str]:
    """The seed ``resume --mode fresh`` injects, and a note saying which form it is.

    The API summary when one is stored for this transcript, or when ``[handoff]
    summarizer`` is ``api``/``auto`` and the chain writes one now; else the offline
    short handoff. Either way under the SessionStart injection limit.
    """
    from cc_guard.handoff.store import SEED_LIMIT

    summary = cached(handoff.session_id, fingerprint(transcript, config))
    why = ""
    if summary is None and config.handoff.summarizer in ("api", "auto"):
        result = _guarded(handoff, transcript, config, config.handoff.summarizer)
        summary, why = result.summary, result.note
    if summary is not None:
        text = render_with(handoff, summary, "short", SEED_LIMIT)
        return text, f"seeding the new session with the API summary by {summary.model}"
    text = render.to_short(handoff)
    reason = f" ({why})" if why else ""
    return text, f"seeding the new session with the offline short handoff{reason}"
