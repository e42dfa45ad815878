"""Secret redaction for everything cc-guard writes or injects (handoff files, seeds).

Transcripts hold whatever the agent saw: ``cat .env``, an ``echo $API_KEY``, a curl
with a bearer token. The handoff is written to disk and injected into a new session,
so every string goes through :func:`redact` first. The patterns aim at real secret
shapes (provider prefixes, key blocks, secret-named assignments with secret-looking
literal values) and stay away from ordinary code: ``password = request.form["password"]``,
``api_key: str``, ``cache_key = "user"`` or ``input_token="next_token"`` are left alone.

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
            r"(?<![A-Za-z0-9_\-])sk-(?:proj-|svcacct-|admin-)?(?=[A-Za-z0-9_\-]*\d)"
            r"(?=[A-Za-z0-9_\-]*[A-Za-z])[A-Za-z0-9_\-]{20,}"
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
    ("gitlab_token", re.compile(r"(?<![A-Za-z0-9_])gl(?:pat|dt|rt|ptt)-[A-Za-z0-9_\-]{20,}")),
    (
        "jwt",
        re.compile(
            r"(?<![A-Za-z0-9_\-])eyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}"
        ),
    ),
]

# The BEGIN line, the base64 and header lines of the body (newlines real or escaped
# as in JSON), and the END line when it is there: never more, so a BEGIN marker in
# code or prose does not swallow what follows it.
_KEY_LINE = (
    r"(?:[ \t]*(?:\r?\n|\\n)[ \t]*(?:[A-Za-z0-9+/=]{16,}|[A-Z][A-Za-z\-]*: [^\n\\]*)"
    # a block folded onto one line (whitespace collapsed): base64 runs split by spaces
    r"|[ \t]+[A-Za-z0-9+/=]{16,})"
)
_PRIVATE_KEY = re.compile(
    r"-----BEGIN ((?:[A-Z0-9]+ )*)PRIVATE KEY((?: BLOCK)?)-----"
    r"(?:(?:[\sA-Za-z0-9+/=:,\-]|\\n)*?-----END \1PRIVATE KEY\2-----|" + _KEY_LINE + r"+)"
)

# The end of a key block whose BEGIN line was cut off: the base64 lines right before
# an END line, and the END line.
_PRIVATE_KEY_TAIL = re.compile(
    r"(?:[A-Za-z0-9+/=]+[ \t]*(?:\r?\n|\\n)[ \t]*)+"
    r"-----END ((?:[A-Z0-9]+ )*)PRIVATE KEY((?: BLOCK)?)-----"
)

# "Authorization: Bearer <token>", "Basic <b64>", and api-key style headers.
# The credential must look like one (a digit, or base64 padding/symbols), so that
# "basic implementation_details" in prose stays.
_BEARER = re.compile(
    r"(?i)\b(bearer|basic|token)([ \t]+)(?=[A-Za-z0-9\-._~+/]*[0-9+/=])([A-Za-z0-9\-._~+/]{16,}=*)"
)
_HEADER = re.compile(
    r"(?i)\b(x-api-key|api-key|x-auth-token|authorization)([ \t]*:[ \t]*)(?!\[REDACTED)([^\s\"',;]{12,})"
)

# scheme://user:password@host
_URL_CREDS = re.compile(r"\b([a-zA-Z][a-zA-Z0-9+.\-]*://)([^/\s:@\"'<>,]*):([^/\s@\"'<>,]+)@")

_PASSWORD_WORDS = {"password", "passwd", "pwd", "pass", "passphrase", "pword", "pgpassword"}
_SECRET_WORDS = {
    "key",
    "apikey",
    "token",
    "secret",
    "credential",
    "credentials",
    "privatekey",
    "secretkey",
    "accesskey",
    "authtoken",
    "dsn",
    *_PASSWORD_WORDS,
}
# In code, "..._key" is a secret only with one of these words in its name; a bare
# "cache_key" or "edge_key" is a data-structure key. (.env files are judged by *_KEY.)
_KEY_QUALIFIERS = {
    "api", "secret", "private", "access", "auth", "client", "signing", "sign", "encryption",
    "encrypt", "crypt", "master", "license", "session", "consumer", "webhook", "ssh", "hmac",
    "service", "account", "app", "deploy", "admin", "bot", "write", "ingest", "subscription",
}  # fmt: skip
# "KEY" after these is a data-structure key even in a .env-style line.
_NON_SECRET_KEY_PREFIXES = {
    "sort", "primary", "foreign", "cache", "dict", "lookup", "partition", "row", "hot",
    "shortcut", "map", "index", "group", "unique", "composite", "public", "registry",
    "idempotency", "hash", "shard", "sharding", "object", "bucket", "storage", "next", "prev",
    "page", "max", "min", "num", "sequence", "config", "setting", "settings", "field", "metadata",
    "stats", "limit", "edge", "base", "sub", "root", "tag", "dedup", "routing",
}  # fmt: skip
_NON_SECRET_TOKEN_PREFIXES = {
    "max", "min", "num", "count", "next", "page", "continuation", "type", "input", "output",
    "start", "end", "stop", "special", "bos", "eos", "pad", "unk", "cls", "sep", "mask",
    "first", "last", "prev", "current", "cancellation", "verification", "idempotency",
}  # fmt: skip

_PLACEHOLDER = re.compile(
    r"""(?ix)^(?:
        |\$.*|%\(.*|\{\{.*|<.*>|\[REDACTED.*|[:.\s]*\*{3,}[:.\s*]*|x{3,}|\.\.\.|…
        |none|null|nil|true|false|undefined|changeme|change-me|example|your[-_ ].*|todo
        |str|string|int|bytes|optional\[.*|any|password|passwd|pass|secret|token|pwd|dummy|test
    )$"""
)
# Literal values that are names, not secrets: identifiers, CamelCase, CONSTANT_CASE,
# colours, dotted names, paths and format strings.
_NAME_LIKE = re.compile(
    r"^(?:[a-z]+(?:[_.\-][a-z]+)*|[A-Z][a-z]+(?:[A-Z][a-z]+)*|[A-Z]+(?:_[A-Z]+)*"
    r"|[A-Z]?[a-z]+(?:[-_ ][A-Z]?[a-z]+)+|#.*|_.*|/.*|.*[{}%].*|[a-z]+(?:[A-Z][a-z]+)+)$"
)

# For passwords, which may be words: only identifiers count as names.
_IDENT_LIKE = re.compile(
    r"^(?:[a-z]+(?:_[a-z]+)+|[A-Z][a-z]+(?:[A-Z][a-z]+)+|[a-z]+(?:[A-Z][a-z]+)+|_.*|#.*)$"
)

_NAME = r"[A-Za-z_][A-Za-z0-9_.\-]*"
# NAME=value at line start, no spaces around "=" (.env, shell, Dockerfile ENV).
_ENV_ASSIGN = re.compile(
    r"(?m)^(?P<pre>[ \t]*(?:export[ \t]+|ENV[ \t]+|set[ \t]+)?)(?P<name>[A-Z_][A-Z0-9_]*)(?P<op>=)"
    r"(?P<val>\"[^\"\n]*\"|'[^'\n]*'|[^\s\"'#(){}\[\],;]+)(?=[ \t]*(?:#.*)?$)"
)
# name = "literal" / name: "literal" / "name": "literal" anywhere (code, JSON, YAML).
_QUOTED_ASSIGN = re.compile(
    r"(?P<pre>(?<![A-Za-z0-9_])[\"']?)(?P<name>" + _NAME + r")(?P<op>[\"']?[ \t]*(?::=|=|:)[ \t]*)"
    r"(?P<val>\"[^\"\n]{4,}\"|'[^'\n]{4,}')"
)
# NAME=value inside a line: a command's environment prefix (``ANTHROPIC_API_KEY=... claude``,
# ``env X=... cmd``, ``X=...; make``), a query string, a libpq conninfo. Unquoted values
# end at a shell separator; a value followed by anything else (``X=f(...)``) is code.
_INLINE_ASSIGN = re.compile(
    r"(?<![A-Za-z0-9_$.\-/])(?P<pre>)(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?P<op>=)"
    r"(?P<val>\"[^\"\n]*\"|'[^'\n]*'|[^\s\"'`;&|()<>\[\]{},=]+)(?=[\s;&|)`\"']|$)"
)
# name = value / name: value alone on a line, unquoted (.ini, ~/.aws/credentials, YAML).
_LINE_ASSIGN = re.compile(
    r"(?m)^(?P<pre>[ \t]*(?:-[ \t]+)?)(?P<name>[A-Za-z_][A-Za-z0-9_.\-]*)(?P<op>[ \t]*[:=][ \t]*)"
    r"(?P<val>[^\s\"'#,;{}\[\]()]+)(?=[ \t]*(?:#.*)?\r?$)"
)
# ``obj.attr`` / ``module.CONST`` / ``DEFAULT_PASS``: a reference in code, not a literal.
_DOTTED = re.compile(
    r"^(?:[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+|[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)$"
)

# --password=x / --token x on command lines.
_FLAG = re.compile(
    r"(?i)(?P<pre>--)(?P<name>(?:[a-z]+-)*(?:password|passwd|token|secret|api-key|apikey|access-key|secret-key))"
    r"(?P<op>=|[ \t]+)(?P<val>(?!-)[^\s\"']{4,}|\"[^\"\n]{4,}\"|'[^'\n]{4,}')"
)

# Passwords handed to a program on its command line, each only after the program or
# option that takes one (``-p`` is a password for mysql, a port for ssh). ``val`` is
# the password, quoted or not.
_VALUE = r"(?P<val>'[^'\n]+'|\"[^\"\n]+\"|[^\s'\"]*[^\s'\",;)\]])"
_QUOTED = r"(?P<q>['\"])(?P<user>[^\s{sep}'\"]+){sep}(?P<val>[^'\"\n]+)(?P=q)"
_UNQUOTED = r"(?P<user>[^\s{sep}'\"@]+){sep}(?P<val>[^\s'\"]*[^\s'\",;)\]])"
_CURL_USER = r"(?<![\w-])(?:-u|-U|--user|--proxy-user)(?:=|[ \t]+)?"
_SMB_USER = r"(?<![\w-])(?:-U|--user)(?:=|[ \t]+)"
_COMMAND_PASSWORDS = [
    # user:password for curl (-u, --user, -U/--proxy-user), wget and ftp clients
    re.compile(_CURL_USER + _QUOTED.format(sep=":")),
    re.compile(_CURL_USER + _UNQUOTED.format(sep=":")),
    # user%password for smbclient
    re.compile(_SMB_USER + _QUOTED.format(sep="%")),
    re.compile(_SMB_USER + _UNQUOTED.format(sep="%")),
    # mysql -pPASSWORD (no space: "-p name" asks for the password, for database "name")
    re.compile(
        r"\b(?:mysql|mysqldump|mysqladmin|mysqlimport|mysqlshow|mysqlcheck|mysqlpump|mysqlsh"
        r"|mariadb(?:-dump|-admin|-import|-show|-check)?)\b[^\n;|&]*?[ \t]-p" + _VALUE
    ),
    # the password options of sshpass (-p) and redis-cli (-a)
    re.compile(r"\bsshpass\b[^\n;|&]*?[ \t]-p[ \t]*" + _VALUE),
    re.compile(r"\bredis-cli\b[^\n;|&]*?[ \t]-a[ \t]+" + _VALUE),
    # openssl's -passin/-passout/-pass with a literal pass:...
    re.compile(r"(?<![\w-])-pass(?:in|out)?[ \t]+pass:" + _VALUE),
]

# AWS secret access keys: 40 characters of base64 with no prefix of their own, so
# only where nothing else could be meant (see :func:`_aws_secret_sub`).
_AWS_SECRET = re.compile(
    r"(?<![A-Za-z0-9/+=])(?=[A-Za-z0-9/+]*[A-Z])(?=[A-Za-z0-9/+]*[a-z])(?=[A-Za-z0-9/+]*[0-9])"
    r"[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])"
)
_AWS_CONTEXT = re.compile(
    r"(?i)secret[ _]?access[ _]?key|aws_secret|\[REDACTED:aws_access_key\]"
    r"|(?<![A-Z0-9])(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}(?![A-Z0-9])"
)

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def _words(name: str) -> list[str]:
    return [w for w in re.split(r"[_.\-]+", _CAMEL.sub("_", name).lower()) if w]


def is_secret_name(name: str, env_style: bool = False) -> bool:
    """True for names like ``ANTHROPIC_API_KEY``, ``db_password``, ``clientSecret``.

    ``env_style``: the NAME=value line of a .env file or shell, where any ``*_KEY``
    (but a few data-structure ones) holds a secret.
    """
    words = _words(name)
    if not words or words[-1] not in _SECRET_WORDS or "public" in words:
        return False
    last, before = words[-1], words[:-1]
    if last == "key":
        if not before or before[-1] in _NON_SECRET_KEY_PREFIXES:
            return False
        return env_style or any(w in _KEY_QUALIFIERS for w in before)
    if last == "token":
        return not (before and before[-1] in _NON_SECRET_TOKEN_PREFIXES)
    return True


def _unquote(raw: str) -> str:
    value = raw.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        value = value[1:-1]
    return value


def _plausible_value(raw: str) -> bool:
    value = _unquote(raw)
    if len(value) < 4 or _PLACEHOLDER.match(value):
        return False
    return not (value.isdigit() and len(value) < 8)


def _secret_looking(raw: str, name: str) -> bool:
    """A literal in code: passwords may be words; keys and tokens must look random."""
    value = _unquote(raw)
    if not _plausible_value(value):
        return False
    words = _words(name)
    if words and words[-1] in _PASSWORD_WORDS:
        if words[-1] == "pass" and len(words) == 1:
            return False  # a dict entry or keyword named "pass", not db_pass
        return not _IDENT_LIKE.match(value)
    if len(value) < 8 or any(c.isspace() for c in value) or _NAME_LIKE.match(value):
        return False
    if any(c in value for c in ":[]()*^$\\|?<>"):
        return False  # a pattern, a URI-ish name or markup, not a key
    return any(c.isdigit() for c in value) or len(value) >= 16


def _env_sub(match: re.Match[str]) -> str:
    name, val = match.group("name"), match.group("val")
    if not is_secret_name(name, env_style=True) or not _plausible_value(val):
        return match.group(0)
    return _masked(match, val)


def _code_sub(match: re.Match[str]) -> str:
    name, val = match.group("name"), match.group("val")
    if not is_secret_name(name) or not _secret_looking(val, name):
        return match.group(0)
    return _masked(match, val)


def _unquoted_sub(match: re.Match[str]) -> str:
    """An unquoted (or inline) value: a literal unless it reads as a reference in code."""
    name, val = match.group("name"), match.group("val")
    if _DOTTED.match(_unquote(val)):
        return match.group(0)
    if name.isupper() and is_secret_name(name, env_style=True) and _plausible_value(val):
        # an env value that reads as a name (``X_TOKEN=mytoken``) is judged as code below
        literal = not _NAME_LIKE.match(_unquote(val)) or _words(name)[-1] in _PASSWORD_WORDS
        return _masked(match, val) if literal else _code_sub(match)
    return _code_sub(match)


def _masked(match: re.Match[str], val: str) -> str:
    quote = val[0] if val[0] in "\"'" and len(val) >= 2 else ""
    return f"{match.group('pre')}{match.group('name')}{match.group('op')}{quote}{MARK}{quote}"


def _flag_sub(match: re.Match[str]) -> str:
    val = match.group("val")
    if not _plausible_value(val):
        return match.group(0)
    if match.group("op") != "=" and re.fullmatch(r"[a-z]+[.,;:]?", val):
        return match.group(0)  # prose: "the --password option"
    return f"{match.group('pre')}{match.group('name')}{match.group('op')}{MARK}"


def _url_sub(match: re.Match[str]) -> str:
    password = match.group(3)
    if password.startswith("[REDACTED") or _PLACEHOLDER.match(password):
        return match.group(0)
    return f"{match.group(1)}{match.group(2)}:{MARK}@"


def _command_password_sub(match: re.Match[str]) -> str:
    val = match.group("val")
    inner = _unquote(val)
    if inner.startswith("[REDACTED") or not _plausible_value(inner):
        return match.group(0)
    if "user" in match.groupdict() and inner == match.group("user"):
        return match.group(0)  # a user and group of one name, as docker run -u takes

    start, end = match.span("val")
    base = match.start()
    quote = val[0] if val[0] in "\"'" and len(val) >= 2 and val[-1] == val[0] else ""
    whole = match.group(0)
    return whole[: start - base] + f"{quote}{MARK}{quote}" + whole[end - base :]


def _aws_secret_sub(text: str) -> str:
    """Mask 40-character AWS secrets where they are unambiguous: in a text that also
    holds an access key id or names the secret access key, or alone on a line."""
    context = _AWS_CONTEXT.search(text) is not None

    def sub(match: re.Match[str]) -> str:
        token = match.group(0)
        if context:
            return _mark("aws_secret_key")
        line_start = text.rfind("\n", 0, match.start()) + 1
        line_end = text.find("\n", match.end())
        line = text[line_start : len(text) if line_end < 0 else line_end].strip()
        alone = line == token and ("/" in token or "+" in token)
        return _mark("aws_secret_key") if alone and token[0] not in "/." else token

    return _AWS_SECRET.sub(sub, text)


def redact(text: str) -> str:
    """Return ``text`` with every secret-looking substring replaced by a marker."""
    if not text:
        return text
    if "PRIVATE KEY" in text:
        text = _PRIVATE_KEY.sub(_mark("private_key"), text)
        if "-----END " in text:
            text = _PRIVATE_KEY_TAIL.sub(_mark("private_key"), text)
    for kind, pattern in _TOKEN_PATTERNS:
        text = pattern.sub(_mark(kind), text)
    if "://" in text:
        text = _URL_CREDS.sub(_url_sub, text)
    text = _BEARER.sub(lambda m: f"{m.group(1)}{m.group(2)}{MARK}", text)
    text = _HEADER.sub(lambda m: f"{m.group(1)}{m.group(2)}{MARK}", text)
    if "=" in text:
        text = _ENV_ASSIGN.sub(_env_sub, text)
    if "=" in text or ":" in text:
        text = _QUOTED_ASSIGN.sub(_code_sub, text)
        text = _LINE_ASSIGN.sub(_unquoted_sub, text)
    if "=" in text:
        text = _INLINE_ASSIGN.sub(_unquoted_sub, text)
    if "--" in text:
        text = _FLAG.sub(_flag_sub, text)
    if "-" in text:
        for pattern in _COMMAND_PASSWORDS:
            text = pattern.sub(_command_password_sub, text)
    text = _aws_secret_sub(text)
    return text


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
                and _secret_looking(item, key)
            ):
                out[key] = MARK
            else:
                out[key] = redact_obj(item)
        return out
    return value
