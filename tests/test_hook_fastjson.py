"""The hook path's json stand-in gives json's answers, values and errors alike."""

from __future__ import annotations

import json
import math

import pytest

from cc_guard.base import fastjson

GOOD = [
    b'{"session_id": "abc", "cwd": "/tmp/x", "tool_input": {"file_path": "/a b/\\u00e9.py"}}',
    b'  \n\t{"a": [1, 2.5, -3e10, true, false, null, {"b": "\\ud83d\\ude00"}]}\r\n ',
    '{"prompt": "caf\u00e9 \u2603 \U0001f600", "n": 12345678901234567890}'.encode(),
    b'{"x": NaN, "y": Infinity, "z": -Infinity}',
    b'"just a string"',
    b"[]",
    b"42",
    b'{"dup": 1, "dup": 2}',
]
BAD = [
    b"",
    b"   ",
    b"{",
    b'{"a": 1} trailing',
    b'{"a": 1}{"b": 2}',
    b"{'a': 1}",
    b'{"a": "tab\tinside"}',  # control character in a string: json is strict
    b"\xff\xfe{not utf-8",
    b'{"a": 01}',
    b"nul",
    b'{"session_id": "x"',  # unterminated string
    b'{"a": [1, 2}',
]


@pytest.mark.parametrize("raw", GOOD)
def test_loads_matches_json(raw: bytes) -> None:
    ours, theirs = fastjson.loads(raw), json.loads(raw)
    assert json.dumps(ours) == json.dumps(theirs)  # NaN != NaN, so compare encodings
    assert json.dumps(fastjson.loads(raw.decode("utf-8"))) == json.dumps(theirs)


def test_loads_takes_a_utf8_byte_order_mark_like_json() -> None:
    raw = b'\xef\xbb\xbf{"a": 1}'
    assert fastjson.loads(raw) == json.loads(raw) == {"a": 1}


@pytest.mark.parametrize("raw", BAD)
def test_loads_raises_what_json_raises(raw: bytes) -> None:
    with pytest.raises(ValueError) as theirs:
        json.loads(raw)
    with pytest.raises(ValueError) as ours:
        fastjson.loads(raw)
    assert type(ours.value) is type(theirs.value)
    assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize(
    "obj",
    [
        {"time": "2026-01-01T00:00:00.000+00:00", "claude_pid": None, "n": 3, "ok": True},
        {"cwd": '/tmp/caf\u00e9 \u2603\n"q"\\', "f": 0.1, "big": 10**30, "neg": -1.5e-9},
        {"hookSpecificOutput": {"hookEventName": "PostToolUse", "additionalContext": "x\ty"}},
        [1, "two", None, [], {}],
        {"inf": math.inf, "nan": math.nan},
        "plain \u00e9",
        7,
    ],
)
def test_dumps_matches_json(obj: object) -> None:
    assert fastjson.dumps(obj) == json.dumps(obj)


def test_dumps_refuses_what_json_refuses() -> None:
    with pytest.raises(TypeError):
        fastjson.dumps({"a": object()})
    loop: list[object] = []
    loop.append(loop)
    with pytest.raises(ValueError):
        fastjson.dumps(loop)
    # ... and still works afterwards (no state left from the failed calls).
    assert fastjson.dumps({"a": [1]}) == '{"a": [1]}'


def test_importing_it_does_not_import_json() -> None:
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from cc_guard.base import fastjson\n"
        "fastjson.loads(b'{\"a\": [1, 2]}'); fastjson.dumps({'a': 1})\n"
        "print('json' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("raw", BAD)
def test_bad_input_raises_json_errors_before_json_is_imported(raw: bytes) -> None:
    # The C scanner reports syntax errors through json.decoder; on the hook path that
    # is not imported yet (it used to come out as SystemError).
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from cc_guard.base import fastjson\n"
        f"try:\n    fastjson.loads({raw!r})\n"
        "except ValueError as exc:\n    print(type(exc).__name__, exc)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    with pytest.raises(ValueError) as theirs:
        json.loads(raw)
    assert out.stdout.strip() == f"{type(theirs.value).__name__} {theirs.value}"
