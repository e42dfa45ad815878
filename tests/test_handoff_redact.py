"""Secret redaction: every known secret shape is masked, ordinary code is left alone."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cc_guard.base.redact import is_secret_name, redact, redact_obj

SECRETS = [
    (
        "anthropic",
        "sk-ant-api03-Zx9_kL2mN4pQ6rS8tU0vW-2yA4bC6dE8fG0hI2jK4lM6nO8pQ0rS2tU4vW6xY8zA0bC2dE4fG6hI8jK0lM2nO4pQ6rS8tU0vW2yA4bC-6dE8fGAA",
    ),
    ("anthropic short test key", "sk-ant-test"),
    ("openai", "sk-proj-AbCdEf1234567890GhIjKlMnOpQrStUvWx"),
    ("openai legacy", "sk-A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8S9t0"),
    ("github classic", "ghp_1234567890abcdefghijABCDEFGHIJ123456"),
    ("github oauth", "gho_1234567890abcdefghijABCDEFGHIJ123456"),
    (
        "github fine-grained",
        "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMN",
    ),
    ("aws access key", "AKIAIOSFODNN7EXAMPLE"),
    ("slack bot", "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"),
    ("slack user", "xoxp-123456789012-123456789012-123456789012-abcdef0123456789abcdef0123456789"),
    (
        "jwt",
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
    ),
    ("google", "AIzaSyA1234567890abcdefghijklmnopqrstuv"),
    ("stripe", "sk_live_4eC39HqLyjWDarjtT1zdp7dc"),
    ("huggingface", "hf_abcdefghijklmnopqrstuvwxyzABCDEFGH"),
]


@pytest.mark.parametrize(("name", "secret"), SECRETS, ids=[n for n, _ in SECRETS])
def test_provider_tokens_are_masked_in_any_context(name: str, secret: str) -> None:
    for text in (
        secret,
        f"key={secret}",
        f"echo '{secret}' | tool",
        f'{{"k": "{secret}"}}',
        f"({secret})",
    ):
        out = redact(text)
        assert secret not in out, (name, text, out)
        assert "[REDACTED" in out


def test_private_key_block_is_masked_whole_even_when_cut_off() -> None:
    block = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmU\nAAAAAAAB\n-----END OPENSSH PRIVATE KEY-----"
    out = redact(f"before\n{block}\nafter")
    assert "b3BlbnNz" not in out and "AAAAAAAB" not in out
    assert out.startswith("before\n") and out.endswith("\nafter")
    truncated = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7\nQm9uam91cg"
    assert "MIIEow" not in redact("x " + truncated)
    pgp = "-----BEGIN PGP PRIVATE KEY BLOCK-----\nlQdGBF\n-----END PGP PRIVATE KEY BLOCK-----"
    assert "lQdGBF" not in redact(pgp)


def test_unterminated_key_block_in_prose_masks_only_the_key_lines() -> None:
    text = 'doc = """-----BEGIN RSA PRIVATE KEY-----\nMIIBOgIBAAJBAKj34GkxFhD9\n\nThis text is not part of it.\n"""\nx = 1\n'
    out = redact(text)
    assert "MIIBOgIBAAJBAKj34GkxFhD9" not in out
    assert "This text is not part of it." in out and out.endswith("x = 1\n")


def test_public_key_and_certificate_are_kept() -> None:
    text = "-----BEGIN PUBLIC KEY-----\nMFkwEwYH\n-----END PUBLIC KEY-----"
    assert redact(text) == text


def test_bearer_and_basic_headers() -> None:
    out = redact('curl -H "Authorization: Bearer abcdef0123456789abcdef" https://api.example.com')
    assert "abcdef0123456789abcdef" not in out and "Authorization: Bearer [REDACTED]" in out
    assert "dXNlcjpwYXNzd29yZDEyMw==" not in redact("Authorization: Basic dXNlcjpwYXNzd29yZDEyMw==")
    assert "0123456789abcdefXYZ" not in redact("x-api-key: 0123456789abcdefXYZ")


def test_url_credentials_keep_user_and_host() -> None:
    out = redact("git clone https://deploy:s3cr3tPass@git.example.com/repo.git")
    assert out == "git clone https://deploy:[REDACTED]@git.example.com/repo.git"
    assert redact("postgres://app:hunter2@db:5432/app") == "postgres://app:[REDACTED]@db:5432/app"
    assert redact("see https://example.com/a:b@c") == "see https://example.com/a:b@c"  # no userinfo


def test_env_file_assignments() -> None:
    env = "\n".join(
        [
            "DATABASE_URL=postgres://localhost/app",
            "DB_PASSWORD=hunter2",
            "export SERVICE_TOKEN='abc123def456'",
            'SECRET_KEY="django-insecure-abcdef"',
            "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "STRIPE_API_KEY=whatever-it-is",
            "DEBUG=true",
            "PORT=8080",
            "MAX_TOKENS=4096",
        ]
    )
    out = redact(env)
    for secret in (
        "hunter2",
        "abc123def456",
        "django-insecure-abcdef",
        "wJalrXUtnFEMI",
        "whatever-it-is",
    ):
        assert secret not in out
    for kept in (
        "DATABASE_URL=postgres://localhost/app",
        "DEBUG=true",
        "PORT=8080",
        "MAX_TOKENS=4096",
    ):
        assert kept in out
    assert "DB_PASSWORD=[REDACTED]" in out
    assert "export SERVICE_TOKEN='[REDACTED]'" in out


def test_code_literals_assigned_to_secret_names() -> None:
    assert redact('api_key = "abcd1234efgh"') == 'api_key = "[REDACTED]"'
    assert redact('{"password": "correct horse"}') == '{"password": "[REDACTED]"}'
    assert redact("clientSecret: 'q8XwErT1yUiOp'") == "clientSecret: '[REDACTED]'"
    assert redact('ACCESS_TOKEN = "0a1b2c3d4e5f6a7b"') == 'ACCESS_TOKEN = "[REDACTED]"'
    assert (
        redact("password = 'hunter2'") == "password = '[REDACTED]'"
    )  # passwords may be short words
    assert redact('db:\n  password: "pa55word!"\n') == 'db:\n  password: "[REDACTED]"\n'
    assert redact("mysql --password=pa55word -u root") == "mysql --password=[REDACTED] -u root"


ORDINARY_CODE = [
    'password = request.form["password"]',
    "token = get_token()",
    "api_key: str",
    "api_key: Optional[str] = None",
    "def check_password(self, password: str) -> bool:",
    "    return hmac.compare_digest(self.password_hash, hash(password))",
    'SORT_KEY = "created_at"',
    'cache_key = f"user:{uid}"',
    'primary_key = "id"',
    "max_tokens = 4096",
    "for key, value in mapping.items():",
    "TOKEN_RE = re.compile(r'[a-z]+')",
    "const secret = process.env.SECRET;",
    "PASSWORD=${DB_PASSWORD}",
    "API_KEY=<your-api-key>",
    'API_KEY=""',
    "export PATH=$HOME/bin:$PATH",
    "task-runner-with-long-name-1234567890",
    "git log --oneline a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0",
    "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "uuid 123e4567-e89b-12d3-a456-426614174000",
    "https://github.com/anthropics/claude-code/issues/1234",
    "Authorization header is missing",
    "the bearer of bad news",
    "skeleton = sk_builder()",
    "risk-assessment-model-2024-version-9",
    "import os\nfrom pathlib import Path\n\nKEY_COLUMNS = ['id', 'name']\n",
    "password_field = forms.CharField(widget=forms.PasswordInput)",
    "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC user@host",
    # Names that end in key/token but hold data-structure keys or names (seen in real code).
    'cache_key = "user"',
    'nx.to_pandas_edgelist(G, edge_key="weight")',
    '"input_token": "next_token", "limit_key": "max_results",',
    'STATS_KEY = "_hypothesis_stats"',
    'METADATA_KEY = "MetadataKey"',
    "self.key = '_threading_local._localimpl.' + str(id(self))",
    'Token:                     "#cccccc",',
    'comment_key="#comment", cdata_key="#text",',
    'special_tokens = {"pad_token": "<pad>", "eos_token": "</s>"}',
    "# https://username:password@host.com:80/path?query#fragment",
    "raise InvalidToken(\"Invalid Token: 'Invalid token'\")",
    "        token\n        _mandatory_refresh_timeout = 10 * 60",
    'publicKeyToken="1fc8b3b9a1e18e3b"',
    "a basic implementation_of_the_protocol",
]


@pytest.mark.parametrize("text", ORDINARY_CODE)
def test_ordinary_code_is_untouched(text: str) -> None:
    assert redact(text) == text


def test_redaction_is_idempotent() -> None:
    blob = (
        "\n".join(s for _, s in SECRETS)
        + '\nDB_PASSWORD=hunter2\napi_key = "abcd1234efgh"\nhttps://u:p4ss@h/x'
    )
    once = redact(blob)
    assert redact(once) == once


def test_secret_names() -> None:
    for name in (
        "ANTHROPIC_API_KEY",
        "db_password",
        "clientSecret",
        "GITHUB_TOKEN",
        "aws_secret_access_key",
        "PASSWD",
    ):
        assert is_secret_name(name), name
    for name in (
        "key",
        "sort_key",
        "MAX_TOKENS",
        "tokenizer",
        "keyboard",
        "primaryKey",
        "password_hash",
    ):
        assert not is_secret_name(name), name


def test_redact_obj_walks_json_and_masks_secret_keys() -> None:
    data = {
        "env": {"API_KEY": "a1b2c3d4e5f6", "HOME": "/root"},
        "list": ["sk-ant-api03-xxxxxxxxxxxx"],
        "n": 3,
    }
    out = redact_obj(data)
    assert out == {
        "env": {"API_KEY": "[REDACTED]", "HOME": "/root"},
        "list": ["[REDACTED:anthropic_key]"],
        "n": 3,
    }


def test_cc_guard_source_is_ordinary_code() -> None:
    """A real code base (this one) passes through unchanged."""
    root = Path(__file__).resolve().parents[1] / "cc_guard"
    changed = [str(p) for p in sorted(root.rglob("*.py")) if redact(p.read_text()) != p.read_text()]
    assert changed == []


_TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=200)


@settings(max_examples=200, deadline=None)
@given(before=_TEXT, after=_TEXT, secret=st.sampled_from([s for _, s in SECRETS if len(s) > 20]))
def test_an_embedded_secret_never_survives(before: str, after: str, secret: str) -> None:
    out = redact(f"{before} {secret} {after}")
    assert secret not in out


@settings(max_examples=300, deadline=None)
@given(text=_TEXT)
def test_redaction_is_idempotent_on_any_text(text: str) -> None:
    once = redact(text)
    assert redact(once) == once


def test_secrets_in_command_prefixes_and_config_files() -> None:
    """Shapes a Claude Code session really prints: Bash env prefixes, ~/.aws/credentials, ini, YAML."""
    cases = {
        "ANTHROPIC_API_KEY=abcdefghij1234567890 claude -p hi": "abcdefghij1234567890",
        "env ANTHROPIC_API_KEY=abcdefghij1234567890 claude": "abcdefghij1234567890",
        "ANTHROPIC_API_KEY=abcdefghij1234567890 && make deploy": "abcdefghij1234567890",
        "$ GITHUB_TOKEN='q1w2e3r4t5y6u7i8' ./release.sh": "q1w2e3r4t5y6u7i8",
        "PGPASSWORD=hunter2 psql -h db": "hunter2",
        'psql "host=db user=app password=hunter2"': "hunter2",
        "curl 'https://api.example.com/v1?token=abcdef1234567890abcdef&x=1'": "abcdef1234567890",
        "[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n"
        "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n": "wJalrXUtnFEMI",
        "[db]\npassword=hunter2\n": "hunter2",
        "db:\n  password: hunter2\n  client_secret: 8f7d6e5c4b3a2918\n": "hunter2",
        "services:\n  app:\n    environment:\n      ANTHROPIC_API_KEY: abcdefghij1234567890\n": "abcdefghij",
        "      - ANTHROPIC_API_KEY=abcdefghij1234567890\n": "abcdefghij",
        "git remote add origin https://oauth2:x@gitlab.com && glpat-abcdefghij1234567890": "glpat-abcdefghij",
    }
    for text, secret in cases.items():
        out = redact(text)
        assert secret not in out, (text, out)
        assert "[REDACTED" in out
    assert redact("client_secret: 8f7d6e5c4b3a2918").startswith("client_secret: ")
    assert redact("PGPASSWORD=hunter2 psql -h db") == "PGPASSWORD=[REDACTED] psql -h db"


@pytest.mark.parametrize(
    "text",
    [
        "password = self.password",
        "last_pass = DEFAULT_LAST_PASS",
        "connect(password=password_from_vault)",
        "API_KEY=os.environ['API_KEY']",
        "run(TOKEN=token)",
        "if x == 1: token = tokens[0]",
        "    password: Optional[str] = None",
        "_=abc123def456 and __: abc123def456",  # names with no words in them
    ],
)
def test_references_in_code_are_not_secrets(text: str) -> None:
    assert redact(text) == text


def test_key_block_folded_onto_one_line_is_masked_even_without_its_end() -> None:
    body = " ".join(["b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"] * 5)
    out = redact(f"use this: -----BEGIN OPENSSH PRIVATE KEY----- {body} …[truncated]")
    assert "b3BlbnNz" not in out and out.startswith("use this: [REDACTED:private_key]")
