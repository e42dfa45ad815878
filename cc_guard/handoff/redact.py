"""Secret redaction for everything cc-guard writes or injects (handoff files, seeds).

Transcripts hold whatever the agent saw: ``cat .env``, an ``echo $API_KEY``, a curl
with a bearer token. The handoff is written to disk and injected into a new session,
so every string goes through :func:`redact` first. The patterns aim at real secret
shapes (provider prefixes, key blocks, secret-named assignments with literal values)
and stay away from ordinary code: ``password = request.form["password"]`` or
``api_key: str`` are left alone.

Redaction is idempotent: ``redact(redact(x)) == redact(x)``.
"""

from __future__ import annotations

import re
from typing import Any

MARK = "[REDACTED]"


def _mark(kind: str) -> str:
    return f"[REDACTED:{kind}]"


# Provider tokens with a recognisable prefix. Order matters: the specific ones first.
_TOKEN_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("anthropic_key", re.compile(r"(?<![A-Za-z0-9_])sk-ant-[A-Za-z0-9_\-]{4,}")),
    (
        "openai_key",
        re.compile(
            r"(?<![A-Za-z0-9_\-])sk-(?:proj-|svcacct-|admin-)?(?=[A-Za-z0-9_\-]*\d)(?=[A-Za-z0-9_\-]*[A-Za-z])[A-Za-z0-9_\-]{20,}"
        ),
    ),
    (
        "github_token",
        re.compile(r"(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{22,})"),
    ),
    ("aws_access_key", re.compile(r"(?<![A-Z0-9])(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}(?![A-Z0-9])")),
    (
        "slack_token",
        re.compile(
            r"(?<![A-Za-z0-9_])xox[abposr]-[A-Za-z0-9\-]{10,}|(?<![A-Za-z0-9_])xapp-[0-9]-[A-Za-z0-9\-]{10,}"
        ),
    ),
    ("slack_webhook", re.compile(r"https://hooks\.slack\.com/services/[A-Za-z0-9/_\-]{20,}")),
    ("google_api_key", re.compile(r"(?<![A-Za-z0-9_])AIza[0-9A-Za-z_\-]{35}")),
    ("stripe_key", re.compile(r"(?<![A-Za-z0-9_])(?:sk|rk)_(?:live|test)_[0-9A-Za-z]{16,}")),
    ("npm_token", re.compile(r"(?<![A-Za-z0-9_])npm_[A-Za-z0-9]{36}")),
    ("huggingface_token", re.compile(r"(?<![A-Za-z0-9_])hf_[A-Za-z0-9]{30,}")),
    (
        "jwt",
        re.compile(
            r"(?<![A-Za-z0-9_\-])eyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}"
        ),
    ),
]

_PRIVATE_KEY = re.compile(
    r"-----BEGIN ((?:[A-Z0-9]+ )*)PRIVATE KEY((?: BLOCK)?)-----.*?(?:-----END \1PRIVATE KEY\2-----|\Z)",
    re.DOTALL,
)

# "Authorization: Bearer <token>", "Basic <b64>", and api-key style headers.
_BEARER = re.compile(r"(?i)\b(bearer|basic|token)(\s+)([A-Za-z0-9\-._~+/]{16,}=*)")
_HEADER = re.compile(
    r"(?i)\b(x-api-key|api-key|x-auth-token|authorization)(\s*:\s*)(?!\[REDACTED)([^\s\"',;]{12,})"
)

# scheme://user:password@host
_URL_CREDS = re.compile(r"\b([a-zA-Z][a-zA-Z0-9+.\-]*://)([^/\s:@\"'<>]*):([^/\s@\"'<>]+)@")

# Secret-looking variable names: the last word decides (``*_KEY``, ``*_TOKEN``, ...).
_SECRET_WORDS = {
    "key",
    "apikey",
    "token",
    "secret",
    "password",
    "passwd",
    "pwd",
    "pass",
    "passphrase",
    "credential",
    "credentials",
    "privatekey",
    "secretkey",
    "accesskey",
    "authtoken",
    "dsn",
}
# "KEY" preceded by these is a data-structure key, not a secret.
_NON_SECRET_KEY_PREFIXES = {
    "sort",
    "primary",
    "foreign",
    "cache",
    "dict",
    "lookup",
    "partition",
    "row",
    "hot",
    "shortcut",
    "map",
    "index",
    "group",
    "unique",
    "composite",
    "public",
    "registry",
    "idempotency",
    "hash",
    "sharding",
    "shard",
    "object",
    "s3",
    "bucket",
    "storage",
    "next",
    "prev",
    "page",
    "max",
    "min",
    "num",
    "sequence",
    "config",
    "setting",
    "settings",
    "field",
}
_NON_SECRET_TOKEN_PREFIXES = {
    "max",
    "min",
    "num",
    "count",
    "next",
    "page",
    "continuation",
    "csrf_field",
    "type",
}

_PLACEHOLDER = re.compile(
    r"""(?ix)^(?:
        |\$.*|%\(.*|\{\{.*|<.*>|\[REDACTED.*|\*+|x{3,}|\.\.\.|…
        |none|null|nil|true|false|undefined|changeme|change-me|example|your[-_ ].*|todo
        |str|string|int|bytes|optional\[.*|any
    )$"""
)

_NAME = r"[A-Za-z_][A-Za-z0-9_.\-]*"
# NAME=value at line start (.env, shell, Dockerfile ENV): unquoted values allowed
# only for ALL-CAPS names (the env convention); code assignments need a literal.
_ENV_ASSIGN = re.compile(
    r"(?m)^(?P<pre>[ \t]*(?:export[ \t]+|ENV[ \t]+|set[ \t]+)?)(?P<name>[A-Z_][A-Z0-9_]*)(?P<op>[ \t]*=[ \t]*)"
    r"(?P<val>\"[^\"\n]*\"|'[^'\n]*'|[^\s\"'#(){}\[\],;]+)(?=[ \t]*(?:#.*)?$)"
)
# name = "literal" / name: "literal" / "name": "literal" anywhere (code, JSON, YAML).
_QUOTED_ASSIGN = re.compile(
    r"(?P<pre>(?<![A-Za-z0-9_])[\"']?)(?P<name>" + _NAME + r")(?P<op>[\"']?[ \t]*(?::=|=|:)[ \t]*)"
    r"(?P<val>\"[^\"\n]{4,}\"|'[^'\n]{4,}')"
)
# --password=x / --token x / -p... on command lines.
_FLAG = re.compile(
    r"(?i)(?P<pre>--)(?P<name>(?:[a-z]+-)*(?:password|passwd|token|secret|api-key|apikey|access-key|secret-key))"
    r"(?P<op>=|[ \t]+)(?P<val>(?!-)[^\s\"']{4,}|\"[^\"\n]{4,}\"|'[^'\n]{4,}')"
)

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def is_secret_name(name: str) -> bool:
    """True for names like ``ANTHROPIC_API_KEY``, ``db_password``, ``clientSecret``."""
    words = [w for w in re.split(r"[_.\-]+", _CAMEL.sub("_", name).lower()) if w]
    if not words:
        return False
    last = words[-1]
    if last not in _SECRET_WORDS:
        return False
    before = words[-2] if len(words) > 1 else ""
    if last == "key" and before in _NON_SECRET_KEY_PREFIXES:
        return False
    if last == "key" and not before:
        return False  # a bare "key" is almost always a dict key in code
    return not (last == "token" and before in _NON_SECRET_TOKEN_PREFIXES)


def _plausible_value(raw: str) -> bool:
    value = raw.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        value = value[1:-1]
    if len(value) < 4 or _PLACEHOLDER.match(value):
        return False
    return not (value.isdigit() and len(value) < 8)


def _assign_sub(match: re.Match[str]) -> str:
    name = match.group("name")
    val = match.group("val")
    if not is_secret_name(name) or not _plausible_value(val):
        return match.group(0)
    quote = val[0] if val[0] in "\"'" and len(val) >= 2 else ""
    return f"{match.group('pre')}{name}{match.group('op')}{quote}{MARK}{quote}"


def redact(text: str) -> str:
    """Return ``text`` with every secret-looking substring replaced by a marker."""
    if not text:
        return text
    if "PRIVATE KEY" in text:
        text = _PRIVATE_KEY.sub(_mark("private_key"), text)
    for kind, pattern in _TOKEN_PATTERNS:
        text = pattern.sub(_mark(kind), text)
    if "://" in text:
        text = _URL_CREDS.sub(
            lambda m: (
                m.group(0)
                if m.group(3).startswith("[REDACTED")
                else f"{m.group(1)}{m.group(2)}:{MARK}@"
            ),
            text,
        )
    text = _BEARER.sub(lambda m: f"{m.group(1)}{m.group(2)}{MARK}", text)
    text = _HEADER.sub(lambda m: f"{m.group(1)}{m.group(2)}{MARK}", text)
    if "=" in text:
        text = _ENV_ASSIGN.sub(_assign_sub, text)
    if "=" in text or ":" in text:
        text = _QUOTED_ASSIGN.sub(_assign_sub, text)
    if "--" in text:
        text = _FLAG.sub(_flag_sub, text)
    return text


def _flag_sub(match: re.Match[str]) -> str:
    val = match.group("val")
    if not _plausible_value(val):
        return match.group(0)
    return f"{match.group('pre')}{match.group('name')}{match.group('op')}{MARK}"


def redact_obj(value: Any) -> Any:
    """Redact every string inside a JSON-like structure (keys stay as they are).

    A string value whose key names a secret (``{"api_key": "..."}``) is masked whole.
    """
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, list):
        return [redact_obj(v) for v in value]
    if isinstance(value, dict):
        out: dict[Any, Any] = {}
        for key, item in value.items():
            if (
                isinstance(key, str)
                and isinstance(item, str)
                and is_secret_name(key)
                and _plausible_value(item)
            ):
                out[key] = MARK
            else:
                out[key] = redact_obj(item)
        return out
    return value
