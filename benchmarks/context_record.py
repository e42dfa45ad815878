"""Record the sessions benchmarks/context_bench.py measures against (real Claude Code, chaos).

Usage: python benchmarks/context_record.py [--out benchmarks/data/context] [estimate] [footer]

- ``estimate``: print-mode sessions with tool calls whose results vary in size (file
  writes, reads, shell output), and no usage overrides: the fake API reports the size
  of each request, so consecutive exact usages say what each appended step cost.
- ``footer``: interactive sessions in tmux that step the fill across Claude Code's
  auto-compact point under several settings (default 1M, ``CLAUDE_AUTOCOMPACT_PCT_OVERRIDE``,
  ``CLAUDE_CODE_AUTO_COMPACT_WINDOW``, a reactive 200k model, ``DISABLE_AUTO_COMPACT``,
  ``autoCompactEnabled: false`` in settings.json), capturing the footer line above the
  input box after each answer. ``--only NAME`` records one scenario and keeps the rest.

Transcripts are copied with the throwaway paths rewritten to ``/work/demo`` and the
system prompt snapshots and request copies left out (:func:`keep`); captures go to
``footer-<version>.json``. Needs the pinned CLI (tests/support/testbed.py), tmux, node.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.support import testbed

SUMMARY = "create a detailed summary of the conversation"
DEMO = "/work/demo"


def usage(tokens: int, output: int = 10) -> dict[str, int]:
    return {
        "input_tokens": 12,
        "cache_creation_input_tokens": 800,
        "cache_read_input_tokens": tokens - 812,
        "output_tokens": output,
    }


def new_bed(root: Path, name: str) -> testbed.ClaudeBed:
    tmp = root / name
    home = tmp / "home"
    home.mkdir(parents=True)
    claude_dir = home / ".claude"
    project = testbed.init_repo(tmp / "project")
    testbed.prepare_claude_home(home, claude_dir, [project])
    return testbed.ClaudeBed(
        binary=testbed.install_claude_code(),
        project=project,
        home=home,
        claude_dir=claude_dir,
        state_dir=tmp / "state",
        tmp=tmp,
    )


#: Records cc-guard's context code never reads, dropped to keep the data small: the
#: system prompt snapshot (part of every request's fixed part, already in the exact
#: usage) and Claude Code's copies of the request bodies.
DROPPED_ATTACHMENTS = {"prompt_snapshot"}
DROPPED_TYPES = {"api-request-shape", "api-request-blob"}


def keep(line: str) -> bool:
    try:
        record = json.loads(line)
    except ValueError:
        return True
    if not isinstance(record, dict) or record.get("type") in DROPPED_TYPES:
        return not isinstance(record, dict)
    attachment = record.get("attachment")
    return not (isinstance(attachment, dict) and attachment.get("type") in DROPPED_ATTACHMENTS)


def save(bed: testbed.ClaudeBed, transcript: Path, out: Path, name: str) -> str:
    text = "".join(line for line in transcript.read_text().splitlines(keepends=True) if keep(line))
    text = text.replace(str(bed.project), DEMO).replace(str(bed.home), "/home/demo")
    target = out / f"{name}-{testbed.CLAUDE_CODE_VERSION}.jsonl"
    target.write_text(text)
    return target.name


# ----------------------------------------------------------------------------- estimate


def estimate_scripts(project: Path) -> dict[str, list[dict[str, Any]]]:
    def write(name: str, lines: int) -> dict[str, Any]:
        content = "".join(f"def step_{n}(value):\n    return value * {n} + {n % 7}\n\n" for n in range(lines))
        return {"tool_use": [{"name": "Write", "input": {"file_path": str(project / name), "content": content}}]}

    def bash(command: str) -> dict[str, Any]:
        return {"tool_use": [{"name": "Bash", "input": {"command": command}}]}

    def read(name: str) -> dict[str, Any]:
        return {"tool_use": [{"name": "Read", "input": {"file_path": str(project / name)}}]}

    return {
        "estimate-tools": [
            write("small.py", 10),
            bash("cat small.py | head -20"),
            write("medium.py", 120),
            read("medium.py"),
            bash("seq 1 2500"),
            bash("ls -la"),
            write("large.py", 600),
            bash("wc -l *.py && python3 -c 'print(sum(range(10)))'"),
            read("large.py"),
            bash("seq 1 200 | sed 's/^/line /'"),
            {"text": "All the steps are done."},
        ],
        "estimate-reads": [
            write("a.py", 40),
            read("a.py"),
            write("b.py", 300),
            read("b.py"),
            bash("cat a.py b.py | tail -50"),
            bash("git status --short"),
            read("a.py"),
            bash("seq 1 6000 | tail -3000"),
            {"text": "Read everything."},
        ],
    }


def record_estimate(root: Path, out: Path) -> list[str]:
    saved = []
    for name, script in estimate_scripts(Path(DEMO)).items():
        bed = new_bed(root, name)
        # Paths in the script must point into this bed's project.
        text = json.dumps(script).replace(DEMO, str(bed.project))
        bed.serve(json.loads(text))
        run = bed.run(f"Work through the {name} plan step by step.", timeout=300)
        if run.session_id is None:
            raise RuntimeError(f"{name}: {run.stdout} {run.stderr}")
        # A second turn on the same session: a prompt appended after the last answer.
        bed.serve([{"text": "Continuing."}, {"text": "Done again."}])
        bed.run("Now summarise what changed, briefly, and list the files.", args=["--resume", run.session_id])
        saved.append(save(bed, run.transcript_path, out, name))
        bed.close()
    return saved


# ----------------------------------------------------------------------------- footer

FOOTER_SCENARIOS: list[dict[str, Any]] = [
    {
        "name": "footer-default",
        "env": {},
        "args": [],
        "levels": [900_000, 946_980, 946_990, 952_480, 952_490, 957_500, 962_300, 962_500],
    },
    {
        "name": "footer-pct50",
        "env": {"CLAUDE_AUTOCOMPACT_PCT_OVERRIDE": "50"},
        "args": [],
        "levels": [460_000, 469_980, 469_990, 480_000, 484_000, 485_500, 489_000],
    },
    {
        "name": "footer-window200k",
        "env": {"CLAUDE_CODE_AUTO_COMPACT_WINDOW": "200000"},
        "args": [],
        "levels": [140_000, 146_980, 146_990, 160_000, 164_000, 165_500],
    },
    {
        "name": "footer-sonnet45",
        "env": {},
        "args": ["--model", "claude-sonnet-4-5"],
        "levels": [140_000, 146_980, 146_990, 150_000, 160_000, 166_000],
    },
    {
        "name": "footer-disabled",
        "env": {"DISABLE_AUTO_COMPACT": "1"},
        "args": [],
        "levels": [955_000, 959_980, 959_990, 965_000, 972_000],
    },
    {
        # What /config's "Auto-compact" toggle writes: the user's settings.json.
        "name": "footer-setting-off",
        "env": {},
        "settings": {"autoCompactEnabled": False},
        "args": [],
        "levels": [955_000, 959_980, 959_990, 965_000, 972_000],
    },
]


def footer_line(capture: str) -> str:
    """The line just above the input box's top rule (Claude Code's hint slot)."""
    lines = capture.splitlines()
    box = max(i for i, line in enumerate(lines) if line.startswith("\u276f\u00a0"))
    return lines[box - 2].strip()


def record_footer(root: Path, out: Path, only: list[str] | None = None) -> list[dict[str, Any]]:
    """Capture the footer for each scenario (``only``: just these, the file's other
    captures kept)."""
    captures: list[dict[str, Any]] = []
    target = out / f"footer-{testbed.CLAUDE_CODE_VERSION}.json"
    if only and target.exists():
        captures = [c for c in json.loads(target.read_text()) if c["scenario"] not in only]
    for scenario in FOOTER_SCENARIOS:
        if only and scenario["name"] not in only:
            continue
        bed = new_bed(root, scenario["name"])
        if scenario.get("settings"):
            (bed.claude_dir / "settings.json").write_text(json.dumps(scenario["settings"]))
        script: list[dict[str, Any]] = [
            {"when": {"contains": SUMMARY}, "text": "<summary>s</summary>", "repeat": 100}
        ]
        script += [{"text": f"Answer {i}.", "usage": usage(level)} for i, level in enumerate(scenario["levels"])]
        bed.serve(script)
        env = bed.env()
        env.update(scenario["env"])
        testbed._PASS_ENV.update(scenario["env"])
        socket = bed.tmp / "tmux.sock"
        conf = bed.tmp / "tmux.conf"
        conf.write_text("set -g focus-events on\n")  # no "focus-events off" notice in the slot
        subprocess.run(
            ["tmux", "-S", str(socket), "-f", str(conf), "new-session", "-d", "-s", "keep", "sleep 3600"],
            check=True,
        )
        pane = testbed.start_tmux(socket, [str(bed.binary), *scenario["args"]], bed.project, env)
        bed.panes.append(pane)
        try:
            pane.wait_for("\u276f", 60)
            time.sleep(20)  # the startup badges leave the hint slot
            for index, level in enumerate(scenario["levels"]):
                pane.type(f"prompt {index}")
                pane.wait_for(rf"Answer {index}\.", 60)
                time.sleep(1.5)
                captures.append(
                    {
                        "scenario": scenario["name"],
                        "env": scenario["env"],
                        "settings": scenario.get("settings", {}),
                        "args": scenario["args"],
                        "response": index,
                        "level": level,
                        "footer": footer_line(pane.capture()),
                    }
                )
        finally:
            bed.close()
        transcript = bed.sessions()[-1]
        name = save(bed, transcript, out, scenario["name"])
        for capture in captures:
            if capture["scenario"] == scenario["name"]:
                capture["transcript"] = name
    target.write_text(json.dumps(captures, indent=1) + "\n")
    return [c for c in captures if not only or c["scenario"] in only]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("what", nargs="*", default=["estimate", "footer"])
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "data" / "context")
    parser.add_argument("--only", action="append", help="footer: record just this scenario (repeatable)")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="context-record-") as tmp:
        if "estimate" in args.what:
            print("\n".join(record_estimate(Path(tmp), args.out)))
        if "footer" in args.what:
            for capture in record_footer(Path(tmp), args.out, args.only):
                print(capture["scenario"], capture["level"], repr(capture["footer"]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
