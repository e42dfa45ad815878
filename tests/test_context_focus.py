"""Key facts, the focus text and the comparison with a summary (cc_guard.context.focus, .compare)."""

from __future__ import annotations

from cc_guard.context.compare import REINJECT_LIMIT, compare, reinjection, summary_part
from cc_guard.context.focus import FOCUS_LIMIT, MARKER, KeyFacts, focus_text, typed_focus

FACTS = KeyFacts(
    latest_request="Add retry with exponential backoff to the HTTP client and keep the tests green",
    files=["/work/demo/src/http/client.py", "/work/demo/tests/test_client.py", "/work/demo/README.md"],
    todos=["Write the backoff schedule tests"],
    constraints=["Never change the public API of HttpClient"],
    next_step="Continue the in-progress todo: Write the backoff schedule tests",
    project="/work/demo",
)


def test_the_focus_names_every_key_fact_with_paths_relative_to_the_project() -> None:
    text = focus_text(FACTS)
    assert text.startswith(MARKER)
    for needle in (
        "exponential backoff",
        "src/http/client.py",
        "tests/test_client.py",
        "Write the backoff schedule tests",
        "Never change the public API",
    ):
        assert needle in text
    assert "/work/demo/src" not in text


def test_the_typed_focus_is_one_printable_line_within_the_paste_limit() -> None:
    long = KeyFacts(
        latest_request="x " * 3000 + "\n\tline two",
        files=[f"/work/demo/pkg/module_{n}.py" for n in range(200)],
        todos=["t" * 500],
        next_step="n" * 500,
        project="/work/demo",
    )
    typed = typed_focus(long)
    assert "\n" not in typed and "\t" not in typed and typed.isprintable()
    assert len(("/compact " + typed).encode()) <= 600
    assert len(focus_text(long)) <= FOCUS_LIMIT


def test_secrets_never_reach_the_focus() -> None:
    leaky = KeyFacts(latest_request="use ANTHROPIC_API_KEY=sk-ant-api03-abcdefghijklmnopqrstuvwxyz0123456789 here")
    assert "sk-ant-api03-abcdef" not in focus_text(leaky)
    assert "sk-ant-api03-abcdef" not in typed_focus(leaky)


def test_no_key_facts_give_no_focus() -> None:
    assert focus_text(KeyFacts()) == "" and typed_focus(KeyFacts()) == ""


def test_a_summary_that_omits_a_file_drops_it_and_keeps_the_rest() -> None:
    summary = (
        "<analysis>The user mentioned README.md once.</analysis>\n<summary>\n"
        "1. Primary Request: add retry with exponential backoff to the HTTP client; keep tests green.\n"
        "Files: src/http/client.py (the retry loop), tests/test_client.py.\n"
        "Pending: write the backoff schedule tests. Constraint: never change the public API of HttpClient.\n"
        "</summary>"
    )
    kept, dropped = compare(summary, FACTS)
    assert [(f.kind, f.text) for f in dropped] == [("file", "README.md")]  # only in the analysis
    assert {f.kind for f in kept} == {"request", "next_step", "todo", "file", "constraint"}


def test_a_summary_that_lost_the_constraint_drops_it() -> None:
    _, dropped = compare("<summary>Retry with exponential backoff in src/http/client.py.</summary>", FACTS)
    assert ("constraint", "Never change the public API of HttpClient") in [(f.kind, f.text) for f in dropped]


def test_reinjection_says_what_was_dropped_and_stays_under_the_limit() -> None:
    _, dropped = compare("<summary>nothing useful</summary>", FACTS)
    text = reinjection(dropped)
    assert text.startswith(MARKER) and "File being changed: README.md" in text
    many = dropped * 500
    assert len(reinjection(many)) <= REINJECT_LIMIT
    assert reinjection([]) == ""


def test_summary_part_is_the_summary_block_or_the_reply_without_analysis() -> None:
    assert summary_part("<analysis>a</analysis><summary>b</summary>") == "b"
    assert summary_part("<analysis>a</analysis> plain") == " plain"
