"""Secrets in commands and outputs, and where redaction must happen before a cut.

Complements tests/test_handoff_redact.py (the pattern catalogue): passwords given to
programs on their command line, a bare AWS secret where nothing else could be meant,
a key block cut so that its BEGIN line is gone, the tail of a Bash output in the
handoff, and the prompt line in a checkpoint commit message.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from cc_guard.base.redact import redact
from cc_guard.checkpoints.snapshot import take_checkpoint
from tests.support.checkpoints import git, make_repo, run_hook, tool_payload

AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("curl -u alice:s3cr3tPass https://api.example.com", "s3cr3tPass"),
        ("curl --user alice:s3cr3tPass https://api.example.com", "s3cr3tPass"),
        ("curl --user=alice:s3cr3tPass https://x", "s3cr3tPass"),
        ("curl -ualice:s3cr3tPass https://x", "s3cr3tPass"),
        ("curl -s -u 'alice:pa ss word' https://x", "pa ss word"),
        ("mysql -u root -pS3cretPw shop", "S3cretPw"),
        ("mysql -uroot -phunter2 -h db shop", "hunter2"),
        ("mysqldump -p'S3cret Pw' shop > dump.sql", "S3cret Pw"),
        ("mariadb -pHunter22 shop", "Hunter22"),
        ("sshpass -p Hunter22 ssh host", "Hunter22"),
        ("redis-cli -a Hunter22xx ping", "Hunter22xx"),
        ("openssl rsa -in k.pem -passin pass:Hunter22", "Hunter22"),
        ("smbclient //srv/share -U alice%Hunter22", "Hunter22"),
    ],
)
def test_passwords_on_command_lines_are_masked(text: str, secret: str) -> None:
    out = redact(text)
    assert secret not in out, out
    assert "[REDACTED" in out
    assert redact(out) == out


@pytest.mark.parametrize(
    "text",
    [
        "git push -u origin main",
        "docker run -u 1000:1000 image",
        "ps -u root",
        "sort -u names.txt",
        "mkdir -p src/app",
        "ssh -p22 host",
        "mysql -p shop",  # asks for the password: nothing to mask
        "curl -u alice: https://x",  # no password given
        "python -m pytest -p no:cacheprovider",
        "scp -P 2222 a host:b",
        "ls -a",
        "tar -C out -xf a.tar",
    ],
)
def test_options_that_hold_no_password_are_left_alone(text: str) -> None:
    assert redact(text) == text


@pytest.mark.parametrize(
    "text",
    [
        f"aws_access_key_id=AKIAIOSFODNN7EXAMPLE\n{AWS_SECRET}\n",
        f"AKIAIOSFODNN7EXAMPLE,{AWS_SECRET}",  # the console's CSV download
        f"Access key ID: AKIAIOSFODNN7EXAMPLE Secret access key: {AWS_SECRET}",
        f"$ aws configure get aws_secret_access_key\n{AWS_SECRET}\n",
        f"aws configure set aws_secret_access_key {AWS_SECRET}",
        f"export AWS_SECRET_ACCESS_KEY {AWS_SECRET}",
        AWS_SECRET,
    ],
)
def test_a_bare_aws_secret_is_masked_where_it_is_unambiguous(text: str) -> None:
    out = redact(text)
    assert AWS_SECRET not in out and "K7MDENG" not in out, out


@pytest.mark.parametrize(
    "text",
    [
        "commit 3f786850e387550fdab836ed7e6dc881de23001b",  # a sha1: hex
        "see src/components/UserProfileSettings2/Page.tsx",
        "the quick brown fox jumps over the lazy dog",
        "ThisIsAVeryLongIdentifierNameWith40Chars",  # a name, no digits-and-symbols mix
    ],
)
def test_forty_character_words_that_are_not_secrets_stay(text: str) -> None:
    assert redact(text) == text


def _ed25519_key(tmp_path: Path) -> str:
    if shutil.which("ssh-keygen") is None:
        pytest.skip("ssh-keygen is not installed")
    key = tmp_path / "id_test"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    return key.read_text()


def _body_lines(key: str) -> list[str]:
    return [line for line in key.splitlines() if line and "-----" not in line]


def test_the_tail_of_a_key_block_is_masked_without_its_begin_line(tmp_path: Path) -> None:
    key = _ed25519_key(tmp_path)
    tail = "\n".join(key.strip().splitlines()[-3:])  # two base64 lines and END
    out = redact(f"output:\n{tail}\ndone")
    for line in _body_lines(key)[-2:]:
        assert line not in out
    assert out.endswith("done")


def test_a_bash_output_ending_in_a_private_key_leaves_no_key_line_in_the_handoff(
    tmp_path: Path, isolated_env: dict[str, Path]
) -> None:
    from cc_guard.handoff import render, store

    key = _ed25519_key(tmp_path)
    sid = "55555555-aaaa-4bbb-8ccc-000000000005"
    cwd = "/home/dev/shop"
    folder = isolated_env["claude"] / "projects" / "-home-dev-shop"
    folder.mkdir(parents=True)
    transcript = folder / f"{sid}.jsonl"
    base = {"sessionId": sid, "cwd": cwd, "version": "2.1.328", "isSidechain": False}
    output = "generated\n" + key
    records = [
        {**base, "type": "user", "uuid": "u0", "timestamp": "2026-03-01T10:00:00.000Z",
         "message": {"role": "user", "content": "make me a deploy key"}},
        {**base, "type": "assistant", "uuid": "u1", "timestamp": "2026-03-01T10:00:05.000Z",
         "message": {"id": "msg_1", "role": "assistant", "model": "claude-sonnet-4-5",
                     "content": [{"type": "tool_use", "id": "toolu_1", "name": "Bash",
                                  "input": {"command": "ssh-keygen -t ed25519 -f k && cat k"}}],
                     "stop_reason": "tool_use",
                     "usage": {"input_tokens": 1, "output_tokens": 1}}},
        {**base, "type": "user", "uuid": "u2", "timestamp": "2026-03-01T10:00:09.000Z",
         "message": {"role": "user", "content": [
             {"type": "tool_result", "tool_use_id": "toolu_1", "content": output}]},
         "toolUseResult": {"stdout": output, "stderr": "", "interrupted": False}},
    ]  # fmt: skip
    transcript.write_text("".join(json.dumps(r) + "\n" for r in records))
    handoff = store.make_handoff(transcript, isolated_env["state"])
    for text in (render.to_json(handoff), render.to_markdown(handoff), render.to_short(handoff)):
        for line in _body_lines(key):
            assert line not in text
            assert line.replace("/", "\\/") not in text


def test_the_prompt_line_of_a_checkpoint_commit_is_redacted(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    sid = "66666666-aaaa-4bbb-8ccc-000000000006"
    prompt = "deploy with ANTHROPIC_API_KEY=sk-ant-api03-Zx9kL2mN4pQ6rS8tU0vW2yA4 please\nthanks"
    sha = take_checkpoint(repo, sid, "UserPromptSubmit", prompt=prompt)
    assert sha is not None
    message = git(repo, "log", "-1", "--format=%B", sha)
    assert "sk-ant" not in message and "Zx9kL2mN4" not in message
    assert "Prompt: deploy with ANTHROPIC_API_KEY=" in message


def test_the_user_prompt_hook_never_commits_a_typed_secret(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    sid = "77777777-aaaa-4bbb-8ccc-000000000007"
    secret = "ghp_1234567890abcdefghijABCDEFGHIJ123456"
    (repo / "notes.txt").write_text("changed\n")
    payload = tool_payload(repo, sid, event="UserPromptSubmit", prompt=f"use {secret} to push")
    assert run_hook("UserPromptSubmit", payload).returncode == 0
    log = git(repo, "log", "--format=%B", f"refs/cc-guard/{sid}")
    assert "Prompt: use [REDACTED" in log and secret not in log


def test_a_secret_cut_by_the_prompt_line_limit_is_masked_before_the_cut(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    sid = "88888888-aaaa-4bbb-8ccc-000000000008"
    secret = "sk-ant-api03-" + "A1b2C3d4" * 8
    prompt = "x" * 190 + " " + secret  # the 200-character cut falls inside the key
    sha = take_checkpoint(repo, sid, "UserPromptSubmit", prompt=prompt)
    assert sha is not None
    message = git(repo, "log", "-1", "--format=%B", sha)
    assert "sk-ant" not in message and "A1b2C3d4" not in message


def test_a_token_straddling_the_tool_result_clip_never_reaches_the_handoff(
    isolated_env: dict[str, Path],
) -> None:
    from cc_guard.handoff import render, store

    sid = "99999999-aaaa-4bbb-8ccc-000000000009"
    folder = isolated_env["claude"] / "projects" / "-home-dev-shop"
    folder.mkdir(parents=True)
    transcript = folder / f"{sid}.jsonl"
    token = "ghp_" + "Ab1Cd2Ef3Gh4" * 3
    output = "ok\n" * 1330 + token  # the 4000-character clip falls inside the token
    base = {"sessionId": sid, "cwd": "/home/dev/shop", "version": "2.1.328"}
    records = [
        {**base, "type": "user", "uuid": "u0", "timestamp": "2026-03-01T10:00:00.000Z",
         "message": {"role": "user", "content": "print the token"}},
        {**base, "type": "assistant", "uuid": "u1", "timestamp": "2026-03-01T10:00:05.000Z",
         "message": {"id": "msg_1", "role": "assistant", "model": "claude-sonnet-4-5",
                     "content": [{"type": "tool_use", "id": "toolu_1", "name": "Bash",
                                  "input": {"command": "./print-token"}}],
                     "stop_reason": "tool_use", "usage": {"input_tokens": 1, "output_tokens": 1}}},
        {**base, "type": "user", "uuid": "u2", "timestamp": "2026-03-01T10:00:09.000Z",
         "message": {"role": "user", "content": [
             {"type": "tool_result", "tool_use_id": "toolu_1", "content": output}]}},
    ]  # fmt: skip
    transcript.write_text("".join(json.dumps(r) + "\n" for r in records))
    handoff = store.make_handoff(transcript, isolated_env["state"])
    for text in (render.to_json(handoff), render.to_markdown(handoff)):
        assert "Ab1Cd2" not in text and "ghp_" not in text


def test_a_secret_in_a_hook_payloads_error_text_is_masked_before_the_event_log_cuts_it(
    isolated_env: dict[str, Path],
) -> None:
    secret = "sk-ant-api03-" + "Q7w8E9r0" * 8
    payload = {
        "session_id": "77777777-aaaa-4bbb-8ccc-000000000007",
        "cwd": str(isolated_env["home"]),
        "hook_event_name": "StopFailure",
        "transcript_path": "",
        # The 200-character cut of the event log falls inside the key.
        "error": "x" * 190 + " " + secret,
        "reason": "prompt_input_exit",
    }
    assert run_hook("StopFailure", payload).returncode == 0
    [record] = [
        json.loads(line)
        for line in (isolated_env["state"] / "events.jsonl").read_text().splitlines()
    ]
    assert "sk-ant" not in record["error"] and "Q7w8E9r0" not in record["error"]
    assert record["error"].startswith("x" * 190)
    assert record["reason"] == "prompt_input_exit"  # a code stays as it is


def test_hook_errors_log_masks_a_secret_an_exception_carried_before_its_cut(
    isolated_env: dict[str, Path],
) -> None:
    from cc_guard.state import errors

    secret = "sk-ant-api03-" + "Z1x2C3v4" * 8
    errors.log("StopFailure", f"request failed: Authorization: Bearer {secret}")
    # ... and where the line's cut falls inside the key.
    errors.log("StopFailure", "x" * 440 + f" {secret}")
    logged = (isolated_env["state"] / errors.FILE).read_text()
    assert "Z1x2C3v4" not in logged and "sk-ant" not in logged
    assert "request failed: Authorization: Bearer" in logged and "x" * 440 in logged
