"""The configuration's sections and their defaults: one definition for every reader.

Plain slotted classes rather than dataclasses: the hook path reads the
``[checkpoints]`` defaults on every call and must not import ``dataclasses``.
Each section is immutable by convention; :meth:`Section.replace` makes a changed copy.
"""

from __future__ import annotations

from cc_guard.base.claude import CHANGING_TOOLS

TYPE_CHECKING = False  # typing's costs the hook path; mypy reads the names below
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any, Self

#: Files a checkpoint never holds, whatever git tracks (gitignore-like patterns).
DEFAULT_EXCLUDE = (
    ".env*",
    "*.env",
    "*.pem",
    "*.key",
    "id_rsa*",
    "id_dsa*",
    "id_ecdsa*",
    "id_ed25519*",
    "*.p12",
    "*.pfx",
    "*.jks",
    "*.keystore",
    ".netrc",
    ".pgpass",
    ".git-credentials",
    ".npmrc",
    ".pypirc",
    "credentials.json",
    ".aws/credentials",
    "*/.aws/credentials",
    "secrets.yml",
    "secrets.yaml",
    ".docker/config.json",
    "*/.docker/config.json",
    ".vault-token",
    ".htpasswd",
)

#: The project config file, found in the project dir or a parent within the work tree.
PROJECT_FILE = ".cc-guard.toml"

#: What ``cc-guard handoff --summarizer`` accepts.
SUMMARIZERS = ("offline", "api", "auto")


class Section:
    """Base of the sections: values by name, equality, a readable repr."""

    __slots__: tuple[str, ...] = ()

    def values(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}

    def replace(self, **changes: Any) -> Self:
        return type(self)(**{**self.values(), **changes})

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self.values() == other.values()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={v!r}" for k, v in self.values().items())
        return f"{type(self).__name__}({inner})"


class CheckpointsConfig(Section):
    __slots__ = ("enabled", "exclude", "extra_tools", "max_file_mb", "time_budget_seconds")

    def __init__(
        self,
        enabled: bool = True,
        max_file_mb: float = 20.0,
        exclude: tuple[str, ...] = DEFAULT_EXCLUDE,
        extra_tools: tuple[str, ...] = (),
        time_budget_seconds: float = 2.0,
    ) -> None:
        self.enabled = enabled
        self.max_file_mb = float(max_file_mb)
        self.exclude = tuple(exclude)
        self.extra_tools = tuple(extra_tools)
        self.time_budget_seconds = float(time_budget_seconds)

    @property
    def max_bytes(self) -> int:
        return int(self.max_file_mb * 1024 * 1024)

    @property
    def tools(self) -> frozenset[str]:
        """Tools whose PostToolUse takes a checkpoint."""
        return frozenset(CHANGING_TOOLS) | frozenset(self.extra_tools)


class BackupConfig(Section):
    __slots__ = ("remote",)

    def __init__(self, remote: str = "") -> None:
        #: A git remote that ``pre-push`` also pushes ``refs/cc-guard/*`` to ("" = never).
        self.remote = remote


class GitConfig(Section):
    __slots__ = ("commit_trailer",)

    def __init__(self, commit_trailer: bool = False) -> None:
        self.commit_trailer = commit_trailer


class ContextConfig(Section):
    __slots__ = ("warn_percent", "windows")

    def __init__(self, warn_percent: float = 80.0, windows: Mapping[str, int] | None = None) -> None:
        self.warn_percent = float(warn_percent)
        #: model id -> context window size (tokens), overriding what cc-guard would assume.
        self.windows: dict[str, int] = dict(windows or {})


class HandoffConfig(Section):
    __slots__ = ("summarizer", "summary_input_tokens", "summary_max_tokens")

    def __init__(
        self,
        summarizer: str = "offline",
        summary_max_tokens: int = 2000,
        summary_input_tokens: int = 40000,
    ) -> None:
        self.summarizer = summarizer
        #: Output cap of one API summary (and of each chunk summary), in tokens.
        self.summary_max_tokens = int(summary_max_tokens)
        #: Input budget of one summarizer request (tiktoken estimate times the safety factor).
        self.summary_input_tokens = int(summary_input_tokens)


#: The default model chain: the newest Sonnet-class model, then the newest Haiku-class
#: model of the installed anthropic SDK's model list (tests/test_api_chain.py keeps
#: these in step with the SDK). After the last one comes the offline handoff.
DEFAULT_MODELS: tuple[str, ...] = ("claude-sonnet-5-5", "claude-haiku-5-5")
#: Providers a ``[api] models`` table may name, and the keys such a table takes.
PROVIDERS = ("anthropic", "bedrock", "vertex")
MODEL_KEYS = ("provider", "model", "region", "project_id")


class ApiConfig(Section):
    """cc-guard's own calls to the API (docs/api.md)."""

    __slots__ = (
        "attempt_timeout_seconds",
        "backoff_base_seconds",
        "backoff_cap_seconds",
        "base_url",
        "circuit_cooldown_seconds",
        "circuit_max_cooldown_seconds",
        "connect_timeout_seconds",
        "first_byte_timeout_seconds",
        "idle_timeout_seconds",
        "max_retry_after_seconds",
        "models",
        "server_error_retries",
    )

    def __init__(
        self,
        models: tuple[str | Mapping[str, str], ...] = DEFAULT_MODELS,
        base_url: str = "",
        connect_timeout_seconds: float = 5.0,
        first_byte_timeout_seconds: float = 15.0,
        idle_timeout_seconds: float = 30.0,
        attempt_timeout_seconds: float = 180.0,
        server_error_retries: int = 2,
        backoff_base_seconds: float = 1.0,
        backoff_cap_seconds: float = 8.0,
        max_retry_after_seconds: float = 20.0,
        circuit_cooldown_seconds: float = 30.0,
        circuit_max_cooldown_seconds: float = 600.0,
    ) -> None:
        #: Model ids (the Anthropic API) or tables ``{provider, model, region, project_id}``.
        self.models = tuple(m if isinstance(m, str) else dict(m) for m in models)
        #: The Anthropic API endpoint ("" = $ANTHROPIC_BASE_URL, else the SDK's default).
        self.base_url = base_url
        self.connect_timeout_seconds = float(connect_timeout_seconds)
        self.first_byte_timeout_seconds = float(first_byte_timeout_seconds)
        #: Longest silence between two stream events.
        self.idle_timeout_seconds = float(idle_timeout_seconds)
        #: Longest one attempt may take in all (a stream that keeps dripping).
        self.attempt_timeout_seconds = float(attempt_timeout_seconds)
        self.server_error_retries = int(server_error_retries)
        self.backoff_base_seconds = float(backoff_base_seconds)
        self.backoff_cap_seconds = float(backoff_cap_seconds)
        #: A 429's retry-after is waited for when at most this long; longer: the next model.
        self.max_retry_after_seconds = float(max_retry_after_seconds)
        self.circuit_cooldown_seconds = float(circuit_cooldown_seconds)
        self.circuit_max_cooldown_seconds = float(circuit_max_cooldown_seconds)


#: Anthropic's Atlassian Statuspage feed (components "Claude API (api.anthropic.com)",
#: "Claude Code", ...).
DEFAULT_STATUS_URL = "https://status.claude.com/api/v2/summary.json"


class DoctorConfig(Section):
    """``cc-guard doctor`` (docs/doctor.md)."""

    __slots__ = ("incident_window_minutes", "status_url", "timeout_seconds")

    def __init__(
        self,
        status_url: str = DEFAULT_STATUS_URL,
        timeout_seconds: float = 5.0,
        incident_window_minutes: float = 30.0,
    ) -> None:
        #: Statuspage ``summary.json`` to read ("" = do not look at a status page).
        self.status_url = status_url
        #: The whole run answers within this many seconds, whatever the probes do.
        self.timeout_seconds = float(timeout_seconds)
        #: How far back incidents in local sessions count.
        self.incident_window_minutes = float(incident_window_minutes)


#: section name -> its class, in the order ``config show`` prints them.
SECTIONS: dict[str, type[Section]] = {
    "checkpoints": CheckpointsConfig,
    "backup": BackupConfig,
    "git": GitConfig,
    "context": ContextConfig,
    "handoff": HandoffConfig,
    "api": ApiConfig,
    "doctor": DoctorConfig,
}

#: Keys a project's ``.cc-guard.toml`` may not set: a project file can come with a cloned
#: repository, and these decide where the user's work or credentials go.
USER_ONLY_KEYS = ("backup.remote", "api.base_url", "doctor.status_url")
