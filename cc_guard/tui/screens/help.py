"""``?``: every key of the screen underneath, and the filter syntax."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

FILTER_HELP = (
    "Filter (/): words match project, title, model, state, branch and session id; "
    "state:interrupted, project:web and model:opus match one field. All terms must match."
)


def key_rows(screen: Screen[object]) -> list[tuple[str, str, bool]]:
    """(key, what it does, enabled now) for every key active on ``screen``."""
    rows: list[tuple[str, str, bool]] = []
    seen: set[str] = set()
    for _, binding, enabled, _tooltip in screen.active_bindings.values():
        if binding.description in seen or not binding.description:
            continue
        seen.add(binding.description)
        rows.append((screen.app.get_key_display(binding), binding.description, enabled))
    return rows


def key_table(rows: list[tuple[str, str, bool]]) -> Table:
    table = Table(box=None, show_header=True, header_style="bold", expand=True)
    table.add_column("Key", style="bold", no_wrap=True)
    table.add_column("Does")
    for key, description, enabled in rows:
        table.add_row(key, Text(description, style="" if enabled else "dim"))
    return table


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,question_mark,q", "close", "Close")]

    def __init__(self, under: Screen[object]) -> None:
        super().__init__(classes="dialog")
        self.rows = key_rows(under)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box wide"):
            yield Static("[b]Keys[/b]  (ctrl+p: every command, searchable)", classes="dialog-title")
            with VerticalScroll():
                yield Static(key_table(self.rows))
                yield Static(Text(FILTER_HELP, style="dim"))

    def action_close(self) -> None:
        self.dismiss(None)
