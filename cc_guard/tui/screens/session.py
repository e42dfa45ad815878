"""One session in full: fill over time, incidents, checkpoints with diffs, handoff, work."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, cast

from rich.markup import escape
from rich.syntax import Syntax
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Markdown, Static, TabbedContent, TabPane

from cc_guard.checkpoints.history import Checkpoint
from cc_guard.transcripts.model import SessionModel
from cc_guard.tui import actions, adapters, present
from cc_guard.tui.dashboard import Dashboard
from cc_guard.tui.dialogs.confirm import ConfirmDialog
from cc_guard.tui.messages import (
    ActionDone,
    CheckpointsLoaded,
    DiffLoaded,
    HandoffLoaded,
    RestorePlanned,
    SessionDetail,
)
from cc_guard.tui.widgets.banner import DemoBanner, OutageBanner
from cc_guard.tui.widgets.fill_chart import FillChart, FillData
from cc_guard.views.fmt import home_relative, tokens_text

if TYPE_CHECKING:
    from cc_guard.checkpoints.restore import RestoreResult

_OUTCOME = {True: "final", False: "retried ok", None: "retrying"}


class SessionScreen(Screen[None]):
    """A session's screen; the app's action keys (c s r d o y) act on this session."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,backspace", "back", "Back"),
        Binding("R", "restore", "Restore"),
        Binding("u", "undo", "Undo restore"),
        Binding("m", "mark", "Mark for diff", show=False),
        Binding("1", "tab('tab-checkpoints')", "Checkpoints", show=False),
        Binding("2", "tab('tab-incidents')", "Incidents", show=False),
        Binding("3", "tab('tab-handoff')", "Handoff", show=False),
        Binding("4", "tab('tab-work')", "Work", show=False),
    ]

    @property
    def board(self) -> Dashboard:
        """The app, as the dashboard this screen belongs to."""
        return cast("Dashboard", self.app)

    def __init__(self, session: SessionModel) -> None:
        super().__init__(name=session.session_id)
        self.session = session
        self.detail: SessionModel | None = None
        self.checkpoint_list: list[Checkpoint] = []
        self.marked: Checkpoint | None = None
        self.undo_available = False

    def compose(self) -> ComposeResult:
        if self.board.demo_root is not None:
            yield DemoBanner(self.board.demo_root)
        yield OutageBanner(id="outage")
        yield Static(id="session-head")
        with Horizontal(id="top"):
            with Vertical(id="chart-box"):
                yield FillChart(id="fill")
            yield Static(id="facts")
        with TabbedContent(id="tabs", initial="tab-checkpoints"):
            with TabPane("Checkpoints", id="tab-checkpoints"), Horizontal():
                yield DataTable(id="checkpoints", cursor_type="row")
                with VerticalScroll(id="diff-box"):
                    yield Static(
                        "Select a checkpoint to see its diff against the work tree.",
                        id="diff-title",
                    )
                    yield Static(id="diff")
            with TabPane("Incidents", id="tab-incidents"):
                yield DataTable(id="incidents", cursor_type="row")
            with TabPane("Handoff", id="tab-handoff"), VerticalScroll():
                yield Markdown("Building the handoff…", id="handoff")
            with TabPane("Work", id="tab-work"), VerticalScroll():
                yield Static(id="todos")
                yield DataTable(id="files", cursor_type="row")
                yield Static(id="pending")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#chart-box").border_title = "Context fill per API response"
        self.query_one("#facts").border_title = "Session"
        checkpoints = self.query_one("#checkpoints", DataTable)
        checkpoints.add_columns("CHECKPOINT", "WHEN", "EVENT", "TOOL", "FILES")
        incidents = self.query_one("#incidents", DataTable)
        incidents.add_columns("TIME", "KIND", "STATUS", "ATTEMPT", "OUTCOME", "SOURCE", "MESSAGE")
        self.query_one("#files", DataTable).add_columns("FILE", "TOOLS", "EDITS", "LAST")
        self._head(self.session)
        self.board.sessions_signal.subscribe(self, self._sessions_updated)
        self.board.alert_signal.subscribe(self, self._alert_updated)
        self._alert_updated(None)
        self.load_detail()
        self.load_checkpoints()
        self.load_handoff()
        checkpoints.focus()

    def current_session(self) -> SessionModel:
        return self.detail or self.session

    # --- workers -------------------------------------------------------------

    @work(thread=True, exclusive=True, group="detail")
    def load_detail(self) -> None:
        try:
            full = self.board.engine.find(self.session.session_id)
        except LookupError as exc:
            self.post_message(ActionDone(f"The session is gone: {exc}", error=True))
            return
        self.post_message(SessionDetail(full))

    @work(thread=True, exclusive=True, group="git")
    def load_checkpoints(self) -> None:
        chain, note = actions.checkpoints(self.current_session())
        self.undo_available = actions.can_undo(self.current_session())
        self.post_message(CheckpointsLoaded(self.session.session_id, chain, note))

    @work(thread=True, exclusive=True, group="handoff")
    def load_handoff(self) -> None:
        try:
            text = actions.handoff_markdown(self.current_session(), self.board.state_dir)
        except actions.ActionError as exc:
            text = f"*No handoff: {exc}*"
        self.post_message(HandoffLoaded(self.session.session_id, text))

    @work(thread=True, exclusive=True, group="diff")
    def load_diff(self, left: Checkpoint, right: Checkpoint | None) -> None:
        against = f"checkpoint {right.short}" if right is not None else "the work tree"
        title = f"{left.short} → {against}"
        try:
            text = actions.diff(self.current_session(), left.sha, right.sha if right else None)
        except actions.ActionError as exc:
            self.post_message(DiffLoaded(title, f"# {exc}"))
            return
        self.post_message(DiffLoaded(title, text or "(no difference)"))

    @work(thread=True, exclusive=True, group="restore")
    def plan_restore(self, checkpoint: Checkpoint) -> None:
        try:
            plan = actions.plan_restore(self.current_session(), checkpoint.sha)
        except actions.ActionError as exc:
            self.post_message(ActionDone(str(exc), error=True))
            return
        self.post_message(RestorePlanned(plan))

    @work(thread=True, exclusive=True, group="restore")
    def plan_undo(self) -> None:
        try:
            plan, record = actions.plan_undo(self.current_session())
        except actions.ActionError as exc:
            self.post_message(ActionDone(str(exc), error=True))
            return
        self.post_message(RestorePlanned(plan, record))

    @work(thread=True, exclusive=True, group="restore")
    def apply_restore(self, plan: RestoreResult, undo_record: dict[str, object] | None) -> None:
        session = self.current_session()
        try:
            if undo_record is None:
                done = actions.apply_restore(session, plan)
                text = (
                    f"Restored {len(done.written)} written, {len(done.deleted)} deleted from "
                    f"{done.target[:10]}. Press u to undo."
                )
            else:
                done = actions.apply_undo(session, plan, undo_record)
                text = f"Undone: {len(done.written)} written, {len(done.deleted)} deleted."
        except actions.ActionError as exc:
            self.post_message(ActionDone(str(exc), error=True))
            return
        self.post_message(ActionDone(text))
        self.load_checkpoints()

    # --- messages ------------------------------------------------------------

    def on_session_detail(self, message: SessionDetail) -> None:
        self.detail = message.session
        self._head(message.session)
        self._chart(message.session)
        self._incidents(message.session)
        self._work(message.session)

    def on_checkpoints_loaded(self, message: CheckpointsLoaded) -> None:
        self.checkpoint_list = message.checkpoints
        table = self.query_one("#checkpoints", DataTable)
        keep = table.cursor_row
        table.clear()
        now = self.board.now()
        for cp in message.checkpoints:
            files = ", ".join(cp.files[:3]) + (
                f" +{len(cp.files) - 3}" if len(cp.files) > 3 else ""
            )
            marked = self.marked is not None and self.marked.sha == cp.sha
            table.add_row(
                Text(cp.short, style="bold reverse" if marked else "bold"),
                present.when(cp.time.isoformat(), now),
                cp.event,
                cp.tool or "-",
                files or "-",
                key=cp.sha,
            )
        if message.checkpoints:
            table.move_cursor(row=min(max(keep, 0), len(message.checkpoints) - 1), animate=False)
        else:
            self.query_one("#diff-title", Static).update(message.note)
        self.refresh_bindings()

    def on_diff_loaded(self, message: DiffLoaded) -> None:
        self.query_one("#diff-title", Static).update(Text(message.title, style="bold"))
        self.query_one("#diff", Static).update(
            Syntax(message.text, "diff", theme=self._syntax_theme(), word_wrap=False)
        )

    def on_handoff_loaded(self, message: HandoffLoaded) -> None:
        self.query_one("#handoff", Markdown).update(message.markdown)

    def on_restore_planned(self, message: RestorePlanned) -> None:
        plan = message.plan
        undo = message.undo_record is not None
        what = "Undo the last restore" if undo else f"Restore checkpoint {plan.target[:10]}"
        if not plan.changes:
            self.notify(f"{what}: nothing to do, the work tree already matches.")
            return
        lines = [
            f"[b]{escape(what)}[/b] into {escape(home_relative(self.session.project_dir))}",
            "",
        ]
        lines += [
            f"  {'create' if p in plan.created else 'write '}  {escape(p)}"
            for p in plan.written[:30]
        ]
        lines += [f"  delete  {escape(p)}" for p in plan.deleted[:30]]
        if plan.kept:
            lines += ["", f"Kept (not this session's, or changed since): {len(plan.kept)}"]
        if plan.skipped:
            lines += [f"Not overwritten (ignored, excluded, behind a symlink): {len(plan.skipped)}"]
        lines += ["", f"The current state is saved as checkpoint {plan.safety[:10]}."]

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.apply_restore(plan, message.undo_record)
            else:
                self.notify("Nothing changed.")

        self.app.push_screen(
            ConfirmDialog("\n".join(lines), confirm="Undo" if undo else "Restore"), confirmed
        )

    # --- live updates --------------------------------------------------------

    def _sessions_updated(self, sessions: list[SessionModel]) -> None:
        brief = next((s for s in sessions if s.session_id == self.session.session_id), None)
        if brief is None:
            return
        shown = self.detail or self.session
        changed = (
            brief.last_activity != shown.last_activity
            or brief.incident_count != shown.incident_count
            or brief.state != shown.state
            or brief.context_tokens != shown.context_tokens
        )
        self.session = brief
        if changed:
            self.load_detail()
            self.load_checkpoints()
        elif self.detail is not None:
            self._head(self.detail)

    def _alert_updated(self, _: object) -> None:
        alert, more = self.board.current_alert()
        self.query_one(OutageBanner).show_alert(alert, self.board.now(), more)

    # --- rendering -----------------------------------------------------------

    def _head(self, s: SessionModel) -> None:
        now = self.board.now()
        head = Text()
        head.append(f" {home_relative(s.project_dir)}", style="bold")
        if s.git_branch:
            head.append(f" ({s.git_branch})", style="dim")
        head.append("  ")
        head.append_text(present.state_text(s.state.value))
        if s.state_reason:
            head.append(f" · {s.state_reason}", style="dim")
        head.append(f"\n {present.title(s)}", style="italic")
        head.append(
            f"\n {s.session_id} · {s.model or '-'} · Claude Code {s.version or '?'} · "
            f"last activity {present.when(s.last_activity, now)}",
            style="dim",
        )
        self.query_one("#session-head", Static).update(head)
        self._facts(s)

    def _facts(self, s: SessionModel) -> None:
        t = s.tokens
        facts = Text()
        facts.append("Context  ", style="bold")
        facts.append_text(present.gauge(s.context_percent, 14))
        facts.append(f"\n         {present.context_line(s)}\n")
        auto = adapters.auto_compact_point(s)
        if auto is not None and s.context_tokens is not None:
            facts.append(
                f"         {tokens_text(max(0, auto - s.context_tokens))} until auto-compact\n"
            )
        forecast = adapters.forecast_text(s)
        if forecast:
            facts.append(f"         {forecast}\n")
        facts.append("Turns    ", style="bold")
        facts.append(f"{s.turns} prompts · {s.api_calls} API responses\n")
        facts.append("Tokens   ", style="bold")
        facts.append(
            f"in {tokens_text(t.input_tokens)} · out {tokens_text(t.output_tokens)} · "
            f"cache {tokens_text(t.cache_read_input_tokens)} read, "
            f"{tokens_text(t.cache_creation_input_tokens)} written\n"
        )
        facts.append("Incidents ", style="bold")
        facts.append(f"{s.incident_count}", style="bold red" if s.incident_count else "")
        if s.compactions:
            facts.append(f" · compactions {len(s.compactions)}")
        self.query_one("#facts", Static).update(facts)

    def _chart(self, s: SessionModel) -> None:
        self.query_one(FillChart).data = FillData(
            points=list(s.fill_history),
            compactions=list(s.compactions),
            window=s.context_window,
            auto_compact=adapters.auto_compact_point(s),
        )

    def _incidents(self, s: SessionModel) -> None:
        table = self.query_one("#incidents", DataTable)
        table.clear()
        for incident in reversed(s.incidents):
            attempt = (
                f"{incident.retry_attempt}/{incident.max_retries or '?'}"
                if incident.retry_attempt
                else "-"
            )
            table.add_row(
                present.clock_time(incident.time),
                Text(incident.kind.value, style="bold red" if incident.final else "yellow"),
                str(incident.status or "-"),
                attempt,
                _OUTCOME[incident.final],
                incident.source,
                Text(" ".join(incident.message.split())[:120], style="dim"),
            )
        if not s.incidents:
            table.add_row(
                "-", Text("no API failures in this session", style="dim"), "", "", "", "", ""
            )

    def _work(self, s: SessionModel) -> None:
        icons = {"completed": "✔", "in_progress": "▶", "pending": "○"}
        todos = Text("Todos\n", style="bold")
        for todo in s.todos:
            style = (
                "bold"
                if todo.status == "in_progress"
                else ("dim" if todo.status == "completed" else "")
            )
            todos.append(f"  {icons.get(todo.status, '·')} {todo.content}\n", style=style)
        if not s.todos:
            todos.append("  none\n", style="dim")
        self.query_one("#todos", Static).update(todos)
        files = self.query_one("#files", DataTable)
        files.clear()
        now = self.board.now()
        for touch in reversed(s.files_touched):
            files.add_row(
                touch.path,
                ", ".join(touch.tools),
                str(touch.count),
                present.when(touch.last_time, now),
            )
        pending = Text("Tool calls without a result\n", style="bold")
        for call in s.pending_tool_calls:
            pending.append(f"  {present.clock_time(call.time)}  {call.name}  {call.id}\n")
        if not s.pending_tool_calls:
            pending.append("  none\n", style="dim")
        self.query_one("#pending", Static).update(pending)

    def _syntax_theme(self) -> str:
        return "monokai" if self.app.current_theme.dark else "default"

    # --- keys ----------------------------------------------------------------

    def selected_checkpoint(self) -> Checkpoint | None:
        table = self.query_one("#checkpoints", DataTable)
        if not self.checkpoint_list or not 0 <= table.cursor_row < len(self.checkpoint_list):
            return None
        return self.checkpoint_list[table.cursor_row]

    @on(DataTable.RowHighlighted, "#checkpoints")
    def _checkpoint_highlighted(self) -> None:
        selected = self.selected_checkpoint()
        if selected is None:
            return
        if self.marked is not None and self.marked.sha != selected.sha:
            self.load_diff(self.marked, selected)
        else:
            self.load_diff(selected, None)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("restore", "mark"):
            return self.selected_checkpoint() is not None
        if action == "undo":
            return self.undo_available
        return True

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab

    def action_mark(self) -> None:
        selected = self.selected_checkpoint()
        if selected is None:
            return
        if self.marked is not None and self.marked.sha == selected.sha:
            self.marked = None
            self.notify("Diff against the work tree again.")
        else:
            self.marked = selected
            self.notify(f"Marked {selected.short}: highlight another checkpoint to diff the two.")
        self.on_checkpoints_loaded(
            CheckpointsLoaded(self.session.session_id, self.checkpoint_list, "")
        )

    def action_restore(self) -> None:
        selected = self.selected_checkpoint()
        if selected is None:
            self.notify("Select a checkpoint to restore first.", severity="warning")
            return
        self.plan_restore(selected)

    def action_undo(self) -> None:
        self.plan_undo()

    def project_path(self) -> Path | None:
        s = self.current_session()
        return Path(s.project_dir) if s.project_dir else None
