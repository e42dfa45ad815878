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
    __slots__ = ("summarizer",)

    def __init__(self, summarizer: str = "offline") -> None:
        self.summarizer = summarizer


#: section name -> its class, in the order ``config show`` prints them.
SECTIONS: dict[str, type[Section]] = {
    "checkpoints": CheckpointsConfig,
    "backup": BackupConfig,
    "git": GitConfig,
    "context": ContextConfig,
    "handoff": HandoffConfig,
}
