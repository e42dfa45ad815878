"""Benchmark ``cc-guard doctor`` as a user runs it: one whole process, healthy and with every probe hanging.

Usage: python benchmarks/doctor_bench.py [--runs 10]

Rows, run round-robin so background load hits each alike:

- baseline: ``python -c pass`` (a bare interpreter start);
- ``cc-guard --version`` (the CLI's own start);
- doctor, healthy: ``cc-guard chaos serve`` as the API, a local status page that is green;
- doctor, every probe hanging: an API port that accepts and never answers, a status page
  that never answers, and a ``claude`` that sleeps: the run is bounded by its deadline.

Prints median, min and max wall time per row, the ratio of each median to the baseline's,
and the verdict and ``elapsed_seconds`` doctor reported. Target: every doctor run within 5 s.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

KEY = "sk-ant-api03-benchmark-0000000000000000000000000"
GREEN = {
    "status": {"indicator": "none", "description": "All Systems Operational"},
    "components": [
        {"name": "Claude API (api.anthropic.com)", "status": "operational"},
        {"name": "Claude Code", "status": "operational"},
    ],
    "incidents": [],
}


def status_page(hang: bool) -> str:
    class Page(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if hang:
                time.sleep(120)
                return
            body = json.dumps(GREEN).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Page)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}/api/v2/summary.json"


def chaos_server() -> tuple[str, subprocess.Popen[str]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "cc_guard", "chaos", "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    return proc.stdout.readline().strip(), proc


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    exe = str(Path(sys.executable).parent / "cc-guard")
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(256)
    api_url, chaos = chaos_server()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        sleeper = root / "claude"
        sleeper.write_text("#!/bin/sh\nsleep 120\n")
        sleeper.chmod(0o755)
        base = {
            **os.environ,
            "HOME": str(root / "home"),
            "CLAUDE_CONFIG_DIR": str(root / "home" / ".claude"),
            "CC_GUARD_HOME": str(root / "state"),
            "ANTHROPIC_API_KEY": KEY,
        }
        for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
            base.pop(name, None)

        def config(name: str, status_url: str) -> str:
            path = root / f"{name}.toml"
            path.write_text(f'[doctor]\nstatus_url = "{status_url}"\n')
            return str(path)

        rows: list[tuple[str, list[str], dict[str, str]]] = [
            ("python -c pass (baseline)", [sys.executable, "-c", "pass"], base),
            ("cc-guard --version", [exe, "--version"], base),
            (
                "cc-guard doctor --json, healthy",
                [exe, "doctor", "--json"],
                {
                    **base,
                    "ANTHROPIC_BASE_URL": api_url,
                    "CC_GUARD_CONFIG": config("healthy", status_page(hang=False)),
                },
            ),
            (
                "cc-guard doctor --json, every probe hanging",
                [exe, "doctor", "--json"],
                {
                    **base,
                    "ANTHROPIC_BASE_URL": f"http://127.0.0.1:{silent.getsockname()[1]}",
                    "CC_GUARD_CONFIG": config("hanging", status_page(hang=True)),
                    "CC_GUARD_CLAUDE": str(sleeper),
                },
            ),
        ]
        times: list[list[float]] = [[] for _ in rows]
        reported: dict[int, list[tuple[str, float]]] = {}
        for _ in range(args.runs):
            for i, (_, argv, env) in enumerate(rows):
                started = time.perf_counter()
                proc = subprocess.run(argv, env=env, capture_output=True, text=True)
                times[i].append(time.perf_counter() - started)
                if "doctor" in argv:
                    report = json.loads(proc.stdout)
                    reported.setdefault(i, []).append(
                        (report["verdict"], report["elapsed_seconds"])
                    )
        chaos.terminate()
        chaos.wait()
    silent.close()
    baseline = statistics.median(times[0])
    print(
        f"{'row':<46} {'median s':>9} {'min s':>7} {'max s':>7} {'ratio':>7}  verdict (doctor's own elapsed, median)"
    )
    for i, (name, _, _) in enumerate(rows):
        median = statistics.median(times[i])
        extra = ""
        if i in reported:
            verdicts = sorted({v for v, _ in reported[i]})
            inner = statistics.median(e for _, e in reported[i])
            extra = f"  {', '.join(verdicts)} ({inner:.2f} s)"
        print(
            f"{name:<46} {median:>9.3f} {min(times[i]):>7.3f} {max(times[i]):>7.3f} "
            f"{median / baseline:>6.1f}x{extra}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
