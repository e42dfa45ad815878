"""The main screen: every session, live, with a filter and the outage banner."""

from __future__ import annotations

from typing import ClassVar, cast

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Button, Footer, Input, ProgressBar, Static

from cc_guard.transcripts.model import SessionModel, SessionState
from cc_guard.tui.dashboard import Dashboard
from cc_guard.tui.messages import FilterChanged
from cc_guard.tui.widgets.banner import DemoBanner, OutageBanner
from cc_guard.tui.widgets.sessions_table import SessionsTable

EMPTY_TEXT = """\
[b]No Claude Code sessions yet[/b] in {claude_dir}

cc-guard reads Claude Code's transcripts, so sessions appear here as soon as
you use Claude Code. To checkpoint your work and keep handoffs, wire in the hooks:

    [b]cc-guard install[/b]        (or run Claude Code beside this: [b]cc-guard launch[/b])

Or see what cc-guard does with recorded sessions, no Claude Code needed:
"""


class SessionsScreen(Screen[None]):
    """Sessions newest first; ``/`` filters, Enter opens one."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "filter", "Filter"),
        Binding("S", "sort", "Sort"),
        Binding("escape", "clear_filter", "Clear filter", show=False),
    ]

    @property
    def board(self) -> Dashboard:
        """The app, as the dashboard this screen belongs to."""
        return cast("Dashboard", self.app)

    _had_row = False

    def compose(self) -> ComposeResult:
        if self.board.demo_root is not None:
            yield DemoBanner(self.board.demo_root)
        yield OutageBanner(id="outage")
        yield Static(id="summary")
        yield Input(
            placeholder="filter: text, state:interrupted, project:web, model:opus", id="filter"
        )
        with Vertical(id="loading"):
            yield Static("Reading Claude Code's transcripts…", id="loading-text")
            # A known total from the start: an indeterminate bar animates 15 times a second.
            yield ProgressBar(total=1, id="progress", show_eta=False)
        yield SessionsTable(id="sessions")
        with Vertical(id="empty"):
            yield Static(EMPTY_TEXT.format(claude_dir=self.board.claude_dir), id="empty-text")
            yield Button("Open the demo (cc-guard demo)", id="open-demo", variant="primary")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#filter", Input).display = False
        self.query_one("#empty").display = False
        self.board.sessions_signal.subscribe(self, self._sessions_updated)
        self.board.alert_signal.subscribe(self, self._alert_updated)
        self.board.progress_signal.subscribe(self, self._progress)
        self.query_one(SessionsTable).focus()
        if self.board.loaded:
            self._sessions_updated(self.board.sessions)

    # --- data ----------------------------------------------------------------

    def _sessions_updated(self, sessions: list[SessionModel]) -> None:
        table = self.query_one(SessionsTable)
        table.checkpoint_counts = self.board.checkpoint_counts
        table.show(sessions, self.board.now())
        self._summary(sessions)
        empty = self.board.loaded and not sessions
        self.query_one("#empty").display = empty
        table.display = not empty
        # The session keys (c s r d o y) need a row under the cursor: the footer is redone
        # (a recompose, not free) only when that changes.
        has_row = table.current() is not None
        if has_row != self._had_row:
            self._had_row = has_row
            self.app.refresh_bindings()

    def _progress(self, progress: tuple[int, int, bool]) -> None:
        read, total, done = progress
        loading = self.query("#loading")
        if not loading:
            return
        if done:
            loading.remove()  # its bar's timers stop with it
            return
        bar = self.query_one(ProgressBar)
        bar.display = bool(total)
        if total:
            bar.update(total=total, progress=read)
        self.query_one("#loading-text", Static).update(
            f"Building the index: {read} of {total} transcripts read…"
            if total
            else "Reading Claude Code's transcripts…"
        )

    def _alert_updated(self, _: object) -> None:
        alert, more = self.board.current_alert()
        self.query_one(OutageBanner).show_alert(alert, self.board.now(), more)

    def _summary(self, sessions: list[SessionModel]) -> None:
        counts: dict[str, int] = {}
        for session in sessions:
            counts[session.state.value] = counts.get(session.state.value, 0) + 1
        table = self.query_one(SessionsTable)
        text = Text(f" {len(sessions)} sessions", style="bold")
        for state in SessionState:
            if counts.get(state.value):
                text.append(f" · {counts[state.value]} {state.value}")
        if table.filter.text:
            text.append(f" · showing {len(table.listed)} matching “{table.filter.text}”")
        text.append(f" · sorted by {table.sort_name}", style="dim")
        self.query_one("#summary", Static).update(text)

    def current_session(self) -> SessionModel | None:
        return self.query_one(SessionsTable).current()

    # --- keys ----------------------------------------------------------------

    def action_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.display = True
        box.focus()

    def action_clear_filter(self) -> None:
        box = self.query_one("#filter", Input)
        if box.value:
            box.value = ""
        box.display = False
        self.query_one(SessionsTable).focus()

    def action_sort(self) -> None:
        table = self.query_one(SessionsTable)
        name = table.next_sort(self.board.now())
        self._summary(table.sessions)
        self.notify(f"Sorted by {name}", timeout=2)

    @on(Input.Changed, "#filter")
    def _filter_typed(self, event: Input.Changed) -> None:
        self.post_message(FilterChanged(event.value))

    @on(Input.Submitted, "#filter")
    def _filter_done(self) -> None:
        self.query_one(SessionsTable).focus()

    def on_filter_changed(self, message: FilterChanged) -> None:
        table = self.query_one(SessionsTable)
        table.set_filter(message.text, self.board.now())
        self._summary(table.sessions)

    @on(Button.Pressed, "#open-demo")
    def _open_demo(self) -> None:
        self.board.action_demo()
