"""The session list: one row per session, filtered, sorted and kept live."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.widgets import DataTable

from cc_guard.base.timefmt import epoch
from cc_guard.transcripts.model import SessionModel
from cc_guard.tui import present
from cc_guard.tui.messages import OpenSession


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    width: int | None = None


COLUMNS = (
    Column("project", "PROJECT", 16),
    Column("title", "TITLE", 44),
    Column("model", "MODEL", 12),
    Column("context", "CONTEXT", 15),
    Column("state", "STATE", 11),
    Column("last", "LAST", 8),
    Column("incidents", "INC", 4),
    Column("checkpoints", "CKPT", 5),
)

#: Sort orders the table cycles through: (name, key, newest/biggest first).
SORTS: tuple[tuple[str, Callable[[SessionModel], object], bool], ...] = (
    ("last activity", lambda s: epoch(s.last_activity) or 0.0, True),
    ("context", lambda s: s.context_percent or -1.0, True),
    ("state", lambda s: s.state.value, False),
    ("project", lambda s: present.project_name(s.project_dir).lower(), False),
    ("incidents", lambda s: s.incident_count, True),
)


@dataclass(frozen=True)
class Filter:
    """``state:X``, ``project:X`` and ``model:X`` terms plus free text, all of them must match."""

    text: str = ""

    def matches(self, session: SessionModel) -> bool:
        for term in self.text.lower().split():
            key, _, value = term.partition(":")
            if value and key == "state":
                if not session.state.value.startswith(value):
                    return False
            elif value and key == "project":
                if value not in (session.project_dir or "").lower():
                    return False
            elif value and key == "model":
                if value not in (session.model or "").lower():
                    return False
            elif term not in _haystack(session):
                return False
        return True


def _haystack(session: SessionModel) -> str:
    return " ".join(
        part
        for part in (
            session.session_id,
            session.project_dir or "",
            session.title or "",
            session.model or "",
            session.state.value,
            session.git_branch or "",
        )
    ).lower()


class SessionsTable(DataTable[object]):
    """Sessions newest first (or as sorted); Enter opens one."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open", "Open", show=True),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.sessions: list[SessionModel] = []
        self.listed: list[SessionModel] = []
        self.checkpoint_counts: dict[str, int] = {}
        self.filter = Filter()
        self.sort_index = 0
        self._shown: dict[str, tuple[object, ...]] = {}
        self._cell_cache: dict[str, tuple[tuple[object, ...], tuple[object, ...]]] = {}

    def on_mount(self) -> None:
        for column in COLUMNS:
            self.add_column(column.label, key=column.key, width=column.width)

    @property
    def sort_name(self) -> str:
        return SORTS[self.sort_index][0]

    def current(self) -> SessionModel | None:
        """The session under the cursor."""
        if not self.listed or self.cursor_row < 0 or self.cursor_row >= len(self.listed):
            return None
        return self.listed[self.cursor_row]

    def show(self, sessions: list[SessionModel], now: float) -> None:
        """Show these sessions (filtered and sorted), keeping the cursor on its session."""
        self.sessions = sessions
        self._redraw(now)

    def set_filter(self, text: str, now: float) -> None:
        self.filter = Filter(text)
        self._redraw(now)

    def next_sort(self, now: float) -> str:
        self.sort_index = (self.sort_index + 1) % len(SORTS)
        self._redraw(now)
        return self.sort_name

    def set_checkpoint_counts(self, counts: dict[str, int], now: float) -> None:
        self.checkpoint_counts = counts
        self._redraw(now)

    def _redraw(self, now: float) -> None:
        name, key, reverse = SORTS[self.sort_index]
        visible = [s for s in self.sessions if self.filter.matches(s)]
        if name != "last activity":  # the engine's order already is newest first
            visible.sort(key=key, reverse=reverse)  # type: ignore[arg-type]
        keep = self.current()
        rows = {s.session_id: self._cells(s, now) for s in visible}
        order = [s.session_id for s in visible]
        if order == [s.session_id for s in self.listed]:
            # Same rows in the same order: update only the cells that changed.
            for sid, cells in rows.items():
                before = self._shown.get(sid)
                if before is cells:
                    continue
                for index, (column, value) in enumerate(zip(COLUMNS, cells, strict=True)):
                    if before is None or before[index] != value:
                        self.update_cell(sid, column.key, value)
        else:
            self.clear()
            for sid in order:
                self.add_row(*rows[sid], key=sid)
            if keep is not None and keep.session_id in rows:
                self.move_cursor(row=order.index(keep.session_id), animate=False)
        self.listed = visible
        self._shown = rows

    def _cells(self, session: SessionModel, now: float) -> tuple[object, ...]:
        """The row's cells, reused while nothing shown in them changed (the age ticks
        every few seconds over hundreds of rows: most rows' text stays the same)."""
        incidents = session.incident_count
        checkpoints = self.checkpoint_counts.get(session.session_id)
        age = present.when(session.last_activity, now)
        key = (
            session.project_dir,
            session.title,
            session.model,
            session.context_percent,
            session.state,
            age,
            incidents,
            checkpoints,
        )
        cached = self._cell_cache.get(session.session_id)
        if cached is not None and cached[0] == key:
            return cached[1]
        cells = (
            Text(present.project_name(session.project_dir), style="bold"),
            Text(present.title(session), overflow="ellipsis", no_wrap=True),
            Text(present.short_model(session.model)),
            present.gauge(session.context_percent),
            present.state_text(session.state.value),
            Text(age),
            Text(str(incidents), style="bold red" if incidents else "dim"),
            Text(
                "-" if checkpoints is None else str(checkpoints),
                style="dim" if not checkpoints else "",
            ),
        )
        self._cell_cache[session.session_id] = (key, cells)
        return cells

    def action_open(self) -> None:
        session = self.current()
        if session is not None:
            self.post_message(OpenSession(session.session_id))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open()
