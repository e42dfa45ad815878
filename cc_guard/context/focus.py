"""What a compaction must keep: the key facts of a session, and the focus text built from them.

The key facts come from the handoff (``cc_guard.compaction.facts`` builds them): the
latest request, the files being changed, the todos in progress, the constraints the
user stated and the next step. They become:

- the **focus** that PreCompact prints (Claude Code appends a PreCompact hook's plain
  stdout to the summary instructions, for automatic and manual compactions alike);
- the **typed focus**, one short line after ``/compact`` when cc-guard types it into
  the session's pane: a longer line arrives as a paste, and Claude Code then sends
  ``/compact ...`` to the model as a prompt instead of running the command (measured
  on 2.1.328: 799 characters still ran, 809 were pasted).

Everything is redacted before it is cut.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from cc_guard.base.redact import redact

#: The longest line typed into a pane, ``/compact `` included (Claude Code treats
#: longer input arriving at once as a paste; see the module docstring).
TYPED_LIMIT = 600
#: The focus PreCompact prints.
FOCUS_LIMIT = 4000
#: Marks text cc-guard wrote, so its own hooks recognise it.
MARKER = "[cc-guard]"


@dataclass
class KeyFacts:
    """What the next context must still know after a compaction."""

    latest_request: str | None = None
    files: list[str] = field(default_factory=list)  # being changed, newest first
    todos: list[str] = field(default_factory=list)  # in progress
    constraints: list[str] = field(default_factory=list)  # the user's "don't"/"always"/"only"
    next_step: str | None = None
    project: str | None = None  # the project directory (files are shown relative to it)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Any) -> KeyFacts:
        if not isinstance(data, dict):
            return cls()

        def text(key: str) -> str | None:
            value = data.get(key)
            return value if isinstance(value, str) and value.strip() else None

        def texts(key: str) -> list[str]:
            value = data.get(key)
            return (
                [v for v in value if isinstance(v, str) and v.strip()]
                if isinstance(value, list)
                else []
            )

        return cls(
            latest_request=text("latest_request"),
            files=texts("files"),
            todos=texts("todos"),
            constraints=texts("constraints"),
            next_step=text("next_step"),
            project=text("project"),
        )

    def empty(self) -> bool:
        return not (
            self.latest_request or self.files or self.todos or self.constraints or self.next_step
        )

    def shown_path(self, path: str) -> str:
        """``path`` relative to the project when it lies inside it."""
        if self.project and path.startswith(self.project.rstrip("/") + "/"):
            return path[len(self.project.rstrip("/")) + 1 :]
        return path


def one_line(text: str) -> str:
    """Redacted, on one line, with no control characters (safe to type into a terminal)."""
    flat = " ".join(redact(text).split())
    return "".join(c for c in flat if c.isprintable())


def _cut(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[: max(0, limit - 3)].rstrip() + "..."


def _cut_bytes(text: str, limit: int) -> str:
    """``text`` cut so its UTF-8 form is at most ``limit`` bytes (a terminal reads bytes)."""
    if len(text.encode("utf-8")) <= limit:
        return text
    while text and len(text.encode("utf-8")) > limit - 3:
        text = text[: -max(1, (len(text.encode("utf-8")) - limit + 3) // 4)]
    return text.rstrip() + "..."


def focus_text(facts: KeyFacts, limit: int = FOCUS_LIMIT) -> str:
    """The summary instructions PreCompact prints: every key fact, most important first."""
    if facts.empty():
        return ""
    lines = [
        f"{MARKER} Keep these facts in the summary, word for word where they are names:",
    ]
    if facts.latest_request:
        lines.append(f"- The user's latest request: {_cut(one_line(facts.latest_request), 1200)}")
    if facts.next_step:
        lines.append(f"- The next step: {_cut(one_line(facts.next_step), 400)}")
    for todo in facts.todos[:8]:
        lines.append(f"- Todo in progress: {_cut(one_line(todo), 300)}")
    if facts.files:
        shown = ", ".join(facts.shown_path(p) for p in facts.files[:25])
        lines.append(f"- Files being changed (keep every path): {one_line(shown)}")
    for constraint in facts.constraints[:10]:
        lines.append(f"- Constraint the user stated: {_cut(one_line(constraint), 300)}")
    text = redact("\n".join(lines))
    if len(text) > limit:
        text = _cut(text, limit)
    return text


def typed_focus(facts: KeyFacts, limit: int = TYPED_LIMIT - len("/compact ")) -> str:
    """The focus typed after ``/compact``: one printable line of at most ``limit`` bytes."""
    parts: list[str] = []
    if facts.latest_request:
        parts.append(f"latest request: {_cut(one_line(facts.latest_request), 200)}")
    if facts.files:
        parts.append("files: " + ", ".join(facts.shown_path(p) for p in facts.files[:8]))
    if facts.todos:
        parts.append(f"in progress: {_cut(one_line(facts.todos[0]), 120)}")
    if facts.next_step:
        parts.append(f"next: {_cut(one_line(facts.next_step), 150)}")
    if not parts:
        return ""
    return _cut_bytes(one_line(f"{MARKER} keep " + "; ".join(parts)), limit)
