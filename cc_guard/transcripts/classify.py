"""Small pure classifiers the aggregator uses: touched files, prompts (failures: cc_guard.incidents)."""

from __future__ import annotations

import os
import re
from typing import Any

from cc_guard.base.claude import FILE_TOOL_PATH_KEYS
from cc_guard.incidents import classify_failure

__all__ = [
    "CUT_MARKER",
    "OWN_PROMPT_PREFIX",
    "STREAM_CUT_NOTICE",
    "bash_touched",
    "classify_failure",
    "is_own_prompt",
    "prompt_text",
    "touched_paths",
]


# --- files touched -------------------------------------------------------------

_SEPARATORS = frozenset({"&&", "||", ";", "|", "&", "(", ")", ";;", "\n"})
_REDIRECTS = frozenset({">", ">>", ">|", "&>", "&>>"})
_WRAPPERS = frozenset({"sudo", "env", "command", "nohup", "time", "xargs"})
#: Commands whose operands it changes (all of them), last operand (copies), in place (sed -i).
_CHANGES_ALL = ("rm", "rmdir", "touch", "mv", "tee", "unlink", "truncate", "shred")
_CHANGES_LAST = ("cp", "install", "ln")
_WRITERS = (*_CHANGES_ALL, *_CHANGES_LAST, "sed")
# A command can only write a file we name if it has a redirection or one of these
# names as a word once quotes and escapes are gone (shlex joins ``r"m"`` into rm).
# Used to skip shlex, the slowest part of folding, for most commands.
_MAY_WRITE = re.compile(r">|\b(?:" + "|".join(_WRITERS) + r")\b")


def touched_paths(tool: str, tool_input: dict[str, Any], cwd: str | None) -> list[str]:
    """Files a tool call changes: edit tools' path inputs, best effort for Bash."""
    key = FILE_TOOL_PATH_KEYS.get(tool)
    if key is not None:
        value = tool_input.get(key)
        return [_resolve(value, cwd)] if isinstance(value, str) and value else []
    if tool == "Bash":
        command = tool_input.get("command")
        if isinstance(command, str):
            return bash_touched(command, cwd)
    return []


def _resolve(path: str, cwd: str | None) -> str:
    path = os.path.expanduser(path)
    if not os.path.isabs(path) and cwd:
        path = os.path.join(cwd, path)
    return os.path.normpath(path)


def _plain(token: str) -> bool:
    """A literal path we can name (no expansions, globs or substitutions)."""
    return bool(token) and not any(c in token for c in "$*?`[{~") and not token.startswith("-")


def bash_touched(command: str, cwd: str | None) -> list[str]:
    """Best-effort list of files a shell command changes (rm, mv, cp, touch, tee,
    ``sed -i``, ``>``/``>>`` redirections, following ``cd``). Never raises."""
    if _MAY_WRITE.search(command.replace('"', "").replace("'", "").replace("\\", "")) is None:
        return []
    return lexed_bash_touched(command, cwd)


def lexed_bash_touched(command: str, cwd: str | None) -> list[str]:
    """:func:`bash_touched` without the pre-check: always lexes the command."""
    import shlex  # here, not at the top: a session list that folds no Bash call never needs it

    try:
        lexer = shlex.shlex(command, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        tokens = list(lexer)
    except ValueError:
        return []
    found: list[str] = []
    base = cwd
    segment: list[str] = []

    def flush() -> None:
        nonlocal base
        words = list(segment)
        segment.clear()
        while words and (
            ("=" in words[0] and not words[0].startswith("=")) or words[0] in _WRAPPERS
        ):
            words.pop(0)
        if not words:
            return
        name = os.path.basename(words[0])
        args = [w for w in words[1:] if _plain(w)]
        if name == "cd":
            if args and base is not None:
                base = _resolve(args[0], base)
            return
        if name in _CHANGES_ALL:
            found.extend(_resolve(a, base) for a in args)
        elif name in _CHANGES_LAST and len(args) >= 2:
            found.append(_resolve(args[-1], base))
        elif name == "sed" and any(
            w == "-i" or w.startswith("-i") or w == "--in-place" for w in words[1:]
        ):
            positional: list[str] = []
            has_script = False
            skip_next = False
            for word in words[1:]:
                if skip_next:
                    skip_next = False
                elif word in ("-e", "--expression", "-f", "--file"):
                    has_script = skip_next = True
                elif not word.startswith("-"):
                    positional.append(word)
            files = positional if has_script else positional[1:]
            found.extend(_resolve(a, base) for a in files if _plain(a))

    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token in _REDIRECTS:
            if i + 1 < len(tokens):
                target = tokens[i + 1]
                if _plain(target) and not target.startswith("/dev/") and not target.startswith("&"):
                    found.append(_resolve(target, base))
                i += 2
                continue
        elif token in _SEPARATORS:
            flush()
        elif token in ("<", "<<", "<<<"):
            i += 2  # an input redirection's operand is read, not changed
            continue
        else:
            segment.append(token)
        i += 1
    flush()
    seen: set[str] = set()
    return [p for p in found if not (p in seen or seen.add(p))]  # type: ignore[func-returns-value]


# --- prompts -------------------------------------------------------------------

#: User-role texts Claude Code writes itself (slash-command wrappers, local
#: command output, caveats, compaction summaries): not the user's prompts.
_NOT_PROMPTS = (
    "<command-name>",
    "<command-message>",
    "<command-args>",
    "<local-command-stdout>",
    "<local-command-stderr>",
    "<local-command-caveat>",
    "<bash-input>",  # the user's ``! command`` (bash mode): no answer follows
    "<bash-stdout>",
    "<bash-stderr>",
    "<user-memory-input>",  # ``# note`` (memory mode): saved, not sent to the model
    "<system-reminder>",
    "<task-notification>",
    "Caveat: The messages below were generated by the user while running local commands",
    "This session is being continued from a previous conversation",
)


USER_INTERRUPT = "[Request interrupted by user"
#: The meta prompt Claude Code 2.1.3x adds after a stream was cut mid-response.
CUT_MARKER = "Your response above was cut off mid-stream"
#: The notice Claude Code 2.1.3x records when a stream was cut before any block completed.
STREAM_CUT_NOTICE = "Streaming response ended before any complete data"
#: Every prompt cc-guard itself sends (``resume``'s continuation and fresh prompts) starts
#: so: it starts a turn, but it is never the user's request.
OWN_PROMPT_PREFIX = "[cc-guard] "


def is_own_prompt(text: str) -> bool:
    """Whether a prompt's text is one cc-guard wrote (see :data:`OWN_PROMPT_PREFIX`)."""
    return text.lstrip().startswith(OWN_PROMPT_PREFIX)
_SPACE = re.compile(r"\s+")


def prompt_text(content: Any) -> str | None:
    """The user's own text in a user record's content, or None if it is not a prompt."""
    if isinstance(content, str):
        text = content
    elif isinstance(content, list):
        parts: list[str] = []
        for block in content:
            if not isinstance(block, dict):
                continue
            if block.get("type") == "tool_result":
                return None
            if block.get("type") == "text" and isinstance(block.get("text"), str):
                parts.append(block["text"])
        if not parts:
            return None
        text = "\n".join(parts)
    else:
        return None
    stripped = text.lstrip()
    if not stripped or stripped.startswith(_NOT_PROMPTS):
        return None
    return text
