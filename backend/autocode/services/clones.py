"""Cloning a project's repository into its folder, inside the user's environment.

The clone is one command the runtime runs as the user (docker: `docker exec` in their
container; local: a process like their tmux sessions), never git on the host with the
server's rights. The command is fixed here; the only user input is the checked address
(services/git_urls.py), passed as one argument after `--`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from autocode.services.git_urls import GitUrl, redact

# Only the network transports a project may start from; file:// and helpers like ext:: never.
GIT_OPTIONS = (
    "-c",
    "protocol.allow=never",
    "-c",
    "protocol.https.allow=always",
    "-c",
    "protocol.ssh.allow=always",
    "-c",
    "protocol.git.allow=always",
    "-c",
    "protocol.file.allow=never",
    "-c",
    "protocol.ext.allow=never",
    "-c",
    "core.hooksPath=/dev/null",
    "-c",
    "credential.helper=",
)
# No terminal to ask for a password on, no system or global configuration of the environment.
GIT_ENV = {
    "GIT_TERMINAL_PROMPT": "0",
    "GIT_ASKPASS": "/bin/false",
    "SSH_ASKPASS": "/bin/false",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": "/dev/null",
    "GIT_PROTOCOL_FROM_USER": "0",
}
# A fixed script (no user text in it): the ssh key arrives on stdin into a private temporary
# directory, used for this clone only, removed afterwards. The address is "$1".
SSH_SCRIPT = r"""set -e
umask 077
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cat > "$dir/key"
export GIT_SSH_COMMAND="ssh -F /dev/null -i $dir/key -o IdentitiesOnly=yes -o BatchMode=yes \
-o StrictHostKeyChecking=accept-new -o UserKnownHostsFile=$dir/known_hosts -o ConnectTimeout=30"
git "${@:2}" -- "$1" .
"""


@dataclass(frozen=True)
class CloneCommand:
    argv: list[str]
    env: dict[str, str]
    needs_key: bool


def clone_command(git: GitUrl) -> CloneCommand:
    """The argv and environment that clone `git` into the current directory."""
    git_words = [*GIT_OPTIONS, "clone", "--no-recurse-submodules"]
    if git.uses_ssh:
        argv = ["bash", "-c", SSH_SCRIPT, "autocode-clone", git.url, *git_words]
        return CloneCommand(argv=argv, env=dict(GIT_ENV), needs_key=True)
    return CloneCommand(argv=["git", *git_words, "--", git.url, "."], env=dict(GIT_ENV), needs_key=False)


def failure_reason(output: str, returncode: int, *, timed_out: bool, timeout: float) -> str:
    """One line telling the user why a clone failed (from git's own message when it gave one)."""
    if timed_out:
        return f"the clone took longer than {int(timeout)} seconds and was stopped"
    lines = [line.strip() for line in redact(output).splitlines() if line.strip()]
    # ssh says what went wrong (refused, no such host, key not accepted) before git's generic
    # "Could not read from remote repository".
    ssh = [
        line
        for line in lines
        if re.match(r"^(ssh: |Host key verification failed|.*Permission denied \(publickey)", line)
        or re.search(r"\bssh: (command )?not found", line)
    ]
    fatal = [line for line in lines if re.match(r"^(fatal|error|ERROR|remote: ERROR)\b", line)]
    chosen = ssh[0] if ssh else fatal[-1] if fatal else (lines[-1] if lines else f"git exited with status {returncode}")
    follows = lines.index(chosen) + 1 if chosen in lines else len(lines)
    if chosen.endswith(":") and follows < len(lines):  # "fatal: unable to connect to host:" then why
        chosen = f"{chosen} {lines[follows]}"
    if "command not found" in chosen or "ssh: not found" in chosen:
        chosen += " (the workspace image needs openssh-client for ssh addresses)"
    return chosen[:400]
