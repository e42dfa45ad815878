"""Which Bash commands can destroy work, so the state before them is checkpointed.

The command is only parsed (shlex), never executed. When in doubt (unparseable
input) the answer is yes: a checkpoint too many costs milliseconds, one too few
costs the user's work.
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path

_ALWAYS = frozenset(
    {"rm", "rmdir", "unlink", "shred", "mv", "truncate", "dd", "rsync", "cp", "install"}
)
_GIT_DESTRUCTIVE = frozenset(
    {
        "checkout",
        "reset",
        "clean",
        "restore",
        "stash",
        "switch",
        "rm",
        "mv",
        "rebase",
        "merge",
        "pull",
        "cherry-pick",
        "revert",
        "apply",
        "am",
        "worktree",
    }
)
_WRAPPERS = frozenset(
    {"sudo", "env", "nice", "nohup", "time", "command", "builtin", "exec", "xargs", "timeout"}
)
# git's global options that take the next word as their value (``git -C dir reset``).
_GIT_OPTS_WITH_VALUE = frozenset(
    {"-C", "-c", "--git-dir", "--work-tree", "--namespace", "--exec-path", "--config-env"}
)
_SHELLS = frozenset({"sh", "bash", "zsh", "dash"})
_SEPARATORS = frozenset({";", "&&", "||", "|", "&", "(", ")", ";;", "|&"})
_TRUNCATING = frozenset({">", ">|", "&>", "1>", "2>"})


def is_destructive(command: str, cwd: Path, _depth: int = 0) -> bool:
    try:
        lexer = shlex.shlex(command, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        lexer.commenters = ""
        tokens = list(lexer)
    except ValueError:
        return True
    if _redirects_over_existing(tokens, cwd):
        return True
    return any(_simple_destructive(words, cwd, _depth) for words in _split(tokens))


def _split(tokens: list[str]) -> list[list[str]]:
    commands: list[list[str]] = [[]]
    for tok in tokens:
        if tok in _SEPARATORS or (tok and set(tok) <= set("();&|")):
            commands.append([])
        else:
            commands[-1].append(tok)
    return [c for c in commands if c]


def _redirects_over_existing(tokens: list[str], cwd: Path) -> bool:
    for i, tok in enumerate(tokens[:-1]):
        op = tok
        if i > 0 and tokens[i - 1].isdigit() and tok == ">":
            op = ">"
        if op in _TRUNCATING or (op.endswith(">") and op.rstrip(">").isdigit()):
            target = tokens[i + 1]
            if target.startswith("&") or target in {"/dev/null", "/dev/stdout", "/dev/stderr"}:
                continue
            if _exists(cwd, os.path.expanduser(target)):
                return True
    return False


def _exists(cwd: Path, target: str) -> bool:
    """Whether a redirection or tee target exists; when it can't be told, yes."""
    try:
        return (cwd / target).exists()
    except (OSError, ValueError):  # a name too long, a NUL byte, ...
        return True


def _prefix_word(word: str, index: int) -> bool:
    """Assignments, wrappers and their options before the real program name."""
    if "=" in word and not word.startswith("-") and word.split("=", 1)[0].isidentifier():
        return True
    if os.path.basename(word) in _WRAPPERS:
        return True
    return index > 0 and (word.startswith("-") or word.replace(".", "").isdigit())


def _git_subcommand(args: list[str]) -> str:
    """The subcommand after git's global options, whose values must not pass for it."""
    i = 0
    while i < len(args):
        arg = args[i]
        if arg in _GIT_OPTS_WITH_VALUE:
            i += 2
        elif arg.startswith("-"):
            i += 1
        else:
            return arg
    return ""


def _simple_destructive(words: list[str], cwd: Path, depth: int) -> bool:
    # Skip variable assignments and wrappers (sudo rm, env X=1 rm, xargs rm).
    i = 0
    while i < len(words):
        word = words[i]
        if not _prefix_word(word, i):
            break
        i += 1
    if i >= len(words):
        return False
    prog = os.path.basename(words[i])
    args = words[i + 1 :]
    if prog in _ALWAYS:
        return True
    if prog == "git":
        return _git_subcommand(args) in _GIT_DESTRUCTIVE
    if prog in {"sed", "perl"}:
        return any(a == "-i" or a.startswith(("-i", "--in-place")) for a in args)
    if prog == "find":
        return any(a in {"-delete", "-exec", "-execdir", "-ok", "-okdir"} for a in args)
    if prog == "tee":
        return not any(a in {"-a", "--append"} for a in args) and any(
            _exists(cwd, a) for a in args if not a.startswith("-")
        )
    if prog in _SHELLS and "-c" in args and depth < 3:
        idx = args.index("-c")
        if idx + 1 < len(args):
            return is_destructive(args[idx + 1], cwd, depth + 1)
    if prog == "eval" and depth < 3:
        return is_destructive(" ".join(args), cwd, depth + 1)
    return False
