"""What the ``auto`` permission policy lets Claude Code run without a human: the one rule.

A pure function of the command line and the project folder (as Claude Code sees it). Anything
it cannot read as one plain, reviewable command goes to the human:

- **Shell syntax**: one simple command only. Pipes, ``;``, ``&&``/``||``, ``&``, redirections,
  subshells, command or variable substitution (``$``, backticks), unquoted wildcards and braces
  (their expansion could turn a planted file name into an option), ``~``, comments, newlines and
  ``NAME=value`` prefixes are refused. Quoting is honoured, so ``find . -name '*.py'`` passes.
- **Paths**: every argument that could be a path must stay inside the project folder lexically
  (no absolute path elsewhere, no ``..`` leaving it); an option carrying a path (``--out=/x``)
  is checked the same way, and an option glued to a path (``-o/x``) is refused.
- **Programs**: a short list of build, test and inspection tools. Interpreters (python, node,
  bash, sh, ruby, perl, deno, bun) only run a script file of the project: inline code
  (``-c``, ``-e``, ``--eval``, ``-p``) or a script read from stdin is refused. ``python -m`` is
  allowed for test and lint runners only (pytest, unittest, mypy, ruff, black, flake8): they run
  the project's own code, like ``npm test`` does; ``pip`` is not on the list, since installing
  packages runs code from the network the human has not seen. For the same reason
  ``npm/pnpm/yarn install`` asks. ``find`` never with actions that delete, execute or write
  (``-delete``, ``-exec``, ``-execdir``, ``-ok``, ``-okdir``, ``-fprint*``, ``-fls``); git only
  inspection subcommands plus ``add``/``commit``, with no global options (``-c``, ``-C``,
  ``--git-dir``, ``--exec-path``...) and no ``--output``, ``--ext-diff``, ``--textconv``,
  ``--exec``, ``--upload-pack``.

Running the project's tests runs the project's code: that is the point of the ``auto`` policy and
why it is only as safe as the environment Claude Code runs in. What it guarantees is that what
it approves is visible in the question: no hidden second command, no code on the command line.

Claude Code keeps a shell's working directory between commands; relative paths are judged
against the project folder, where Claude Code starts (and to which it returns a shell that left
its allowed directories).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath

from autocode.core.layout import within


@dataclass(frozen=True)
class Decision:
    allow: bool
    reason: str


def _no(reason: str) -> Decision:
    return Decision(False, reason)


class _Refused(Exception):
    pass


# Characters that mean shell syntax when unquoted.
_OPERATORS = {
    ";": "';'",
    "&": "'&' or '&&'",
    "|": "a pipe or '||'",
    "<": "a redirection",
    ">": "a redirection",
    "(": "a subshell",
    ")": "a subshell",
    "`": "command substitution",
    "$": "a substitution",
}
_EXPANSIONS = {
    "*": "a wildcard",
    "?": "a wildcard",
    "[": "a wildcard",
    "{": "a brace expansion",
    "}": "a brace expansion",
    "!": "history expansion",
}
_ENV_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=")
MAX_COMMAND_CHARS = 4000


def split(command: str) -> list[str]:
    """The words of one simple bash command; raises ValueError naming the syntax refused."""
    words: list[str] = []
    word: list[str] = []
    started = False  # a word exists (maybe empty, from quotes)
    i, n = 0, len(command)
    while i < n:
        ch = command[i]
        if ch in " \t":
            if started:
                words.append("".join(word))
                word, started = [], False
            i += 1
            continue
        if ch in "\n\r":
            raise ValueError("more than one line")
        if ch == "'":
            end = command.find("'", i + 1)
            if end < 0:
                raise ValueError("an unclosed quote")
            word.append(command[i + 1 : end])
            started, i = True, end + 1
            continue
        if ch == '"':
            i += 1
            while True:
                if i >= n:
                    raise ValueError("an unclosed quote")
                c = command[i]
                if c == '"':
                    break
                if c in "$`":
                    raise ValueError(_OPERATORS[c])
                if c == "\\" and i + 1 < n and command[i + 1] in '"\\$`\n':
                    if command[i + 1] == "\n":
                        raise ValueError("more than one line")
                    word.append(command[i + 1])
                    i += 2
                    continue
                if c == "!":
                    raise ValueError(_EXPANSIONS[c])
                word.append(c)
                i += 1
            started, i = True, i + 1
            continue
        if ch == "\\":
            if i + 1 >= n or command[i + 1] in "\n\r":
                raise ValueError("more than one line")
            word.append(command[i + 1])
            started, i = True, i + 2
            continue
        if ch in _OPERATORS:
            raise ValueError(_OPERATORS[ch])
        if ch in _EXPANSIONS:
            raise ValueError(_EXPANSIONS[ch])
        if not started and ch == "~":
            raise ValueError("'~' (a home folder)")
        if not started and ch == "#":
            raise ValueError("a comment")
        word.append(ch)
        started, i = True, i + 1
    if started:
        words.append("".join(word))
    return words


def inside(path: str, workspace: PurePosixPath) -> bool:
    """Whether ``path`` (absolute, or relative to the workspace) stays in it, lexically."""
    return within(workspace, path) is not None


def _check_paths(words: list[str], workspace: PurePosixPath) -> None:
    """Every argument that could name a file stays in the workspace."""
    for word in words:
        if word.startswith("-") and len(word) > 1:
            if "=" in word:
                value = word.split("=", 1)[1]
                if ("/" in value or value.startswith(".")) and not inside(value, workspace):
                    raise _Refused(f"{word}: a path outside the project folder")
            elif "/" in word:
                raise _Refused(f"{word}: an option glued to a path")
            continue
        if not inside(word, workspace):
            raise _Refused(f"{word}: a path outside the project folder")


# Programs that only read, or write inside the folder they are given (paths are checked).
_PLAIN = frozenset(
    {
        "ls",
        "cat",
        "head",
        "tail",
        "wc",
        "pwd",
        "echo",
        "mkdir",
        "touch",
        "grep",
        "rg",
        "diff",
        "tree",
        "sort",
        "uniq",
        "stat",
        "file",
        "du",
        "basename",
        "dirname",
        "true",
        "false",
        "which",
    }
)
# Build, test and lint tools that run the project's own code or config.
_TOOLS: dict[str, frozenset[str] | None] = {
    "pytest": None,
    "ruff": None,
    "mypy": None,
    "tsc": None,
    "make": None,
    "black": None,
    "flake8": None,
    "eslint": None,
    "prettier": None,
    "jest": None,
    "vitest": None,
    "cargo": frozenset({"build", "test", "check", "clippy", "fmt", "run"}),
    "go": frozenset({"build", "test", "vet", "fmt", "run"}),
    "npx": frozenset({"tsc", "jest", "vitest", "eslint", "prettier", "mypy"}),
    "npm": frozenset({"test", "t", "run", "run-script"}),
    "pnpm": frozenset({"test", "t", "run"}),
    "yarn": frozenset({"test", "run"}),
}
# Options of those tools that run another program or write somewhere chosen on the line.
_TOOL_OPTIONS = ("-exec", "-toolexec", "--config", "--exec", "--prefix", "-C", "--dir", "--cwd")
_INTERPRETER = re.compile(r"(python[0-9.]*|node|nodejs|bash|sh|dash|zsh|ruby|perl|deno|bun)")
_PYTHON_MODULES = frozenset({"pytest", "unittest", "mypy", "ruff", "black", "flake8", "doctest"})
_PYTHON_FLAGS = frozenset({"-u", "-B", "-b", "-q", "-E", "-s", "-I"})  # flags with no argument, no code
_FIND_ACTIONS = ("-delete", "-exec", "-execdir", "-ok", "-okdir", "-fprint", "-fprint0", "-fprintf", "-fls")
_GIT_SUBCOMMANDS = frozenset(
    {"status", "diff", "log", "show", "add", "commit", "ls-files", "rev-parse", "blame", "shortlog", "describe"}
)
_GIT_OPTIONS = (
    "--output",
    "--ext-diff",
    "--textconv",
    "--exec",
    "--upload-pack",
    "--receive-pack",
    "--exec-path",
    "--git-dir",
    "--work-tree",
    "--template",
    "-c",
    "-C",
    "--open-files-in-pager",
    "--no-index",
)


def _interpreter(name: str, args: list[str], workspace: PurePosixPath) -> Decision:
    if name in ("deno", "bun"):
        if args[:1] == ["test"]:
            _check_paths(args[1:], workspace)
            return Decision(True, f"{name} test")
        if args[:1] != ["run"]:
            return _no(f"{name}: only 'run <script>' and 'test'")
        args = args[1:]
    rest = list(args)
    while rest and rest[0].startswith("-"):
        flag = rest.pop(0)
        if name.startswith("python") and flag == "-m":
            if not rest or rest[0] not in _PYTHON_MODULES:
                return _no(f"{name} -m: only {', '.join(sorted(_PYTHON_MODULES))}")
            module = rest.pop(0)
            _check_paths(rest, workspace)
            return Decision(True, f"{name} -m {module}: a test or lint runner")
        if name.startswith("python") and flag in _PYTHON_FLAGS:
            continue
        return _no(f"{name} {flag}: code given on the command line or an option of the interpreter")
    if not rest or rest[0] in ("-", "/dev/stdin"):
        return _no(f"{name} without a script file reads code from its input")
    _check_paths(rest, workspace)
    return Decision(True, f"{name} runs the project's script {rest[0]}")


def _git(args: list[str], workspace: PurePosixPath) -> Decision:
    if not args or args[0] not in _GIT_SUBCOMMANDS:
        first = args[0] if args else "(nothing)"
        return _no(f"git {first}: only {', '.join(sorted(_GIT_SUBCOMMANDS))} (and no global options)")
    for word in args[1:]:
        if any(word == opt or word.startswith(opt + "=") for opt in _GIT_OPTIONS) or (
            word.startswith("--output") or word.startswith("--exec")
        ):
            return _no(f"git {args[0]} {word}: an option that writes, runs a program or leaves the folder")
    if args[0] == "commit":
        _check_paths([w for w in _commit_paths(args[1:])], workspace)
    else:
        _check_paths(args[1:], workspace)
    return Decision(True, f"git {args[0]}")


def _commit_paths(args: list[str]) -> list[str]:
    """A commit's arguments without its message (which is text, not a path)."""
    out: list[str] = []
    skip = False
    for word in args:
        if skip:
            skip = False
            continue
        if word in ("-m", "--message"):
            skip = True
            continue
        if word.startswith("--message=") or (word.startswith("-m") and len(word) > 2):
            continue
        out.append(word)
    return out


def decide(command: str, *, workspace: PurePosixPath) -> Decision:
    """Whether the ``auto`` policy approves ``command``, and why (the reason is shown to the user)."""
    if len(command) > MAX_COMMAND_CHARS:
        return _no("the command is too long to review")
    try:
        words = split(command.strip())
    except ValueError as exc:
        return _no(f"shell syntax that can hide a second command or a write: {exc}")
    if not words:
        return _no("an empty command")
    if _ENV_ASSIGNMENT.match(words[0]):
        return _no(f"{words[0]}: a variable set before the command")
    name, args = words[0], words[1:]
    if "/" in name:
        return _no(f"{name}: only programs by name")
    try:
        if name in _PLAIN:
            _check_paths(args, workspace)
            return Decision(True, f"{name}: inspection inside the project folder")
        if name == "find":
            for word in args:
                if word.startswith(_FIND_ACTIONS):
                    return _no(f"find {word}: deletes, runs or writes")
            _check_paths([w for w in args if w.startswith("/") or w.startswith("..")], workspace)
            return Decision(True, "find inside the project folder")
        if name == "git":
            return _git(args, workspace)
        if _INTERPRETER.fullmatch(name):
            return _interpreter(name, args, workspace)
        if name in _TOOLS:
            subcommands = _TOOLS[name]
            if subcommands is not None and (not args or args[0] not in subcommands):
                sub = args[0] if args else "(nothing)"
                return _no(f"{name} {sub}: only {', '.join(sorted(subcommands))}")
            for word in args:
                if any(word == opt or word.startswith(opt + "=") for opt in _TOOL_OPTIONS):
                    return _no(f"{name} {word}: an option that runs another program or changes folder")
            _check_paths(args, workspace)
            return Decision(True, f"{' '.join(words[:2]) if subcommands else name}: an ordinary build or test")
    except _Refused as exc:
        return _no(str(exc))
    return _no(f"{name} is not on the list of ordinary build, test and inspection commands")
