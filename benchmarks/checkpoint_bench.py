"""Benchmark: wall time of the whole ``cc-guard hook PostToolUse`` process.

A repository of N files (default 10,000, ~50 MB), one file changed before each run,
median of R runs (default 20), against a shell script doing the same plumbing
with a persisted private index (git add -A, write-tree, commit-tree, update-ref).
Also a hook for a tool that changes nothing (PostToolUse Read).

    /work/venv/bin/python benchmarks/checkpoint_bench.py [--files 10000] [--runs 20]
        [--launcher pip|uv]

``--launcher uv`` runs the hook through the console-script wrapper uv writes
(``uv tool install``), which, unlike pip's, does not import ``re``.
``--compare DIR`` also runs, interleaved in the same rounds, the hook of the
``cc_guard`` package found in DIR (e.g. an older commit: ``git archive REV cc_guard
| tar -x -C DIR``), with its own session and state: before/after under one load.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CC_GUARD = Path(sys.executable).parent / "cc-guard"

# uv's entry-point wrapper (astral-sh/uv#10627), for the same entry point as pip's.
UV_LAUNCHER = """#!{python}
# -*- coding: utf-8 -*-
import sys
from cc_guard.entry import main
if __name__ == "__main__":
    if sys.argv[0].endswith("-script.pyw"):
        sys.argv[0] = sys.argv[0][:-11]
    elif sys.argv[0].endswith(".exe"):
        sys.argv[0] = sys.argv[0][:-4]
    sys.exit(main())
"""

BASELINE = r"""#!/bin/sh
# The same plumbing as a checkpoint, with a persisted private index.
set -e
cd "$1"
export GIT_INDEX_FILE="$2"
git add -A
tree=$(git write-tree)
old=$(git rev-parse -q --verify refs/baseline/bench || true)
if [ -n "$old" ]; then
  new=$(echo "baseline" | git commit-tree "$tree" -p "$old")
else
  new=$(echo "baseline" | git commit-tree "$tree")
fi
git update-ref refs/baseline/bench "$new" $old
"""


def make_repo(root: Path, files: int, size: int) -> Path:
    repo = root / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=repo, check=True)
    block = os.urandom(size // 2).hex().encode()[:size]
    per_dir = 100
    for i in range(files):
        d = repo / f"pkg{i // per_dir:04d}"
        if i % per_dir == 0:
            d.mkdir()
        (d / f"mod{i:06d}.py").write_bytes(b"# %d\n" % i + block)
    env = dict(
        os.environ,
        GIT_AUTHOR_NAME="b",
        GIT_AUTHOR_EMAIL="b@b",
        GIT_COMMITTER_NAME="b",
        GIT_COMMITTER_EMAIL="b@b",
    )
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True, env=env)
    subprocess.run(["git", "commit", "-q", "-m", "init"], cwd=repo, check=True, env=env)
    return repo


def timed(argv: list[str], stdin: bytes | None, env: dict[str, str], cwd: Path) -> float:
    start = time.perf_counter()
    proc = subprocess.run(argv, input=stdin, env=env, cwd=cwd, capture_output=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{argv[0]} failed: {proc.stderr.decode()}")
    return elapsed


def _count_lines(path: Path) -> int:
    try:
        return len(path.read_text().splitlines())
    except FileNotFoundError:
        return 0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--size", type=int, default=5_000, help="bytes per file")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--launcher", choices=("pip", "uv"), default="pip")
    parser.add_argument("--compare", type=Path, help="dir holding another cc_guard package")
    args = parser.parse_args()
    load_before = os.getloadavg()[0]

    root = Path(tempfile.mkdtemp(prefix="cc-guard-bench-"))
    try:
        repo = make_repo(root, args.files, args.size)
        state = root / "state"
        env = dict(os.environ, CC_GUARD_HOME=str(state), CC_GUARD_CONFIG=str(root / "none.toml"))
        # An installed cc-guard has its bytecode compiled (pip does it); this checkout may
        # run with PYTHONDONTWRITEBYTECODE. Cache bytecode in a temp dir, as an install would.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(root / "pycache")
        script = root / "baseline.sh"
        script.write_text(BASELINE)
        base_index = root / "baseline.index"
        shutil.copy2(repo / ".git" / "index", base_index)
        sid = "bench-session"

        def payload(tool: str, session: str = sid) -> bytes:
            return json.dumps(
                {
                    "session_id": session,
                    "cwd": str(repo),
                    "hook_event_name": "PostToolUse",
                    "tool_name": tool,
                    "tool_input": {},
                }
            ).encode()

        launcher = CC_GUARD
        if args.launcher == "uv":
            launcher = root / "cc-guard"
            launcher.write_text(UV_LAUNCHER.format(python=sys.executable))
            launcher.chmod(0o755)
        hook = [str(launcher), "hook", "PostToolUse"]
        other_env = None
        if args.compare is not None:
            other_env = dict(
                env,
                CC_GUARD_HOME=str(root / "state-compare"),
                PYTHONPATH=str(args.compare.resolve()),
                PYTHONPYCACHEPREFIX=str(root / "pycache-compare"),
            )
        # Warm up: first checkpoint seeds the private index, both sides get a warm cache.
        timed(hook, payload("Write"), env, repo)
        timed(hook, payload("Read"), env, repo)
        if other_env is not None:
            timed(hook, payload("Write", "compare"), other_env, repo)
            timed(hook, payload("Read", "compare"), other_env, repo)
        timed(["sh", str(script), str(repo), str(base_index)], None, env, repo)
        target = repo / "pkg0000" / "mod000000.py"
        ours, theirs, noop, other, other_noop = [], [], [], [], []
        for run in range(args.runs):
            target.write_text(f"# run {run} ours\n")
            ours.append(timed(hook, payload("Write"), env, repo))
            target.write_text(f"# run {run} baseline\n")
            theirs.append(timed(["sh", str(script), str(repo), str(base_index)], None, env, repo))
            noop.append(timed(hook, payload("Read"), env, repo))
            if other_env is not None:
                target.write_text(f"# run {run} compare\n")
                # Its own session (ref and private index), so neither moves the other's.
                other.append(timed(hook, payload("Write", "compare"), other_env, repo))
                other_noop.append(timed(hook, payload("Read", "compare"), other_env, repo))
        chain = subprocess.run(
            ["git", "rev-list", "--count", f"refs/cc-guard/{sid}"],
            cwd=repo,
            capture_output=True,
            text=True,
        ).stdout.strip()
        result = {
            "launcher": args.launcher,
            "files": args.files,
            "megabytes": round(args.files * args.size / 1e6, 1),
            "runs": args.runs,
            "hook_median_ms": round(statistics.median(ours) * 1000, 1),
            "baseline_median_ms": round(statistics.median(theirs) * 1000, 1),
            "ratio": round(statistics.median(ours) / statistics.median(theirs), 2),
            # Each hook run against the baseline run right after it: robust to load drift.
            "paired_ratio_median": round(
                statistics.median(o / t for o, t in zip(ours, theirs, strict=True)), 2
            ),
            "noop_hook_median_ms": round(statistics.median(noop) * 1000, 1),
            "commits_on_ref": int(chain),
            # Checkpoints abandoned at the time budget (each one is a run that made none).
            "incidents": _count_lines(state / "checkpoint-incidents.jsonl"),
            "hook_errors": _count_lines(state / "hook-errors.log"),
            # Other agents share this machine: the 1-minute load before and after.
            "load_avg": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        }
        if other:
            result["compare_dir"] = str(args.compare)
            result["compare_hook_median_ms"] = round(statistics.median(other) * 1000, 1)
            result["compare_ratio"] = round(statistics.median(other) / statistics.median(theirs), 2)
            result["compare_paired_ratio_median"] = round(
                statistics.median(o / t for o, t in zip(other, theirs, strict=True)), 2
            )
            result["compare_noop_hook_median_ms"] = round(statistics.median(other_noop) * 1000, 1)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>22}: {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
