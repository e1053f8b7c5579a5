"""Other notification channels, per user, through Apprise URLs: ntfy, Telegram and e-mail only.

Apprise knows a hundred services, some of which run programs or talk to the desktop of the
machine it runs on; only these schemes are accepted. A URL holds secrets (tokens, passwords):
it is stored encrypted and shown masked. Hosts are resolved and checked like push endpoints."""

from __future__ import annotations

import logging

import apprise
from sqlmodel import Session, col, select

from autocode.core.config import Settings
from autocode.core.security import Keys, TokenError
from autocode.models import ChannelCreate, NotificationChannel, User, pk, utcnow
from autocode.services.errors import Conflict, Invalid, NotFound
from autocode.services.push import address_problem, resolve_host

log = logging.getLogger(__name__)

MAX_CHANNELS = 10
# scheme -> (kind, encrypted in transit)
SCHEMES: dict[str, tuple[str, bool]] = {
    "ntfy": ("ntfy", False),
    "ntfys": ("ntfy", True),
    "tgram": ("telegram", True),
    "mailto": ("email", False),
    "mailtos": ("email", True),
}


def scheme_problem(url: str, *, production: bool) -> str | None:
    """Why a channel URL's scheme is refused, or None (a pure rule)."""
    scheme, sep, _ = url.partition("://")
    if not sep or scheme.lower() not in SCHEMES:
        return "Only ntfy (ntfy:// or ntfys://), Telegram (tgram://) and e-mail (mailto:// or mailtos://) URLs"
    if production and not SCHEMES[scheme.lower()][1]:
        return "Use the encrypted form (ntfys:// or mailtos://)"
    return None


def _plugin(url: str) -> apprise.plugins.NotifyBase:
    plugin = apprise.Apprise.instantiate(url, suppress_exceptions=True)
    if not isinstance(plugin, apprise.plugins.NotifyBase):
        raise Invalid("The channel URL is not valid (see docs/notifications.md for examples)")
    return plugin


def _host_of(kind: str, plugin: apprise.plugins.NotifyBase) -> str | None:
    """The host the server would connect to, when the user chose it (Telegram's is fixed)."""
    if kind == "telegram":
        return None
    host = getattr(plugin, "smtp_host", None) if kind == "email" else None
    host = host or getattr(plugin, "host", None)
    if kind == "ntfy" and str(getattr(plugin, "mode", "")) == "cloud":
        return "ntfy.sh"
    return str(host) if host else None


def check(settings: Settings, url: str) -> tuple[str, apprise.plugins.NotifyBase]:
    production = settings.environment == "production"
    problem = scheme_problem(url, production=production)
    if problem is not None:
        raise Invalid(problem)
    kind = SCHEMES[url.partition("://")[0].lower()][0]
    plugin = _plugin(url)
    host = _host_of(kind, plugin)
    if host is not None:
        problem = address_problem(resolve_host(host), production=production)
        if problem is not None:
            raise Invalid(f"The channel's server: {problem}")
    return kind, plugin


def add_channel(
    session: Session, settings: Settings, keys: Keys, *, owner: User, data: ChannelCreate
) -> NotificationChannel:
    kind, plugin = check(settings, data.url.strip())
    count = len(list_channels(session, owner=owner))
    if count >= MAX_CHANNELS:
        raise Conflict(f"At most {MAX_CHANNELS} channels; remove one first")
    channel = NotificationChannel(
        user_id=pk(owner),
        kind=kind,
        label=data.label.strip(),
        encrypted_url=keys.encrypt(data.url.strip()),
        preview=str(getattr(plugin, "url")(privacy=True))[:500],  # noqa: B009 - untyped in apprise
    )  # masked
    session.add(channel)
    session.commit()
    session.refresh(channel)
    return channel


def list_channels(session: Session, *, owner: User) -> list[NotificationChannel]:
    return list(
        session.exec(
            select(NotificationChannel)
            .where(NotificationChannel.user_id == owner.id)
            .order_by(col(NotificationChannel.id))
        ).all()
    )


def get_channel(session: Session, *, owner: User, channel_id: int) -> NotificationChannel:
    channel = session.get(NotificationChannel, channel_id)
    if channel is None or channel.user_id != owner.id:
        raise NotFound("Channel not found")
    return channel


def delete_channel(session: Session, *, owner: User, channel_id: int) -> None:
    session.delete(get_channel(session, owner=owner, channel_id=channel_id))
    session.commit()


class ChannelFailed(Exception):
    """The channel did not take the message; the text is safe to show."""


def send(
    session: Session, settings: Settings, keys: Keys, channel: NotificationChannel, *, title: str, body: str
) -> None:
    """Send one message (blocking: call it from a worker thread or a sync route)."""
    try:
        url = keys.decrypt(channel.encrypted_url)
    except TokenError:
        raise ChannelFailed("The channel's URL cannot be decrypted with this server's key") from None
    try:
        check(settings, url)  # resolved again: the name may point elsewhere now
    except Invalid as exc:
        raise ChannelFailed(exc.message) from None
    sender = apprise.Apprise()
    sender.add(url)
    if not sender.notify(title=title[:250], body=body[:4000] or title[:250]):
        raise ChannelFailed("The channel did not take the message (check its URL and server)")
    channel.last_success_at = utcnow()
    session.add(channel)
    session.commit()


def send_test(session: Session, settings: Settings, keys: Keys, *, owner: User, channel_id: int) -> None:
    channel = get_channel(session, owner=owner, channel_id=channel_id)
    try:
        send(session, settings, keys, channel, title="AutoCode", body="Notifications work on this channel.")
    except ChannelFailed as exc:
        raise Conflict(str(exc)) from None
