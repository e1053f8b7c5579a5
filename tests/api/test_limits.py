"""Oversized and malformed requests get clear 4xx answers, never a 500."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from fastapi.testclient import TestClient

from tests.conftest import Account


def test_body_over_the_limit_is_413(client: TestClient, admin: Account) -> None:
    big = "x" * (70 * 1024)
    r = client.post("/api/agents", json={"name": "a", "model": "a/b", "identity": big}, headers=admin.headers)
    assert r.status_code == 413 and "larger than" in r.json()["detail"]

    def chunks() -> Iterator[bytes]:
        for _ in range(80):
            yield b"y" * 1024

    streamed = client.post(
        "/api/agents", content=chunks(), headers={**admin.headers, "Content-Type": "application/json"}
    )
    assert streamed.status_code == 413


def test_malformed_input_never_500(client: TestClient, admin: Account, make_user: Callable[..., Account]) -> None:
    h = {**admin.headers, "Content-Type": "application/json"}
    cases = [
        ("POST", "/api/auth/login", b"{not json"),
        ("POST", "/api/auth/login", b"[]"),
        ("POST", "/api/auth/login", b'{"username": 5, "password": null}'),
        ("POST", "/api/agents", b"\xff\xfe\x00"),
        ("POST", "/api/agents", b'{"name": "a", "model": "a/b", "tools": [1, {"x": 2}]}'),
        ("POST", "/api/users", b'{"username": "\\u0000abc", "password": "12345678"}'),
        ("GET", "/api/projects/not-a-number", b""),
        ("GET", "/api/projects/99999999999999999999999", b""),
        ("DELETE", "/api/keys/-1", b""),
        ("POST", "/api/auth/refresh", b'{"refresh_token": 12}'),
        ("POST", "/api/keys", b'{"provider": "anthropic", "key": "' + b"k" * 5000 + b'"}'),
    ]
    for method, url, body in cases:
        r = client.request(method, url, content=body or None, headers=h)
        assert 400 <= r.status_code < 500, (method, url, r.status_code, r.text)
        assert "detail" in r.json()


def test_unknown_api_paths_are_json_404_and_the_spa_owns_the_rest(client: TestClient) -> None:
    r = client.get("/api/nope")
    assert r.status_code == 404 and r.json() == {"detail": "Not Found"}
    page = client.get("/projects/12")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
