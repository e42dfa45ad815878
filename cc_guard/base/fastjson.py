"""``json.loads`` / ``json.dumps`` for the hook path, without importing ``json``.

Importing the ``json`` package compiles a handful of regular expressions
(json.decoder, json.encoder) on every hook call. The parsing and
encoding themselves are done by CPython's C accelerator ``_json`` either way;
this calls it directly with the settings ``json.loads``/``json.dumps`` use by
default, so the results are the same. Anything unusual (no ``_json``, a byte
order mark, bytes that are not UTF-8, a parse error) goes to ``json`` itself,
so errors and edge cases are exactly json's.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

try:
    import _json
except ImportError:  # pragma: no cover - other Python implementations
    _json = None  # type: ignore[assignment]

_WHITESPACE = " \t\n\r"
_CONSTANTS = {"-Infinity": float("-inf"), "Infinity": float("inf"), "NaN": float("nan")}


class _ScannerContext:
    """The attributes ``_json.make_scanner`` reads (json.decoder.JSONDecoder's defaults)."""

    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int
    parse_constant = _CONSTANTS.__getitem__


_scan: Callable[[str, int], tuple[Any, int]] | None = None


def loads(data: bytes | str) -> Any:
    """Like ``json.loads(data)``; raises ValueError (json's own error) on bad input."""
    global _scan
    if _json is not None:
        try:
            text = data.decode("utf-8") if isinstance(data, bytes) else data
        except UnicodeDecodeError:
            text = None
        if text is not None and not text.startswith("\ufeff"):
            if _scan is None:
                _scan = _json.make_scanner(_ScannerContext())  # type: ignore[arg-type]  # stub wants its own type; C reads attributes
            start = len(text) - len(text.lstrip(_WHITESPACE))
            try:
                value, end = _scan(text, start)
            except Exception:
                # StopIteration (no value there), or a syntax error, which the C code
                # can only report when json.decoder is loaded (without it: SystemError).
                # Either way json gives the answer and its own error.
                pass
            else:
                if not text[end:].strip(_WHITESPACE):
                    return value
    import json

    return json.loads(data)


def dumps(obj: Any) -> str:
    """Like ``json.dumps(obj)`` with the default arguments."""
    if _json is None:  # pragma: no cover
        import json

        return json.dumps(obj)
    if isinstance(obj, str):
        return str(_json.encode_basestring_ascii(obj))
    # A new encoder per call, as json does: its circular-reference markers must
    # start empty (an error half way leaves them filled).
    encode = _json.make_encoder(
        {},  # markers: circular references raise ValueError, as in json
        _unsupported,
        _json.encode_basestring_ascii,
        None,  # indent
        ": ",
        ", ",
        False,  # sort_keys
        False,  # skipkeys
        True,  # allow_nan
    )
    return "".join(encode(obj, 0))


def _unsupported(obj: Any) -> Any:
    raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")
