""" "Test key": a real call to the key's provider (the fake endpoints on 127.0.0.1) and a verdict."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from autocode.app import create_app
from autocode.core.config import Settings
from tests.conftest import ADMIN_PASSWORD, Account, login, silent_listener
from tests.fakes.fake_anthropic import FakeAnthropic
from tests.fakes.fake_openai import FakeOpenAI, refused_url

GOOD = "sk-ant-api03-GOOD-key-1234"
BAD = "sk-ant-api03-REVOKED-key-9999"


@pytest.fixture
def anthropic() -> Iterator[FakeAnthropic]:
    with FakeAnthropic() as fake:
        fake.refuse_key(BAD)
        yield fake


@pytest.fixture
def openai() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as fake:
        fake.refuse_key(BAD)
        yield fake


def add_key(client: TestClient, user: Account, provider: str, key: str, base_url: str | None) -> int:
    r = client.post("/api/keys", json={"provider": provider, "key": key, "base_url": base_url}, headers=user.headers)
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def test_a_good_and_a_refused_anthropic_key(
    client: TestClient, make_user: Callable[..., Account], anthropic: FakeAnthropic
) -> None:
    alice = make_user("alice")
    good = add_key(client, alice, "anthropic", GOOD, anthropic.url)
    r = client.post(f"/api/keys/{good}/test", headers=alice.headers)
    assert r.status_code == 200, r.text
    assert r.json() == {"ok": True, "message": "The key works: 3 models"}
    asked = [q for q in anthropic.requests if q.method == "GET"]
    assert [q.path for q in asked] == ["/v1/models"]
    assert asked[0].headers["x-api-key"] == GOOD and asked[0].headers["anthropic-version"] == "2023-06-01"

    bad = add_key(client, alice, "anthropic", BAD, anthropic.url)
    r = client.post(f"/api/keys/{bad}/test", headers=alice.headers)
    assert r.json() == {"ok": False, "message": "The provider refused the key (401): invalid x-api-key"}
    assert BAD not in r.text and GOOD not in r.text


def test_a_subscription_token_goes_as_a_bearer_token(
    client: TestClient, make_user: Callable[..., Account], anthropic: FakeAnthropic
) -> None:
    alice = make_user("alice")
    key = add_key(client, alice, "claude-code-oauth", "sk-ant-oat01-TOKEN-5678", anthropic.url)
    assert client.post(f"/api/keys/{key}/test", headers=alice.headers).json()["ok"] is True
    asked = [q for q in anthropic.requests if q.method == "GET"][-1]
    assert asked.headers["authorization"] == "Bearer sk-ant-oat01-TOKEN-5678"
    assert "x-api-key" not in asked.headers


def test_openai_style_keys(client: TestClient, make_user: Callable[..., Account], openai: FakeOpenAI) -> None:
    alice = make_user("alice")
    good = add_key(client, alice, "openai", GOOD, openai.url)
    assert client.post(f"/api/keys/{good}/test", headers=alice.headers).json() == {
        "ok": True,
        "message": "The key works: 1 model",
    }
    assert [q for q in openai.requests if q.method == "GET"][-1].authorization == f"Bearer {GOOD}"
    # a provider of the user's own naming, on an OpenAI-compatible server
    bad = add_key(client, alice, "my-gateway", BAD, openai.url)
    verdict = client.post(f"/api/keys/{bad}/test", headers=alice.headers).json()
    assert verdict == {"ok": False, "message": "The provider refused the key (401): Incorrect API key provided"}


def test_unreachable_and_wrong_addresses(
    client: TestClient, make_user: Callable[..., Account], anthropic: FakeAnthropic
) -> None:
    alice = make_user("alice")
    nowhere = refused_url().removesuffix("/v1")
    key = add_key(client, alice, "anthropic", GOOD, nowhere)
    assert client.post(f"/api/keys/{key}/test", headers=alice.headers).json() == {
        "ok": False,
        "message": f"Could not reach {nowhere}/v1/models: connection refused",
    }
    # the fake Anthropic endpoint has no `/api/v1/models`
    key = add_key(client, alice, "anthropic", GOOD, f"{anthropic.url}/api")
    verdict = client.post(f"/api/keys/{key}/test", headers=alice.headers).json()
    assert verdict == {
        "ok": False,
        "message": f"The provider has no model list at {anthropic.url}/api/v1/models (404): check the base URL",
    }
    # addresses the key form takes but no resolver or URL parser does: a verdict, not a 500
    for base, words in (
        ("http://a..b", "the address is not valid"),
        ("http://[", "is not a valid address"),
        ("http://x.invalid:99999", "is not a valid address"),
    ):
        key = add_key(client, alice, "openai", GOOD, base)
        r = client.post(f"/api/keys/{key}/test", headers=alice.headers)
        assert r.status_code == 200 and r.json()["ok"] is False and words in r.json()["message"], (base, r.text)
    # no base URL and a provider nobody knows: nothing to call
    key = add_key(client, alice, "mine", GOOD, None)
    verdict = client.post(f"/api/keys/{key}/test", headers=alice.headers).json()
    assert verdict["ok"] is False and "no known address" in verdict["message"]


def test_a_silent_provider_is_given_up_on(tmp_path: Path) -> None:
    """A server that accepts the connection and never answers: the test ends with a verdict."""
    settings = Settings(
        data_dir=tmp_path / "data",
        admin_username="admin",
        admin_password=ADMIN_PASSWORD,
        key_test_timeout_seconds=0.5,
    )
    with silent_listener() as port, TestClient(create_app(settings)) as client:
        admin = login(client, "admin", ADMIN_PASSWORD)
        base = f"http://127.0.0.1:{port}"
        key = add_key(client, admin, "anthropic", GOOD, base)
        assert client.post(f"/api/keys/{key}/test", headers=admin.headers).json() == {
            "ok": False,
            "message": f"Could not reach {base}/v1/models: no answer within 0.5 s",
        }


def test_someone_elses_key_is_not_found(
    client: TestClient, make_user: Callable[..., Account], anthropic: FakeAnthropic
) -> None:
    alice, bob = make_user("alice"), make_user("bob")
    key = add_key(client, alice, "anthropic", GOOD, anthropic.url)
    assert client.post(f"/api/keys/{key}/test", headers=bob.headers).status_code == 404
    assert client.post("/api/keys/999999/test", headers=alice.headers).status_code == 404
    assert client.post("/api/keys/0/test", headers=alice.headers).status_code == 422
    assert client.post(f"/api/keys/{key}/test").status_code == 401
    assert not [q for q in anthropic.requests if q.method == "GET"]  # nobody called the provider


def test_private_addresses_are_not_called_in_production(tmp_path: Path, anthropic: FakeAnthropic) -> None:
    settings = Settings(
        data_dir=tmp_path / "data",
        admin_username="admin",
        admin_password=ADMIN_PASSWORD,
        environment="production",
        secret_key="p" * 40,
        cookie_secure=False,
    )
    with TestClient(create_app(settings)) as client:
        admin = login(client, "admin", ADMIN_PASSWORD)
        for base in (anthropic.url, anthropic.url.replace("127.0.0.1", "localhost"), "http://169.254.169.254"):
            key = add_key(client, admin, "anthropic", GOOD, base)
            verdict = client.post(f"/api/keys/{key}/test", headers=admin.headers).json()
            assert verdict["ok"] is False and "private, loopback" in verdict["message"], verdict
    assert not [q for q in anthropic.requests if q.method == "GET"]


def test_models_follow_the_keys(client: TestClient, make_user: Callable[..., Account]) -> None:
    alice = make_user("alice")
    assert client.get("/api/keys/models", headers=alice.headers).json() == []
    add_key(client, alice, "anthropic", GOOD, None)
    ids = [m["id"] for m in client.get("/api/keys/models", headers=alice.headers).json()]
    assert ids[0] == "anthropic/claude-opus-4-6" and all(i.startswith("anthropic/") for i in ids)
    add_key(client, alice, "openai", GOOD, None)
    found = client.get("/api/keys/models", headers=alice.headers).json()
    assert {"id": "openai/gpt-5.3-codex", "provider": "openai"} in found
    # bob has no keys: alice's do not show
    assert client.get("/api/keys/models", headers=make_user("bob").headers).json() == []
