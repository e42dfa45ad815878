"""The API summarizer against ``cc-guard chaos serve``: validation, fallback down the chain and to
the offline handoff, map-reduce within a counted budget, shrinking, caching, redaction, the
commands (handoff --summarizer api|auto, resume --mode fresh) and a 529 storm across processes."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from cc_guard import tokens
from cc_guard.api.circuit import Circuit
from cc_guard.api.complete import ApiClient
from cc_guard.api.credentials import Credentials
from cc_guard.cli import main as cli_main
from cc_guard.config.load import Config, load_config
from cc_guard.handoff import store
from cc_guard.handoff.assemble import Handoff
from cc_guard.handoff.summarize import requirements, summarize
from cc_guard.handoff.summary_render import render_with
from tests.support.handoff import install_fixture
from tests.support.summaries import big_transcript, valid_summary

KEY = "sk-ant-api03-summarytest-000000000000000000000"
CUT_SID = "22222222-aaaa-4bbb-8ccc-000000000002"
SECRET_SID = "33333333-aaaa-4bbb-8ccc-000000000003"
SONNET, HAIKU = "claude-sonnet-5-5", "claude-haiku-5-5"
FAST = (
    "[api]\nbackoff_base_seconds = 0.05\nbackoff_cap_seconds = 0.1\n"
    "first_byte_timeout_seconds = 2\nidle_timeout_seconds = 1\n"
)


def handoff_of(
    isolated_env: dict[str, Path], fixture: str = "handmade-tasks-cut.jsonl"
) -> tuple[Handoff, Path]:
    path = install_fixture(fixture, isolated_env["claude"])
    return store.make_handoff(path, isolated_env["state"]), path


def client_for(url: str, state: Path, config: Config | None = None) -> ApiClient:
    config = config or Config()
    return ApiClient(config.api, Credentials(api_key=KEY, base_url=url), state)


def message_requests(server: Any) -> list[dict[str, Any]]:
    return [r for r in server.requests() if r["path"] == "/v1/messages"]


def use_server(
    monkeypatch: pytest.MonkeyPatch, isolated_env: dict[str, Path], url: str, extra: str = ""
) -> None:
    """Point the commands at the chaos server (as a user would: environment and config)."""
    monkeypatch.setenv("ANTHROPIC_BASE_URL", url)
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    isolated_env["config"].parent.mkdir(parents=True, exist_ok=True)
    isolated_env["config"].write_text(FAST + extra)


def state_text(state: Path) -> str:
    return "\n".join(
        p.read_text(errors="replace")
        for p in state.rglob("*")
        if p.is_file() and p.suffix != ".lock"
    )


# ----------------------------------------------------------------------------- the summarizer


def test_a_valid_answer_becomes_the_summary_and_is_cached(
    chaos: Any, isolated_env: dict[str, Path]
) -> None:
    h, path = handoff_of(isolated_env)
    needs = requirements(h)
    assert needs.files == (("/home/dev/shop/payment/gateway.py", "payment/gateway.py"),)
    assert needs.todos == ("Create ledger.py",) and needs.latest is not None
    server = chaos([{"text": valid_summary(needs)}])
    config = load_config()
    result = summarize(h, path, config, "api", client_for(server.url, isolated_env["state"]))
    assert result.summary is not None and result.used == "api"
    assert result.summary.model == SONNET and result.summary.chunks == 0
    assert result.note == f"API summary by {SONNET}"
    [request] = message_requests(server)
    assert request["body"]["max_tokens"] == config.handoff.summary_max_tokens
    prompt = request["body"]["messages"][0]["content"]
    assert "`payment/gateway.py`" in prompt and '"Create ledger.py"' in prompt
    # The same transcript again: the cached summary, no request.
    again = summarize(h, path, config, "api", client_for(server.url, isolated_env["state"]))
    assert again.summary is not None and again.summary.cached
    assert again.summary.text == result.summary.text and len(message_requests(server)) == 1


def test_an_answer_missing_a_required_fact_is_refused_and_the_next_model_asked(
    chaos: Any, isolated_env: dict[str, Path]
) -> None:
    h, path = handoff_of(isolated_env)
    needs = requirements(h)
    lacking = valid_summary(needs).replace("`payment/gateway.py`", "the gateway")
    server = chaos(
        [
            {"when": {"model": "sonnet"}, "text": lacking, "repeat": 9},
            {"text": valid_summary(needs)},
        ]
    )
    result = summarize(h, path, load_config(), "api", client_for(server.url, isolated_env["state"]))
    assert result.summary is not None and result.summary.model == HAIKU
    assert [r["model"] for r in message_requests(server)] == [SONNET, HAIKU]


@pytest.mark.parametrize("drop", ["todo", "latest"])
def test_no_valid_answer_from_any_model_means_the_offline_handoff(
    chaos: Any, isolated_env: dict[str, Path], drop: str
) -> None:
    h, path = handoff_of(isolated_env)
    needs = requirements(h)
    text = valid_summary(needs)
    text = (
        text.replace("Create ledger.py", "the ledger")
        if drop == "todo"
        else text.replace(str(needs.latest), "split it")
    )
    server = chaos([{"text": text}])
    result = summarize(h, path, load_config(), "api", client_for(server.url, isolated_env["state"]))
    assert result.summary is None and result.used == "offline"
    assert "no model wrote a valid summary" in result.note and "left out" in result.note
    assert len(message_requests(server)) == 2


def test_a_transcript_over_the_budget_is_summarized_in_chunks_then_merged(
    chaos: Any, isolated_env: dict[str, Path]
) -> None:
    path = big_transcript(isolated_env["claude"])
    h = store.make_handoff(path, isolated_env["state"])
    needs = requirements(h)
    assert len(needs.files) == 5
    chunk_answer = "This part edited src/mod0.py to src/mod4.py; the tokenizer was reworked."
    server = chaos(
        [
            {"when": {"last": "Below is part"}, "text": chunk_answer, "repeat": 100},
            {"text": valid_summary(needs)},
        ]
    )
    budget, cap = 2500, 400
    config = Config(
        handoff=Config().handoff.__class__(summary_input_tokens=budget, summary_max_tokens=cap)
    )
    result = summarize(
        h, path, config, "api", client_for(server.url, isolated_env["state"], config)
    )
    assert result.summary is not None and result.summary.chunks >= 2
    requests = message_requests(server)
    maps = [r for r in requests if "Below is part" in r["body"]["messages"][0]["content"]]
    assert len(maps) == result.summary.chunks and len(requests) == len(maps) + 1
    assert f"part {len(maps)} of {len(maps)}" in maps[-1]["body"]["messages"][0]["content"]
    for request in requests:
        body = request["body"]
        text = body["system"] + body["messages"][0]["content"]
        assert tokens.estimate(text) <= budget  # every request within the counted budget
        assert body["max_tokens"] == cap  # and every summary within the output cap
    assert "<part_summaries>" in requests[-1]["body"]["messages"][0]["content"]


def test_a_too_long_prompt_shrinks_the_input_once(
    chaos: Any, isolated_env: dict[str, Path]
) -> None:
    path = big_transcript(isolated_env["claude"])
    h = store.make_handoff(path, isolated_env["state"])
    too_long = {
        "fault": {"status": 400, "message": "prompt is too long: 210000 tokens > 200000 maximum"}
    }
    server = chaos(
        [
            {**too_long, "when": {"last": "<transcript>"}, "repeat": 1},
            {"when": {"last": "Below is part"}, "text": "src/mod0.py changed", "repeat": 100},
            {"text": valid_summary(requirements(h))},
        ]
    )
    result = summarize(h, path, load_config(), "api", client_for(server.url, isolated_env["state"]))
    assert result.summary is not None
    first, *rest = message_requests(server)
    assert first["answer"]["status"] == 400
    assert all(len(json.dumps(r["body"])) < len(json.dumps(first["body"])) for r in rest)


def test_a_prompt_still_too_long_after_shrinking_gives_up(
    chaos: Any, isolated_env: dict[str, Path]
) -> None:
    h, path = handoff_of(isolated_env)
    server = chaos([{"fault": {"status": 413}}])
    result = summarize(h, path, load_config(), "api", client_for(server.url, isolated_env["state"]))
    assert result.summary is None and "still too long after shrinking it once" in result.note
    assert len(message_requests(server)) == 2


def test_secrets_are_redacted_before_anything_is_sent(
    chaos: Any, isolated_env: dict[str, Path]
) -> None:
    h, path = handoff_of(isolated_env, "handmade-secrets.jsonl")
    server = chaos([{"text": "## Goal\nx"}])
    summarize(h, path, load_config(), "api", client_for(server.url, isolated_env["state"]))
    sent = server.log_path.read_text()
    assert message_requests(server)
    for secret in ("ghp_abcdefghij", "hunter2hunter2", "AKIAIOSFODNN7EXAMPLE", "SECRETSECRET"):
        assert secret not in sent


def test_an_answer_echoing_a_secret_is_redacted_before_use(
    chaos: Any, isolated_env: dict[str, Path]
) -> None:
    h, path = handoff_of(isolated_env)
    leaked = valid_summary(
        requirements(h), marker="Token: ghp_abcdefghijklmnopqrstuvwxyz0123456789"
    )
    server = chaos([{"text": leaked}])
    result = summarize(h, path, load_config(), "api", client_for(server.url, isolated_env["state"]))
    assert result.summary is not None and "ghp_abcdefghij" not in result.summary.text
    assert "ghp_abcdefghij" not in state_text(isolated_env["state"])


# ----------------------------------------------------------------------------- the commands


def test_a_cut_streams_partial_text_never_reaches_a_handoff(
    chaos: Any, isolated_env: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    h, _ = handoff_of(isolated_env)
    partial = valid_summary(requirements(h), marker="PARTIAL-SUMMARY-MARKER")
    server = chaos([{"fault": {"cut_after_events": 6}, "text": partial}])
    use_server(monkeypatch, isolated_env, server.url)
    for fmt in ("md", "short", "json"):
        result = CliRunner().invoke(
            cli_main, ["handoff", CUT_SID, "--summarizer", "api", "--format", fmt]
        )
        assert result.exit_code == 0, result.output
        assert "PARTIAL-SUMMARY-MARKER" not in result.stdout
        assert "using the offline handoff" in result.stderr
    assert "PARTIAL-SUMMARY-MARKER" not in state_text(isolated_env["state"])
    # Each model was asked twice (one retry of the cut), then the offline handoff was used.
    assert [r["model"] for r in message_requests(server)][:4] == [SONNET, SONNET, HAIKU, HAIKU]


def test_auto_with_the_primary_overloaded_gets_the_summary_from_haiku(
    chaos: Any, isolated_env: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    h, _ = handoff_of(isolated_env)
    server = chaos(
        [
            {"when": {"model": "sonnet"}, "fault": {"status": 529}, "repeat": 100},
            {"text": valid_summary(requirements(h), marker="WRITTEN-BY-HAIKU")},
        ]
    )
    use_server(monkeypatch, isolated_env, server.url)
    result = CliRunner().invoke(cli_main, ["handoff", CUT_SID, "--summarizer", "auto"])
    assert result.exit_code == 0, result.output
    assert f"## Summary (written by {HAIKU} through the API" in result.stdout
    assert "WRITTEN-BY-HAIKU" in result.stdout and "### Decisions made and why" in result.stdout
    assert "## Files touched" in result.stdout  # the offline facts stay
    assert f"API summary by {HAIKU} after {SONNET}: overloaded 529" in result.stderr
    as_json = CliRunner().invoke(cli_main, ["handoff", CUT_SID, "--summarizer", "auto", "--json"])
    data = json.loads(as_json.stdout)
    assert data["summary"]["source"] == "api" and data["summary"]["model"] == HAIKU
    assert "WRITTEN-BY-HAIKU" in data["summary"]["text"]
    short = CliRunner().invoke(
        cli_main, ["handoff", CUT_SID, "--summarizer", "auto", "--format", "short"]
    )
    assert short.stdout.startswith("[cc-guard handoff]") and len(short.stdout) <= 8000
    assert "WRITTEN-BY-HAIKU" in short.stdout and "## Files touched" in short.stdout


@pytest.mark.parametrize("mode", ["api", "auto"])
def test_every_model_failing_gives_the_offline_handoff_and_exit_0(
    chaos: Any, isolated_env: dict[str, Path], monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    handoff_of(isolated_env)
    server = chaos([{"fault": {"status": 500}}])
    use_server(monkeypatch, isolated_env, server.url)
    result = CliRunner().invoke(cli_main, ["handoff", CUT_SID, "--summarizer", mode])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("# Handoff:") and "## Summary" not in result.stdout
    assert "no model answered" in result.stderr and "using the offline handoff" in result.stderr
    assert [r["model"] for r in message_requests(server)] == [SONNET] * 3 + [HAIKU] * 3


def test_auto_with_every_circuit_open_stays_offline_without_a_request(
    chaos: Any, isolated_env: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    handoff_of(isolated_env)
    server = chaos([{"text": "never asked"}])
    use_server(monkeypatch, isolated_env, server.url)
    circuit = Circuit(isolated_env["state"])
    circuit.overloaded(f"anthropic:{SONNET}")
    circuit.overloaded(f"anthropic:{HAIKU}")
    result = CliRunner().invoke(cli_main, ["handoff", CUT_SID, "--summarizer", "auto"])
    assert result.exit_code == 0 and "every model's circuit is open" in result.stderr
    assert message_requests(server) == []


def test_config_summarizer_api_is_used_when_no_flag_is_given(
    chaos: Any, isolated_env: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    h, _ = handoff_of(isolated_env)
    server = chaos([{"text": valid_summary(requirements(h))}])
    use_server(monkeypatch, isolated_env, server.url, '[handoff]\nsummarizer = "api"\n')
    result = CliRunner().invoke(cli_main, ["handoff", CUT_SID])
    assert result.exit_code == 0 and f"API summary by {SONNET}" in result.stderr
    offline = CliRunner().invoke(cli_main, ["handoff", CUT_SID, "--summarizer", "offline"])
    assert "## Summary" not in offline.stdout and len(message_requests(server)) == 1


def _seed(out: str, state: Path) -> str:
    command = out.splitlines()[0]
    nonce = command.split(" && ", 1)[1].split(" ", 1)[0].split("=")[1]
    text: str = json.loads((state / "handoff" / "seeds" / f"{nonce}.json").read_text())["text"]
    return text


def test_resume_fresh_seeds_the_api_summary_under_the_injection_limit(
    chaos: Any, isolated_env: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    h, _ = handoff_of(isolated_env)
    long_story = " ".join(["The ledger split keeps every import path working."] * 120)
    server = chaos([{"text": valid_summary(requirements(h), marker=long_story)}])
    use_server(monkeypatch, isolated_env, server.url, '[handoff]\nsummarizer = "auto"\n')
    result = CliRunner().invoke(cli_main, ["resume", CUT_SID, "--mode", "fresh", "--print"])
    assert result.exit_code == 0, result.output
    assert f"seeding the new session with the API summary by {SONNET}" in result.stderr
    seed = _seed(result.stdout, isolated_env["state"])
    assert len(seed) < 10_000 and "## Summary (written by" in seed
    assert "## Next step" in seed  # the offline facts fill the rest of the room
    assert shlex.split(result.stdout.splitlines()[0].split(" && ", 1)[1])[1] == "claude"


def test_resume_fresh_uses_a_stored_summary_without_the_network(
    chaos: Any, isolated_env: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    h, _ = handoff_of(isolated_env)
    server = chaos([{"text": valid_summary(requirements(h), marker="STORED-SUMMARY")}])
    use_server(monkeypatch, isolated_env, server.url)
    assert CliRunner().invoke(cli_main, ["handoff", CUT_SID, "--summarizer", "api"]).exit_code == 0
    monkeypatch.setenv("ANTHROPIC_BASE_URL", "http://127.0.0.1:9")  # nothing there now
    result = CliRunner().invoke(cli_main, ["resume", CUT_SID, "--mode", "fresh", "--print"])
    assert "STORED-SUMMARY" in _seed(result.stdout, isolated_env["state"])
    assert "with the API summary" in result.stderr and len(message_requests(server)) == 1


def test_resume_fresh_without_a_summary_says_it_seeds_the_offline_handoff(
    isolated_env: dict[str, Path],
) -> None:
    handoff_of(isolated_env)
    result = CliRunner().invoke(cli_main, ["resume", CUT_SID, "--mode", "fresh", "--print"])
    assert result.exit_code == 0
    assert "seeding the new session with the offline short handoff" in result.stderr
    assert "## Summary" not in _seed(result.stdout, isolated_env["state"])


def test_rendering_without_a_summary_is_the_offline_handoff(isolated_env: dict[str, Path]) -> None:
    from cc_guard.handoff import render

    h, _ = handoff_of(isolated_env)
    for fmt in ("md", "json", "short"):
        assert render_with(h, None, fmt) == render.render(h, fmt)


# ----------------------------------------------------------------------------- a 529 storm


@pytest.mark.slow
def test_a_529_storm_across_twenty_summarizer_processes_stays_within_the_circuit(
    chaos: Any, isolated_env: dict[str, Path], tmp_path: Path
) -> None:
    handoff_of(isolated_env)
    server = chaos([{"fault": {"status": 529}}])
    isolated_env["config"].parent.mkdir(parents=True, exist_ok=True)
    isolated_env["config"].write_text(FAST)
    env = {**os.environ, "ANTHROPIC_BASE_URL": server.url, "ANTHROPIC_API_KEY": KEY}
    started = time.monotonic()
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "cc_guard",
                "handoff",
                CUT_SID,
                "--summarizer",
                "api",
                "--format",
                "short",
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(20)
    ]
    results = [proc.communicate(timeout=240) for proc in procs]
    elapsed = time.monotonic() - started
    assert all(proc.returncode == 0 for proc in procs), [err for _, err in results]
    assert all(out.startswith("[cc-guard handoff]") for out, _ in results)
    assert all("using the offline handoff" in err for _, err in results)
    sent = [r["model"] for r in message_requests(server)]
    # One request per model per cooldown window (30 s, doubling), however many processes.
    bound = 1 + int(elapsed // 30)
    assert 1 <= sent.count(SONNET) <= bound and 1 <= sent.count(HAIKU) <= bound, (sent, elapsed)
