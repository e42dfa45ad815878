"""Benchmarks of the context policy (BENCHMARKS.md, "Context").

Usage: python benchmarks/context_bench.py [timing] [estimate] [footer] [--runs 30] [--data DIR]
       [--compare DIR]

- ``timing``: ``cc-guard statusline`` as Claude Code runs it (a new process per call), with
  the compaction state its line reads (turn ends for "~N turns", a notice) and a fill past
  the warning, beside a bare ``python -c pass`` (target: median under 40 ms); and the Stop
  hook with the policy decision against the same hook without it (every other handler
  off in both), on a 5 MB transcript: the median difference is what the decision adds
  (target: 10 ms or less). Rows are interleaved so load hits them alike.
- ``estimate``: on the recorded sessions in ``--data`` (benchmarks/context_record.py), each
  exact usage estimated from the one before plus the counted text appended between,
  times the factor learned from the session's earlier gaps only: the median absolute
  error relative to the usage (target: 10% or less), and relative to what was appended.
- ``footer``: for each recorded capture of Claude Code's footer, the transcript cut after
  that answer is loaded by cc-guard's engine and :func:`cc_guard.context.report_for` gives
  the footer it expects; the two are compared.
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
sys.path.insert(0, str(Path(__file__).resolve().parent))

DATA = Path(__file__).parent / "data" / "context"
SID = "0f3c8a52-1b7e-4f55-9d61-6a1f0e2b9c44"


# ----------------------------------------------------------------------------- timing


def _transcript(path: Path, tokens: int, size_mb: float = 5.0) -> None:
    """A transcript of about ``size_mb`` whose newest response reports ``tokens``."""
    pad = "x" * 4000
    lines = []
    n = 0
    while sum(len(line) for line in lines) < size_mb * 1_000_000:
        n += 1
        lines.append(
            json.dumps(
                {
                    "type": "user",
                    "isSidechain": False,
                    "timestamp": "2026-01-01T10:00:00.000Z",
                    "message": {"role": "user", "content": [{"type": "tool_result", "tool_use_id": f"t{n}", "content": pad}]},
                }
            )
        )
        lines.append(
            json.dumps(
                {
                    "type": "assistant",
                    "isSidechain": False,
                    "timestamp": "2026-01-01T10:00:01.000Z",
                    "requestId": f"r{n}",
                    "message": {
                        "id": f"m{n}",
                        "model": "claude-opus-5-5",
                        "role": "assistant",
                        "content": [{"type": "text", "text": "ok"}],
                        "stop_reason": "end_turn",
                        "usage": {"input_tokens": 12, "cache_read_input_tokens": tokens - 12, "output_tokens": 10},
                    },
                }
            )
        )
    path.write_text("\n".join(lines) + "\n")


def _rounds(commands: list[list[str]], stdins: list[bytes], env: dict[str, str], runs: int, before: Any = None) -> list[list[float]]:
    times: list[list[float]] = [[] for _ in commands]
    for _ in range(runs):
        for i, argv in enumerate(commands):
            if before is not None:
                before(i)
            start = time.perf_counter()
            subprocess.run(argv, input=stdins[i], env=env, stdout=subprocess.DEVNULL, check=True)
            times[i].append((time.perf_counter() - start) * 1000)
    return times


def _row(name: str, times: list[float], base: float) -> str:
    med = statistics.median(times)
    p90 = statistics.quantiles(times, n=10)[-1]
    return f"| {name} | {med:.1f} | {p90:.1f} | {med / base:.2f}x |"


STOP_CODE = (
    "import sys\n"
    "from cc_guard.runtime import hook\n"
    "hook.HANDLERS['Stop'] = {handlers!r}\n"
    "sys.exit(hook.main(['Stop']))\n"
)


ENTRY_CODE = "import sys\nfrom cc_guard.entry import main\nsys.exit(main(['statusline']))\n"


def timing(runs: int, compare: Path | None = None) -> bool:
    from statusline_bench import PAYLOAD, fake_checkpoints

    exe = str(Path(sys.executable).parent / "cc-guard")
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        state = Path(tmp) / "state"
        state.mkdir(mode=0o700)
        with (state / "events.jsonl").open("w") as fh:
            for i in range(5000):
                sid = SID if i % 3 == 0 else f"other-{i % 7}"
                fh.write(json.dumps({"time": "2026-01-01T00:00:00Z", "event": "PostToolUse", "session_id": sid, "cwd": "/tmp/bench", "tool_name": "Edit"}) + "\n")
        fake_checkpoints(state, Path(tmp))
        compaction = state / "compaction"
        compaction.mkdir(mode=0o700)
        saved_state = json.dumps(
            {"turns": [600_010 + 15_000 * n for n in range(12)], "warned": True,
             "notice": {"at": "2026-01-01T00:00:00Z", "action": "warn", "text": "context high"}}
        )
        (compaction / f"{SID}.json").write_text(saved_state)
        env = dict(os.environ, CC_GUARD_HOME=str(state), CC_GUARD_CONFIG=str(Path(tmp) / "none.toml"))
        env.pop("TMUX", None)
        env.pop("TMUX_PANE", None)
        # Installed cc-guard runs from cached bytecode; a shell that disables writing it
        # would time the compiler instead.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        payload = json.loads(json.dumps(PAYLOAD))
        payload["context_window"]["used_percentage"] = 77
        payload["context_window"]["current_usage"]["cache_read_input_tokens"] = 770_000
        stdin = json.dumps(payload).encode()
        commands = [[sys.executable, "-c", "pass"], [exe, "statusline"]]
        if compare is not None:
            # Another cc_guard tree (e.g. `git archive main`), run the same way both times.
            commands += [
                ["env", f"PYTHONPATH={compare}", sys.executable, "-c", ENTRY_CODE],
                ["env", f"PYTHONPATH={ROOT}", sys.executable, "-c", ENTRY_CODE],
            ]
        _rounds(commands, [stdin] * len(commands), env, 3)
        measured = _rounds(commands, [stdin] * len(commands), env, runs)
        baseline, ours = measured[0], measured[1]
        base = statistics.median(baseline)
        print(f"statusline, runs per row: {runs}; cores: {os.cpu_count()}")
        print("| command | median ms | p90 ms | ratio to baseline |")
        print("|---|---|---|---|")
        print(_row("`python -c pass` (baseline)", baseline, base))
        print(_row("`cc-guard statusline` (77%, turn ends, notice)", ours, base))
        if compare is not None:
            print(_row(f"statusline of {compare} (same state and payload)", measured[2], base))
            print(_row("statusline of this tree, run the same way", measured[3], base))
        ok &= statistics.median(ours) < 40

        for label, tokens in (("below warn_percent (every turn)", 500_000), ("past warn_percent, first time", 700_000)):
            transcript = Path(tmp) / f"t-{tokens}.jsonl"
            _transcript(transcript, tokens)
            hook_payload = json.dumps(
                {"session_id": SID, "transcript_path": str(transcript), "cwd": tmp, "hook_event_name": "Stop"}
            ).encode()
            plain = [sys.executable, "-c", STOP_CODE.format(handlers=[])]
            policy = [sys.executable, "-c", STOP_CODE.format(handlers=["cc_guard.runtime.handlers.compact:on_stop"])]

            def reset(_: int) -> None:
                (compaction / f"{SID}.json").unlink(missing_ok=True)

            _rounds([plain, policy], [hook_payload] * 2, env, 3, reset)
            without, with_policy = _rounds([plain, policy], [hook_payload] * 2, env, runs, reset)
            added = statistics.median(with_policy) - statistics.median(without)
            pairs = statistics.median(b - a for a, b in zip(without, with_policy, strict=True))
            print(f"\nStop hook, {label}: transcript {transcript.stat().st_size / 1e6:.1f} MB, runs per row: {runs}")
            print("| hook | median ms | p90 ms | ratio |")
            print("|---|---|---|---|")
            base = statistics.median(without)
            print(_row("Stop without the policy", without, base))
            print(_row("Stop with the policy decision", with_policy, base))
            print(f"added by the decision: {added:.1f} ms (median of pairwise differences {pairs:.1f} ms)")
            ok &= pairs <= 10
    return ok


# ----------------------------------------------------------------------------- estimate


def estimate(data: Path) -> bool:
    from cc_guard.compaction.estimate import counter
    from cc_guard.context.fill import calibrate, gaps
    from cc_guard.context.fill import estimate as estimate_fill

    count = counter()
    total_errors: list[float] = []
    growth_errors: list[float] = []
    print("| session | responses | factor learned | median error of the usage | median error of what was appended |")
    print("|---|---|---|---|---|")
    for path in sorted(data.glob("estimate-*.jsonl")):
        records = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        found = gaps(records, count)
        errors, growth = [], []
        for index, gap in enumerate(found):
            calibration = calibrate(found[:index])
            predicted = estimate_fill(gap.before, gap.appended, calibration, gap.records)
            errors.append(abs(predicted - gap.after) / gap.after)
            growth.append(abs(predicted - gap.after) / max(1, gap.after - gap.before))
        total_errors += errors
        growth_errors += growth
        final = calibrate(found)
        print(
            f"| {path.name} | {len(found) + 1} | {final.factor:.2f} x + {final.overhead:.0f}/record ({final.samples} gaps) | "
            f"{100 * statistics.median(errors):.2f}% | {100 * statistics.median(growth):.1f}% |"
        )
    if not total_errors:
        print("no recorded sessions: run benchmarks/context_record.py estimate")
        return False
    p90 = statistics.quantiles(total_errors, n=10)[-1] if len(total_errors) > 1 else total_errors[0]
    print(
        f"\nall {len(total_errors)} estimates: median error {100 * statistics.median(total_errors):.2f}% "
        f"of the usage (p90 {100 * p90:.2f}%); {100 * statistics.median(growth_errors):.1f}% of what was appended"
    )
    return statistics.median(total_errors) <= 0.10


# ----------------------------------------------------------------------------- footer

FOOTER_WORDS = ("until auto-compact", "auto-compact next", "context used", "Context low")


def _shown(line: str) -> str | None:
    """Claude Code's hint, if the captured slot line holds one (it may carry a notice after ·)."""
    for word in FOOTER_WORDS:
        if word in line:
            return line
    return None


def _cut_after(records: list[dict[str, Any]], answer: str) -> list[dict[str, Any]]:
    for index, record in enumerate(records):
        content = (record.get("message") or {}).get("content")
        if record.get("type") == "assistant" and isinstance(content, list) and any(
            isinstance(b, dict) and b.get("text") == answer for b in content
        ):
            return records[: index + 1]
    raise LookupError(answer)


def footer(data: Path) -> bool:
    from cc_guard.context.report import report_for
    from cc_guard.context.threshold import SETTING_KEY
    from cc_guard.transcripts.engine import load_session

    captures_path = next(iter(sorted(data.glob("footer-*.json"))), None)
    if captures_path is None:
        print("no recorded footers: run benchmarks/context_record.py footer")
        return False
    captures = json.loads(captures_path.read_text())
    agree = 0
    print("| scenario | fill (T) | Claude Code shows | cc-guard says | agree |")
    print("|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for capture in captures:
            records = [json.loads(line) for line in (data / capture["transcript"]).read_text().splitlines() if line.strip()]
            cut = _cut_after(records, f"Answer {capture['response']}.")
            path = Path(tmp) / f"{capture['scenario']}-{capture['response']}.jsonl"
            path.write_text("".join(json.dumps(r) + "\n" for r in cut))
            session = load_session(path, Path(tmp) / "state")
            env = dict(capture["env"])
            setting = (capture.get("settings") or {}).get("autoCompactEnabled")
            if isinstance(setting, bool):
                env[SETTING_KEY] = "true" if setting else "false"
            report = report_for(session, env=env)
            expected = _shown(capture["footer"])
            same = (expected is None and report.footer is None) or (
                expected is not None and report.footer is not None and expected.startswith(report.footer)
            )
            agree += same
            print(
                f"| {capture['scenario']} | {report.total:,} | {expected or '(nothing)'} | "
                f"{report.footer or '(nothing)'} | {'yes' if same else '**no**'} |"
            )
    print(f"\n{agree} of {len(captures)} captures agree")
    return agree == len(captures)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("what", nargs="*", default=["timing", "estimate", "footer"])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument(
        "--compare", type=Path, help="another cc_guard tree whose statusline runs beside this one"
    )
    args = parser.parse_args()
    ok = True
    if "timing" in args.what:
        ok &= timing(args.runs, args.compare)
        print()
    if "estimate" in args.what:
        ok &= estimate(args.data)
        print()
    if "footer" in args.what:
        ok &= footer(args.data)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
