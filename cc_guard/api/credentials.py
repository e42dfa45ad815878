"""Credentials and endpoint for the Anthropic API, taken the way Claude Code takes them.

- ``ANTHROPIC_API_KEY`` (sent as ``x-api-key``) and/or ``ANTHROPIC_AUTH_TOKEN`` (sent as
  ``Authorization: Bearer``), from the environment or from the ``env`` table of the
  user's Claude Code settings (``$CLAUDE_CONFIG_DIR/settings.json``), which Claude Code
  applies on top of its environment. Project settings files are not read: they come
  with cloned repositories, and must not redirect the user's key.
- The endpoint: ``[api] base_url`` (user config file only), else ``ANTHROPIC_BASE_URL``
  (which is how ``cc-guard chaos serve`` stands in for the API), else the API's own.

A key is never logged, printed or written: :class:`Credentials` leaves it out of its
repr, and messages name the variable, never its value. Without a key or token the
API is unavailable, with one line saying why (:attr:`Credentials.problem`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

API_KEY_ENV = "ANTHROPIC_API_KEY"
AUTH_TOKEN_ENV = "ANTHROPIC_AUTH_TOKEN"
BASE_URL_ENV = "ANTHROPIC_BASE_URL"
DEFAULT_BASE_URL = "https://api.anthropic.com"


class ApiUnavailable(Exception):
    """The API cannot be used at all (no credentials, no usable provider): one line, why."""


@dataclass(frozen=True)
class Credentials:
    api_key: str | None = field(default=None, repr=False)
    auth_token: str | None = field(default=None, repr=False)
    base_url: str = DEFAULT_BASE_URL
    #: Where the key or token came from, e.g. "ANTHROPIC_API_KEY (environment)".
    key_source: str | None = None
    #: Where the base URL came from: "[api] base_url", "ANTHROPIC_BASE_URL (...)" or "default".
    base_url_source: str = "default"
    #: Why the Anthropic API cannot be used (None when a key or token is there).
    problem: str | None = None

    @property
    def usable(self) -> bool:
        return self.problem is None


def claude_settings_env(claude_dir: Path | None = None) -> dict[str, str]:
    """The ``env`` table of the user's Claude Code settings ({} when absent or unreadable)."""
    if claude_dir is None:
        from cc_guard.base.paths import claude_dir as default_dir

        claude_dir = default_dir()
    try:
        data = json.loads((claude_dir / "settings.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    env = data.get("env") if isinstance(data, dict) else None
    if not isinstance(env, dict):
        return {}
    return {str(k): v for k, v in env.items() if isinstance(v, str)}


def _uses_key_helper(claude_dir: Path | None) -> bool:
    if claude_dir is None:
        from cc_guard.base.paths import claude_dir as default_dir

        claude_dir = default_dir()
    try:
        data = json.loads((claude_dir / "settings.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and bool(data.get("apiKeyHelper"))


def find_credentials(
    base_url: str = "",
    environ: Mapping[str, str] | None = None,
    claude_dir: Path | None = None,
) -> Credentials:
    """The Anthropic API's credentials and endpoint. Never raises; see ``problem``.

    ``base_url`` is ``[api] base_url`` ("" when not set).
    """
    environ = os.environ if environ is None else environ
    settings = claude_settings_env(claude_dir)

    def lookup(name: str) -> tuple[str | None, str | None]:
        # Claude Code applies the settings' env on top of its own environment.
        if settings.get(name, "").strip():
            return settings[name], f"{name} (Claude Code settings.json env)"
        if environ.get(name, "").strip():
            return environ[name], f"{name} (environment)"
        return None, None

    api_key, key_source = lookup(API_KEY_ENV)
    auth_token, token_source = lookup(AUTH_TOKEN_ENV)
    url_source: str
    if base_url:
        url, url_source = base_url, "[api] base_url"
    else:
        found, found_source = lookup(BASE_URL_ENV)
        url = found.strip() if found else DEFAULT_BASE_URL
        url_source = found_source if found and found_source else "default"
    sources = ", ".join(s for s in (key_source, token_source) if s) or None
    problem = None
    if api_key is None and auth_token is None:
        problem = _why_no_key(claude_dir)
    return Credentials(
        api_key=api_key.strip() if api_key else None,
        auth_token=auth_token.strip() if auth_token else None,
        base_url=url.rstrip("/"),
        key_source=sources,
        base_url_source=url_source,
        problem=problem,
    )


def _why_no_key(claude_dir: Path | None) -> str:
    base = f"no {API_KEY_ENV} or {AUTH_TOKEN_ENV} in the environment or Claude Code's settings"
    if claude_dir is None:
        from cc_guard.base.paths import claude_dir as default_dir

        claude_dir = default_dir()
    if _uses_key_helper(claude_dir):
        return f"{base} (Claude Code's apiKeyHelper is not run by cc-guard; export {API_KEY_ENV})"
    if (claude_dir / ".credentials.json").exists():
        return f"{base} (a Claude subscription login cannot be used by other programs)"
    return base


def key_problem(value: str, variable: str = API_KEY_ENV) -> str | None:
    """Why a key or token looks malformed (never quoting it), or None when it looks fine."""
    if value != value.strip():
        return f"{variable} has spaces or a line break around it"
    if any(c.isspace() for c in value):
        return f"{variable} has a space or line break inside it"
    if value[:1] in "\"'" or value[-1:] in "\"'":
        return f"{variable} is wrapped in quotes"
    if not value.isascii() or not value.isprintable():
        return f"{variable} has characters that are not printable ASCII"
    if len(value) < 20:
        return f"{variable} is too short to be a key ({len(value)} characters)"
    if variable == API_KEY_ENV and not value.startswith("sk-ant-"):
        return f"{variable} does not start with sk-ant- (Anthropic API keys do)"
    return None
