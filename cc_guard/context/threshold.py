"""Where Claude Code compacts a session by itself, and what its footer says about it.

Measured on Claude Code 2.1.328 and 2.1.332 (``CLAUDE-CODE-FACTS.md`` 2.1-2.3, 2.7) and
read in its bundle:

- The fill Claude Code compares is ``T = input + cache_creation + cache_read + output``
  of the newest main-chain response (plus its estimate of what was appended since).
- ``effective window = window - min(max output tokens, 20,000)``; the compaction
  point (``threshold``) is ``effective window - 13,000``: 967,000 of a 1M window.
- ``CLAUDE_AUTOCOMPACT_PCT_OVERRIDE=P`` lowers it to ``min(floor(effective x P/100),
  effective - 13,000)``; ``CLAUDE_CODE_AUTO_COMPACT_WINDOW=N`` (or ``--autocompact=N``)
  sizes the window as ``min(window, N)`` (N at least 100,000);
  ``DISABLE_AUTO_COMPACT`` / ``DISABLE_COMPACT`` turn it off, and so does the
  ``autoCompactEnabled: false`` setting (``/config``'s Auto-compact).
- A 200k-window model without a window override never compacts proactively: it runs
  into a 400 "prompt is too long" first and compacts reactively.
- The footer above the input box shows ``N% until auto-compact`` (``auto-compact
  next`` at 0) once ``T >= threshold - 20,000``, with ``N = round((threshold - T) /
  threshold x 100)``; in reactive mode ``N% context used`` relative to the effective
  window; with auto-compaction off, ``Context low (N% remaining)``.

Pure arithmetic on plain values, standard library only and import-free: the
statusline runs it on every call.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing's costs the statusline; mypy reads the names below
if TYPE_CHECKING:
    from collections.abc import Mapping

#: What Claude Code keeps free below the effective window (the compaction's own room).
COMPACT_RESERVE = 13_000
#: The output reserve is the model's max output tokens, at most this.
OUTPUT_RESERVE_CAP = 20_000
#: The footer appears this far below the threshold.
WARN_MARGIN = 20_000
#: The smallest window ``CLAUDE_CODE_AUTO_COMPACT_WINDOW`` / ``--autocompact`` accept.
MIN_COMPACT_WINDOW = 100_000
#: Windows at or below this compact only reactively, unless a window is set.
REACTIVE_WINDOW = 200_000

PCT_ENV = "CLAUDE_AUTOCOMPACT_PCT_OVERRIDE"
WINDOW_ENV = "CLAUDE_CODE_AUTO_COMPACT_WINDOW"
DISABLE_ENV = "DISABLE_AUTO_COMPACT"
DISABLE_ALL_ENV = "DISABLE_COMPACT"
#: The ``--autocompact=N`` command-line flag, recorded under this key beside the env.
FLAG_KEY = "--autocompact"
#: The ``autoCompactEnabled`` setting, recorded under this key as "true" or "false".
SETTING_KEY = "autoCompactEnabled"
#: The session environment cc-guard records (hooks and the statusline see Claude Code's).
ENV_KEYS = (PCT_ENV, WINDOW_ENV, DISABLE_ENV, DISABLE_ALL_ENV)

#: Model id prefix -> max output tokens (Claude Code reserves min(this, 20k)).
MAX_OUTPUT: tuple[tuple[str, int], ...] = (
    ("claude-3-5-haiku", 8_192),
    ("claude-3-5-sonnet", 8_192),
    ("claude-3-haiku", 4_096),
    ("claude-3-opus", 4_096),
    ("claude-3-sonnet", 4_096),
)
DEFAULT_MAX_OUTPUT = 32_000


def max_output_tokens(model: str | None) -> int:
    lowered = (model or "").lower()
    for prefix, tokens in MAX_OUTPUT:
        if lowered.startswith(prefix):
            return tokens
    return DEFAULT_MAX_OUTPUT


def truthy(value: str | None) -> bool:
    """An environment flag as Claude Code reads one (``1``, ``true``, ``yes``, ``on``)."""
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


def leading_number(value: str | None) -> float | None:
    """JavaScript's ``parseFloat``: the number a string starts with, else None."""
    text = (value or "").strip()
    end = 0
    seen_digit = seen_dot = False
    for index, char in enumerate(text):
        if char.isdigit():
            seen_digit = True
            end = index + 1
        elif char == "." and not seen_dot:
            seen_dot = True
        elif char in "+-" and index == 0:
            continue
        else:
            break
    if not seen_digit:
        return None
    try:
        return float(text[:end])
    except ValueError:
        return None


def window_setting(value: str | None) -> int | None:
    """A compaction window setting in tokens: raised to the minimum, None when unusable."""
    number = leading_number(value)
    if number is None or number <= 0:
        return None
    return max(MIN_COMPACT_WINDOW, int(number))


class AutoCompact:
    """Where a session compacts: Claude Code's own point, and the one cc-guard measures against.

    - ``window``: the model's context window (the statusline's denominator);
    - ``compact_window``: the window after a ``CLAUDE_CODE_AUTO_COMPACT_WINDOW`` /
      ``--autocompact`` setting;
    - ``effective_window``: ``compact_window - min(max output, 20k)``;
    - ``threshold``: where Claude Code compacts proactively (or would, for a reactive
      model): ``effective_window - 13k``, lowered by the percent override;
    - ``enabled``: auto-compaction is on; ``proactive``: Claude Code compacts before
      the API refuses the prompt (False for reactive 200k models and when disabled);
    - ``point``: the denominator of cc-guard's own policy: ``threshold``, or
      ``[compact] auto_compact_tokens`` when set;
    - ``source``: what decided it (``default``, ``env``, ``flag``, ``config``, ``reactive``,
      ``disabled``).
    """

    __slots__ = (
        "compact_window",
        "effective_window",
        "enabled",
        "point",
        "proactive",
        "source",
        "threshold",
        "window",
    )

    def __init__(
        self,
        window: int,
        compact_window: int,
        effective_window: int,
        threshold: int,
        enabled: bool,
        proactive: bool,
        point: int,
        source: str,
    ) -> None:
        self.window = window
        self.compact_window = compact_window
        self.effective_window = effective_window
        self.threshold = threshold
        self.enabled = enabled
        self.proactive = proactive
        self.point = point
        self.source = source

    def to_json(self) -> dict[str, object]:
        return {name: getattr(self, name) for name in self.__slots__}

    def __repr__(self) -> str:
        return f"AutoCompact({self.to_json()!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, AutoCompact):
            return NotImplemented
        return self.to_json() == other.to_json()

    __hash__ = None  # type: ignore[assignment]


def auto_compact(
    window: int,
    model: str | None = None,
    env: Mapping[str, str] | None = None,
    config_tokens: int = 0,
) -> AutoCompact:
    """The compaction point of a session on ``model`` with ``window`` tokens.

    ``env`` holds the session's environment (see :data:`ENV_KEYS`, plus
    :data:`FLAG_KEY` for the ``--autocompact`` flag); ``config_tokens`` is
    ``[compact] auto_compact_tokens`` (0: as Claude Code computes it).
    """
    env = env or {}
    enabled = not (
        truthy(env.get(DISABLE_ENV))
        or truthy(env.get(DISABLE_ALL_ENV))
        or env.get(SETTING_KEY) == "false"
    )
    compact_window, source = window, "default"
    setting = window_setting(env.get(WINDOW_ENV))
    if setting is not None:
        compact_window, source = min(window, setting), "env"
    else:
        flag = env.get(FLAG_KEY)
        flag_setting = None if (flag or "").strip() == "auto" else window_setting(flag)
        if flag_setting is not None:
            compact_window, source = min(window, flag_setting), "flag"
    enforced = source != "default" or window > REACTIVE_WINDOW
    effective = compact_window - min(max_output_tokens(model), OUTPUT_RESERVE_CAP)
    threshold = effective - COMPACT_RESERVE
    percent = leading_number(env.get(PCT_ENV))
    if enabled and percent is not None and 0 < percent <= 100:
        threshold = min(int(effective * (percent / 100)), threshold)
    proactive = enabled and enforced
    if not enabled:
        source = "disabled"
    elif not enforced:
        source = "reactive"
    point = threshold
    if config_tokens > 0:
        point, source = config_tokens, "config"
    return AutoCompact(
        window, compact_window, effective, threshold, enabled, proactive, point, source
    )


def percent_left(tokens: int, auto: AutoCompact) -> int:
    """Claude Code's ``pctLeft``: how much of the threshold is left, rounded as it does.

    Relative to the threshold while auto-compaction is on, else to the effective window.
    """
    base = auto.threshold if auto.enabled else auto.effective_window
    if base <= 0:
        return 0
    return max(0, _js_round((base - tokens) / base * 100))


def _js_round(value: float) -> int:
    """``Math.round``: halves round up (Python's round() rounds them to even)."""
    shifted = value + 0.5
    whole = int(shifted)
    return whole - 1 if whole > shifted else whole


def footer(tokens: int, auto: AutoCompact) -> str | None:
    """The hint Claude Code shows above its input box for a fill of ``tokens`` (None: none).

    ``tokens`` is T (input + cache + output of the newest response). The 1M case is
    measured to the token (visible from ``threshold - 20,000``; the percentage flips
    where the formula says); the reactive and disabled texts are read in the bundle.
    """
    base = auto.threshold if auto.enabled else auto.effective_window
    if tokens < base - WARN_MARGIN:
        return None
    if auto.enabled and not auto.proactive:
        effective = auto.effective_window
        left = max(0, _js_round((effective - tokens) / effective * 100)) if effective > 0 else 0
        return f"{100 - left}% context used"
    left = percent_left(tokens, auto)
    if not auto.enabled:
        return f"Context low ({left}% remaining)"
    return f"{left}% until auto-compact" if left > 0 else "auto-compact next"


def until_text(tokens: int, auto: AutoCompact) -> str:
    """What cc-guard shows at any fill: Claude Code's footer figure, or why there is none."""
    if not auto.enabled:
        return "auto-compact off"
    if not auto.proactive:
        return "no auto-compact"
    left = percent_left(tokens, auto)
    return f"{left}% until auto-compact" if left > 0 else "auto-compact next"


def session_env(environ: Mapping[str, str]) -> dict[str, str]:
    """The compaction settings in an environment (what hooks record for the session)."""
    return {key: environ[key] for key in ENV_KEYS if environ.get(key)}


def stored_env(environ: Mapping[str, str], data: Mapping[str, object]) -> dict[str, str]:
    """A session's compaction settings: the environment, plus what its hooks stored in
    the compaction record ``data``: the ``--autocompact`` flag (``flag``) and the
    ``autoCompactEnabled`` setting (``setting``)."""
    env = session_env(environ)
    flag = data.get("flag")
    if isinstance(flag, str) and flag:
        env[FLAG_KEY] = flag
    setting = data.get("setting")
    if isinstance(setting, bool):
        env[SETTING_KEY] = "true" if setting else "false"
    return env
