"""Did a compaction keep the key facts? Compare its summary with them; word back what it dropped.

- A **file** is kept when its path appears in the summary: whole, relative to the
  project, or (when no other file shares it) its base name.
- A **text** fact (the latest request, a todo, a constraint, the next step) is kept
  when most of its distinctive words appear in the summary (:data:`KEPT_SHARE` of
  its first :data:`MAX_WORDS` words of four letters or more, stop words aside).

What was dropped is re-injected into the new context through the SessionStart hook
whose source is ``compact`` (``additionalContext``, which Claude Code replaces by a
preview over 10,000 characters: :data:`REINJECT_LIMIT` keeps below it).
"""

from __future__ import annotations

import os
import re
from dataclasses import asdict, dataclass
from typing import Any

from cc_guard.base.redact import redact
from cc_guard.context.focus import MARKER, KeyFacts, one_line

KEPT_SHARE = 0.6
MAX_WORDS = 12
REINJECT_LIMIT = 9000
_WORD = re.compile(r"[A-Za-z0-9_]{4,}")
#: Common words, and the handoff's own phrasing around a fact ("Continue the
#: in-progress todo: ..."), which say nothing about whether the fact was kept.
_STOP = frozenset(
    {
        "about",
        "above",
        "after",
        "again",
        "also",
        "always",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "cannot",
        "check",
        "complete",
        "confirm",
        "continue",
        "could",
        "does",
        "doing",
        "done",
        "down",
        "during",
        "each",
        "from",
        "further",
        "have",
        "having",
        "here",
        "into",
        "itself",
        "just",
        "keep",
        "latest",
        "make",
        "more",
        "most",
        "must",
        "need",
        "needs",
        "never",
        "next",
        "only",
        "other",
        "over",
        "pending",
        "please",
        "progress",
        "redo",
        "request",
        "same",
        "should",
        "some",
        "start",
        "step",
        "still",
        "such",
        "than",
        "that",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "todo",
        "under",
        "until",
        "user",
        "very",
        "want",
        "what",
        "when",
        "where",
        "whether",
        "which",
        "while",
        "will",
        "with",
        "would",
        "your",
        "yours",
    }
)

KINDS = ("request", "next_step", "todo", "file", "constraint")
LABELS = {
    "request": "The user's latest request",
    "next_step": "The next step",
    "todo": "Todo in progress",
    "file": "File being changed",
    "constraint": "Constraint the user stated",
}


@dataclass
class Fact:
    kind: str  # one of KINDS
    text: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def facts_of(key: KeyFacts) -> list[Fact]:
    """The key facts one by one, most important first."""
    out: list[Fact] = []
    if key.latest_request:
        out.append(Fact("request", _cap(one_line(key.latest_request), 1500)))
    if key.next_step:
        out.append(Fact("next_step", _cap(one_line(key.next_step), 400)))
    out += [Fact("todo", _cap(one_line(t), 400)) for t in key.todos]
    out += [Fact("file", key.shown_path(p)) for p in key.files]
    out += [Fact("constraint", _cap(one_line(c), 400)) for c in key.constraints]
    return out


def _cap(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


_SUMMARY = re.compile(r"<summary>(.*?)(?:</summary>|$)", re.DOTALL)
_ANALYSIS = re.compile(r"<analysis>.*?(?:</analysis>|$)", re.DOTALL)


def summary_part(raw: str) -> str:
    """The summary Claude Code keeps from the compaction's reply: the ``<summary>`` block,
    or the reply without its ``<analysis>`` (which is dropped)."""
    found = _SUMMARY.findall(raw)
    if found:
        return "\n".join(found)
    return _ANALYSIS.sub("", raw)


def _stem(word: str) -> str:
    word = word.lower()
    return word[:-1] if word.endswith("s") and len(word) > 4 else word


def _words(text: str) -> list[str]:
    seen: list[str] = []
    for match in _WORD.finditer(text):
        word = _stem(match.group())
        if word not in _STOP and word not in seen:
            seen.append(word)
    return seen


def _file_kept(path: str, summary: str, full_paths: list[str], key: KeyFacts) -> bool:
    candidates = {path, key.shown_path(path)}
    base = os.path.basename(path)
    if sum(1 for p in full_paths if os.path.basename(p) == base) == 1:
        candidates.add(base)
    return any(c and c in summary for c in candidates)


def compare(summary: str, key: KeyFacts) -> tuple[list[Fact], list[Fact]]:
    """(kept, dropped) key facts for a compaction's ``summary`` (its reply as Claude Code
    reports it; the ``<analysis>`` part does not count)."""
    summary = summary_part(summary)
    words = set(_words(summary))
    kept: list[Fact] = []
    dropped: list[Fact] = []
    shown = {key.shown_path(p): p for p in key.files}
    for fact in facts_of(key):
        if fact.kind == "file":
            ok = _file_kept(shown.get(fact.text, fact.text), summary, key.files, key)
        else:
            wanted = _words(fact.text)[:MAX_WORDS]
            ok = not wanted or sum(1 for w in wanted if w in words) >= KEPT_SHARE * len(wanted)
        (kept if ok else dropped).append(fact)
    return kept, dropped


def reinjection(dropped: list[Fact], limit: int = REINJECT_LIMIT) -> str:
    """The additionalContext that puts ``dropped`` back (empty when nothing was dropped)."""
    if not dropped:
        return ""
    lines = [
        f"{MARKER} The compaction summary above left out these facts from before it; "
        "they still hold:"
    ]
    for fact in dropped:
        lines.append(f"- {LABELS.get(fact.kind, fact.kind)}: {fact.text}")
    text = redact("\n".join(lines))
    if len(text) > limit:
        text = text[: limit - 3].rstrip() + "..."
    return text
