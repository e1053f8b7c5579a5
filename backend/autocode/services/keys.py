"""API keys and tokens, stored encrypted; only the provider and last four characters show."""

from __future__ import annotations

import socket
import ssl
from urllib.parse import urlsplit

import httpx
from sqlmodel import Session, col, select

from autocode.core.credential import Credential
from autocode.core.security import Keys
from autocode.models import ApiKey, ApiKeyCreate, User, pk
from autocode.services import key_check
from autocode.services.errors import NotFound
from autocode.services.git_urls import is_local_host

MAX_ANSWER = 1_000_000  # bytes of a model list read before giving up on counting it


def list_keys(session: Session, *, owner: User) -> list[ApiKey]:
    return list(session.exec(select(ApiKey).where(ApiKey.user_id == owner.id).order_by(col(ApiKey.id))).all())


def add_key(session: Session, *, keys: Keys, owner: User, data: ApiKeyCreate) -> ApiKey:
    row = ApiKey(
        user_id=pk(owner),
        provider=data.provider,
        encrypted_key=keys.encrypt(data.key),
        last4=data.key[-4:],
        base_url=data.base_url,
    )
    session.add(row)
    session.commit()
    session.refresh(row)
    return row


def get_key(session: Session, *, owner: User, key_id: int) -> ApiKey:
    row = session.get(ApiKey, key_id)
    if row is None or row.user_id != owner.id:
        raise NotFound("Key not found")
    return row


def delete_key(session: Session, *, owner: User, key_id: int) -> None:
    session.delete(get_key(session, owner=owner, key_id=key_id))
    session.commit()


def credential(session: Session, *, keys: Keys, user_id: int, provider: str) -> Credential | None:
    """The newest decrypted credential of a provider, for handing to a process's environment."""
    row = session.exec(
        select(ApiKey).where(ApiKey.user_id == user_id, ApiKey.provider == provider).order_by(col(ApiKey.id).desc())
    ).first()
    if row is None:
        return None
    return Credential(provider=row.provider, secret=keys.decrypt(row.encrypted_key), base_url=row.base_url)


def test_key(
    session: Session, *, keys: Keys, owner: User, key_id: int, production: bool, timeout: float
) -> key_check.Verdict:
    """Call the provider with one stored key and say whether it works (never echoing the key)."""
    row = get_key(session, owner=owner, key_id=key_id)
    secret = keys.decrypt(row.encrypted_key)
    try:
        probe = key_check.probe_for(provider=row.provider, base_url=row.base_url, secret=secret, production=production)
        if production:
            _refuse_private_resolution(probe.url)
    except key_check.CannotTest as exc:
        return key_check.Verdict(ok=False, message=str(exc))
    return key_check.verdict(_call(probe, timeout), url=probe.url, secret=secret, timeout=timeout)


def _refuse_private_resolution(url: str) -> None:
    """A public-looking name that resolves to this server or a private network is refused too."""
    host = urlsplit(url).hostname or ""
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (OSError, ValueError):
        return  # the call itself reports the name that does not resolve
    if any(is_local_host(str(info[4][0])) for info in infos):
        raise key_check.CannotTest(
            f"The host {host} resolves to a private, loopback or link-local address:"
            " only public providers can be tested"
        )


def _call(probe: key_check.Probe, timeout: float) -> key_check.Outcome:
    try:
        with httpx.Client(timeout=httpx.Timeout(timeout), follow_redirects=False) as client:
            with client.stream("GET", probe.url, headers=probe.headers) as response:
                body = b""
                for chunk in response.iter_bytes():
                    body += chunk
                    if len(body) > MAX_ANSWER:
                        break
                return key_check.Answered(status=response.status_code, body=body)
    except httpx.TimeoutException:
        return key_check.Unreachable("timeout")
    except httpx.ConnectError as exc:
        return key_check.Unreachable(_connect_failure(exc))
    except httpx.HTTPError as exc:
        return key_check.Unreachable("other", type(exc).__name__)
    except (httpx.InvalidURL, ValueError):  # a host name no resolver takes (`a..b`, a label over 63)
        return key_check.Unreachable("invalid")


def _connect_failure(exc: httpx.ConnectError) -> key_check.TransportFailure:
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ConnectionRefusedError):
            return "refused"
        if isinstance(cause, socket.gaierror):
            return "dns"
        if isinstance(cause, ssl.SSLError):
            return "tls"
        cause = cause.__cause__ or cause.__context__
    text = str(exc).lower()
    if "refused" in text:
        return "refused"
    if "name or service not known" in text or "nodename nor servname" in text or "name resolution" in text:
        return "dns"
    if "ssl" in text or "certificate" in text:
        return "tls"
    return "other"
