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
from cc_guard.views.fmt import tokens_text

_LEVELS = " ▁▂▃▄▅▆▇█"
_AXIS = 6  # width of the token labels on the left
MAX_BAR = 4  # columns per response when there are few


@dataclass(frozen=True)
class FillData:
    points: list[FillPoint] = field(default_factory=list)
    compactions: list[Compaction] = field(default_factory=list)
    window: int | None = None
    auto_compact: int | None = None


@dataclass(frozen=True)
class Bar:
    tokens: int
    compaction: bool = False  # the fill right after a compaction (its post-compaction size)


def bars(data: FillData) -> list[Bar]:
    """The responses' fills in time order, with each compaction's post-compaction size."""
    timeline: list[tuple[str, int, Bar]] = [(p.time or "", 0, Bar(p.tokens)) for p in data.points]
    for c in data.compactions:
        timeline.append((c.time or "", 1, Bar(c.post_tokens or 0, compaction=True)))
    timeline.sort(key=lambda item: (item[0], item[1]))
    return [bar for _, _, bar in timeline]


def columns(values: list[Bar], width: int) -> list[Bar]:
    """``values`` fitted to ``width`` columns: widened when few, squeezed (max of each share)."""
    if not values:
        return []
    if len(values) <= width:
        wide = max(1, min(MAX_BAR, width // len(values)))
        return [bar for bar in values for _ in range(wide)]
    out = []
    for col in range(width):
        share = values[col * len(values) // width : max(1, (col + 1) * len(values) // width)]
        if not share:
            share = [values[col * len(values) // width]]
        out.append(Bar(max(b.tokens for b in share), compaction=any(b.compaction for b in share)))
    return out


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
        timeline = bars(data)
        values = [p.tokens for p in data.points]
        if not values:
            return Text("No API responses yet: the fill shows after the first answer.", style="dim")
        shown = columns(timeline, width)
        top = max(values)
        auto = data.auto_compact
        if auto is not None and top >= auto * 0.5:
            top = max(top, auto)
        scale = max(1.0, top * 1.1)
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
            for bar in shown:
                eighths = int(bar.tokens / scale * height * 8)
                level = max(0, min(8, eighths - floor))
                if bar.compaction and row == 0:
                    lines.append("▼", style="bold magenta")
                elif level == 0 and row == auto_row:
                    lines.append("┄", style="yellow")
                elif bar.compaction:
                    lines.append(_LEVELS[level], style="magenta")
                else:
                    lines.append(_LEVELS[level], style=self._style(bar.tokens, auto, data.window))
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
