"""jsonedit: minimal re-rendering of changed JSON always yields the new document."""

from __future__ import annotations

import copy
import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from cc_guard.install.jsonedit import Fresh, parse, render, same

scalars = st.none() | st.booleans() | st.integers(-5, 5) | st.floats(-2, 2) | st.text(max_size=5)
documents = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner, max_size=4)
    ),
    max_leaves=20,
)
objects = st.dictionaries(st.text(max_size=4), documents, max_size=5)


def mutate(doc: dict[str, Any], data: st.DataObject) -> dict[str, Any]:
    new = copy.deepcopy(doc)
    for _ in range(data.draw(st.integers(1, 4))):
        containers: list[Any] = [new]
        stack: list[Any] = [new]
        while stack:
            item = stack.pop()
            children = item.values() if isinstance(item, dict) else item
            for child in children:
                if isinstance(child, dict | list):
                    containers.append(child)
                    stack.append(child)
        target = data.draw(st.sampled_from(containers))
        action = data.draw(st.sampled_from(["add", "remove", "replace"]))
        value = data.draw(documents)
        if isinstance(target, dict):
            if action == "add" or not target:
                target[data.draw(st.text(max_size=4))] = value
            elif action == "remove":
                del target[data.draw(st.sampled_from(list(target)))]
            else:
                target[data.draw(st.sampled_from(list(target)))] = value
        elif action == "add" or not target:
            target.insert(data.draw(st.integers(0, len(target))), value)
        elif action == "remove":
            target.pop(data.draw(st.integers(0, len(target) - 1)))
        else:
            target[data.draw(st.integers(0, len(target) - 1))] = value
    return new


@settings(max_examples=300, deadline=None)
@given(old=objects, indent=st.sampled_from(["  ", "    ", "\t"]), data=st.data())
def test_render_yields_the_new_document(
    old: dict[str, Any], indent: str, data: st.DataObject
) -> None:
    text = json.dumps(old, indent=indent, ensure_ascii=False)
    node = parse(text)
    fresh = Fresh(indent, ": ", False, "\n")
    assert render(text, node, old, old, fresh) == text
    new = mutate(old, data)
    out = render(text, node, old, new, fresh)
    assert same(json.loads(out), new), out


def test_same_is_strict_about_json_types() -> None:
    assert not same(True, 1)
    assert not same(1.0, 1)
    assert not same({"a": 1, "b": 2}, {"b": 2, "a": 1})
    assert same({"a": [1, None]}, {"a": [1, None]})
