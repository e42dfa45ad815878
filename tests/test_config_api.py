"""The ``[api]``, ``[doctor]`` and ``[handoff]`` summary keys: validation, provenance, ``config show``."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from cc_guard.cli import main as cli_main
from cc_guard.config.load import ConfigError, load_config


def write_user(isolated_env: dict[str, Path], text: str) -> Path:
    path = isolated_env["config"]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("text", "key", "expected"),
    [
        ("[doctor]\ntimeout_seconds = 61\n", "doctor.timeout_seconds", "at most 60"),
        ("[doctor]\ntimeout_seconds = 0\n", "doctor.timeout_seconds", "greater than 0"),
        (
            '[doctor]\nstatus_url = "status.claude.com"\n',
            "doctor.status_url",
            "http:// or https://",
        ),
        (
            "[doctor]\nincident_window_minutes = -5\n",
            "doctor.incident_window_minutes",
            "greater than 0",
        ),
        ("[doctor]\nverbose = true\n", "doctor.verbose", "[doctor] accepts"),
        ("[handoff]\nsummary_max_tokens = 50\n", "handoff.summary_max_tokens", "at least 100"),
        ("[handoff]\nsummary_input_tokens = 2.5\n", "handoff.summary_input_tokens", "whole number"),
        ("[api]\nbackoff_cap_seconds = true\n", "api.backoff_cap_seconds", "greater than 0"),
        ('[api]\nmodel = "x"\n', "api.model", "[api] accepts models"),
    ],
)
def test_a_wrong_value_names_the_file_the_key_and_what_was_expected(
    isolated_env: dict[str, Path], text: str, key: str, expected: str
) -> None:
    path = write_user(isolated_env, text)
    with pytest.raises(ConfigError) as err:
        load_config()
    assert str(path) in str(err.value) and key in str(err.value) and expected in str(err.value)


def test_values_and_their_sources(isolated_env: dict[str, Path], tmp_path: Path) -> None:
    user = write_user(
        isolated_env,
        '[api]\nmodels = ["claude-haiku-5-5"]\nbase_url = "http://127.0.0.1:8080"\n'
        '[doctor]\nstatus_url = ""\ntimeout_seconds = 3\n',
    )
    (tmp_path / ".git").mkdir()
    (tmp_path / ".cc-guard.toml").write_text(
        "[handoff]\nsummary_max_tokens = 800\n[api]\nidle_timeout_seconds = 10\n"
    )
    config = load_config(tmp_path)
    assert (
        config.api.models == ("claude-haiku-5-5",)
        and config.api.base_url == "http://127.0.0.1:8080"
    )
    assert config.api.idle_timeout_seconds == 10 and config.handoff.summary_max_tokens == 800
    assert config.doctor.status_url == "" and config.doctor.timeout_seconds == 3
    assert config.source("api.base_url") == f"user: {user}"
    assert config.source("api.idle_timeout_seconds") == f"project: {tmp_path / '.cc-guard.toml'}"
    assert config.source("api.connect_timeout_seconds") == "default"


def test_config_show_prints_the_model_chain_as_pasteable_toml(
    isolated_env: dict[str, Path],
) -> None:
    write_user(
        isolated_env,
        '[api]\nmodels = ["claude-sonnet-5-5", { provider = "bedrock", model = "m", region = "us-west-2" }]\n',
    )
    shown = CliRunner().invoke(cli_main, ["config", "show"])
    assert shown.exit_code == 0, shown.output
    section = shown.stdout.split("[api]\n", 1)[1].split("\n\n", 1)[0]
    lines = [line.split("  #")[0] for line in section.splitlines()]
    parsed = tomllib.loads("\n".join(lines))
    assert parsed["models"] == [
        "claude-sonnet-5-5",
        {"provider": "bedrock", "model": "m", "region": "us-west-2"},
    ]
    as_json = json.loads(CliRunner().invoke(cli_main, ["config", "show", "--json"]).stdout)
    assert as_json["values"]["api"]["models"][1]["provider"] == "bedrock"
    assert as_json["values"]["doctor"]["timeout_seconds"] == 5
    assert as_json["sources"]["handoff.summary_input_tokens"] == "default"
