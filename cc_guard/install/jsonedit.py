"""Write a changed JSON document back with the smallest textual change.

``json.dumps`` of the merged settings would re-flow everything the user laid out
by hand (a one-line ``"allow": [...]``, blank lines, odd spacing). Instead the
original text is parsed with the position of every value, and the new document
is rendered against it: a value equal to the old one is copied byte for byte, a
changed object or array keeps its unchanged members verbatim and only the new
or changed ones are written fresh, indented like their siblings. So a diff of an
install shows cc-guard's additions and nothing else.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any

_WS = " \t\r\n"


class JsonInt(int):
    """An integer as the file wrote it (``-0``, ``1000000000000000000001``)."""

    text: str

    def __new__(cls, text: str) -> JsonInt:
        number = super().__new__(cls, int(text))
        number.text = text
        return number


class JsonFloat(float):
    """A number with a fraction or exponent as the file wrote it: ``1E5`` stays
    ``1E5`` (not ``100000.0``), ``1e999`` stays ``1e999`` (not ``Infinity``, which
    is no JSON)."""

    text: str

    def __new__(cls, text: str) -> JsonFloat:
        number = super().__new__(cls, float(text))
        number.text = text
        return number


def loads(text: str) -> Any:
    """``json.loads`` whose numbers remember their text (see :func:`dumps`)."""
    return json.loads(text, parse_int=JsonInt, parse_float=JsonFloat, parse_constant=JsonFloat)


def dumps(value: Any, **options: Any) -> str:
    """``json.dumps`` that writes a number read by :func:`loads` as it was read."""
    texts: dict[str, str] = {}
    nonce = os.urandom(8).hex()

    def mark(item: Any) -> Any:
        if isinstance(item, JsonInt | JsonFloat) and not isinstance(item, bool):
            if item.text == json.dumps(item):
                return item
            key = f"\u0000{nonce}:{len(texts)}"
            texts[json.dumps(key)] = item.text
            return key
        if isinstance(item, dict):
            return {k: mark(v) for k, v in item.items()}
        if isinstance(item, list):
            return [mark(v) for v in item]
        return item

    text = json.dumps(mark(value), **options)
    for placeholder, original in texts.items():
        text = text.replace(placeholder, original)
    return text


_DECODER = json.JSONDecoder(parse_int=JsonInt, parse_float=JsonFloat, parse_constant=JsonFloat)


@dataclass
class Member:
    lead: str  # whitespace before the member (after the opening bracket or a comma)
    key_text: str  # the key exactly as written, with quotes ("" in arrays)
    key: str | None
    colon: str  # the text from the key's end to the value's start (":" and spaces)
    value: Node
    tail: str  # whitespace after the value, before "," or the closing bracket
    last: bool = False


@dataclass
class Node:
    start: int
    end: int
    kind: str  # "object", "array" or "scalar"
    members: list[Member] = field(default_factory=list)


class EditError(ValueError):
    pass


def _skip(text: str, i: int) -> int:
    while i < len(text) and text[i] in _WS:
        i += 1
    return i


def parse(text: str, i: int = 0) -> Node:
    """The value starting at ``text[i]`` (no leading whitespace) with all positions."""
    if i >= len(text):
        raise EditError("unexpected end of text")
    opener = text[i]
    if opener not in "{[":
        try:
            _, end = _DECODER.raw_decode(text, i)
        except json.JSONDecodeError as exc:
            raise EditError(str(exc)) from None
        return Node(i, end, "scalar")
    is_object = opener == "{"
    close = "}" if is_object else "]"
    node = Node(i, i, "object" if is_object else "array")
    j = i + 1
    while True:
        k = _skip(text, j)
        if k < len(text) and text[k] == close and not node.members:
            node.end = k + 1
            return node
        key_text, key, colon = "", None, ""
        value_start = k
        if is_object:
            try:
                key, key_end = _DECODER.raw_decode(text, k)
            except json.JSONDecodeError as exc:
                raise EditError(str(exc)) from None
            colon_at = _skip(text, key_end)
            if colon_at >= len(text) or text[colon_at] != ":":
                raise EditError("expected ':'")
            value_start = _skip(text, colon_at + 1)
            key_text, colon = text[k:key_end], text[key_end:value_start]
        value = parse(text, value_start)
        after = _skip(text, value.end)
        node.members.append(Member(text[j:k], key_text, key, colon, value, text[value.end : after]))
        if after < len(text) and text[after] == ",":
            j = after + 1
            continue
        if after < len(text) and text[after] == close:
            node.members[-1].last = True
            node.end = after + 1
            return node
        raise EditError(f"expected ',' or {close!r} at offset {after}")


def _kind(value: Any) -> type:
    if isinstance(value, bool):
        return bool
    if isinstance(value, int):
        return int
    if isinstance(value, float):
        return float
    return type(value)


def same(a: Any, b: Any) -> bool:
    """Equal as JSON: unlike ``==``, ``true`` is not ``1`` and ``1.0`` is not ``1``
    (a number read from the file and one cc-guard made are compared by value)."""
    if _kind(a) is not _kind(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


@dataclass(frozen=True)
class Fresh:
    """How to write values that have no original text."""

    indent: str
    key_sep: str
    ensure_ascii: bool
    newline: str

    def dump(self, value: Any, line_indent: str) -> str:
        text = dumps(
            value,
            indent=self.indent,
            separators=(",", self.key_sep),
            ensure_ascii=self.ensure_ascii,
        )
        return text.replace("\n", self.newline + line_indent)

    def key(self, key: str) -> str:
        return json.dumps(key, ensure_ascii=self.ensure_ascii)


def _line_indent(text: str, pos: int) -> str:
    line_start = text.rfind("\n", 0, pos) + 1
    end = line_start
    while end < pos and text[end] in " \t":
        end += 1
    return text[line_start:end]


def render(text: str, node: Node, old: Any, new: Any, fresh: Fresh) -> str:
    """``new`` written against ``old`` (parsed from ``text`` as ``node``), minimally changed."""
    if same(old, new):
        return text[node.start : node.end]
    own_indent = _line_indent(text, node.start)
    if node.kind == "object" and isinstance(old, dict) and isinstance(new, dict):
        by_key = {m.key: m for m in node.members}
        parts: list[tuple[Member | None, Any]] = []
        for key, value in new.items():
            member = by_key.get(key)
            if member is not None:
                body = (
                    member.key_text
                    + member.colon
                    + render(text, member.value, old[key], value, fresh)
                )
                parts.append((member, body))
            else:
                parts.append((None, key))
        return _assemble(text, node, parts, new, fresh, own_indent, "{", "}")
    if node.kind == "array" and isinstance(old, list) and isinstance(new, list):
        return _assemble(
            text, node, _match_items(text, node, old, new, fresh), new, fresh, own_indent, "[", "]"
        )
    return fresh.dump(new, own_indent)


def _match_items(
    text: str, node: Node, old: list[Any], new: list[Any], fresh: Fresh
) -> list[tuple[Member | None, Any]]:
    """Pair new items with old ones: equal items in order, else the one in the same slot."""
    parts: list[tuple[Member | None, Any]] = []
    p = 0
    for value in new:
        q = next((q for q in range(p, len(old)) if same(old[q], value)), None)
        if q is not None:
            parts.append(
                (node.members[q], text[node.members[q].value.start : node.members[q].value.end])
            )
            p = q + 1
        elif p < len(old) and isinstance(old[p], dict | list) and type(old[p]) is type(value):
            member = node.members[p]
            parts.append((member, render(text, member.value, old[p], value, fresh)))
            p += 1
        else:
            parts.append((None, _FreshItem(value)))
    return parts


@dataclass(frozen=True)
class _FreshItem:
    value: Any


def _assemble(
    text: str,
    node: Node,
    parts: list[tuple[Member | None, Any]],
    new: Any,
    fresh: Fresh,
    own_indent: str,
    opener: str,
    closer: str,
) -> str:
    if not parts:
        return opener + closer
    members = node.members
    if members:
        default_lead = members[-1].lead
        closing = members[-1].tail
    else:
        default_lead = fresh.newline + own_indent + fresh.indent
        closing = fresh.newline + own_indent
    out = [opener]
    for n, (member, body) in enumerate(parts):
        lead = member.lead if member is not None else default_lead
        item_indent = lead[lead.rfind("\n") + 1 :] if "\n" in lead else own_indent + fresh.indent
        if member is None:
            if isinstance(body, _FreshItem):
                body = fresh.dump(body.value, item_indent)
            else:  # a new object key
                body = fresh.key(body) + fresh.key_sep + fresh.dump(new[body], item_indent)
        out.append(lead + body)
        if n < len(parts) - 1:
            out.append((member.tail if member is not None and not member.last else "") + ",")
    out.append(closing + closer)
    return "".join(out)
