"""A session's title is its first prompt, kept however many prompts follow."""

from __future__ import annotations

import json
from pathlib import Path

from cc_guard.transcripts.engine import Engine
from cc_guard.transcripts.fold import MAX_PROMPTS, Fold


def _prompt(text: str, n: int) -> dict[str, object]:
    return {
        "type": "user",
        "uuid": f"u{n}",
        "sessionId": "s1",
        "timestamp": f"2026-12-01T10:{n // 60 % 60:02d}:{n % 60:02d}.000Z",
        "message": {"role": "user", "content": text},
    }


def test_the_title_is_the_first_prompt_on_one_line() -> None:
    fold = Fold()
    fold.add(_prompt("Fix the\n  login   bug", 1))
    fold.add(_prompt("and the tests", 2))
    assert fold.brief().title == "Fix the login bug"


def test_the_title_survives_when_old_prompts_are_dropped() -> None:
    fold = Fold()
    for n in range(MAX_PROMPTS + 5):
        fold.add(_prompt(f"prompt {n}", n))
    assert fold.prompts[0].text != "prompt 0"
    assert fold.brief().title == "prompt 0"
    assert Fold.from_json(json.loads(json.dumps(fold.to_json()))).title == "prompt 0"


def test_brief_and_full_models_carry_the_title(isolated_env: dict[str, Path]) -> None:
    folder = isolated_env["claude"] / "projects" / "-p"
    folder.mkdir(parents=True)
    (folder / "s1.jsonl").write_text(json.dumps(_prompt("Write notes.md", 1)) + "\n")
    engine = Engine(isolated_env["claude"], isolated_env["state"])
    assert [s.title for s in engine.refresh(brief=True)] == ["Write notes.md"]
    assert engine.find("s1").title == "Write notes.md"
