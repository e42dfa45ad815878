"""The model chain: ``[api] models`` parsing, order, the defaults from the installed SDK's
model list, and the other providers (AWS Bedrock, Google Vertex) through the SDK's own clients.

Bedrock and Vertex run for real as far as they can here: their SDK clients are built
with the configured region and project, and with no cloud credentials on this machine
their real credential lookups (botocore, google-auth) fail, which must send the chain
on to the next provider. No test sends a *successful* Bedrock or Vertex request: that
needs AWS's or Google's signed endpoints, which cannot run here, and no mock stands in
for them.
"""

from __future__ import annotations

import typing
from pathlib import Path
from typing import Any

import anthropic
import pytest

from cc_guard.api.chain import ModelRef, build_chain
from cc_guard.api.client import AttemptError, Connection, ModelClient, Request, Timeouts
from cc_guard.api.complete import ApiClient
from cc_guard.api.credentials import Credentials
from cc_guard.config.load import ConfigError, load_config
from cc_guard.config.sections import DEFAULT_MODELS, ApiConfig
from cc_guard.incidents import IncidentKind

KEY = "sk-ant-api03-chaintest-000000000000000000000000"


def write_user(isolated_env: dict[str, Path], text: str) -> None:
    path = isolated_env["config"]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def sdk_models() -> list[str]:
    literal = typing.get_args(anthropic.types.Model)[0]
    return list(typing.get_args(literal))


def test_the_default_chain_is_the_sdks_newest_sonnet_then_its_newest_haiku() -> None:
    models = sdk_models()
    newest_sonnet = next(m for m in models if "sonnet" in m)
    newest_haiku = next(m for m in models if "haiku" in m)
    assert (newest_sonnet, newest_haiku) == DEFAULT_MODELS
    assert [r.model for r in build_chain(ApiConfig().models)] == [newest_sonnet, newest_haiku]


def test_models_may_mix_ids_and_provider_tables_in_order(isolated_env: dict[str, Path]) -> None:
    write_user(
        isolated_env,
        "[api]\nmodels = [\n"
        '  "claude-sonnet-5-5",\n'
        '  { provider = "vertex", model = "claude-haiku-5-5", region = "us-east5", project_id = "p-1" },\n'
        '  { provider = "bedrock", model = "anthropic.claude-haiku-5-5-v1:0", region = "us-west-2" },\n'
        '  { model = "claude-haiku-5-5" },\n'
        '  "claude-sonnet-5-5",\n'
        "]\n",
    )
    chain = build_chain(load_config().api.models)
    assert chain == (
        ModelRef("claude-sonnet-5-5"),
        ModelRef("claude-haiku-5-5", "vertex", "us-east5", "p-1"),
        ModelRef("anthropic.claude-haiku-5-5-v1:0", "bedrock", "us-west-2"),
        ModelRef("claude-haiku-5-5"),
    )  # a repeated entry is asked once
    assert [r.key for r in chain] == [
        "anthropic:claude-sonnet-5-5",
        "vertex:claude-haiku-5-5@p-1/us-east5",
        "bedrock:anthropic.claude-haiku-5-5-v1:0@us-west-2",
        "anthropic:claude-haiku-5-5",
    ]
    assert load_config().as_dict()["api"]["models"][1] == {
        "provider": "vertex",
        "model": "claude-haiku-5-5",
        "region": "us-east5",
        "project_id": "p-1",
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("models = []\n", "a non-empty list"),
        ('models = "claude-sonnet-5-5"\n', "a non-empty list"),
        ("models = [3]\n", "entry 1 is neither"),
        ('models = [{ provider = "azure", model = "x" }]\n', "provider must be one of"),
        ('models = [{ provider = "vertex" }]\n', "entry 1 has no 'model'"),
        ('models = ["ok", { model = "x", regin = "us" }]\n', "entry 2: unknown key 'regin'"),
        ('models = ["two words"]\n', "entry 1 is neither"),
        ("connect_timeout_seconds = 0\n", "greater than 0"),
        ("server_error_retries = -1\n", "a whole number"),
        ('base_url = "ftp://x"\n', "http:// or https:// URL"),
    ],
)
def test_a_bad_api_section_names_the_file_key_and_what_was_expected(
    isolated_env: dict[str, Path], text: str, expected: str
) -> None:
    write_user(isolated_env, "[api]\n" + text)
    with pytest.raises(ConfigError) as err:
        load_config()
    assert str(isolated_env["config"]) in str(err.value) and expected in str(err.value)


@pytest.mark.parametrize(
    "text",
    [
        '[api]\nbase_url = "https://evil.example"\n',
        '[doctor]\nstatus_url = "https://evil.example/s.json"\n',
    ],
)
def test_a_project_file_cannot_redirect_the_key_or_doctors_fetch(tmp_path: Path, text: str) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / ".cc-guard.toml").write_text(text)
    with pytest.raises(ConfigError, match="can only be set in the user config file"):
        load_config(tmp_path)


def test_the_api_and_doctor_defaults() -> None:
    config = load_config()
    assert (config.api.connect_timeout_seconds, config.api.first_byte_timeout_seconds) == (5, 15)
    assert config.api.idle_timeout_seconds == 30 and config.api.server_error_retries == 2
    assert (config.api.backoff_base_seconds, config.api.backoff_cap_seconds) == (1, 8)
    assert config.api.max_retry_after_seconds == 20
    assert (config.api.circuit_cooldown_seconds, config.api.circuit_max_cooldown_seconds) == (
        30,
        600,
    )
    assert config.doctor.timeout_seconds == 5 and config.doctor.incident_window_minutes == 30
    assert config.doctor.status_url.endswith("/api/v2/summary.json")


# ----------------------------------------------------------------------------- providers


def test_a_bedrock_model_gets_an_sdk_bedrock_client_in_its_region() -> None:
    connection = Connection(Timeouts())
    client = ModelClient(
        ModelRef("anthropic.claude-haiku-5-5-v1:0", "bedrock", "eu-central-1"),
        Credentials(),
        connection,
    )
    assert isinstance(client.sdk, anthropic.AnthropicBedrock)
    assert client.sdk.aws_region == "eu-central-1"
    assert str(client.sdk.base_url).startswith("https://bedrock-runtime.eu-central-1.amazonaws.com")
    assert client.sdk.max_retries == 0
    connection.close()


def test_a_vertex_model_gets_an_sdk_vertex_client_for_its_region_and_project() -> None:
    connection = Connection(Timeouts())
    client = ModelClient(
        ModelRef("claude-haiku-5-5", "vertex", "europe-west1", "my-project"),
        Credentials(),
        connection,
    )
    assert isinstance(client.sdk, anthropic.AnthropicVertex)
    assert (client.sdk.region, client.sdk.project_id) == ("europe-west1", "my-project")
    assert str(client.sdk.base_url).startswith("https://europe-west1-aiplatform.googleapis.com")
    assert client.sdk.max_retries == 0
    connection.close()


def test_a_cloud_model_without_a_region_is_a_provider_that_is_not_set_up(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "CLOUD_ML_REGION"):
        monkeypatch.delenv(name, raising=False)
    connection = Connection(Timeouts())
    for ref in (ModelRef("m", "bedrock"), ModelRef("m", "vertex")):
        with pytest.raises(AttemptError) as err:
            ModelClient(ref, Credentials(), connection)
        assert err.value.failure.kind == IncidentKind.AUTH
        assert "region" in err.value.failure.detail.lower()
    connection.close()


@pytest.fixture
def no_cloud_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """This machine as it is: no AWS or Google credentials, and no metadata servers asked."""
    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_BEARER_TOKEN_BEDROCK",
        "GOOGLE_APPLICATION_CREDENTIALS",
        "ANTHROPIC_VERTEX_PROJECT_ID",
        "ANTHROPIC_BEDROCK_BASE_URL",
        "ANTHROPIC_VERTEX_BASE_URL",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("NO_GCE_CHECK", "true")
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(tmp_path / "no-gcloud"))


def test_cloud_providers_without_credentials_hand_over_to_the_next_provider(
    chaos: Any, tmp_path: Path, no_cloud_credentials: None
) -> None:
    server = chaos([{"text": "Answered by the Anthropic API."}])
    config = ApiConfig(
        models=(
            {
                "provider": "bedrock",
                "model": "anthropic.claude-haiku-5-5-v1:0",
                "region": "us-west-2",
            },
            {
                "provider": "bedrock",
                "model": "anthropic.claude-sonnet-5-5-v1:0",
                "region": "us-west-2",
            },
            {
                "provider": "vertex",
                "model": "claude-haiku-5-5",
                "region": "us-east5",
                "project_id": "p",
            },
            "claude-sonnet-5-5",
        )
    )
    client = ApiClient(config, Credentials(api_key=KEY, base_url=server.url), tmp_path)
    outcome = client.complete(
        Request("s", ({"role": "user", "content": "hi"},), max_tokens=50, purpose="test")
    )
    assert outcome.reply is not None and outcome.reply.model == ModelRef("claude-sonnet-5-5")
    assert [(a.provider, a.outcome) for a in outcome.attempts] == [
        ("bedrock", "auth"),
        ("bedrock", "skipped"),  # same region, same (missing) credentials
        ("vertex", "auth"),
        ("anthropic", "ok"),
    ]
    assert "provider not set up" in outcome.attempts[0].detail
    assert [r["model"] for r in server.requests()] == ["claude-sonnet-5-5"]
