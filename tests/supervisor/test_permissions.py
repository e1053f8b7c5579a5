"""The `auto` policy's one rule, as a table: what runs without a human and what is asked."""

from __future__ import annotations

from pathlib import PurePosixPath

import pytest

from autocode.supervisor import permissions, policy
from autocode.supervisor.screen import Screen, ScreenState

WS = PurePosixPath("/workspace/projects/shop")

ALLOWED = [
    "ls",
    "ls -la src",
    "cat README.md",
    "cat /workspace/projects/shop/src/app.py",
    "head -n 20 src/app.py",
    "grep -rn 'def main' src",
    'grep -rn "TODO: fix" .',
    "mkdir -p build/out",
    "touch src/__init__.py",
    "find . -name '*.py'",
    "find src -type f -newer setup.py",
    "git status",
    "git diff --stat",
    "git log --oneline -5",
    "git show HEAD~1",
    "git add src/app.py",
    "git add -A",
    'git commit -m "Add the cart: totals and taxes"',
    "git commit -am 'fix /etc parsing'",
    "pytest",
    "pytest -q tests/test_cart.py -k 'total and not tax'",
    "python -m pytest -q",
    "python3 -m pytest tests",
    "python3 -m unittest discover",
    "python3 -u scripts/seed.py --count 3",
    "python3 manage.py migrate",
    "python3.11 src/app.py",
    "node server.js",
    "node scripts/build.mjs --prod",
    "bash scripts/test.sh",
    "sh ./run-tests.sh",
    "deno test",
    "bun run src/index.ts",
    "npm test",
    "npm run build",
    "npm run lint -- --fix",
    "pnpm test",
    "yarn run dev",
    "npx tsc --noEmit",
    "tsc -p tsconfig.json",
    "make",
    "make test",
    "cargo test",
    "go test ./...",
    "ruff check .",
    "mypy --strict src",
    "echo done",
    "  ls  ",
]

REFUSED = [
    # inline code
    "python3 -c \"open('/tmp/x','w')\"",
    "python -c 'import os; os.system(\"id\")'",
    "python3 -",
    "python3",
    "python3 -m pip install requests",
    "python3 -m http.server",
    "python3 -W ignore -c 'print(1)'",
    "node -e \"require('fs').writeFileSync('/tmp/x','')\"",
    "node --eval 'process.exit(0)'",
    "node -p 1+1",
    "bash -c 'touch /tmp/x'",
    "sh -c id",
    "sh -s",
    "perl -e 'unlink q(/tmp/x)'",
    'ruby -e \'File.write("/tmp/x", "")\'',
    "deno eval 'Deno.exit()'",
    "bun -e 'console.log(1)'",
    "python3 /tmp/evil.py",
    "python3 ../other/evil.py",
    "node /dev/stdin",
    # find actions
    "find . -delete",
    "find . -name '*.pyc' -delete",
    "find . -exec rm {} ;",
    "find . -exec rm '{}' '+'",
    "find . -execdir sh -c id \\;",
    "find . -ok rm '{}' \\;",
    "find . -fprint /tmp/list",
    "find . -fprintf out '%p'",
    "find / -name secret.key",
    "find .. -name '*.db'",
    # git
    "git -c core.pager=id log",
    "git -C / status",
    "git --exec-path=/tmp log",
    "git --git-dir=/tmp/repo log",
    "git diff --output=/tmp/x",
    "git diff --output /tmp/x",
    "git log --ext-diff",
    "git show --textconv HEAD",
    "git push",
    "git config core.fsmonitor 'touch /tmp/x'",
    "git clean -fdx",
    "git checkout -- .",
    "git reset --hard",
    "git add /etc/passwd",
    "git commit -F /etc/passwd",
    "git",
    # shell syntax
    "ls; touch /tmp/x",
    "ls && touch /tmp/x",
    "ls || touch /tmp/x",
    "ls & touch /tmp/x",
    "ls | sh",
    "cat src/app.py > /tmp/x",
    "cat < /etc/passwd",
    "echo hi >> notes.txt",
    "echo `id`",
    "echo $(id)",
    'echo "$(id)"',
    "cat $HOME/.ssh/id_rsa",
    'echo "${PATH}"',
    "(touch /tmp/x)",
    "ls\ntouch /tmp/x",
    "ls \\\ntouch /tmp/x",
    "FOO=1 pytest",
    "PATH=/tmp:$PATH pytest",
    "cat ~/.bashrc",
    "cat *.py",
    "ls src/{a,b}",
    "echo 'unclosed",
    "ls # comment",
    # paths outside
    "cat /etc/passwd",
    "cat ../secret.txt",
    "cat src/../../secret.txt",
    "cat /workspace/projects/shop/../other/x",
    "cat /workspace/projects/shopping/x",
    "ls /",
    "grep -r password /data",
    "mkdir /tmp/x",
    "touch ../x",
    "head --lines=5 --file=/etc/passwd",
    "make -C /",
    "make -f /tmp/Makefile",
    "pytest --rootdir=/",
    "pytest -o/tmp/x",
    "go test -exec /tmp/x ./...",
    "npm --prefix /tmp test",
    "mypy --config-file=/etc/x",
    # not on the list
    "rm -rf build",
    "curl -s http://example.invalid/install.sh",
    "wget http://x",
    "sudo ls",
    "chmod +x run.sh",
    "./run.sh",
    "/bin/ls",
    "npm install left-pad",
    "npm ci",
    "npm exec -- evil",
    "npx evil-package",
    "yarn add x",
    "cargo install ripgrep",
    "env python3 app.py",
    "xargs rm",
    "dd if=/dev/zero of=x",
    "",
    "   ",
    "x" * 5000,
]


@pytest.mark.parametrize("command", ALLOWED)
def test_allowed(command: str) -> None:
    decision = permissions.decide(command, workspace=WS)
    assert decision.allow, decision.reason


@pytest.mark.parametrize("command", REFUSED)
def test_refused(command: str) -> None:
    decision = permissions.decide(command, workspace=WS)
    assert not decision.allow, decision.reason
    assert decision.reason


@pytest.mark.parametrize(
    ("command", "words"),
    [
        ("a 'b c' \"d e\" f\\ g", ["a", "b c", "d e", "f g"]),
        ("find . -name '*.py'", ["find", ".", "-name", "*.py"]),
        ("echo ''", ["echo", ""]),
        ('echo "a\\"b"', ["echo", 'a"b']),
    ],
)
def test_split(command: str, words: list[str]) -> None:
    assert permissions.split(command) == words


@pytest.mark.parametrize(
    ("path", "ok"),
    [
        ("src/a.py", True),
        (".", True),
        ("/workspace/projects/shop", True),
        ("/workspace/projects/shop/", True),
        ("..", False),
        ("a/../../x", False),
        ("/workspace/projects/shopx", False),
        ("/etc", False),
        ("a/../b", True),
        ("a\x00", False),
    ],
)
def test_inside(path: str, ok: bool) -> None:
    assert permissions.inside(path, WS) is ok


def _screen(tool: str, question: str, target: str) -> Screen:
    return Screen(ScreenState.PERMISSION, tool=tool, question=question, target=target)


@pytest.mark.parametrize(
    ("policy_name", "tool", "question", "target", "allow", "because"),
    [
        ("auto", "Bash command", "Do you want to proceed?", "pytest -q", True, "pytest"),
        ("auto", "Bash command", "Do you want to proceed?", "python3 -c \"open('/tmp/x','w')\"", False, "python3 -c"),
        ("auto", "Bash command", "Do you want to proceed?", "", False, "could not be read"),
        ("auto", "Create file", "Do you want to create a.txt?", "a.txt", True, "inside the workspace"),
        ("auto", "Create file", "Do you want to create x?", "/etc/x", False, "outside the workspace"),
        ("auto", "Create file", "Do you want to create x?", "../x", False, "outside the workspace"),
        ("auto", "Edit file", "Do you want to make this edit to a.py?", f"{WS}/src/a.py", True, "inside"),
        ("auto", "Fetch", "Allow this fetch?", "https://example.com", False, "not a file edit"),
        ("ask", "Bash command", "Do you want to proceed?", "ls", False, "policy 'ask'"),
    ],
)
def test_a_question_on_screen_is_judged_by_the_one_rule(
    policy_name: str, tool: str, question: str, target: str, allow: bool, because: str
) -> None:
    decision = policy.decide(_screen(tool, question, target), policy=policy_name, workspace=WS)
    assert isinstance(decision, permissions.Decision)
    assert decision.allow is allow and because in decision.reason, decision.reason
