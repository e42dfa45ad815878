"""Benchmark the dashboard over the 600-transcript / ~520 MB corpus of transcripts_bench.py.

Measured, median of ``--runs`` rounds:

- cold: ``cc-guard tui`` in a real tmux pane with an empty index; seconds from
  starting it until the screen shows the first sessions, and until it lists all
  600 with the index built; beside ``cc-guard sessions --json`` cold in the same
  round (the baseline of the 1.5x target);
- warm: the same with the index built: seconds until all 600 are on screen;
- filter: one keystroke in the filter box to the end of the screen update that
  shows the filtered table (the app headless through Textual's pilot; the moment
  the key is sent to the end of the first compositor refresh after the table
  changed; ms, median of 18 keystrokes a round);
- append: one line appended to the oldest session's transcript to the table
  showing it on top (the live watcher, headless app);
- idle: the real app in a real tmux pane, 600 sessions listed, CPU% over ``--idle``
  seconds (user+sys from /proc), and its peak RSS (VmHWM).

Screens are read with ``tmux capture-pane`` every 20 ms, so the on-screen times
are late by up to that much.

Usage::

    python benchmarks/tui_bench.py [--runs 3] [--idle 60] [--keep]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
CORPUS = Path(os.environ.get("TUI_BENCH_CORPUS") or ROOT / "benchmarks" / ".corpus-tui")
VENV_BIN = Path(sys.executable).parent


# --------------------------------------------------------------------------- the child


async def _child(mode: str, claude: str, state: str) -> None:
    """Runs in a fresh process: the app, headless; prints one JSON line per milestone."""
    from cc_guard.tui.app import make_app
    from cc_guard.tui.messages import SessionsLoaded
    from cc_guard.tui.widgets.sessions_table import SessionsTable

    def say(event: str, **extra: object) -> None:
        print(json.dumps({"event": event, **extra}), flush=True)

    shown_first = False

    def hook(message: object) -> None:
        nonlocal shown_first
        if isinstance(message, SessionsLoaded) and message.sessions and not shown_first:
            shown_first = True

    app = make_app(
        claude_dir=Path(claude), state_dir=Path(state), watch=mode == "append", debounce=0.05
    )
    async with app.run_test(size=(160, 50), message_hook=hook) as pilot:
        table = app.screen.query_one(SessionsTable)
        while not (table.row_count and shown_first):
            await pilot.pause(0.01)
        say("first", rows=table.row_count)
        while not app.loaded:
            await pilot.pause(0.01)
        await pilot.pause()
        say("done", rows=table.row_count)
        if mode == "filter":
            await pilot.press("slash")
            marks: dict[str, float] = {}
            set_filter = table.set_filter
            screen = app.screen
            refresh = screen._compositor_refresh  # private: the end of a screen update

            def applied(text: str, now: float) -> None:
                set_filter(text, now)
                marks.setdefault("applied", time.perf_counter())

            def refreshed() -> None:
                refresh()
                if "applied" in marks:
                    marks.setdefault("painted", time.perf_counter())

            table.set_filter = applied  # type: ignore[method-assign]
            screen._compositor_refresh = refreshed  # type: ignore[method-assign]
            times = []
            keys = ["space" if c == " " else c for c in "improve draft"] + ["backspace"] * 5
            for key in keys:
                marks.clear()
                started = time.perf_counter()
                await pilot.press(key)
                while "painted" not in marks:
                    await pilot.pause(0.001)
                times.append(marks["painted"] - started)
            say("filter", seconds=times, rows=table.row_count)
        if mode == "append":
            path = Path(table.listed[-1].transcript_path)  # the oldest: it moves to the top
            line = json.dumps(
                {
                    "type": "user",
                    "uuid": "bench-append",
                    "sessionId": path.stem,
                    "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds"),
                    "message": {"role": "user", "content": "appended for the benchmark"},
                }
            )
            mtime = path.stat().st_mtime
            started = time.perf_counter()
            with open(path, "a") as fh:
                fh.write(line + "\n")
            while not (table.listed and table.listed[0].session_id == path.stem):
                await pilot.pause(0.005)
            say("append", seconds=time.perf_counter() - started)
            # The line stays (one more prompt); the old mtime keeps the session "idle".
            os.utime(path, (mtime, mtime))


def child_main(argv: list[str]) -> int:
    asyncio.run(_child(*argv))
    return 0


# --------------------------------------------------------------------------- the parent


def timed_child(mode: str, env: dict[str, str]) -> dict[str, float | list[float]]:
    """Run the child; the parent's clock at each milestone (seconds since the spawn)."""
    argv = [
        sys.executable,
        __file__,
        "--child",
        mode,
        env["CLAUDE_CONFIG_DIR"],
        env["CC_GUARD_HOME"],
    ]
    started = time.perf_counter()
    proc = subprocess.Popen(
        argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    out: dict[str, float | list[float]] = {}
    assert proc.stdout is not None
    for line in proc.stdout:
        record = json.loads(line)
        out[record["event"]] = time.perf_counter() - started
        if "seconds" in record:
            out[record["event"] + "_seconds"] = record["seconds"]
        if "rows" in record:
            out[record["event"] + "_rows"] = float(record["rows"])
    if proc.wait() != 0:
        raise SystemExit(f"child {mode} failed: {proc.stderr.read() if proc.stderr else ''}")
    return out


def sessions_json_cold(env: dict[str, str], state: Path) -> float:
    shutil.rmtree(state / "index", ignore_errors=True)
    (state / "sessions-cache").unlink(missing_ok=True)
    started = time.perf_counter()
    subprocess.run(
        [str(VENV_BIN / "cc-guard"), "sessions", "--json"],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


_PANE_ENV = ("CLAUDE_CONFIG_DIR", "CC_GUARD_HOME", "CC_GUARD_CONFIG", "HOME", "TERM", "PATH")


def on_screen(env: dict[str, str], tmp: Path, files: int) -> tuple[float, float]:
    """``cc-guard tui`` in a new tmux pane: seconds until the first sessions are on
    screen, and until all ``files`` are listed with no index build in progress."""
    socket = tmp / f"screen-{time.monotonic_ns()}.sock"
    tmux = ["tmux", "-S", str(socket)]
    pane_env = [f"-e{k}={v}" for k, v in env.items() if k in _PANE_ENV]
    started = time.perf_counter()
    subprocess.run(
        [
            *tmux,
            "new-session",
            "-d",
            "-x",
            "160",
            "-y",
            "50",
            *pane_env,
            str(VENV_BIN / "cc-guard"),
            "tui",
        ],
        check=True,
    )
    first = None
    try:
        deadline = started + 300
        while time.perf_counter() < deadline:
            screen = subprocess.run(
                [*tmux, "capture-pane", "-p"], capture_output=True, text=True
            ).stdout
            shown = re.search(r"(\d+) sessions", screen)
            if first is None and shown and int(shown.group(1)) > 0:
                first = time.perf_counter() - started
            if f"{files} sessions" in screen and "Building the index" not in screen:
                return first or time.perf_counter() - started, time.perf_counter() - started
            time.sleep(0.02)
        raise SystemExit("the dashboard never listed every session")
    finally:
        subprocess.run([*tmux, "kill-server"], check=False)


def idle_cpu(env: dict[str, str], seconds: float, tmp: Path) -> tuple[float, float]:
    """CPU% of the real app in a real tmux pane over ``seconds``, and its peak RSS (MB)."""
    socket = tmp / "bench.sock"
    tmux = ["tmux", "-S", str(socket)]
    subprocess.run(
        [
            *tmux,
            "new-session",
            "-d",
            "-x",
            "160",
            "-y",
            "50",
            *[
                f"-e{k}={v}"
                for k, v in env.items()
                if k
                in ("CLAUDE_CONFIG_DIR", "CC_GUARD_HOME", "CC_GUARD_CONFIG", "HOME", "TERM", "PATH")
            ],
            str(VENV_BIN / "cc-guard"),
            "tui",
        ],
        check=True,
    )
    try:
        pid = int(
            subprocess.run(
                [*tmux, "display-message", "-p", "#{pane_pid}"],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            screen = subprocess.run(
                [*tmux, "capture-pane", "-p"], capture_output=True, text=True
            ).stdout
            if "600 sessions" in screen and "Building the index" not in screen:
                break
            time.sleep(0.5)
        time.sleep(3)  # the checkpoint count and the first rescan settle
        tick = os.sysconf("SC_CLK_TCK")

        def cpu() -> float:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / tick

        before, started = cpu(), time.monotonic()
        time.sleep(seconds)
        used, elapsed = cpu() - before, time.monotonic() - started
        status = Path(f"/proc/{pid}/status").read_text()
        hwm = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM"))
        return 100.0 * used / elapsed, hwm / 1024
    finally:
        subprocess.run([*tmux, "kill-server"], check=False)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--files", type=int, default=600)
    parser.add_argument("--mb", type=int, default=520)
    parser.add_argument("--idle", type=float, default=60.0, help="seconds of idle CPU measurement")
    parser.add_argument("--keep", action="store_true", help="keep the corpus afterwards")
    args = parser.parse_args()
    from transcripts_bench import build_corpus

    if not (CORPUS / "projects").is_dir():
        total = build_corpus(CORPUS, args.files, args.mb * 1024 * 1024)
        print(f"corpus: {args.files} files, {total / 1e6:.0f} MB", flush=True)
    tmp = Path(tempfile.mkdtemp(prefix="tui-bench-"))
    state = tmp / "state"
    env = {
        **os.environ,
        "CLAUDE_CONFIG_DIR": str(CORPUS),
        "CC_GUARD_HOME": str(state),
        "CC_GUARD_CONFIG": str(tmp / "none.toml"),
        "TERM": "xterm-256color",
    }
    results: dict[str, list[float]] = {
        k: []
        for k in ("baseline_cold", "cold_first", "cold_done", "warm_done", "filter_ms", "append")
    }
    try:
        for n in range(args.runs):
            results["baseline_cold"].append(sessions_json_cold(env, state))
            shutil.rmtree(state / "index", ignore_errors=True)
            (state / "sessions-cache").unlink(missing_ok=True)
            first, done = on_screen(env, tmp, args.files)
            results["cold_first"].append(first)
            results["cold_done"].append(done)
            _, warm = on_screen(env, tmp, args.files)
            results["warm_done"].append(warm)
            filt = timed_child("filter", env)
            results["filter_ms"] += [s * 1000 for s in filt["filter_seconds"]]  # type: ignore[union-attr]
            app = timed_child("append", env)
            results["append"].append(float(app["append_seconds"]))  # type: ignore[arg-type]
            print(
                f"round {n + 1}: " + ", ".join(f"{k} {v[-1]:.3f}" for k, v in results.items()),
                flush=True,
            )
        cpu, rss = idle_cpu(env, args.idle, tmp)
        median = {k: statistics.median(v) for k, v in results.items()}
        print(
            json.dumps(
                {
                    "median": median,
                    "idle_cpu_percent": cpu,
                    "peak_rss_mb": rss,
                    "cold_ratio": median["cold_done"] / median["baseline_cold"],
                },
                indent=2,
            )
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if not args.keep:
            shutil.rmtree(CORPUS, ignore_errors=True)
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        sys.exit(child_main(sys.argv[2:]))
    sys.exit(main())
