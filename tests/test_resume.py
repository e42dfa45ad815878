"""``cc-guard resume``: mode choice, --print output, the seed, refusing a running session."""

from __future__ import annotations

import json
import os
import shlex
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from cc_guard.cli import main as cli_main
from tests.support.handoff import fake_claude_process, install_fixture

CUT_SID = "22222222-aaaa-4bbb-8ccc-000000000002"
PENDING_SID = "44444444-aaaa-4bbb-8ccc-000000000004"
TODO_SID = "11111111-aaaa-4bbb-8ccc-000000000001"


def _resume(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli_main, ["resume", *args], env=env)
    return result.exit_code, result.stdout, result.stderr


def test_print_continue_names_the_cut_and_the_todo(
    isolated_env: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    install_fixture("handmade-tasks-cut.jsonl", isolated_env["claude"])
    monkeypatch.setenv("CC_GUARD_CLAUDE", "/opt/claude code/claude")
    code, out, err = _resume(CUT_SID, "--mode", "continue", "--print")
    assert code == 0, err
    command = out.strip()
    assert command.startswith("cd /home/dev/shop && ")
    argv = shlex.split(command.split(" && ", 1)[1])
    assert argv[:3] == ["/opt/claude code/claude", "--resume", CUT_SID]
    prompt = argv[3]
    assert "stream_truncated" in prompt
    assert "cut off mid-stream" in prompt and "payment/ledger.py" in prompt
    assert "The todo in progress was: Create ledger.py." in prompt
    assert "Check first:" in prompt
    assert "CC_GUARD_SEED" not in out


def test_print_continue_names_the_pending_tool_call(isolated_env: dict[str, Path]) -> None:
    install_fixture("handmade-pending.jsonl", isolated_env["claude"])
    code, out, _ = _resume(PENDING_SID[:6], "--mode", "continue", "--print")
    assert code == 0
    prompt = shlex.split(out.strip().split(" && ", 1)[1])[-1]
    assert "never returned a result: Bash: ./manage.py migrate --database staging" in prompt


def test_print_fresh_writes_a_one_time_seed(isolated_env: dict[str, Path]) -> None:
    install_fixture("handmade-todowrite.jsonl", isolated_env["claude"])
    code, out, _ = _resume(TODO_SID, "--mode", "fresh", "--print", "--", "--model", "opus")
    assert code == 0
    command = out.splitlines()[0]
    env_part, rest = command.split(" && ", 1)[1].split(" ", 1)
    name, nonce = env_part.split("=")
    assert name == "CC_GUARD_SEED"
    argv = shlex.split(rest)
    assert argv[0] == "claude" and argv[1:3] == ["--model", "opus"] and "--resume" not in argv
    seed_file = isolated_env["state"] / "handoff" / "seeds" / f"{nonce}.json"
    seed = json.loads(seed_file.read_text())["text"]
    assert len(seed) < 10_000
    shown = "\n".join(line[2:] for line in out.splitlines() if line.startswith("#"))
    assert "\n".join(line.rstrip() for line in seed.splitlines()) in shown  # as injected
    assert "/home/dev/shop/cart.py" in seed and "/home/dev/shop/tests/test_discount.py" in seed
    assert "never edit CHANGELOG.md by hand" in seed  # the latest request


def test_auto_says_which_mode_and_why(isolated_env: dict[str, Path]) -> None:
    install_fixture("handmade-tasks-cut.jsonl", isolated_env["claude"])
    code, out, err = _resume(CUT_SID, "--print")
    assert code == 0
    assert "resuming with --mode continue: the transcript is intact" in err
    assert "--resume" in out


def test_refuses_a_running_session_naming_the_process(
    isolated_env: dict[str, Path], tmp_path: Path
) -> None:
    install_fixture("handmade-pending.jsonl", isolated_env["claude"])
    proc = fake_claude_process(tmp_path)
    try:
        isolated_env["state"].mkdir(parents=True, exist_ok=True)
        (isolated_env["state"] / "events.jsonl").write_text(
            json.dumps(
                {
                    "time": "2026-03-01T10:00:15Z",
                    "event": "PreToolUse",
                    "session_id": PENDING_SID,
                    "claude_pid": proc.pid,
                }
            )
            + "\n"
        )
        code, _, err = _resume(PENDING_SID, "--mode", "continue")
        assert code != 0
        assert f"still running (pid {proc.pid} ({tmp_path}/claude 300))" in err
    finally:
        proc.kill()
        proc.wait()


def test_missing_claude_is_a_clear_error(
    isolated_env: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    install_fixture("handmade-todowrite.jsonl", isolated_env["claude"], project=str(tmp_path))
    monkeypatch.setenv("PATH", str(isolated_env["home"]))
    monkeypatch.delenv("CC_GUARD_CLAUDE", raising=False)
    code, _, err = _resume(TODO_SID, "--mode", "continue")
    assert code != 0 and "no claude executable" in err and "CC_GUARD_CLAUDE" in err


def test_fresh_runs_claude_with_the_nonce_and_its_hook_gets_the_seed(
    isolated_env: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stand-in for claude that does what Claude Code does at startup: run the SessionStart hook."""
    install_fixture("handmade-todowrite.jsonl", isolated_env["claude"], project=str(tmp_path))
    record = tmp_path / "record.json"
    script = tmp_path / "fake-claude"
    script.write_text(
        f"#!{sys.executable}\n"
        "import json, os, subprocess, sys\n"
        "payload = json.dumps({'session_id': 'new', 'cwd': os.getcwd(), 'hook_event_name': 'SessionStart', 'source': 'startup'})\n"
        f"hook = subprocess.run([{sys.executable!r}, '-m', 'cc_guard', 'hook', 'SessionStart'], input=payload, capture_output=True, text=True)\n"
        f"json.dump({{'argv': sys.argv, 'cwd': os.getcwd(), 'seed_env': os.environ.get('CC_GUARD_SEED'), 'hook': hook.stdout}}, open({str(record)!r}, 'w'))\n"
    )
    script.chmod(0o755)
    monkeypatch.setenv("CC_GUARD_CLAUDE", str(script))
    code, _, err = _resume(TODO_SID, "--mode", "fresh")
    assert code == 0, err
    data = json.loads(record.read_text())
    assert data["cwd"] == str(tmp_path) and data["seed_env"]
    context = json.loads(data["hook"])["hookSpecificOutput"]["additionalContext"]
    assert "cart.py" in context and "did not pick up" not in err
    assert not list((isolated_env["state"] / "handoff" / "seeds").glob("*.json"))
    assert os.environ.get("CC_GUARD_SEED") is None


def test_restore_files_brings_back_the_newest_checkpoint_undoably(
    isolated_env: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import subprocess

    from cc_guard.checkpoints import take_checkpoint

    repo = tmp_path / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=repo, check=True)
    (repo / "cart.py").write_text("base\n")
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True)
    subprocess.run(["git", "commit", "-q", "-m", "init"], cwd=repo, check=True)
    install_fixture("handmade-todowrite.jsonl", isolated_env["claude"], project=str(repo))
    (repo / "cart.py").write_text("the agent's work\n")
    sha = take_checkpoint(repo, TODO_SID, "PostToolUse", "Edit", ["cart.py"])
    assert sha
    (repo / "cart.py").write_text("lost in a bad moment\n")
    code, out, err = _resume(TODO_SID, "--mode", "continue", "--print", "--restore-files")
    assert code == 0 and f"would restore {repo} from checkpoint {sha[:10]}" in out
    assert (repo / "cart.py").read_text() == "lost in a bad moment\n"  # --print changes nothing
    monkeypatch.setenv("CC_GUARD_CLAUDE", "true")
    code, _, err = _resume(TODO_SID, "--mode", "continue", "--restore-files")
    assert code == 0, err
    assert (repo / "cart.py").read_text() == "the agent's work\n"
    assert "cc-guard restore --undo" in err
    undo = subprocess.run(
        [sys.executable, "-m", "cc_guard", "restore", "--undo", "--yes"],
        cwd=repo,
        capture_output=True,
        text=True,
    )
    assert undo.returncode == 0, undo.stderr
    assert (repo / "cart.py").read_text() == "lost in a bad moment\n"


def test_auto_goes_fresh_for_a_damaged_transcript(isolated_env: dict[str, Path]) -> None:
    path = install_fixture("handmade-tasks-cut.jsonl", isolated_env["claude"])
    text = path.read_text().splitlines(keepends=True)
    path.write_text("".join(text[:5]) + "{this line is not json\n" + "".join(text[5:]))
    os.utime(path, (1_600_000_000, 1_600_000_000))
    code, out, err = _resume(CUT_SID, "--print")
    assert code == 0
    assert "resuming with --mode fresh: the transcript is damaged" in err
    assert "CC_GUARD_SEED=" in out and "--resume" not in out


def test_auto_goes_fresh_when_the_context_is_full(isolated_env: dict[str, Path]) -> None:
    path = install_fixture("handmade-tasks-cut.jsonl", isolated_env["claude"])
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    for rec in lines:
        usage = (rec.get("message") or {}).get("usage")
        if (
            rec.get("type") == "assistant"
            and usage
            and rec["message"].get("model") != "<synthetic>"
        ):
            usage["cache_read_input_tokens"] = 195_000
    path.write_text("".join(json.dumps(r) + "\n" for r in lines))
    os.utime(path, (1_600_000_000, 1_600_000_000))
    code, _, err = _resume(CUT_SID, "--print")
    assert code == 0
    assert "resuming with --mode fresh: the context is" in err and "% full" in err


def _fake_claude_on_path(bin_dir: Path, record: Path) -> None:
    bin_dir.mkdir()
    script = bin_dir / "claude"
    script.write_text(
        f"#!{sys.executable}\n"
        "import json, os, sys\n"
        f"json.dump({{'argv': sys.argv[1:], 'cwd': os.getcwd(), 'seed': os.environ.get('CC_GUARD_SEED')}}, open({str(record)!r}, 'w'))\n"
    )
    script.chmod(0o755)


@pytest.mark.parametrize("mode", ["continue", "fresh"])
def test_printed_output_pasted_into_a_shell_runs_the_command_and_nothing_else(
    isolated_env: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    import subprocess

    project = tmp_path / "my project"  # a space: the cd must be quoted
    project.mkdir()
    install_fixture("handmade-todowrite.jsonl", isolated_env["claude"], project=str(project))
    monkeypatch.delenv("CC_GUARD_CLAUDE", raising=False)
    code, out, err = _resume(TODO_SID, "--mode", mode, "--print")
    assert code == 0, err
    if mode == "fresh":  # the seed quotes paths in backticks: they must not reach the shell
        assert "`" in out
    record = tmp_path / "record.json"
    _fake_claude_on_path(tmp_path / "bin", record)
    shell = subprocess.run(
        ["bash", "-c", out],
        capture_output=True,
        text=True,
        env={**os.environ, "PATH": f"{tmp_path / 'bin'}:/usr/bin:/bin"},
        timeout=60,
    )
    assert shell.returncode == 0 and shell.stderr == "", shell.stderr
    ran = json.loads(record.read_text())
    assert ran["cwd"] == str(project)
    if mode == "continue":
        assert ran["argv"][:2] == ["--resume", TODO_SID] and ran["seed"] is None
        assert ran["argv"][2].startswith("[cc-guard] This session is being resumed.")
    else:
        assert "--resume" not in ran["argv"] and ran["seed"]
        assert (isolated_env["state"] / "handoff" / "seeds" / f"{ran['seed']}.json").exists()


def test_an_unusable_claude_is_a_clear_error_and_leaves_no_seed(
    isolated_env: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    install_fixture("handmade-todowrite.jsonl", isolated_env["claude"], project=str(tmp_path))
    seeds = isolated_env["state"] / "handoff" / "seeds"
    missing = tmp_path / "no-such-claude"
    monkeypatch.setenv("CC_GUARD_CLAUDE", str(missing))
    code, out, err = _resume(TODO_SID, "--mode", "fresh")
    assert code == 1 and "Traceback" not in out + err
    assert f"$CC_GUARD_CLAUDE is '{missing}', which is not an executable." in err
    bad_interpreter = tmp_path / "claude-broken"
    bad_interpreter.write_text("#!/no/such/interpreter\n")
    bad_interpreter.chmod(0o755)
    monkeypatch.setenv("CC_GUARD_CLAUDE", str(bad_interpreter))
    code, out, err = _resume(TODO_SID, "--mode", "fresh")
    assert code == 1 and "Traceback" not in out + err
    assert f"could not run {bad_interpreter}" in err
    assert not seeds.exists() or not list(seeds.glob("*.json"))


def test_restore_files_without_a_checkpoint_refuses_before_writing_a_seed(
    isolated_env: dict[str, Path], tmp_path: Path
) -> None:
    install_fixture("handmade-todowrite.jsonl", isolated_env["claude"], project=str(tmp_path))
    code, _, err = _resume(TODO_SID, "--mode", "fresh", "--print", "--restore-files")
    assert code == 1 and "has no checkpoint to restore" in err
    seeds = isolated_env["state"] / "handoff" / "seeds"
    assert not seeds.exists() or not list(seeds.glob("*.json"))


def test_refuses_a_session_whose_claude_waits_at_its_prompt(
    isolated_env: dict[str, Path], tmp_path: Path
) -> None:
    """The last turn ended cleanly, but its Claude Code process is still open."""
    install_fixture("handmade-todowrite.jsonl", isolated_env["claude"], project=str(tmp_path))
    proc = fake_claude_process(tmp_path)
    try:
        isolated_env["state"].mkdir(parents=True, exist_ok=True)
        (isolated_env["state"] / "events.jsonl").write_text(
            json.dumps(
                {
                    "time": "2026-03-01T10:02:35Z",
                    "event": "Stop",
                    "session_id": TODO_SID,
                    "claude_pid": proc.pid,
                }
            )
            + "\n"
        )
        for mode in ("continue", "fresh"):
            code, _, err = _resume(TODO_SID, "--mode", mode, "--print")
            assert code == 1, mode
            assert f"is still running (pid {proc.pid} ({tmp_path}/claude 300))" in err
    finally:
        proc.kill()
        proc.wait()
    code, _, err = _resume(TODO_SID, "--mode", "continue", "--print")
    assert code == 0, err  # the process is gone: the session can be resumed


@pytest.mark.parametrize("content", [b"", b"\x00\xff not json\n{broken\n"])
def test_a_transcript_with_no_readable_record_is_a_clear_error(
    isolated_env: dict[str, Path], content: bytes
) -> None:
    path = install_fixture("handmade-todowrite.jsonl", isolated_env["claude"])
    path.write_bytes(content)
    for command in (["resume", TODO_SID, "--print"], ["handoff", TODO_SID]):
        result = CliRunner().invoke(cli_main, command)
        assert result.exit_code == 1, command
        assert (
            result.stderr
            == f"cc-guard: {path} holds no readable Claude Code record. Is it damaged?\n"
        )
    assert not (isolated_env["state"] / "handoff" / f"{TODO_SID}.md").exists()


def test_continue_prompt_says_interrupted_only_when_it_was(isolated_env: dict[str, Path]) -> None:
    install_fixture("handmade-todowrite.jsonl", isolated_env["claude"])  # ended normally
    code, out, err = _resume(TODO_SID, "--mode", "continue", "--print")
    assert code == 0, err
    prompt = shlex.split(out.strip().split(" && ", 1)[1])[-1]
    assert prompt.startswith("[cc-guard] This session is being resumed.")
    assert "interrupted" not in prompt.splitlines()[0]
    install_fixture("handmade-tasks-cut.jsonl", isolated_env["claude"])
    code, out, err = _resume(CUT_SID, "--mode", "continue", "--print")
    assert code == 0, err
    prompt = shlex.split(out.strip().split(" && ", 1)[1])[-1]
    assert prompt.startswith("[cc-guard] This session was interrupted and is being resumed.")
