"""The preview's pure decisions: host names, templates, the address it dials, the headers it passes."""

from __future__ import annotations

import pytest

from autocode.core.config import Settings
from autocode.services import preview_rules as rules


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("p3-5173.localhost:8001", (3, 5173)),
        ("P12-80.preview.example.com", (12, 80)),
        ("p3-5173", (3, 5173)),
        ("p0-80.localhost", None),  # ids start at 1
        ("p3-0.localhost", None),  # no port 0
        ("p3-65536.localhost", None),  # past the last port
        ("p3-080.localhost", None),  # one spelling per preview
        ("p3-80x.localhost", None),
        ("127.0.0.1:8001", None),
        ("", None),
        ("preview.example.com", None),
        ("p99999999999999999999-80.localhost", None),
    ],
)
def test_parse_host(host: str, expected: tuple[int, int] | None) -> None:
    assert rules.parse_host(host) == expected


@pytest.mark.parametrize(
    ("listening", "expected"),
    [
        (["0.0.0.0"], "127.0.0.1"),
        (["127.0.0.1"], "127.0.0.1"),
        (["::"], "::1"),
        (["::1"], "::1"),
        (["::", "0.0.0.0"], "127.0.0.1"),
        (["::ffff:127.0.0.1"], "127.0.0.1"),
        (["127.0.0.2"], "127.0.0.2"),
        (["192.168.1.5"], None),  # bound to another address only: never dialled
        (["10.0.0.7", "::1"], "::1"),
        (["172.17.0.2"], None),
        (["*"], None),
        ([], None),
    ],
)
def test_dial_address_is_loopback_only(listening: list[str], expected: str | None) -> None:
    assert rules.dial_address(listening) == expected


@pytest.mark.parametrize(
    ("template", "ok"),
    [
        ("https://{name}.preview.example.com", True),
        ("http://{name}.localhost:8001", True),
        ("http://{name}.192.168.1.5.nip.io:8001", True),
        ("https://preview.example.com/{name}", False),  # a path per preview shares one origin
        ("https://x{name}.example.com", False),
        ("ftp://{name}.example.com", False),
        ("https://{name}.example.com/app", False),
        ("https://{name}.{name}.example.com", False),
    ],
)
def test_template(template: str, ok: bool) -> None:
    if ok:
        assert rules.check_template(template) == template
        assert Settings(preview_url=template).preview_template == template
    else:
        with pytest.raises(ValueError):
            rules.check_template(template)


def test_default_template_and_origin() -> None:
    settings = Settings(preview_port=9001)
    assert settings.preview_template == "http://{name}.localhost:9001"
    assert rules.origin(settings.preview_template, 7, 3000) == "http://p7-3000.localhost:9001"
    assert rules.secure_context(settings.preview_template)
    assert rules.secure_context("https://{name}.preview.example.com")
    assert not rules.secure_context("http://{name}.192.168.1.5.nip.io:8001")


def test_cookie_attributes() -> None:
    secure = rules.cookie_header("v", max_age=60, secure=True)
    assert secure == "autocode_preview=v; Path=/; Max-Age=60; HttpOnly; Secure; SameSite=None; Partitioned"
    plain = rules.cookie_header("v", max_age=60, secure=False)
    assert plain == "autocode_preview=v; Path=/; Max-Age=60; HttpOnly; SameSite=Lax"


def test_upstream_headers_drop_the_preview_cookie_and_hop_by_hop() -> None:
    headers = [
        (b"Host", b"p1-80.localhost:8001"),
        (b"Cookie", b"a=1; autocode_preview=SECRET; b=2"),
        (b"Connection", b"keep-alive"),
        (b"X-Forwarded-For", b"6.6.6.6"),
        (b"Accept", b"*/*"),
        (b"Transfer-Encoding", b"chunked"),
    ]
    out = rules.upstream_headers(headers, port=80, public_host="p1-80.localhost:8001", scheme="http")
    assert (b"host", b"localhost:80") in out
    assert (b"cookie", b"a=1; b=2") in out
    assert (b"accept", b"*/*") in out
    assert not any(b"SECRET" in v for _, v in out)
    names = [n for n, _ in out]
    assert b"connection" not in names and b"transfer-encoding" not in names
    assert (b"x-forwarded-for", b"6.6.6.6") not in out
    only = rules.upstream_headers([(b"cookie", b"autocode_preview=S")], port=80, public_host="h", scheme="http")
    assert b"cookie" not in [n for n, _ in only]


def test_downstream_headers_drop_wide_and_preview_cookies() -> None:
    headers = [
        (b"Set-Cookie", b"sid=1; Path=/"),
        (b"Set-Cookie", b"x=1; Domain=example.com"),
        (b"set-cookie", b"autocode_preview=forged; Path=/"),
        (b"Content-Type", b"text/html"),
        (b"Connection", b"close"),
    ]
    out = rules.downstream_headers(headers)
    assert out == [(b"set-cookie", b"sid=1; Path=/"), (b"content-type", b"text/html")]


def test_read_cookie() -> None:
    assert rules.read_cookie([(b"cookie", b"a=1; autocode_preview=xyz")]) == "xyz"
    assert rules.read_cookie([(b"cookie", b"autocode_preview=")]) is None
    assert rules.read_cookie([(b"accept", b"autocode_preview=xyz")]) is None
