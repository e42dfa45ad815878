"""Reading cc-guard's configuration from TOML into one :class:`Config`.

Two files, both optional: the user file (``cc_guard.base.paths.config_file()``) and a
per-project ``.cc-guard.toml``; a value from the project file overrides the
user's, key by key (a list or table is replaced whole, never merged). An unknown
key or a value of the wrong type is a ``ConfigError`` that names the file, the
key and what was expected.

The hook path imports this only when a config file exists (see
:func:`cc_guard.config.checkpoints_config`); ``tomllib`` is imported then.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from cc_guard.config.sections import (
    MODEL_KEYS,
    PROJECT_FILE,
    PROVIDERS,
    SECTIONS,
    SUMMARIZERS,
    USER_ONLY_KEYS,
    ApiConfig,
    BackupConfig,
    CheckpointsConfig,
    ContextConfig,
    DoctorConfig,
    GitConfig,
    HandoffConfig,
    Section,
)

#: Provenance labels (the file path follows after ": ").
DEFAULT = "default"
USER = "user"
PROJECT = "project"


class ConfigError(Exception):
    """A config file cannot be used: unreadable, not TOML, an unknown key or a wrong type."""


class Config:
    """The effective configuration: one object per section, plus where each value came from."""

    __slots__ = (
        "api",
        "backup",
        "checkpoints",
        "context",
        "doctor",
        "files",
        "git",
        "handoff",
        "sources",
    )

    def __init__(
        self,
        checkpoints: CheckpointsConfig | None = None,
        backup: BackupConfig | None = None,
        git: GitConfig | None = None,
        context: ContextConfig | None = None,
        handoff: HandoffConfig | None = None,
        api: ApiConfig | None = None,
        doctor: DoctorConfig | None = None,
        sources: Mapping[str, str] | None = None,
        files: tuple[Path, ...] = (),
    ) -> None:
        self.checkpoints = checkpoints or CheckpointsConfig()
        self.backup = backup or BackupConfig()
        self.git = git or GitConfig()
        self.context = context or ContextConfig()
        self.handoff = handoff or HandoffConfig()
        self.api = api or ApiConfig()
        self.doctor = doctor or DoctorConfig()
        #: "section.key" -> "default" | "user: <path>" | "project: <path>" for every key.
        self.sources: dict[str, str] = dict(sources or {})
        #: The files that were read, in the order they were applied.
        self.files = files

    def section(self, name: str) -> Section:
        value: Section = getattr(self, name)
        return value

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Config):
            return NotImplemented
        return all(self.section(n) == other.section(n) for n in SECTIONS)

    __hash__ = None  # type: ignore[assignment]

    def source(self, key: str) -> str:
        """Where ``section.key`` came from: ``default``, ``user: <path>`` or ``project: <path>``."""
        return self.sources.get(key, DEFAULT)

    def as_dict(self) -> dict[str, dict[str, Any]]:
        """The effective values as plain TOML-like data (tuples as lists)."""
        out: dict[str, dict[str, Any]] = {}
        for name in SECTIONS:
            values: dict[str, Any] = {}
            for key, value in self.section(name).values().items():
                if isinstance(value, tuple):
                    value = [dict(v) if isinstance(v, Mapping) else v for v in value]
                elif isinstance(value, Mapping):
                    value = dict(value)
                values[key] = value
            out[name] = values
        return out


# --- validation ------------------------------------------------------------------------
# Each checker returns the converted value or raises ValueError("<what was expected>").


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    raise ValueError("a boolean (true or false)")


def _positive_number(value: Any) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return float(value)
    raise ValueError("a number greater than 0")


def _percent(value: Any) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 < value <= 100:
        return float(value)
    raise ValueError("a number between 0 (exclusive) and 100")


def _str_list(value: Any) -> tuple[str, ...]:
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return tuple(value)
    raise ValueError("a list of strings")


def _windows(value: Any) -> dict[str, int]:
    if isinstance(value, dict) and all(
        isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in value.values()
    ):
        return {str(k): int(v) for k, v in value.items()}
    raise ValueError("a table of model id = window size in tokens (positive integers)")


def _summarizer(value: Any) -> str:
    if isinstance(value, str) and value in SUMMARIZERS:
        return value
    raise ValueError("one of " + ", ".join(f'"{name}"' for name in SUMMARIZERS))


def _count(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    raise ValueError("a whole number (0 or more)")


def _tokens(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 100:
        return value
    raise ValueError("a whole number of tokens, at least 100")


def _url(value: Any) -> str:
    if isinstance(value, str) and (
        value == ""
        or (
            value.startswith(("http://", "https://"))
            and value.split("://", 1)[1].strip("/")
            and not any(c.isspace() for c in value)
        )
    ):
        return value
    raise ValueError('an http:// or https:// URL, or ""')


def _doctor_timeout(value: Any) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 < value <= 60:
        return float(value)
    raise ValueError("a number of seconds greater than 0, at most 60")


def _models(value: Any) -> tuple[str | dict[str, str], ...]:
    expected = (
        "a non-empty list of model ids or tables like "
        '{ provider = "vertex", model = "...", region = "...", project_id = "..." }'
    )
    if not isinstance(value, list) or not value:
        raise ValueError(expected)
    out: list[str | dict[str, str]] = []
    for number, item in enumerate(value, 1):
        if isinstance(item, str) and item.strip() and not any(c.isspace() for c in item.strip()):
            out.append(item.strip())
            continue
        if not isinstance(item, dict):
            raise ValueError(f"{expected} (entry {number} is neither)")
        unknown = sorted(set(item) - set(MODEL_KEYS))
        if unknown:
            raise ValueError(
                f"{expected} (entry {number}: unknown key {unknown[0]!r}; "
                f"known: {', '.join(MODEL_KEYS)})"
            )
        if not all(isinstance(v, str) and v.strip() for v in item.values()):
            raise ValueError(f"{expected} (entry {number}: every value must be a non-empty string)")
        if "model" not in item:
            raise ValueError(f"{expected} (entry {number} has no 'model')")
        provider = item.get("provider", "anthropic")
        if provider not in PROVIDERS:
            raise ValueError(
                f"{expected} (entry {number}: provider must be one of {', '.join(PROVIDERS)})"
            )
        out.append(
            {"provider": provider, **{k: item[k].strip() for k in MODEL_KEYS[1:] if k in item}}
        )
    return tuple(out)


def _remote(value: Any) -> str:
    # A remote name, not a URL or an option: it is passed to git as an argv item.
    if isinstance(value, str) and not value.startswith("-") and not any(c.isspace() for c in value):
        return value
    raise ValueError("the name of a git remote (no spaces, not starting with '-'), or \"\"")


CHECKERS: dict[str, dict[str, Callable[[Any], Any]]] = {
    "checkpoints": {
        "enabled": _bool,
        "max_file_mb": _positive_number,
        "exclude": _str_list,
        "extra_tools": _str_list,
        "time_budget_seconds": _positive_number,
    },
    "backup": {"remote": _remote},
    "git": {"commit_trailer": _bool},
    "context": {"warn_percent": _percent, "windows": _windows},
    "handoff": {
        "summarizer": _summarizer,
        "summary_max_tokens": _tokens,
        "summary_input_tokens": _tokens,
    },
    "api": {
        "models": _models,
        "base_url": _url,
        "connect_timeout_seconds": _positive_number,
        "first_byte_timeout_seconds": _positive_number,
        "idle_timeout_seconds": _positive_number,
        "attempt_timeout_seconds": _positive_number,
        "server_error_retries": _count,
        "backoff_base_seconds": _positive_number,
        "backoff_cap_seconds": _positive_number,
        "max_retry_after_seconds": _positive_number,
        "circuit_cooldown_seconds": _positive_number,
        "circuit_max_cooldown_seconds": _positive_number,
    },
    "doctor": {
        "status_url": _url,
        "timeout_seconds": _doctor_timeout,
        "incident_window_minutes": _positive_number,
    },
}


def _parse(path: Path) -> dict[str, Any] | None:
    """The TOML table in ``path``, or None when the file does not exist."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a directory, expected a TOML file") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    import tomllib  # deferred: most hook runs have no config file at all

    try:
        return tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: is not valid TOML ({exc})") from None


def _validate(path: Path, data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Checked, converted values per section; raises ConfigError naming file and key."""
    out: dict[str, dict[str, Any]] = {}
    for section_name, section in data.items():
        checkers = CHECKERS.get(section_name)
        if checkers is None:
            known = ", ".join(f"[{name}]" for name in CHECKERS)
            raise ConfigError(
                f"{path}: unknown key {section_name!r}; expected one of the sections {known}"
            )
        if not isinstance(section, dict):
            raise ConfigError(f"{path}: {section_name!r} must be a table ([{section_name}])")
        values: dict[str, Any] = {}
        for key, value in section.items():
            checker = checkers.get(key)
            if checker is None:
                known = ", ".join(checkers)
                raise ConfigError(
                    f"{path}: unknown key '{section_name}.{key}'; [{section_name}] accepts {known}"
                )
            try:
                values[key] = checker(value)
            except ValueError as exc:
                raise ConfigError(
                    f"{path}: '{section_name}.{key}' must be {exc}, got {_describe(value)}"
                ) from None
        out[section_name] = values
    return out


def _describe(value: Any) -> str:
    kind = {
        bool: "boolean",
        int: "integer",
        float: "number",
        str: "string",
        list: "list",
        dict: "table",
    }
    text = repr(value)
    if len(text) > 40:
        text = text[:37] + "..."
    return f"{kind.get(type(value), type(value).__name__)} {text}"


def find_project_file(project_dir: Path) -> Path | None:
    """``.cc-guard.toml`` in ``project_dir`` or a parent, not above the git work tree's top.

    Without a ``.git`` on the way up only ``project_dir`` itself is looked at, so a
    stray file in a home directory never applies to unrelated directories.
    """
    start = Path(os.path.abspath(project_dir))
    candidates: list[Path] = []
    for directory in (start, *start.parents):
        candidates.append(directory)
        if (directory / ".git").exists():
            break
    else:
        candidates = [start]
    for directory in candidates:
        path = directory / PROJECT_FILE
        if path.is_file():
            return path
    return None


def load_config(project_dir: Path | None = None) -> Config:
    """The effective config: defaults <- user file <- project file (``project_dir``'s).

    Raises ConfigError when either file cannot be used.
    """
    from cc_guard.base.paths import config_file

    layers: list[tuple[str, Path]] = [(USER, config_file())]
    if project_dir is not None:
        project_file = find_project_file(project_dir)
        if project_file is not None:
            layers.append((PROJECT, project_file))
    return _build(layers)


def _build(layers: list[tuple[str, Path]]) -> Config:
    sections: dict[str, dict[str, Any]] = {name: {} for name in SECTIONS}
    sources: dict[str, str] = {
        f"{name}.{key}": DEFAULT for name, kind in SECTIONS.items() for key in kind.__slots__
    }
    files: list[Path] = []
    for label, path in layers:
        data = _parse(path)
        if data is None:
            continue
        files.append(path)
        checked = _validate(path, data)
        for user_only in USER_ONLY_KEYS if label == PROJECT else ():
            # A project file can come with a cloned repository: it must not choose where
            # checkpoints (snapshots of the user's uncommitted work) get pushed, where the
            # user's API key is sent, or which URL doctor fetches.
            section_name, _, key = user_only.partition(".")
            if key in checked.get(section_name, {}):
                raise ConfigError(
                    f"{path}: '{user_only}' can only be set in the user config file "
                    f"({layers[0][1]}), not in a project's .cc-guard.toml"
                )
        for section_name, values in checked.items():
            sections[section_name].update(values)
            for key in values:
                sources[f"{section_name}.{key}"] = f"{label}: {path}"
    built: dict[str, Any] = {name: SECTIONS[name](**values) for name, values in sections.items()}
    return Config(**built, sources=sources, files=tuple(files))


def load_config_safe(project_dir: Path | None = None) -> Config:
    """Like ``load_config`` but never raises: for the hook path, which must not fail.

    A broken project file falls back to the user file alone, a broken user file to
    the defaults; each problem is appended to ``<state_dir>/hook-errors.log``.
    """
    try:
        return load_config(project_dir)
    except ConfigError as exc:
        _log(exc)
    if project_dir is not None:
        try:
            return load_config(None)
        except ConfigError as exc:
            _log(exc)
    return Config()


def _log(exc: ConfigError) -> None:
    from cc_guard.state import errors

    errors.log("config", f"{exc} (file ignored)")
