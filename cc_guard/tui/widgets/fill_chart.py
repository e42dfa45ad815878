"""The context fill over a session's life: one bar per main-chain API response.

Compactions are marked (``▼``) above the first response after them, and the
point where Claude Code compacts by itself is drawn as a dashed line.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from cc_guard.transcripts.model import Compaction, FillPoint
from cc_guard.views.sessions import tokens_text

_LEVELS = " ▁▂▃▄▅▆▇█"
_AXIS = 6  # width of the token labels on the left


@dataclass(frozen=True)
class FillData:
    points: list[FillPoint] = field(default_factory=list)
    compactions: list[Compaction] = field(default_factory=list)
    window: int | None = None
    auto_compact: int | None = None


def columns(values: list[int], width: int) -> list[int]:
    """``values`` squeezed (each column the max of its share) or kept, to fit ``width``."""
    if len(values) <= width:
        return list(values)
    out = []
    for col in range(width):
        start = col * len(values) // width
        end = max(start + 1, (col + 1) * len(values) // width)
        out.append(max(values[start:end]))
    return out


def marks(data: FillData, width: int) -> set[int]:
    """Columns that hold the first response after a compaction."""
    times = [p.time or "" for p in data.points]
    found: set[int] = set()
    for compaction in data.compactions:
        when = compaction.time or ""
        index = next((i for i, t in enumerate(times) if t >= when), None)
        if index is None:
            continue
        found.add(index * width // len(times) if len(times) > width else index)
    return found


class FillChart(Widget):
    """A bar chart of the context fill, sized to the widget."""

    DEFAULT_CSS = """
    FillChart { height: 9; }
    """

    data: reactive[FillData] = reactive(FillData, layout=False)

    def render(self) -> Text:
        data = self.data
        width = max(10, self.size.width - _AXIS - 1)
        height = max(3, self.size.height - 1)
        values = [p.tokens for p in data.points]
        if not values:
            return Text("No API responses yet: the fill shows after the first answer.", style="dim")
        shown = columns(values, width)
        top = max(values)
        auto = data.auto_compact
        if auto is not None and top >= auto * 0.5:
            top = max(top, auto)
        scale = max(1.0, top * 1.1)
        compacted = marks(data, width)
        auto_row = None
        if auto is not None and auto <= scale:
            auto_row = height - 1 - min(height - 1, int(auto / scale * height))
        lines = Text()
        for row in range(height):
            label = ""
            if row == 0:
                label = tokens_text(int(scale))
            elif row == height - 1:
                label = "0"
            elif row == auto_row:
                label = tokens_text(auto)
            lines.append(label.rjust(_AXIS - 1) + " ", style="dim")
            floor = (height - 1 - row) * 8
            for col, value in enumerate(shown):
                eighths = int(value / scale * height * 8)
                level = max(0, min(8, eighths - floor))
                if row == 0 and col in compacted and level < 8:
                    lines.append("▼", style="bold magenta")
                elif level == 0 and row == auto_row:
                    lines.append("┄", style="yellow")
                else:
                    lines.append(_LEVELS[level], style=self._style(value, auto, data.window))
            lines.append("\n")
        legend = f"{len(values)} API responses · newest {tokens_text(values[-1])}"
        if data.window:
            legend += f" of {tokens_text(data.window)}"
        if auto is not None:
            legend += f" · ┄ auto-compact at {tokens_text(auto)}"
        else:
            legend += " · no proactive auto-compact for this model"
        if data.compactions:
            legend += f" · ▼ {len(data.compactions)} compaction(s)"
        lines.append(" " * _AXIS + legend, style="dim")
        return lines

    @staticmethod
    def _style(value: int, auto: int | None, window: int | None) -> str:
        limit = auto or window
        if not limit:
            return "green"
        share = value / limit
        if share >= 0.85:
            return "red"
        if share >= 0.7:
            return "yellow"
        return "green"
