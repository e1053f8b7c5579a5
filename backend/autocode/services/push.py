"""Web Push: the server's VAPID key, users' subscribed browsers, one-time action tokens, and the
notifier that turns a project's status transitions into pushes (docs/notifications.md)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import ipaddress
import json
import logging
import os
import secrets
import socket
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid02
from pywebpush import WebPushException, webpush
from sqlalchemy import Engine, func, update
from sqlmodel import Session, col, select

from autocode.core import files
from autocode.core.config import Settings
from autocode.core.layout import Layout
from autocode.core.security import Keys
from autocode.models import (
    LogEntry,
    LogLevel,
    NotificationChannel,
    Project,
    ProjectStatus,
    PushActionToken,
    PushSubscription,
    PushSubscriptionCreate,
    User,
    pk,
    utcnow,
)
from autocode.services.errors import Conflict, Gone, Invalid, NotFound

log = logging.getLogger(__name__)

MAX_DEVICES = 20
TOKEN_LIFETIME = timedelta(minutes=30)
PUSH_TTL_SECONDS = 24 * 60 * 60
SEND_TIMEOUT_SECONDS = 10.0
PAGE = 500
NOTIFY_STATUSES = ("needs_help", "completed", "failed", "paused")


# -- the VAPID key pair ---------------------------------------------------------------------------


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class VapidKey:
    """The server's VAPID signing key; only `public_key` ever leaves the server."""

    private: ec.EllipticCurvePrivateKey

    @property
    def public_key(self) -> str:
        """The applicationServerKey: the uncompressed P-256 point, base64url without padding."""
        point = self.private.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return _b64url(point)

    def signer(self) -> Vapid02:
        return Vapid02.from_pem(
            self.private.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )


def load_vapid_key(settings: Settings) -> VapidKey:
    """data/vapid.pem: made 0600 on first start, like the master secret; never logged."""
    path = Layout(settings.data_path).vapid_key
    files.protect(path)
    if not path.exists():
        key = ec.generate_private_key(ec.SECP256R1())
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        files.write_own(path, pem, replace=False)  # another process may have made it: then theirs
    os.chmod(path, 0o600)
    loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(loaded, ec.EllipticCurvePrivateKey) or not isinstance(loaded.curve, ec.SECP256R1):
        raise RuntimeError(f"{path} is not a P-256 private key")
    return VapidKey(loaded)


# -- where pushes may go --------------------------------------------------------------------------


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        ip = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def address_problem(addresses: Sequence[str], *, production: bool) -> str | None:
    """Why the server must not connect to a host resolving to `addresses`, or None: public
    addresses only, plus loopback in development."""
    if not addresses:
        return "its host cannot be resolved"
    for text in addresses:
        ip = _ip(text)
        if ip is None:
            return "its host resolves to something that is not an IP address"
        if ip.is_loopback and not production:
            continue
        if not ip.is_global or ip.is_multicast:
            return "it points to a private or local address"
    return None


def endpoint_problem(url: str, addresses: Sequence[str], *, production: bool) -> str | None:
    """Why a push endpoint is refused, or None. `addresses` are what its host resolves to.

    https only in production; plain http and loopback only in development (a test receiver);
    never a private, link-local or otherwise non-public address."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "The endpoint is not a valid URL"
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return "The endpoint must be an https URL"
    if parts.username is not None or parts.password is not None:
        return "The endpoint must not carry a user name or password"
    if port == 0:
        return "The endpoint is not a valid URL"
    problem = address_problem(addresses, production=production)
    if problem is not None:
        return f"The endpoint is refused: {problem}"
    loopback_only = all((ip := _ip(a)) is not None and ip.is_loopback for a in addresses)
    if parts.scheme == "http" and (production or not loopback_only):
        return "The endpoint must be an https URL"
    return None


def resolve_host(host: str, port: int = 443) -> list[str]:
    """The addresses a host name resolves to (empty when it does not)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return []
    return sorted({str(info[4][0]) for info in infos})


def resolve(url: str) -> list[str]:
    """The addresses an endpoint's host resolves to (empty when it does not)."""
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError:
        return []
    return resolve_host(host, port or 443) if host else []


def check_endpoint(settings: Settings, url: str) -> None:
    problem = endpoint_problem(url, resolve(url), production=settings.environment == "production")
    if problem is not None:
        raise Invalid(problem)


def key_problem(p256dh: str, auth: str) -> str | None:
    """Why a subscription's keys are unusable, or None: a P-256 point and a 16-byte secret."""
    try:
        point = _b64url_decode(p256dh)
        secret = _b64url_decode(auth)
    except (binascii.Error, ValueError):
        return "The subscription's keys are not base64url"
    if len(secret) != 16:
        return "keys.auth must be 16 bytes"
    if len(point) != 65 or point[0] != 4:
        return "keys.p256dh must be an uncompressed P-256 point"
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    except ValueError:
        return "keys.p256dh is not a point on P-256"
    return None


# -- subscriptions --------------------------------------------------------------------------------


def subscribe(session: Session, settings: Settings, *, owner: User, data: PushSubscriptionCreate) -> PushSubscription:
    """Add this browser to the user's devices (the same endpoint again updates its keys)."""
    problem = key_problem(data.keys.p256dh, data.keys.auth)
    if problem is not None:
        raise Invalid(problem)
    check_endpoint(settings, data.endpoint)
    existing = session.exec(
        select(PushSubscription)
        .where(PushSubscription.user_id == owner.id)
        .where(PushSubscription.endpoint == data.endpoint)
    ).first()
    if existing is None:
        count = int(
            session.exec(
                select(func.count()).select_from(PushSubscription).where(PushSubscription.user_id == owner.id)
            ).one()
        )
        if count >= MAX_DEVICES:
            raise Conflict(f"At most {MAX_DEVICES} devices get notifications; remove one first")
        existing = PushSubscription(user_id=pk(owner), endpoint=data.endpoint, p256dh="", auth="")
    existing.p256dh = data.keys.p256dh
    existing.auth = data.keys.auth
    existing.label = data.label.strip()
    session.add(existing)
    session.commit()
    session.refresh(existing)
    return existing


def list_subscriptions(session: Session, *, owner: User) -> list[PushSubscription]:
    return list(
        session.exec(
            select(PushSubscription).where(PushSubscription.user_id == owner.id).order_by(col(PushSubscription.id))
        ).all()
    )


def get_subscription(session: Session, *, owner: User, subscription_id: int) -> PushSubscription:
    sub = session.get(PushSubscription, subscription_id)
    if sub is None or sub.user_id != owner.id:
        raise NotFound("Device not found")
    return sub


def unsubscribe(session: Session, *, owner: User, subscription_id: int) -> None:
    session.delete(get_subscription(session, owner=owner, subscription_id=subscription_id))
    session.commit()


# -- sending --------------------------------------------------------------------------------------


class PushGone(Exception):
    """The push service no longer knows the subscription (404/410): it was removed."""


class PushFailed(Exception):
    """The push was not accepted; the message is safe to show."""


def _no_redirects() -> requests.Session:
    http = requests.Session()
    http.max_redirects = 0  # a push service never redirects; following one could reach anywhere
    http.trust_env = False
    return http


@dataclass
class Sender:
    """Encrypts (aes128gcm) and signs (VAPID) one payload for one subscription, and posts it."""

    settings: Settings
    engine: Engine
    vapid: VapidKey

    def send(self, subscription_id: int, payload: dict[str, Any]) -> None:
        with Session(self.engine, expire_on_commit=False) as session:
            sub = session.get(PushSubscription, subscription_id)
            if sub is None:
                raise PushGone()
            endpoint, keys = sub.endpoint, {"p256dh": sub.p256dh, "auth": sub.auth}
        # Checked again at send time: the name may resolve elsewhere now.
        problem = endpoint_problem(endpoint, resolve(endpoint), production=self.settings.environment == "production")
        if problem is not None:
            raise PushFailed(problem)
        http = _no_redirects()
        try:
            webpush(
                subscription_info={"endpoint": endpoint, "keys": keys},
                data=json.dumps(payload, separators=(",", ":")),
                vapid_private_key=self.vapid.signer(),
                vapid_claims={"sub": self.settings.vapid_subject},
                content_encoding="aes128gcm",
                ttl=PUSH_TTL_SECONDS,
                timeout=SEND_TIMEOUT_SECONDS,
                requests_session=http,
            )
        except WebPushException as exc:
            code = exc.status_code
            if code in (404, 410):
                self._forget(subscription_id)
                raise PushGone() from None
            raise PushFailed(f"The push service answered {code}") from None
        except requests.RequestException as exc:
            raise PushFailed(f"The push service could not be reached ({type(exc).__name__})") from None
        finally:
            http.close()
        with Session(self.engine) as session:
            session.exec(
                update(PushSubscription)
                .where(col(PushSubscription.id) == subscription_id)
                .values(last_success_at=utcnow())
            )
            session.commit()

    def _forget(self, subscription_id: int) -> None:
        with Session(self.engine) as session:
            sub = session.get(PushSubscription, subscription_id)
            if sub is not None:
                session.delete(sub)
                session.commit()
        log.info(
            "push subscription removed: the push service no longer knows it", extra={"subscription": subscription_id}
        )


def send_test(session: Session, sender: Sender, *, owner: User, subscription_id: int) -> None:
    sub = get_subscription(session, owner=owner, subscription_id=subscription_id)
    try:
        sender.send(pk(sub), {"kind": "test", "title": "AutoCode", "body": "Notifications work on this device."})
    except PushGone:
        raise Gone("The push service no longer knows this device; it was removed. Enable it again.") from None
    except PushFailed as exc:
        raise Conflict(str(exc)) from None


# -- action tokens ------------------------------------------------------------------------------


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def question_hash(log_id: int, question: str) -> str:
    return _hash(f"{log_id}\n{question}")


def issue_token(session: Session, *, project_id: int, log_id: int, question: str) -> str:
    """A random one-time token for this project's open question (only its hash is stored)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(
        PushActionToken(
            token_hash=_hash(token),
            project_id=project_id,
            log_id=log_id,
            question_hash=question_hash(log_id, question),
            created_at=now,
            expires_at=now + TOKEN_LIFETIME,
        )
    )
    session.commit()
    return token


def open_question(session: Session, project: Project) -> tuple[int, str] | None:
    """The needs-help log row and question the project waits on now, if it waits."""
    if project.status != ProjectStatus.NEEDS_HELP.value or project.status_reason is None:
        return None
    row = session.exec(
        select(LogEntry)
        .where(LogEntry.project_id == project.id)
        .where(func.json_extract(LogEntry.data, "$.needs_help") == 1)
        .order_by(col(LogEntry.id).desc())
    ).first()
    if row is None or row.id is None:
        return None
    return row.id, project.status_reason


def redeem_token(session: Session, *, token: str, now_fn: Callable[[], Any] = utcnow) -> Project:
    """Spend a token: it must exist, be unused, unexpired, and its question still be open."""
    row = session.exec(select(PushActionToken).where(PushActionToken.token_hash == _hash(token))).first()
    if row is None:
        raise NotFound("This action link is not valid")
    if row.used_at is not None:
        raise Gone("This action was already used")
    expires = row.expires_at if row.expires_at.tzinfo else row.expires_at.replace(tzinfo=utcnow().tzinfo)
    if now_fn() >= expires:
        raise Gone("This action expired (they last 30 minutes); open the project to answer")
    project = session.get(Project, row.project_id)
    current = open_question(session, project) if project is not None else None
    if (
        project is None
        or current is None
        or current[0] != row.log_id
        or question_hash(current[0], current[1]) != row.question_hash
    ):
        raise Gone("This question is no longer open; open the project to see where it is")
    spent = session.exec(
        update(PushActionToken)
        .where(col(PushActionToken.id) == row.id)
        .where(col(PushActionToken.used_at).is_(None))
        .values(used_at=now_fn())
    )
    session.commit()
    if spent.rowcount != 1:
        raise Gone("This action was already used")
    return project


# -- what a transition sends ------------------------------------------------------------------------


def transition(level: str, data: dict[str, Any] | None) -> str | None:
    """Which notifying status a log row announces, or None. A pause notifies only when the
    supervisor paused for a limit (not a user's own stop or restart)."""
    state = (data or {}).get("state")
    status = state.get("status") if isinstance(state, dict) else None
    if status not in NOTIFY_STATUSES:
        return None
    if status == "needs_help" and not (data or {}).get("needs_help"):
        return None
    if status == "paused" and level != LogLevel.AGENT_DECISION.value:
        return None
    return str(status)


_HEADLINES = {
    "needs_help": "needs your help",
    "completed": "is done",
    "failed": "failed",
    "paused": "paused",
}


def payload_for(project: Project, *, status: str, question: str, kind: str, action_token: str | None) -> dict[str, Any]:
    """The JSON a device receives (encrypted): what happened to which project."""
    body: dict[str, Any] = {
        "kind": kind,
        "project_id": project.id,
        "title": project.name,
        "status": status,
        "headline": f"{project.name} {_HEADLINES.get(status, status)}",
        "question": question[:1000],
        "url": f"/projects/{project.id}",
    }
    if action_token is not None:
        body["action_token"] = action_token
    return body


class Notifier:
    """Reads new log rows and sends one push per notifying transition, off the event loop.

    One place only: the server. Each log row is looked at once (a cursor kept in the data
    directory, so a restart neither repeats nor, for rows written meanwhile, misses a push)."""

    def __init__(self, settings: Settings, engine: Engine, sender: Sender, keys: Keys) -> None:
        self.settings = settings
        self.engine = engine
        self.sender = sender
        self.keys = keys
        self.cursor = 0
        self._path = Layout(settings.data_path).notify_cursor
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="push")
        self._lock = threading.Lock()

    def start(self) -> None:
        with Session(self.engine) as session:
            newest = int(session.exec(select(func.max(LogEntry.id))).one() or 0)
        try:
            saved = int(self._path.read_text().strip())
        except (OSError, ValueError):
            saved = newest  # first start: what happened before is not news
        # A cursor past the newest row belongs to another database (restored, or made anew).
        self.cursor = saved if 0 <= saved <= newest else newest
        self._save()

    def _save(self) -> None:
        files.write_own(self._path, str(self.cursor))

    def poll_once(self) -> None:
        """One round (run in a thread): new rows → pushes queued for the pool."""
        with self._lock, Session(self.engine, expire_on_commit=False) as session:
            rows = list(
                session.exec(
                    select(LogEntry).where(col(LogEntry.id) > self.cursor).order_by(col(LogEntry.id)).limit(PAGE)
                ).all()
            )
            if not rows:
                return
            for row in rows:
                status = transition(row.level, row.data)
                if status is not None:
                    try:
                        self._notify(session, row, status)
                    except Exception:  # one bad row must not stop the others
                        log.exception("could not prepare a push", extra={"log": pk(row)})
                self.cursor = pk(row)
            self._save()

    def _notify(self, session: Session, row: LogEntry, status: str) -> None:
        project = session.get(Project, row.project_id)
        if project is None or project.id is None:
            return
        devices = [
            s.id
            for s in session.exec(select(PushSubscription).where(PushSubscription.user_id == project.user_id)).all()
            if s.id is not None
        ]
        others = [
            c.id
            for c in session.exec(
                select(NotificationChannel).where(NotificationChannel.user_id == project.user_id)
            ).all()
            if c.id is not None
        ]
        if not devices and not others:
            return
        token: str | None = None
        kind = "status"
        if status == "needs_help":
            question = str((row.data or {}).get("question") or project.status_reason or row.message)
            kind = "question"
            current = open_question(session, project)
            asked = project.question if isinstance(project.question, dict) else {}
            # A permission question (the project's own question data, or the menu on screen),
            # and the very question this row asked.
            permission = asked.get("kind") == "permission" or project.screen_state == "permission"
            if devices and permission and current is not None and current[0] == pk(row):
                kind = "permission"
                token = issue_token(session, project_id=project.id, log_id=pk(row), question=current[1])
        else:
            question = project.status_reason or row.message
        payload = payload_for(project, status=status, question=question, kind=kind, action_token=token)
        for device in devices:
            self._pool.submit(self._deliver, device, payload)
        # Other channels get the words only: an action token never leaves in an e-mail or chat.
        for channel in others:
            self._pool.submit(self._deliver_channel, channel, payload["headline"], payload["question"])

    def _deliver(self, subscription_id: int, payload: dict[str, Any]) -> None:
        try:
            self.sender.send(subscription_id, payload)
        except PushGone:
            pass
        except PushFailed as exc:
            log.warning("push not delivered", extra={"subscription": subscription_id, "error": str(exc)})
        except Exception:
            log.exception("push failed", extra={"subscription": subscription_id})

    def _deliver_channel(self, channel_id: int, title: str, body: str) -> None:
        from autocode.services import channels

        try:
            with Session(self.engine, expire_on_commit=False) as session:
                channel = session.get(NotificationChannel, channel_id)
                if channel is not None:
                    channels.send(session, self.settings, self.keys, channel, title=title, body=body)
        except channels.ChannelFailed as exc:
            log.warning("channel message not delivered", extra={"channel": channel_id, "error": str(exc)})
        except Exception:
            log.exception("channel message failed", extra={"channel": channel_id})

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
