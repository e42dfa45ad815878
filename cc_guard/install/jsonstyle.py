"""Read a JSON settings file and write it back in the style it was written in.

Claude Code's settings files are edited by hand. A multi-line file is written
back through ``jsonedit``: untouched text stays byte for byte and new parts take
the file's indentation (spaces or tabs, any width), spacing around colons, line
endings and ``\\uXXXX`` escaping. A one-line (or new) file is written whole with
two-space indentation. Whether the file ends with a newline, and a UTF-8 BOM,
are kept either way.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any


class JsonFileError(ValueError):
    """The text is not a JSON object."""


@dataclass(frozen=True)
class Style:
    indent: str | None = "  "
    item_sep: str = ","
    key_sep: str = ": "
    newline: str = "\n"
    trailing_newline: bool = True
    ensure_ascii: bool = False
    bom: bool = False
    #: The text the style was read from (multi-line files only): new text is
    #: rendered against it so that untouched parts stay byte for byte.
    source: str | None = field(default=None, compare=False, repr=False)


#: What cc-guard writes when there is no file to take the style from (Claude Code's own).
DEFAULT_STYLE = Style()

_INDENT = re.compile(r"^([ \t]+)\S", re.MULTILINE)
_KEY_SEP = re.compile(r'"(\s*):(\s*)["{\[0-9tfn-]')


def loads(raw: bytes) -> tuple[dict[str, Any], Style]:
    """The object in ``raw`` and its style. Empty (or blank) text is an empty object."""
    bom = raw.startswith(b"\xef\xbb\xbf")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise JsonFileError(f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    if not text.strip():
        return {}, DEFAULT_STYLE
    from cc_guard.install import jsonedit

    try:
        data = jsonedit.loads(text)
    except json.JSONDecodeError as exc:
        raise JsonFileError(
            f"not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
        ) from None
    except RecursionError:
        raise JsonFileError("nested too deeply to edit safely") from None
    if _depth(data) > MAX_DEPTH:
        # Newer Pythons parse deeper than the editor (recursive) can write back.
        raise JsonFileError("nested too deeply to edit safely")
    if not isinstance(data, dict):
        kind = {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(
            type(data), "a number"
        )
        # Read after "<path> is ...": "settings.json is not a JSON object (it holds an array)".
        raise JsonFileError(f"not a JSON object (it holds {kind})")
    return data, _detect(text, data, bom)


#: Nesting deeper than this is refused: no settings file needs it, and writing it back
#: must stay far from the interpreter's recursion limit on every supported Python.
MAX_DEPTH = 200


def _depth(value: Any) -> int:
    """How deeply arrays and objects nest in ``value`` (iteratively: any depth)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, level)
        if deepest > MAX_DEPTH:
            return deepest
        stack.extend((child, level + 1) for child in children)
    return deepest


def _detect(text: str, data: dict[str, Any], bom: bool) -> Style:
    newline = "\r\n" if "\r\n" in text else "\n"
    body = text.strip()
    match = _INDENT.search(body)
    # A file written on one line has no indentation to keep; it gets Claude Code's own
    # two spaces rather than a long single line nobody could review in a diff.
    indent = match.group(1) if match else DEFAULT_STYLE.indent
    source = text if match else None
    sep = _KEY_SEP.search(body) if match else None
    key_sep = f"{sep.group(1)}:{sep.group(2)}" if sep else DEFAULT_STYLE.key_sep
    if "\n" in key_sep or "\r" in key_sep:
        key_sep = DEFAULT_STYLE.key_sep
    has_escapes = "\\u" in body
    has_non_ascii = any(ord(ch) > 127 for ch in body)
    return Style(
        indent=indent,
        key_sep=key_sep,
        newline=newline,
        trailing_newline=text.endswith(("\n", "\r\n")),
        ensure_ascii=has_escapes and not has_non_ascii,
        bom=bom,
        source=source,
    )


def dumps(data: dict[str, Any], style: Style) -> bytes:
    from cc_guard.install import jsonedit

    text = _minimal(data, style) if style.source is not None else None
    if text is None:
        text = jsonedit.dumps(
            data,
            indent=style.indent,
            separators=(style.item_sep, style.key_sep),
            ensure_ascii=style.ensure_ascii,
        )
        if style.newline != "\n":
            text = text.replace("\n", style.newline)
        if style.trailing_newline:
            text += style.newline
    raw = text.encode("utf-8")
    return b"\xef\xbb\xbf" + raw if style.bom else raw


def _minimal(data: dict[str, Any], style: Style) -> str | None:
    """``data`` rendered against the original text, or None if that cannot be done."""
    from cc_guard.install import jsonedit

    source = style.source
    if source is None or style.indent is None:
        return None
    try:
        old = jsonedit.loads(source)
        start = len(source) - len(source.lstrip())
        node = jsonedit.parse(source, start)
    except (ValueError, jsonedit.EditError):
        return None
    fresh = jsonedit.Fresh(style.indent, style.key_sep, style.ensure_ascii, style.newline)
    body = jsonedit.render(source, node, old, data, fresh)
    return source[:start] + body + source[node.end :]
