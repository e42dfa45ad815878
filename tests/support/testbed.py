"""The real-Claude-Code test bed: the pinned CLI, an isolated HOME, a chaos upstream, tmux.

Loaded as a pytest plugin by ``tests/conftest.py``. The plain functions are also used by
``tests/fixtures/record_transcripts.py`` to record fixtures outside pytest.

Nothing here is mocked: the CLI is Anthropic's real ``@anthropic-ai/claude-code`` package
from npm, talking to ``cc-guard chaos serve`` on loopback, in real git repos and real tmux.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from cc_guard.base.paths import project_key

#: The Claude Code versions every real-CLI test runs against (each test once per version,
#: ids ``claude-<version>``): the oldest cc-guard was measured on and the newest. Add the
#: newest when it ships (and record its fixtures); drop one when it stops mattering.
CLAUDE_CODE_VERSIONS = ("2.1.328", "2.1.332")
#: The version fixtures and one-off helpers default to (the oldest).
CLAUDE_CODE_VERSION = CLAUDE_CODE_VERSIONS[0]
API_KEY = "sk-ant-api03-testbed-key-0000000000000000000000"
# Resolved at import time, before the autouse fixture points HOME at a temp dir: the CLI
# is installed once per machine, not once per test.
CACHE_ROOT = Path(
    os.environ.get("CC_GUARD_TESTBED_CACHE")
    or os.path.join(os.path.expanduser("~"), ".cache", "cc-guard-testbed")
)
VENV_BIN = Path(sys.executable).parent
_NETWORK_ERRORS = (
    "ENOTFOUND",
    "EAI_AGAIN",
    "ETIMEDOUT",
    "ECONNREFUSED",
    "ECONNRESET",
    "ENETUNREACH",
)


class NpmUnreachable(RuntimeError):
    """npm could not reach its registry: the only reason a real-CLI test may skip."""


# --------------------------------------------------------------------------- CLI install


def install_claude_code(version: str = CLAUDE_CODE_VERSION) -> Path:
    """Install the pinned CLI into the cache dir (once per machine) and return the binary."""
    prefix = CACHE_ROOT / f"claude-code-{version}"
    binary = _claude_binary(prefix)
    if binary and _version_ok(binary, version):
        return binary
    prefix.mkdir(parents=True, exist_ok=True)
    lock_path = CACHE_ROOT / f".install-{version}.lock"
    with open(lock_path, "w") as lock:
        # pytest-xdist workers and parallel CI jobs install once, not concurrently.
        fcntl.flock(lock, fcntl.LOCK_EX)
        binary = _claude_binary(prefix)
        if binary and _version_ok(binary, version):
            return binary
        npm = shutil.which("npm")
        if npm is None:
            raise NpmUnreachable("npm is not installed")
        proc = subprocess.run(
            [
                npm,
                "install",
                "--prefix",
                str(prefix),
                "--no-audit",
                "--no-fund",
                "--no-save",
                f"@anthropic-ai/claude-code@{version}",
            ],
            capture_output=True,
            text=True,
            timeout=600,
        )
        if proc.returncode != 0:
            if any(code in proc.stderr for code in _NETWORK_ERRORS):
                raise NpmUnreachable(proc.stderr.strip().splitlines()[-1])
            raise RuntimeError(f"npm install failed:\n{proc.stderr}")
        binary = _claude_binary(prefix)
        if binary is None or not _version_ok(binary, version):
            raise RuntimeError(f"Claude Code {version} installed but its binary does not run")
        return binary


def _claude_binary(prefix: Path) -> Path | None:
    modules = prefix / "node_modules" / "@anthropic-ai"
    # The wrapper package's bin/claude.exe is the native binary once the platform package
    # is present; the platform package's own binary is the fallback when npm skipped the
    # wrapper's postinstall.
    for candidate in (
        modules / "claude-code" / "bin" / "claude.exe",
        modules / "claude-code-linux-x64" / "claude",
    ):
        if candidate.is_file() and candidate.stat().st_size > 1_000_000:
            return candidate
    return None


def _version_ok(binary: Path, version: str) -> bool:
    try:
        out = subprocess.run(
            [str(binary), "--version"], capture_output=True, text=True, timeout=60
        ).stdout
    except (OSError, subprocess.TimeoutExpired):
        return False
    return out.strip().startswith(version)


# --------------------------------------------------------------------------- isolated home


def prepare_claude_home(
    home: Path, claude_dir: Path, projects: list[Path], version: str = CLAUDE_CODE_VERSION
) -> None:
    """Mark onboarding done so interactive ``claude`` starts offline with no dialogs."""
    claude_dir.mkdir(parents=True, exist_ok=True)
    state: dict[str, Any] = {
        "hasCompletedOnboarding": True,
        "lastOnboardingVersion": version,
        "numStartups": 1,
        "bypassPermissionsModeAccepted": True,
        "customApiKeyResponses": {"approved": [API_KEY[-20:]], "rejected": []},
        "projects": {
            str(p): {
                "hasTrustDialogAccepted": True,
                "hasCompletedProjectOnboarding": True,
                "allowedTools": [],
            }
            for p in projects
        },
    }
    text = json.dumps(state, indent=2)
    # Where the state file lives depends on CLAUDE_CONFIG_DIR; write both places.
    (home / ".claude.json").write_text(text)
    (claude_dir / ".claude.json").write_text(text)


def init_repo(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", "main")
    (path / "README.md").write_text("# demo project\n")
    (path / "app.py").write_text("def add(a, b):\n    return a + b\n")
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "initial")
    return path.resolve()


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=repo, check=True, capture_output=True, text=True
    ).stdout


# --------------------------------------------------------------------------- chaos upstream


@dataclass
class ChaosServer:
    url: str
    log_path: Path
    script_path: Path
    proc: subprocess.Popen[str]
    stderr_path: Path

    def requests(self) -> list[dict[str, Any]]:
        """Every logged request, in order."""
        if not self.log_path.exists():
            return []
        out = []
        for line in self.log_path.read_text().splitlines():
            with contextlib.suppress(json.JSONDecodeError):
                out.append(json.loads(line))
        return out

    def message_requests(self) -> list[dict[str, Any]]:
        """Logged ``POST /v1/messages`` requests (not count_tokens or models)."""
        return [
            r
            for r in self.requests()
            if str(r.get("path", "")).split("?")[0].rstrip("/").endswith("/v1/messages")
        ]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def start_chaos(
    workdir: Path,
    script: list[dict[str, Any]] | None = None,
    extra_args: list[str] | None = None,
    name: str = "chaos",
) -> ChaosServer:
    """Start ``cc-guard chaos serve`` on a free loopback port and wait for its URL."""
    workdir.mkdir(parents=True, exist_ok=True)
    script_path = workdir / f"{name}-script.json"
    log_path = workdir / f"{name}-log.jsonl"
    stderr_path = workdir / f"{name}-stderr.txt"
    args = [
        sys.executable,
        "-m",
        "cc_guard",
        "chaos",
        "serve",
        "--port",
        "0",
        "--log",
        str(log_path),
    ]
    if script is not None:
        script_path.write_text(json.dumps(script, indent=2))
        args += ["--script", str(script_path)]
    args += extra_args or []
    stderr = open(stderr_path, "w")  # noqa: SIM115 - lives as long as the server
    proc = subprocess.Popen(
        args, stdout=subprocess.PIPE, stderr=stderr, text=True, start_new_session=True
    )
    assert proc.stdout is not None
    deadline = time.monotonic() + 20
    line = ""
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if line or proc.poll() is not None:
            break
    if not line.startswith("http"):
        proc.kill()
        raise RuntimeError(f"chaos server did not start: {line!r} {stderr_path.read_text()}")
    return ChaosServer(
        url=line.strip(),
        log_path=log_path,
        script_path=script_path,
        proc=proc,
        stderr_path=stderr_path,
    )


# --------------------------------------------------------------------------- running claude


def claude_environment(
    home: Path, claude_dir: Path, state_dir: Path, base_url: str, max_retries: int = 2
) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("ANTHROPIC_", "CLAUDE_", "TMUX", "CC_GUARD_SEED"))
    }
    env.update(
        {
            "HOME": str(home),
            "CLAUDE_CONFIG_DIR": str(claude_dir),
            "CC_GUARD_HOME": str(state_dir),
            "ANTHROPIC_BASE_URL": base_url,
            "ANTHROPIC_API_KEY": API_KEY,
            "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
            "DISABLE_AUTOUPDATER": "1",
            "CLAUDE_CODE_MAX_RETRIES": str(max_retries),
            # The hooks call `cc-guard` by PATH when installed that way: put this venv first.
            "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        }
    )
    return env


@dataclass
class ClaudeRun:
    returncode: int
    stdout: str
    stderr: str
    result: dict[str, Any] | None
    project: Path
    claude_dir: Path

    @property
    def session_id(self) -> str | None:
        return None if self.result is None else self.result.get("session_id")

    @property
    def transcript_path(self) -> Path:
        assert self.session_id, f"no session id in result: {self.stdout!r} {self.stderr!r}"
        return transcript_path(self.claude_dir, self.project, self.session_id)


def transcript_path(claude_dir: Path, project: Path, session_id: str) -> Path:
    return claude_dir / "projects" / project_key(project) / f"{session_id}.jsonl"


def run_claude_print(
    binary: Path,
    prompt: str,
    cwd: Path,
    env: dict[str, str],
    args: list[str] | None = None,
    timeout: float = 180,
) -> ClaudeRun:
    """``claude -p PROMPT --output-format json`` and its parsed result."""
    argv = [
        str(binary),
        "-p",
        prompt,
        "--output-format",
        "json",
        "--permission-mode",
        "acceptEdits",
        "--allowedTools",
        "Bash,Write,Edit,Read",
        *(args or []),
    ]
    proc = subprocess.run(
        argv,
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )
    result = None
    with contextlib.suppress(json.JSONDecodeError):
        result = json.loads(proc.stdout.strip().splitlines()[-1]) if proc.stdout.strip() else None
    return ClaudeRun(
        proc.returncode, proc.stdout, proc.stderr, result, cwd, Path(env["CLAUDE_CONFIG_DIR"])
    )


# --------------------------------------------------------------------------- tmux


@dataclass
class TmuxPane:
    """A real tmux server on a private socket running one command in one pane."""

    socket: Path
    target: str
    env: dict[str, str]
    _closed: bool = field(default=False)

    def tmux(self, *args: str, check: bool = True) -> str:
        return subprocess.run(
            ["tmux", "-S", str(self.socket), *args],
            check=check,
            capture_output=True,
            text=True,
            env=self.env,
        ).stdout

    @property
    def pane_id(self) -> str:
        return self.tmux("display-message", "-p", "-t", self.target, "#{pane_id}").strip()

    def type(self, text: str, enter: bool = True) -> None:
        # -l: keys are sent literally, never interpreted as tmux key names.
        self.tmux("send-keys", "-t", self.target, "-l", text)
        if enter:
            time.sleep(0.3)
            self.tmux("send-keys", "-t", self.target, "Enter")

    def capture(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", self.target, check=False)

    def wait_for(self, pattern: str, timeout: float = 60) -> str:
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.capture()
            if rx.search(screen):
                return screen
            time.sleep(0.25)
        raise TimeoutError(f"{pattern!r} not on screen after {timeout}s:\n{screen}")

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self.tmux("kill-server", check=False)


def start_tmux(
    socket: Path,
    argv: list[str],
    cwd: Path,
    env: dict[str, str],
    width: int = 160,
    height: int = 45,
) -> TmuxPane:
    if shutil.which("tmux") is None:
        raise RuntimeError("tmux is not installed (.ci/run installs it)")
    env = dict(env)
    env.setdefault("TERM", "xterm-256color")
    session = f"t{uuid.uuid4().hex[:8]}"
    pane = TmuxPane(socket=socket, target=session, env=env)
    # The command is an argv list: tmux execs it directly when given several arguments.
    pane.tmux(
        "new-session",
        "-d",
        "-s",
        session,
        "-x",
        str(width),
        "-y",
        str(height),
        "-c",
        str(cwd),
        *[f"-e{k}={v}" for k, v in env.items() if k in _PASS_ENV],
        *argv,
    )
    return pane


_PASS_ENV = {
    "HOME",
    "CLAUDE_CONFIG_DIR",
    "CC_GUARD_HOME",
    "CC_GUARD_CONFIG",
    "ANTHROPIC_BASE_URL",
    "ANTHROPIC_API_KEY",
    "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC",
    "DISABLE_AUTOUPDATER",
    "CLAUDE_CODE_MAX_RETRIES",
    "PATH",
    "TERM",
    "GIT_CONFIG_GLOBAL",
    "GIT_CONFIG_NOSYSTEM",
    "CC_GUARD_SEED",
    "CC_GUARD_CLAUDE",
}


# --------------------------------------------------------------------------- pytest fixtures


@pytest.fixture(
    scope="session", params=CLAUDE_CODE_VERSIONS, ids=[f"claude-{v}" for v in CLAUDE_CODE_VERSIONS]
)
def claude_version(request: pytest.FixtureRequest) -> str:
    """Each pinned Claude Code version in turn (a test using the CLI runs once per version)."""
    version: str = request.param
    return version


@pytest.fixture(scope="session")
def claude_bin(claude_version: str) -> Path:
    """The pinned Claude Code CLI of ``claude_version``, installed from npm once per machine."""
    try:
        return install_claude_code(claude_version)
    except NpmUnreachable as exc:
        pytest.skip(f"npm registry unreachable, cannot install Claude Code: {exc}")


@pytest.fixture
def project_repo(tmp_path: Path) -> Path:
    """A temp git repo with one commit, the project Claude Code works in."""
    return init_repo(tmp_path / "project")


@pytest.fixture
def chaos_server(tmp_path: Path) -> Iterator[Callable[..., ChaosServer]]:
    """Factory: ``chaos_server(script, extra_args=None) -> ChaosServer``; stopped after the test."""
    started: list[ChaosServer] = []

    def factory(
        script: list[dict[str, Any]] | None = None, extra_args: list[str] | None = None
    ) -> ChaosServer:
        server = start_chaos(tmp_path / "chaos", script, extra_args, name=f"chaos{len(started)}")
        started.append(server)
        return server

    yield factory
    for server in started:
        server.stop()


@dataclass
class ClaudeBed:
    """Everything a real-CLI test needs, wired together."""

    binary: Path
    project: Path
    home: Path
    claude_dir: Path
    state_dir: Path
    tmp: Path
    chaos: ChaosServer | None = None
    version: str = CLAUDE_CODE_VERSION
    max_retries: int = 2
    panes: list[TmuxPane] = field(default_factory=list)

    def env(self) -> dict[str, str]:
        assert self.chaos is not None, "start the chaos server first: bed.serve(script)"
        return claude_environment(
            self.home, self.claude_dir, self.state_dir, self.chaos.url, self.max_retries
        )

    def serve(
        self, script: list[dict[str, Any]], extra_args: list[str] | None = None
    ) -> ChaosServer:
        if self.chaos is not None:
            self.chaos.stop()
        self.chaos = start_chaos(
            self.tmp / "chaos", script, extra_args, name=f"chaos-{uuid.uuid4().hex[:6]}"
        )
        return self.chaos

    def run(
        self,
        prompt: str,
        args: list[str] | None = None,
        timeout: float = 180,
        env_extra: dict[str, str] | None = None,
    ) -> ClaudeRun:
        env = self.env()
        env.update(env_extra or {})
        return run_claude_print(self.binary, prompt, self.project, env, args, timeout)

    def cc_guard(
        self,
        *args: str,
        check: bool = True,
        input: str | None = None,
        env_extra: dict[str, str] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Run the installed ``cc-guard`` console script in the project with the bed's env."""
        env = (
            self.env()
            if self.chaos
            else claude_environment(
                self.home, self.claude_dir, self.state_dir, "http://127.0.0.1:9"
            )
        )
        env.update(env_extra or {})
        proc = subprocess.run(
            [str(VENV_BIN / "cc-guard"), *args],
            cwd=self.project,
            env=env,
            capture_output=True,
            text=True,
            input=input,
            timeout=120,
        )
        if check and proc.returncode != 0:
            raise AssertionError(
                f"cc-guard {' '.join(args)} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}"
            )
        return proc

    def tmux(self, argv: list[str] | None = None) -> TmuxPane:
        pane = start_tmux(
            self.tmp / f"tmux-{len(self.panes)}.sock",
            argv or [str(self.binary)],
            self.project,
            self.env(),
        )
        self.panes.append(pane)
        return pane

    def sessions(self) -> list[Path]:
        return sorted(
            (self.claude_dir / "projects" / project_key(self.project)).glob("*.jsonl"),
            key=lambda p: p.stat().st_mtime,
        )

    def close(self) -> None:
        for pane in self.panes:
            pane.close()
        if self.chaos is not None:
            self.chaos.stop()


@pytest.fixture
def claude_bed(
    claude_bin: Path,
    claude_version: str,
    project_repo: Path,
    tmp_path: Path,
    isolated_env: dict[str, Path],
) -> Iterator[ClaudeBed]:
    """The pinned CLI, an isolated HOME with onboarding done, a temp repo; call ``.serve(script)``."""
    home = isolated_env["home"]
    claude_dir = isolated_env["claude"]
    prepare_claude_home(home, claude_dir, [project_repo], claude_version)
    bed = ClaudeBed(
        binary=claude_bin,
        project=project_repo,
        home=home,
        claude_dir=claude_dir,
        state_dir=isolated_env["state"],
        tmp=tmp_path,
        version=claude_version,
    )
    yield bed
    bed.close()


def kill_process_tree(proc: subprocess.Popen[Any]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
