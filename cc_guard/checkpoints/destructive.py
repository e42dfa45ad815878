"""Which Bash commands can destroy work, so the state before them is checkpointed.

The command is only parsed (shlex), never executed. When in doubt (unparseable
input) the answer is yes: a checkpoint too many costs milliseconds, one too few
costs the user's work.

A simple command is read the way a shell and the programs in it would read it:
variable assignments and wrappers (``sudo -u root``, ``timeout 10s``, ``xargs -I
{}``), each with the options that take a value, come before the real program;
shells, ``su -c``, ``env -S`` and ``flock -c`` run a command string, which is
judged the same way; then the program's own options decide (``perl -pi``,
``tar x``, ``ln -sf``, ``gzip`` without ``-k``).
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path

_ALWAYS = frozenset(
    {
        "rm",
        "rmdir",
        "unlink",
        "shred",
        "mv",
        "truncate",
        "dd",
        "rsync",
        "cp",
        "install",
        "rimraf",
        "srm",
        "trash",
        "trash-put",
    }
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
        "sparse-checkout",
        "read-tree",
        "checkout-index",
        "bisect",
        "submodule",
    }
)
# git's global options that take the next word as their value (``git -C dir reset``).
_GIT_OPTS_WITH_VALUE = frozenset(
    {"-C", "-c", "--git-dir", "--work-tree", "--namespace", "--exec-path", "--config-env"}
)


class _Spec:
    """How a program reads its options.

    ``short``: letters taking the rest of their word or else the next word;
    ``attached``: letters taking the rest of their word only (perl's ``-x``);
    ``digits``: letters followed by optional digits (perl's ``-l``, ``-0``);
    ``long``: long options taking ``=value`` or else the next word.
    """

    __slots__ = ("attached", "digits", "long", "short")

    def __init__(
        self, short: str = "", long: tuple[str, ...] = (), attached: str = "", digits: str = ""
    ) -> None:
        self.short = short
        self.long = frozenset(long)
        self.attached = attached
        self.digits = digits


# Programs that run another command given as their remaining words: their options
# (those taking a value), and how many operands come before the command.
_WRAPPERS: dict[str, tuple[_Spec, int]] = {
    "sudo": (
        _Spec(
            "ughpCDrtUTR",
            (
                "--user",
                "--group",
                "--host",
                "--prompt",
                "--close-from",
                "--chdir",
                "--role",
                "--type",
                "--other-user",
                "--command-timeout",
                "--chroot",
            ),
        ),
        0,
    ),
    "doas": (_Spec("uC"), 0),
    "run0": (_Spec("uDg", ("--user", "--group", "--chdir")), 0),
    "env": (_Spec("uCS", ("--unset", "--chdir", "--split-string")), 0),
    "nice": (_Spec("n", ("--adjustment",)), 0),
    "ionice": (_Spec("cnpPu", ("--class", "--classdata", "--pid", "--pgid", "--uid")), 0),
    "timeout": (_Spec("sk", ("--signal", "--kill-after")), 1),
    "xargs": (
        _Spec(
            "IELnPsda",
            (
                "--replace",
                "--eof",
                "--max-lines",
                "--max-args",
                "--max-procs",
                "--max-chars",
                "--delimiter",
                "--arg-file",
                "--process-slot-var",
            ),
        ),
        0,
    ),
    "stdbuf": (_Spec("ioe", ("--input", "--output", "--error")), 0),
    "nohup": (_Spec(), 0),
    "setsid": (_Spec(), 0),
    "time": (_Spec("of", ("--output", "--format")), 0),
    "command": (_Spec(), 0),
    "builtin": (_Spec(), 0),
    "exec": (_Spec("a"), 0),
    "chroot": (_Spec("", ("--userspec", "--groups")), 1),
    "taskset": (_Spec(), 1),
    "unbuffer": (_Spec(), 0),
    "strace": (_Spec("oepsuEaPIOXbS"), 0),
    "flock": (_Spec("wEc", ("--timeout", "--conflict-exit-code", "--command")), 1),
    "runuser": (_Spec("ugGcsw", ("--user", "--group", "--command", "--shell")), 0),
    "su": (_Spec("cgGsw", ("--command", "--group", "--supp-group", "--shell")), 0),
    "npx": (_Spec("pc", ("--package", "--call")), 0),
    "pnpx": (_Spec("pc", ("--package", "--call")), 0),
    "bunx": (_Spec("p", ("--package",)), 0),
    "uvx": (_Spec("p", ("--from", "--with", "--python")), 0),
    "busybox": (_Spec(), 0),
    "watch": (_Spec("nq", ("--interval",)), 0),
}
# Options whose value is a command line of its own.
_COMMAND_STRING_OPTS = frozenset({"-S", "--split-string", "-c", "--command", "--call"})
_COMMAND_STRING_WRAPPERS = frozenset({"env", "flock", "runuser", "su", "npx", "pnpx"})

_SHELLS = frozenset(
    {"sh", "bash", "zsh", "dash", "ksh", "mksh", "pdksh", "yash", "ash", "fish", "tcsh", "csh"}
)
# Shell options that take the next word (``bash -o pipefail -c ...``).
_SHELL_SPEC = _Spec("oO", ("--rcfile", "--init-file", "--init-command", "--command"))

# In-place editors: the letter that means "edit in place", and the letters that take
# the rest of their word or the next one as a value (so ``-MList::Util`` is no -i).
_IN_PLACE: dict[str, _Spec] = {
    "sed": _Spec("efl", ("--expression", "--file", "--line-length")),
    "gsed": _Spec("efl", ("--expression", "--file", "--line-length")),
    "perl": _Spec("eEMmI", attached="xdDCF", digits="l0"),
    "ruby": _Spec("erICE", attached="FxW", digits="0"),
}
# Interpreters running a code string; the code is judged by what it calls.
_CODE_OPTS = {
    "python": "-c",
    "python3": "-c",
    "node": "-e",
    "deno": "eval",
    "bun": "-e",
    "perl": "-e",
    "ruby": "-e",
    "php": "-r",
}
_CODE_WORDS = (
    "unlink",
    "rmtree",
    "remove",
    "rmdir",
    "rename",
    "replace",
    "truncate",
    "write",
    "rm_rf",
    "rmSync",
    "rm(",
    "system",
    "subprocess",
    "spawn",
    "exec",
    "popen",
    "move",
)

_ARCHIVE_ZIP_READONLY = set("lvtZpcz")
_COMPRESSORS = frozenset(
    {
        "gzip",
        "gunzip",
        "bzip2",
        "bunzip2",
        "xz",
        "unxz",
        "lzma",
        "unlzma",
        "compress",
        "uncompress",
        "pigz",
        "unpigz",
        "lzip",
        "lunzip",
    }
)
_COMPRESSOR_KEEPS = set("cklt")
_COMPRESSOR_KEEPS_LONG = frozenset({"--stdout", "--to-stdout", "--keep", "--list", "--test"})

_SEPARATORS = frozenset({";", "&&", "||", "|", "&", "(", ")", ";;", "|&"})
_TRUNCATING = frozenset({">", ">|", "&>", "1>", "2>"})
_MAX_DEPTH = 3


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


def _is_assignment(word: str) -> bool:
    return "=" in word and not word.startswith("-") and word.split("=", 1)[0].isidentifier()


def _options(args: list[str], spec: _Spec) -> tuple[list[tuple[str, str | None]], int]:
    """The leading options of ``args`` as ``(option, value)`` and where the operands start.

    Short options may be bundled (``-lpi``); a letter of ``spec.short`` takes the rest
    of its word or, at the end of it, the next word. A long option of ``spec.long``
    takes ``=value`` or the next word.
    """
    found: list[tuple[str, str | None]] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            return found, i + 1
        if arg.startswith("--"):
            name, eq, value = arg.partition("=")
            if eq:
                found.append((name, value))
            elif name in spec.long and i + 1 < len(args):
                found.append((name, args[i + 1]))
                i += 1
            else:
                found.append((name, None))
            i += 1
            continue
        if not arg.startswith("-") or arg == "-":
            return found, i
        letters = arg[1:]
        k = 0
        while k < len(letters):
            letter = letters[k]
            if letter in spec.attached:
                found.append(("-" + letter, letters[k + 1 :]))
                break
            if letter in spec.digits:
                end = k + 1
                while end < len(letters) and letters[end] in "01234567":
                    end += 1
                found.append(("-" + letter, letters[k + 1 : end]))
                k = end
                continue
            if letter in spec.short:
                rest = letters[k + 1 :]
                if rest:
                    found.append(("-" + letter, rest))
                elif i + 1 < len(args):
                    found.append(("-" + letter, args[i + 1]))
                    i += 1
                else:
                    found.append(("-" + letter, None))
                break
            found.append(("-" + letter, None))
            k += 1
        i += 1
    return found, i


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


def _program(words: list[str], cwd: Path, depth: int) -> tuple[str, list[str]] | bool:
    """The program a simple command runs and its arguments, past assignments and
    wrappers; or the verdict itself when a wrapper's command string decides it."""
    i = 0
    while i < len(words):
        word = words[i]
        if _is_assignment(word):
            i += 1
            continue
        name = os.path.basename(word)
        wrapper = _WRAPPERS.get(name)
        if wrapper is None:
            break
        spec, operands = wrapper
        rest = words[i + 1 :]
        if name == "command" and any(a in ("-v", "-V") for a in rest[:1]):
            return False  # a lookup: nothing runs
        found, start = _options(rest, spec)
        if name == "su":  # GNU su takes its options after the user too
            found += _options(rest[start + 1 :], spec)[0]
        elif name == "flock" and start + 1 <= len(rest):
            more, after = _options(rest[start + 1 :], spec)
            found += more
            start += after
        if name in _COMMAND_STRING_WRAPPERS:
            strings = [v for o, v in found if o in _COMMAND_STRING_OPTS and v is not None]
            if strings and (
                depth >= _MAX_DEPTH or any(is_destructive(v, cwd, depth + 1) for v in strings)
            ):
                return True
        if name == "su":
            return False
        if name == "watch":
            command = " ".join(rest[start:])
            return bool(command) and (
                depth >= _MAX_DEPTH or is_destructive(command, cwd, depth + 1)
            )
        i += 1 + start + operands
    if i >= len(words):
        return False
    return os.path.basename(words[i]), words[i + 1 :]


def _simple_destructive(words: list[str], cwd: Path, depth: int) -> bool:
    found = _program(words, cwd, depth)
    if isinstance(found, bool):
        return found
    prog, args = found
    if prog in _ALWAYS:
        return True
    if prog == "git":
        return _git_subcommand(args) in _GIT_DESTRUCTIVE
    if prog in _SHELLS:
        return _shell_destructive(args, cwd, depth)
    if prog in _IN_PLACE and _in_place(args, _IN_PLACE[prog]):
        return True
    if prog in _CODE_OPTS and _code_destructive(prog, args):
        return True
    if prog in {"awk", "gawk"}:
        return _awk_in_place(args)
    if prog == "find":
        return any(a in {"-delete", "-exec", "-execdir", "-ok", "-okdir"} for a in args)
    if prog == "tee":
        return not any(a in {"-a", "--append"} for a in args) and any(
            _exists(cwd, a) for a in args if not a.startswith("-")
        )
    if prog == "eval":
        return depth >= _MAX_DEPTH or is_destructive(" ".join(args), cwd, depth + 1)
    return _files_destructive(prog, args)


def _shell_destructive(args: list[str], cwd: Path, depth: int) -> bool:
    """``bash -lc 'cmd'``, ``fish --command 'cmd'``: the command string decides."""
    found, start = _options(args, _SHELL_SPEC)
    command: str | None = None
    for option, value in found:
        if option == "--command" and value is not None:
            command = value
        elif option == "-c":
            command = args[start] if start < len(args) else None
    if command is None:
        return False  # a script file or stdin: nothing to read here
    return depth >= _MAX_DEPTH or is_destructive(command, cwd, depth + 1)


def _in_place(args: list[str], spec: _Spec) -> bool:
    found, _ = _options(args, spec)
    return any(option in ("-i", "--in-place") for option, _value in found) or any(
        a.startswith("--in-place") for a in args
    )


def _code_destructive(prog: str, args: list[str]) -> bool:
    flag = _CODE_OPTS[prog]
    for i, arg in enumerate(args):
        code = None
        if arg == flag and i + 1 < len(args):
            code = args[i + 1]
        elif (
            flag.startswith("-")
            and arg.startswith("-")
            and not arg.startswith("--")
            and arg.endswith(flag[1])
            and i + 1 < len(args)
        ):
            code = args[i + 1]  # a bundle ending in the flag letter (``perl -ne 'code'``)
        if code is not None and any(word in code for word in _CODE_WORDS):
            return True
    return False


def _awk_in_place(args: list[str]) -> bool:
    for i, arg in enumerate(args):
        if arg == "-i" and i + 1 < len(args) and args[i + 1].startswith("inplace"):
            return True
        if arg.startswith(("-iinplace", "--include=inplace")):
            return True
    return False


def _files_destructive(prog: str, args: list[str]) -> bool:
    """Archives, patches, links and compressors: what overwrites or removes files."""
    letters = {c for a in args if a.startswith("-") and not a.startswith("--") for c in a[1:]}
    longs = {a.split("=", 1)[0] for a in args if a.startswith("--")}
    if prog in {"tar", "bsdtar", "gtar"}:
        found, _ = _options(args, _Spec("fCbgKLNTVXHIF"))
        options = {option for option, _value in found}
        old_style = bool(args) and not args[0].startswith("-") and "x" in args[0]
        return (
            old_style
            or "-x" in options
            or bool(options & {"--extract", "--get", "--delete", "--unlink-first"})
        )
    if prog == "unzip":
        return not (letters & _ARCHIVE_ZIP_READONLY)
    if prog in {"7z", "7za", "7zz", "7zr"}:
        command = next((a for a in args if not a.startswith("-")), "")
        return command in {"x", "e", "d", "u", "a", "rn"}
    if prog == "cpio":
        return bool(letters & {"i", "p"}) or bool(longs & {"--extract", "--pass-through"})
    if prog == "patch":
        return "--dry-run" not in longs and "--check" not in longs
    if prog == "ln":
        return "f" in letters or "--force" in longs
    if prog in _COMPRESSORS:
        return not (letters & _COMPRESSOR_KEEPS) and not (longs & _COMPRESSOR_KEEPS_LONG)
    if prog in {"zstd", "unzstd"}:
        return "--rm" in longs
    if prog == "sort":
        return "o" in letters or "--output" in longs
    return False
