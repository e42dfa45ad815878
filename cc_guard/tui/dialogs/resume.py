"""Resume a session: continue it or start fresh, with the prompt or seed shown first."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.markup import escape
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, RadioButton, RadioSet, Static, TextArea

from cc_guard.tui.actions import ResumePreview


@dataclass(frozen=True)
class ResumeChoice:
    mode: str  # continue | fresh
    how: str  # run | print | copy


class ResumeDialog(ModalScreen[ResumeChoice | None]):
    """Shows what each mode would send; Run, Print (``resume --print``) or Copy the command."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
        Binding("enter", "choose('run')", "Run", show=False),
        Binding("p", "choose('print')", "Print"),
        Binding("y", "choose('copy')", "Copy"),
    ]

    def __init__(self, preview: ResumePreview, *, can_run: bool, why_not: str = "") -> None:
        super().__init__(classes="dialog")
        self.preview = preview
        self.can_run = can_run
        self.why_not = why_not
        self.mode = preview.auto_mode

    def compose(self) -> ComposeResult:
        p = self.preview
        with Vertical(classes="dialog-box wide"):
            yield Static(
                f"[b]Resume {escape(p.session_id[:8])}[/b]  "
                f"cc-guard suggests [b]{p.auto_mode}[/b]: {escape(p.why)}.",
                classes="dialog-title",
            )
            if p.running:
                yield Static(
                    f"[b red]Still running[/b red] ({escape(p.running)}): stop it before resuming.",
                )
            with RadioSet(id="mode"):
                yield RadioButton(
                    "continue: claude --resume with the prompt below",
                    value=p.auto_mode == "continue",
                    id="continue",
                )
                yield RadioButton(
                    "fresh: a new session seeded once with the short handoff below",
                    value=p.auto_mode == "fresh",
                    id="fresh",
                )
            yield Static(id="shown-label")
            yield TextArea(self._shown_text(), read_only=True, soft_wrap=True, id="shown")
            if not self.can_run and self.why_not:
                yield Static(escape(self.why_not), classes="dim")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Run (enter)", id="run", variant="primary", disabled=not self.can_run)
                yield Button("Print command (p)", id="print")
                yield Button("Copy command (y)", id="copy")
                yield Button("Cancel (esc)", id="cancel")

    def on_mount(self) -> None:
        self._update_label()
        self.query_one("#mode", RadioSet).focus()

    def _shown_text(self) -> str:
        return self.preview.continue_prompt if self.mode == "continue" else self.preview.seed

    def _update_label(self) -> None:
        label = (
            "The prompt the resumed session gets:"
            if self.mode == "continue"
            else "The seed the new session's SessionStart hook injects (redacted):"
        )
        self.query_one("#shown-label", Static).update(label)

    @on(RadioSet.Changed, "#mode")
    def _mode_changed(self, event: RadioSet.Changed) -> None:
        self.mode = event.pressed.id or self.mode
        self.query_one("#shown", TextArea).load_text(self._shown_text())
        self._update_label()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "cancel":
            self.dismiss(None)
        elif event.button.id in ("run", "print", "copy"):
            self.action_choose(event.button.id)

    def action_choose(self, how: str) -> None:
        if how == "run" and not self.can_run:
            self.notify(self.why_not or "Cannot run here.", severity="warning")
            return
        self.dismiss(ResumeChoice(self.mode, how))

    def action_cancel(self) -> None:
        self.dismiss(None)
