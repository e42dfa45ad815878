"""Benchmark the transcript engine against ccusage on a large replicated corpus.

Builds >= 500 MB in 600 transcript files by replicating the real Claude Code
2.1.328 recordings in tests/fixtures/transcripts with fresh ids (session ids,
uuids, message ids: every copy is a distinct session to both tools), then
measures, median of N runs each:

- cold:  ``cc-guard sessions --json`` with an empty index and no result cache;
- warm:  the same again, nothing changed (served from the result cache);
- append: ``cc-guard sessions --json`` after appending one line to one file
  (run as ``python -m cc_guard``, and as the installed ``cc-guard`` console
  script when it sits beside this Python), and ``Engine.refresh()`` after a
  one-line append in a long-lived process (what the dashboard does);
- ccusage: ``ccusage session --json --offline`` with CLAUDE_CONFIG_DIR at the corpus;

plus the peak RSS of each process (from ``wait4``). Usage::

    python benchmarks/transcripts_bench.py --ccusage PATH/TO/ccusage [--runs 5] [--keep]

The corpus lives in benchmarks/.corpus/ (gitignored) and is deleted at the end
unless ``--keep``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "transcripts"
CORPUS = ROOT / "benchmarks" / ".corpus"
UUID = re.compile(rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
MSG_ID = re.compile(rb"msg_[A-Za-z0-9_]+")
TURN_END = b'"stop_reason":"end_turn"'


def build_corpus(root: Path, files: int, target_bytes: int) -> int:
    templates = [p.read_bytes() for p in sorted(FIXTURES.glob("*-2.1.328.jsonl"))]
    if not templates:
        raise SystemExit("no recorded fixtures found")
    per_file = target_bytes // files + 1
    projects = root / "projects"
    total = 0
    for i in range(files):
        project = projects / f"-home-bench-project-{i % 20:02d}"
        project.mkdir(parents=True, exist_ok=True)
        session = str(uuid.uuid4()).encode()
        chunks: list[bytes] = []
        size, k = 0, i
        while size < per_file:
            template = templates[k % len(templates)]
            k += 1
            mapping: dict[bytes, bytes] = {}

            def fresh(m: re.Match[bytes], mapping: dict[bytes, bytes] = mapping) -> bytes:
                value = m.group(0)
                if value not in mapping:
                    if value.startswith(b"msg_"):
                        mapping[value] = b"msg_" + uuid.uuid4().hex.encode()
                    else:
                        mapping[value] = str(uuid.uuid4()).encode()
                return mapping[value]

            # One session id for the whole file; everything else fresh per copy.
            first = UUID.search(template[template.find(b'"sessionId"') :])
            if first is not None:
                mapping[first.group(0)] = session
            copy = MSG_ID.sub(fresh, UUID.sub(fresh, template))
            if size + len(copy) > per_file:
                # Smaller sessions than a whole recording: its first turns, ending where
                # a turn ended (a cut mid-turn would make every session "interrupted").
                budget = max(per_file - size, 1)
                end = copy.rfind(TURN_END, 0, budget)
                if end >= 0:
                    copy = copy[: copy.index(b"\n", end) + 1]
                elif chunks:
                    break  # no turn of this one ends in time: the session ends before it
                else:  # a first recording that must be cut somewhere: any line will do
                    cut = copy.rfind(b"\n", 0, budget)
                    copy = copy[: cut + 1] if cut >= 0 else copy[: copy.find(b"\n") + 1]
            chunks.append(copy)
            size += len(copy)
        data = b"".join(chunks)
        path = project / f"{session.decode()}.jsonl"
        path.write_bytes(data)
        mtime = time.time() - 86_400 - i * 60  # a day old: not "running"
        os.utime(path, (mtime, mtime))
        total += len(data)
    return total


def run(argv: list[str], env: dict[str, str]) -> tuple[float, int, bytes, float]:
    """Wall seconds, peak RSS (KiB), stdout and CPU seconds (user+sys, children included) of one process."""
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        # cwd: not the checkout, whose cc_guard/ would shadow PYTHONPATH for `-m` (--compare).
        proc = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.PIPE, cwd=CORPUS)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        err = proc.stderr.read() if proc.stderr else b""
        if proc.returncode != 0:
            raise SystemExit(
                f"{argv} failed ({proc.returncode}): {err.decode(errors='replace')[:500]}"
            )
        out.seek(0)
        return wall, usage.ru_maxrss, out.read(), usage.ru_utime + usage.ru_stime


class Series:
    def __init__(self, label: str) -> None:
        self.label = label
        self.walls: list[float] = []
        self.cpus: list[float] = []
        self.rss: list[int] = []

    def add(self, wall: float, peak_kib: int, cpu: float) -> None:
        self.walls.append(wall)
        self.cpus.append(cpu)
        self.rss.append(peak_kib)

    def result(self) -> dict[str, float]:
        return {
            "median_s": statistics.median(self.walls),
            "min_s": min(self.walls),
            "max_s": max(self.walls),
            "median_cpu_s": statistics.median(self.cpus),
            "peak_rss_mb": max(self.rss) / 1024,
        }

    def show(self) -> None:
        r = self.result()
        print(
            f"{self.label:30s} median {r['median_s'] * 1000:7.1f} ms (min {r['min_s'] * 1000:.1f}, "
            f"max {r['max_s'] * 1000:.1f}); CPU {r['median_cpu_s'] * 1000:.1f} ms; peak RSS {r['peak_rss_mb']:.1f} MB",
            flush=True,
        )


def cc_guard_round(
    n: int,
    shift: int,
    series: dict[str, Series],
    env: dict[str, str],
    state: Path,
    files: list[Path],
    assistant_line: bytes,
    cc_guard: list[str],
    console: list[str] | None,
) -> None:
    """Cold, warm, and the two one-line appends of round ``n`` for one cc_guard tree
    (``shift`` picks other files to append to for a compared tree)."""
    # Cold: no index and no stored `sessions --json` result.
    shutil.rmtree(state / "index", ignore_errors=True)
    (state / "sessions-cache").unlink(missing_ok=True)
    wall, peak, cold_out, cpu = run(cc_guard, env)
    assert len(json.loads(cold_out)["sessions"]) == len(files)
    series["cold"].add(wall, peak, cpu)
    wall, peak, out, cpu = run(cc_guard, env)
    if out != cold_out:
        # A state judged from the clock moved on between the two runs: the stored list
        # no longer held and the warm run listed everything again. This tree must not
        # (its reasons never count minutes); an older tree compared against it may.
        assert shift, "the warm run must print what the cold run printed"
        series["warm_misses"].add(wall, peak, cpu)
    series["warm"].add(wall, peak, cpu)
    appended = files[(n * 7 + 11 * shift) % len(files)]
    touched = [(appended, appended.stat().st_mtime)]
    with open(appended, "ab") as fh:
        fh.write(assistant_line)
    wall, peak, out, cpu = run(cc_guard, env)
    row = next(r for r in json.loads(out)["sessions"] if r["transcript_path"] == str(appended))
    assert row["state"] == "running", "the append must be seen (not served stale)"
    series["append_cli"].add(wall, peak, cpu)
    if console is not None:
        appended = files[(n * 7 + 3 + 11 * shift) % len(files)]
        touched.append((appended, appended.stat().st_mtime))
        with open(appended, "ab") as fh:
            fh.write(assistant_line)
        wall, peak, out, cpu = run(console, env)
        rows = json.loads(out)["sessions"]
        row = next(r for r in rows if r["transcript_path"] == str(appended))
        assert row["state"] == "running", "the append must be seen (not served stale)"
        series["append_script"].add(wall, peak, cpu)
    # Back to a day old: a session "running" for 60 s after its append would
    # otherwise flip to idle between a later round's cold and warm runs.
    for path, mtime in touched:
        os.utime(path, (mtime, mtime))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ccusage", required=True, help="path to the ccusage executable")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--files", type=int, default=600)
    parser.add_argument("--mb", type=int, default=520)
    parser.add_argument(
        "--shape",
        choices=["long", "many"],
        help="preset corpus shapes: long = 650 transcripts, ~450 MB (a heavy week);"
        " many = 4,000 smaller sessions, ~440 MB (a heavy user's year). Overrides --files/--mb.",
    )
    parser.add_argument("--keep", action="store_true", help="keep the corpus afterwards")
    parser.add_argument(
        "--compare",
        type=Path,
        help="another cc_guard tree (the directory holding its cc_guard/, e.g. `git archive`"
        " unpacked): its cold/warm/append runs interleaved with these, own state dir",
    )
    args = parser.parse_args()
    if args.shape == "long":
        args.files, args.mb = 650, 450
    elif args.shape == "many":
        args.files, args.mb = 4000, 560  # sessions end where a turn ended: ~440 MB

    claude = CORPUS / "claude"
    state = CORPUS / "state"
    if not (claude / "projects").is_dir():
        t = time.perf_counter()
        total = build_corpus(claude, args.files, args.mb * 1024 * 1024)
        print(
            f"built corpus: {args.files} files, {total / 1e6:.0f} MB in {time.perf_counter() - t:.0f} s",
            flush=True,
        )
    files = sorted((claude / "projects").rglob("*.jsonl"))
    total = sum(p.stat().st_size for p in files)
    env = dict(
        os.environ,
        CLAUDE_CONFIG_DIR=str(claude),
        CC_GUARD_HOME=str(state),
        CC_GUARD_CONFIG=str(CORPUS / "none.toml"),
    )
    # Byte-compile cc_guard first, as pip does on a normal install: with
    # PYTHONDONTWRITEBYTECODE set (or a read-only tree) every run would otherwise
    # compile the edited modules from source.
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "cc_guard")], check=True)
    cc_guard = [sys.executable, "-m", "cc_guard", "sessions", "--json"]
    # The console script pip installs (what a user types); None when not installed here.
    script = Path(sys.executable).parent / "cc-guard"
    console = [str(script), "sessions", "--json"] if script.is_file() else None
    ccusage = [args.ccusage, "session", "--json", "--offline"]
    # Warm the page cache for both tools alike.
    for p in files:
        p.read_bytes()

    line = (FIXTURES / "normal-tools-2.1.328.jsonl").read_bytes().splitlines(keepends=True)
    assistant_line = next(x for x in reversed(line) if b'"type":"assistant"' in x)
    series = {
        name: Series(label)
        for name, label in [
            ("ccusage", "ccusage session --json --offline"),
            ("cold", "cc-guard sessions --json, cold"),
            ("warm", "cc-guard sessions --json, warm"),
            ("append_cli", "cc-guard after 1-line append"),
            ("append_script", "console script, 1-line append"),
            ("python_start", "python -c pass (for scale)"),
        ]
    }
    if console is None:
        del series["append_script"]
    compare: tuple[dict[str, Series], dict[str, str], Path] | None = None
    if args.compare is not None:
        compare_dir = args.compare.resolve()
        subprocess.run(
            [sys.executable, "-m", "compileall", "-q", str(compare_dir / "cc_guard")], check=True
        )
        compare_state = CORPUS / "state-compare"
        compare_env = dict(env, PYTHONPATH=str(compare_dir), CC_GUARD_HOME=str(compare_state))
        compare_series = {
            name: Series(f"{compare_dir.name}: {s_.label}")
            for name, s_ in series.items()
            if name in ("cold", "warm", "append_cli", "append_script")
        }
        compare_series["warm_misses"] = Series(
            f"{compare_dir.name}: warm runs that listed everything again"
        )
        compare = (compare_series, compare_env, compare_state)
    load_before = os.getloadavg()
    loads = [load_before[0]]
    # Interleaved rounds: on a shared machine, each tool then sees the same load.
    for n in range(args.runs):
        wall, peak, out, cpu = run(ccusage, env)
        json.loads(out)
        series["ccusage"].add(wall, peak, cpu)
        variants = [(series, env, state, 0)]
        if compare is not None:
            variants.append((compare[0], compare[1], compare[2], 1))
            if n % 2:
                variants.reverse()  # neither goes first every round
        for into, variant_env, variant_state, shift in variants:
            cc_guard_round(
                n, shift, into, variant_env, variant_state, files, assistant_line, cc_guard, console
            )
        wall, peak, _, cpu = run([sys.executable, "-c", "pass"], env)
        series["python_start"].add(wall, peak, cpu)
        loads.append(os.getloadavg()[0])
        print(f"round {n + 1}/{args.runs} done (load average {loads[-1]:.2f})", flush=True)
    for s_ in series.values():
        s_.show()
    results = {name: s_.result() for name, s_ in series.items()}
    if compare is not None:
        for s_ in compare[0].values():
            if s_.walls:
                s_.show()
        results["compare"] = {name: s_.result() for name, s_ in compare[0].items() if s_.walls}
        results["compare"]["warm_miss_count"] = len(compare[0]["warm_misses"].walls)
    # In-process refresh after a one-line append (the dashboard's loop).
    refresh_env_code = (
        "import os,sys,time,json,statistics\n"
        "from pathlib import Path\n"
        "from cc_guard.transcripts.engine import Engine\n"
        "e=Engine(); e.refresh(); files=sorted(Path(os.environ['CLAUDE_CONFIG_DIR'],'projects').rglob('*.jsonl'))\n"
        "line=open(sys.argv[1],'rb').read(); ts=[]\n"
        "for i in range(int(sys.argv[2])):\n"
        "    open(files[i*7%len(files)],'ab').write(line)\n"
        "    t=time.perf_counter(); e.refresh(); ts.append(time.perf_counter()-t)\n"
        "    assert e.last_refresh.bytes_read==len(line), e.last_refresh\n"
        "print(json.dumps(ts))\n"
    )
    with tempfile.NamedTemporaryFile(suffix=".jsonl") as tmp:
        tmp.write(assistant_line)
        tmp.flush()
        _, peak, out, _ = run(
            [sys.executable, "-c", refresh_env_code, tmp.name, str(max(args.runs, 20))], env
        )
    times = json.loads(out)
    results["append_refresh_in_process"] = {
        "median_s": statistics.median(times),
        "min_s": min(times),
        "max_s": max(times),
        "peak_rss_mb": peak / 1024,
    }
    print(
        f"{'Engine.refresh() after append':28s} median {statistics.median(times) * 1000:8.1f} ms  (min {min(times) * 1000:.1f}, max {max(times) * 1000:.1f})  process peak RSS {peak / 1024:.1f} MB"
    )

    base = results["ccusage"]["median_s"]
    summary = {
        "corpus_files": len(files),
        "corpus_mb": round(total / 1e6, 1),
        "runs": args.runs,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "load_average_before_after": [round(load_before[0], 2), round(os.getloadavg()[0], 2)],
        "load_average_1min_range": [round(min(loads), 2), round(max(loads), 2)],
        "cold_vs_ccusage": round(results["cold"]["median_s"] / base, 3),
        "append_cli_vs_ccusage": round(results["append_cli"]["median_s"] / base, 3),
        "warm_vs_ccusage": round(results["warm"]["median_s"] / base, 3),
        "cold_cpu_vs_ccusage_cpu": round(
            results["cold"]["median_cpu_s"] / results["ccusage"]["median_cpu_s"], 3
        ),
        "results": results,
    }
    print(json.dumps(summary, indent=2))
    if not args.keep:
        shutil.rmtree(CORPUS, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
