"""Which repository addresses a project may be cloned from: a table of cases."""

from __future__ import annotations

import pytest

from autocode.services.clones import GIT_OPTIONS, clone_command, failure_reason
from autocode.services.git_urls import GitUrlRefused, check_git_url, redact

ALLOWED = [
    # (address, production, scheme, host)
    ("https://github.com/octo/hello.git", True, "https", "github.com"),
    ("https://gitlab.example.org:8443/group/sub/repo", True, "https", "gitlab.example.org"),
    ("ssh://git@github.com/octo/hello.git", True, "ssh", "github.com"),
    ("ssh://git@github.com:2222/octo/hello.git", True, "ssh", "github.com"),
    ("git@github.com:octo/hello.git", True, "ssh", "github.com"),
    ("github.com:octo/hello.git", True, "ssh", "github.com"),
    ("git://git.kernel.org/pub/scm/git/git.git", True, "git", "git.kernel.org"),
    ("  https://github.com/octo/hello  ", True, "https", "github.com"),
    # development: a git daemon or server on this machine is fine
    ("git://127.0.0.1:9418/repo", False, "git", "127.0.0.1"),
    ("https://localhost/repo.git", False, "https", "localhost"),
    ("git@10.0.0.5:team/repo.git", False, "ssh", "10.0.0.5"),
]


@pytest.mark.parametrize("url,production,scheme,host", ALLOWED)
def test_allowed(url: str, production: bool, scheme: str, host: str) -> None:
    checked = check_git_url(url, production=production)
    assert (checked.scheme, checked.host) == (scheme, host)
    assert checked.url == url.strip()


REFUSED = [
    # (address, production, words of the reason)
    ("/etc", False, "Local paths"),
    ("./repo", False, "Local paths"),
    ("../other-user/projects/x", False, "Local paths"),
    ("~/repo", False, "Local paths"),
    ("repo", False, "Local paths"),
    ("file:///etc", False, "file://"),
    ("FILE:///etc/passwd", False, "file://"),
    ("ext::sh -c touch% /tmp/pwned", False, "Transport helpers"),
    ("ext::sh", False, "Transport helpers"),
    ("fd::3", False, "Transport helpers"),
    ("--upload-pack=touch /tmp/pwned", False, "'-'"),
    ("-uhttps://github.com/x", False, "'-'"),
    ("https://user:secret@github.com/x.git", False, "Credentials"),
    ("https://ghp_token@github.com/x.git", False, "Credentials"),
    ("git://me@host.example/x", False, "Credentials"),
    ("http://github.com/x.git", False, "http://"),
    ("ftp://example.com/x", False, "scheme 'ftp'"),
    ("https://github.com/x y", False, "spaces"),
    ("https://github.com/x\nfatal", False, "control"),
    ("https:///x", False, "no host"),
    ("https://github.com/", False, "no repository path"),
    ("", False, "empty"),
    ("https://" + "a" * 2100, False, "longer than"),
    # production: nothing private, loopback or link-local, whatever its spelling
    ("git://127.0.0.1:9418/repo", True, "private"),
    ("https://localhost/repo.git", True, "localhost"),
    ("https://repo.localhost/x", True, "localhost"),
    ("https://10.1.2.3/x", True, "private"),
    ("https://192.168.1.1/x", True, "private"),
    ("https://172.17.0.1/x", True, "private"),
    ("https://169.254.169.254/latest", True, "private"),
    ("https://100.64.0.1/x", True, "private"),
    ("https://[::1]/x", True, "private"),
    ("https://[fe80::1]/x", True, "private"),
    ("https://[fd00::1]/x", True, "private"),
    ("https://[::ffff:127.0.0.1]/x", True, "private"),
    ("https://2130706433/x", True, "private"),  # 127.0.0.1 as one number
    ("https://0x7f.1/x", True, "private"),
    ("https://127.1/x", True, "private"),
    ("https://0177.0.0.1/x", True, "private"),
    ("https://0.0.0.0/x", True, "private"),
    ("git@127.0.0.1:repo.git", True, "private"),
    ("git@[::1]:repo.git", True, ""),
]


@pytest.mark.parametrize("url,production,reason", REFUSED)
def test_refused(url: str, production: bool, reason: str) -> None:
    with pytest.raises(GitUrlRefused) as caught:
        check_git_url(url, production=production)
    assert reason in str(caught.value)


def test_public_addresses_pass_in_production() -> None:
    assert check_git_url("https://140.82.112.3/octo/x", production=True).host == "140.82.112.3"


def test_the_clone_command_takes_the_address_as_one_argument_after_double_dash() -> None:
    https = clone_command(check_git_url("https://github.com/octo/x.git", production=True))
    assert https.argv[:1] == ["git"] and https.argv[-3:] == ["--", "https://github.com/octo/x.git", "."]
    assert not https.needs_key and https.env["GIT_TERMINAL_PROMPT"] == "0"
    for option in ("protocol.file.allow=never", "protocol.allow=never", "protocol.ext.allow=never"):
        assert option in GIT_OPTIONS and option in https.argv
    ssh = clone_command(check_git_url("git@github.com:octo/x.git", production=True))
    assert ssh.needs_key and ssh.argv[:2] == ["bash", "-c"]
    assert ssh.argv[3:5] == ["autocode-clone", "git@github.com:octo/x.git"]
    assert "StrictHostKeyChecking=accept-new" in ssh.argv[2]


def test_redaction_and_failure_reasons() -> None:
    assert redact("fatal: https://u:p@h.example/x failed") == "fatal: https://***@h.example/x failed"
    out = "Cloning into '.'...\nfatal: remote error: access denied or repository not exported: /nope\n"
    assert failure_reason(out, 128, timed_out=False, timeout=600).startswith("fatal: remote error")
    assert "600 seconds" in failure_reason("", 124, timed_out=True, timeout=600)
    assert failure_reason("", 3, timed_out=False, timeout=600) == "git exited with status 3"
    ssh = "ssh: connect to host 127.0.0.1 port 1: Connection refused\nfatal: Could not read from remote repository.\n"
    assert failure_reason(ssh, 128, timed_out=False, timeout=600).endswith("Connection refused")
    # git:// says why on the line after its "fatal: ...:" (the reason must not end at the colon)
    refused = (
        "Cloning into '.'...\nfatal: unable to connect to 127.0.0.1:\n"
        "127.0.0.1[0: 127.0.0.1]: errno=Connection refused\n"
    )
    assert (
        failure_reason(refused, 128, timed_out=False, timeout=600)
        == "fatal: unable to connect to 127.0.0.1: 127.0.0.1[0: 127.0.0.1]: errno=Connection refused"
    )
    missing = "sh: 1: ssh: not found\nfatal: Could not read from remote repository.\n"
    assert "openssh-client" in failure_reason(missing, 128, timed_out=False, timeout=600)
