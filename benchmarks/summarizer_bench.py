"""Benchmark the API summarizer against ``cc-guard chaos serve``: attempts and wall time per fault
kind, fact recall of the summaries it uses, and the tiktoken safety factor against reported usage.

Usage: python benchmarks/summarizer_bench.py [--runs 5]

1. Per fault kind on the primary model (the fallback model answers; "every model failing"
   ends offline): requests the summarizer sent and its wall time (median of --runs, each
   in a fresh state dir, so no cache and no circuit carry over). Default [api] settings,
   except the stall row, whose idle gap is 2 s instead of 30 s.
2. Fact recall: for each fixture session, the primary model answers a summary that leaves
   out one required fact (a file, the in-progress todo or the latest request) and the
   fallback answers a complete one; recall of the summary actually used, and how many
   answers the validation refused.
3. Token estimates: cl100k counts of every request the summarizer sent (small sessions,
   a long one summarized in chunks) against the input tokens the fake API reports; the
   calibrated safety factor and the error of the estimate with it.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

KEY = "sk-ant-api03-benchmark-0000000000000000000000000"
SONNET, HAIKU = "claude-sonnet-5-5", "claude-haiku-5-5"
FIXTURES = [
    "handmade-todowrite.jsonl",
    "handmade-tasks-cut.jsonl",
    "handmade-pending.jsonl",
    "normal-tools-2.1.328.jsonl",
    "api-529-2.1.328.jsonl",
    "stream-cut-2.1.328.jsonl",
    "compaction-2.1.328.jsonl",
    "subagent-2.1.328.jsonl",
]


def isolate(root: Path) -> None:
    os.environ.update(
        HOME=str(root / "home"),
        CLAUDE_CONFIG_DIR=str(root / "home" / ".claude"),
        CC_GUARD_HOME=str(root / "state"),
        CC_GUARD_CONFIG=str(root / "config.toml"),
    )
    for name in ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_BASE_URL"):
        os.environ.pop(name, None)


def serve(root: Path, script: list[dict[str, Any]]) -> tuple[str, Path, subprocess.Popen[str]]:
    name = f"s{time.monotonic_ns()}"
    script_path, log = root / f"{name}.json", root / f"{name}.jsonl"
    script_path.write_text(json.dumps(script))
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cc_guard",
            "chaos",
            "serve",
            "--port",
            "0",
            "--script",
            str(script_path),
            "--log",
            str(log),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    return proc.stdout.readline().strip(), log, proc


def logged(log: Path) -> list[dict[str, Any]]:
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text().splitlines() if line.strip()]


def valid_answer(needs: Any) -> str:
    files = ", ".join(f"`{spellings[-1]}`" for spellings in needs.files)
    return (
        f'## Goal\n"{needs.latest or ""}"\n\n## Decisions made and why\nAs recorded.\n\n'
        f"## Current state\nFiles: {files}. In progress: {'; '.join(needs.todos)}.\n\n"
        "## Open problems\nNone known.\n\n## Next step\nCarry on."
    )


def lacking_answer(needs: Any) -> str:
    text = valid_answer(needs)
    if needs.files:
        return text.replace(f"`{needs.files[-1][-1]}`", "one more file")
    if needs.todos:
        return text.replace(needs.todos[0], "the todo")
    return text.replace(str(needs.latest), "the request")


FAULTS: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    # (row, primary-model entry fields, extra [api] settings)
    ("no fault", {}, {}),
    ("529 on the primary", {"fault": {"status": 529}}, {}),
    ("500 on the primary", {"fault": {"status": 500}}, {}),
    ("429 retry-after 1 s on the primary", {"fault": {"status": 429, "retry_after": 1}}, {}),
    ("cut stream (no message_stop)", {"fault": {"cut_after_events": 5}, "text": "partial"}, {}),
    (
        "connection reset mid-stream",
        {"fault": {"cut_after_events": 5, "reset": True}, "text": "partial"},
        {},
    ),
    ("malformed SSE", {"fault": {"malformed": True}}, {}),
    ("empty 200", {"fault": {"empty_200": True}}, {}),
    (
        "overloaded_error event mid-stream",
        {"fault": {"sse_error": "overloaded_error"}, "text": "partial"},
        {},
    ),
    ("refusal", {"text": "I can't help with that.", "stop_reason": "refusal"}, {}),
    (
        "stall after headers (idle gap 2 s)",
        {"fault": {"stall_seconds": 60}},
        {"idle_timeout_seconds": 2.0},
    ),
]


def run_faults(root: Path, runs: int) -> list[tuple[str, list[int], list[float], str]]:
    from cc_guard.api.complete import ApiClient
    from cc_guard.api.credentials import Credentials
    from cc_guard.config.load import Config
    from cc_guard.config.sections import ApiConfig
    from cc_guard.handoff import store
    from cc_guard.handoff.summarize import requirements, summarize
    from tests.support.handoff import install_fixture

    rows = []
    path = install_fixture("handmade-tasks-cut.jsonl", root / "home" / ".claude")
    handoff = store.make_handoff(path, root / "state")
    answer = valid_answer(requirements(handoff))
    scenarios = [
        (name, [{"when": {"model": "sonnet"}, "repeat": 1000, **entry}, {"text": answer}], knobs)
        for name, entry, knobs in FAULTS
        if entry
    ]
    scenarios.insert(0, ("no fault", [{"text": answer}], {}))
    scenarios.append(
        (
            "max_tokens, then one continuation",
            [
                # Every run: its first request stops at max_tokens, the continuation ends it.
                {
                    "when": {"last": "Write the narrative"},
                    "repeat": 1000,
                    "text": answer[:80],
                    "stop_reason": "max_tokens",
                    "usage": {"output_tokens": 30},
                },
                {
                    "when": {"last": "cut off by the output limit"},
                    "repeat": 1000,
                    "text": answer[80:],
                },
            ],
            {},
        ),
    )
    scenarios.append(("every model failing (500)", [{"fault": {"status": 500}}], {}))
    # Untimed: the first request loads the SDK and tiktoken's encoding (once per process).
    url, _, proc = serve(root, [{"text": answer}])
    warm = root / "state-warm-up"
    with ApiClient(Config().api, Credentials(api_key=KEY, base_url=url), warm) as client:
        summarize(handoff, path, Config(), "api", client, warm)
    proc.terminate()
    proc.wait()
    for name, script, knobs in scenarios:
        url, log, proc = serve(root, script)
        counts, times, used = [], [], set()
        for n in range(runs):
            state = root / f"state-{time.monotonic_ns()}-{n}"
            config = Config(api=ApiConfig(**knobs))
            client = ApiClient(config.api, Credentials(api_key=KEY, base_url=url), state)
            before = len(logged(log))
            started = time.perf_counter()
            result = summarize(handoff, path, config, "api", client, state)
            times.append(time.perf_counter() - started)
            client.close()
            counts.append(len(logged(log)) - before)
            used.add(result.summary.model if result.summary else "offline")
        proc.terminate()
        proc.wait()
        rows.append((name, counts, times, ", ".join(sorted(used))))
    return rows


def run_recall(root: Path) -> list[tuple[str, int, float, int]]:
    from cc_guard.api.complete import ApiClient
    from cc_guard.api.credentials import Credentials
    from cc_guard.config.load import Config
    from cc_guard.handoff import store
    from cc_guard.handoff.summarize import requirements, summarize
    from tests.support.handoff import install_fixture

    rows = []
    for fixture in FIXTURES:
        path = install_fixture(fixture, root / "home" / ".claude")
        handoff = store.make_handoff(path, root / "state")
        needs = requirements(handoff)
        script = [
            {"when": {"model": "sonnet"}, "repeat": 100, "text": lacking_answer(needs)},
            {"text": valid_answer(needs)},
        ]
        url, log, proc = serve(root, script)
        state = root / f"recall-{time.monotonic_ns()}"
        client = ApiClient(Config().api, Credentials(api_key=KEY, base_url=url), state)
        result = summarize(handoff, path, Config(), "api", client, state)
        client.close()
        proc.terminate()
        proc.wait()
        facts = len(needs.files) + len(needs.todos) + (1 if needs.latest else 0)
        if result.summary is None:
            rows.append((fixture, facts, float("nan"), len(logged(log))))
            continue
        missing = needs.missing(result.summary.text)
        refused = sum(1 for r in logged(log) if r["model"] == SONNET)
        rows.append((fixture, facts, 1 - len(missing) / max(1, facts), refused))
    return rows


def run_tokens(root: Path) -> tuple[list[tuple[int, int]], float]:
    """(cl100k count of the request text, input tokens the fake API reports) per request."""
    from cc_guard import tokens
    from cc_guard.api.complete import ApiClient
    from cc_guard.api.credentials import Credentials
    from cc_guard.chaos.messages import prompt_tokens
    from cc_guard.config.load import Config
    from cc_guard.config.sections import HandoffConfig
    from cc_guard.handoff import store
    from cc_guard.handoff.summarize import summarize
    from tests.support.handoff import install_fixture
    from tests.support.summaries import big_transcript

    pairs: list[tuple[int, int]] = []
    url, log, proc = serve(root, [{"text": "## Goal\nx"}])
    sessions = [install_fixture(fixture, root / "tokens-claude") for fixture in FIXTURES]
    sessions += [big_transcript(root / "tokens-claude", turns) for turns in (40, 120)]
    for path in sessions:
        handoff = store.make_handoff(path, root / "state")
        for budget in (40000, 3000):  # whole, and in chunks
            config = Config(handoff=HandoffConfig(summary_input_tokens=budget))
            state = root / f"tok-{time.monotonic_ns()}"
            client = ApiClient(config.api, Credentials(api_key=KEY, base_url=url), state)
            summarize(handoff, path, config, "api", client, state)
            client.close()
    proc.terminate()
    proc.wait()
    for record in logged(log):
        body = record.get("body") or {}
        if record.get("path") != "/v1/messages" or not isinstance(body, dict):
            continue
        text = str(body.get("system") or "") + "".join(
            str(m.get("content")) for m in body.get("messages", []) if isinstance(m, dict)
        )
        pairs.append((tokens.count(text), prompt_tokens(body)))
    return pairs, tokens.calibrate(pairs)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        isolate(root)
        print(f"## Attempts and wall time per fault kind (median of {args.runs} runs)\n")
        print(
            "| fault on the primary | requests | wall s (median) | min | max "
            "| ratio to no fault | summary by |"
        )
        print("|---|---|---|---|---|---|---|")
        rows = run_faults(root, args.runs)
        baseline = statistics.median(rows[0][2])
        for name, counts, times, used in rows:
            shown = str(counts[0]) if len(set(counts)) == 1 else f"{min(counts)}-{max(counts)}"
            median = statistics.median(times)
            print(
                f"| {name} | {shown} | {median:.2f} | {min(times):.2f} | {max(times):.2f} "
                f"| {median / baseline:.1f}x | {used} |"
            )
        print("\n## Fact recall of the summaries used\n")
        print("| session | required facts | recall of the summary used | answers refused |")
        print("|---|---|---|---|")
        for fixture, facts, recall, refused in run_recall(root):
            print(f"| {fixture} | {facts} | {recall:.0%} | {refused} |")
        pairs, factor = run_tokens(root)
        from cc_guard import tokens

        print("\n## Token estimates against the fake API's reported input tokens\n")
        ratios = [reported / counted for counted, reported in pairs if counted]
        unfloored = tokens.calibrate(pairs, floor=1.0)
        rows = (
            ("default (the floor)", tokens.DEFAULT_SAFETY_FACTOR),
            ("calibrated from these requests, without the floor", unfloored),
            ("calibrated, as the summarizer uses it", factor),
        )
        for label, used in rows:
            errors = [
                (counted * used - reported) / reported for counted, reported in pairs if reported
            ]
            print(
                f"- {label} factor {used:.3f}: estimate - reported, relative: mean {statistics.mean(errors):+.1%}, "
                f"min {min(errors):+.1%}, max {max(errors):+.1%}; under-estimates: "
                f"{sum(1 for e in errors if e < 0)} of {len(errors)}"
            )
        print(
            f"- {len(pairs)} requests, {min(c for c, _ in pairs)}-{max(c for c, _ in pairs)} cl100k tokens; "
            f"reported/cl100k ratio: median {statistics.median(ratios):.3f}, min {min(ratios):.3f}, max {max(ratios):.3f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
