"""The preview origin: a reverse proxy (HTTP and WebSocket) to a port of a project's session.

It runs as an ASGI app of its own on its own port (`AUTOCODE_PREVIEW_PORT`), never on the
app's origin: the previewed app's scripts must not run where the app's refresh cookie works.
Each preview has a host of its own (`p{project}-{port}.<domain>`). A one-time token in the query
becomes an HttpOnly cookie for that host, then a redirect to the clean URL; a request without a
valid cookie for that host answers 404. Upstream connections go through the runtime's channel
(`Runtime.dial`: loopback on the host, or a relay inside the user's container).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlencode

import h11
from websockets.client import ClientProtocol
from websockets.exceptions import InvalidHandshake, InvalidURI, ProtocolError
from websockets.frames import Close, Frame, Opcode
from websockets.http11 import Response
from websockets.protocol import State
from websockets.typing import Subprotocol
from websockets.uri import parse_uri

from autocode.runtime import Runtime, RuntimeErrorBase
from autocode.services import preview_rules
from autocode.services.preview import PreviewAccess, Target

log = logging.getLogger(__name__)

Scope = dict[str, Any]
Receive = Callable[[], Any]
Send = Callable[[dict[str, Any]], Any]

MAX_REQUEST_BYTES = 16 * 1024 * 1024
MAX_WS_MESSAGE = 16 * 1024 * 1024
HEADER_WAIT_SECONDS = 60.0
READ_SIZE = 65536
# Caddy's on-demand TLS `ask` endpoint (deploy/preview.Caddyfile), on a host that is no preview.
ASK_PATH = "/.well-known/autocode-preview-ask"


class Channel:
    """A byte stream to the previewed port (plain, or docker's framed exec stream)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, framed: bool, owner: object) -> None:
        self.reader = reader
        self.writer = writer
        self.framed = framed
        self._owner = owner  # the docker client's wrapper of the socket

    @classmethod
    async def open(cls, runtime: Runtime, target: Target) -> Channel:
        dialed = await asyncio.to_thread(runtime.dial, target.username, target.address, target.port)
        dialed.sock.setblocking(False)
        reader, writer = await asyncio.open_connection(sock=dialed.sock, limit=READ_SIZE * 4)
        return cls(reader, writer, dialed.framed, dialed.owner)

    async def read(self) -> bytes:
        """The next bytes from the port; b"" at the end."""
        if not self.framed:
            return await self.reader.read(READ_SIZE)
        while True:
            try:
                header = await self.reader.readexactly(8)
                data = await self.reader.readexactly(int.from_bytes(header[4:8], "big"))
            except asyncio.IncompleteReadError:
                return b""
            if header[0] == 1 and data:
                return data
            if header[0] == 2:  # the relay's stderr: why it could not connect
                log.info("preview relay said", extra={"stderr": data[-300:].decode("utf-8", "replace")})

    async def write(self, data: bytes) -> None:
        if data:
            self.writer.write(data)
            await self.writer.drain()

    def write_eof(self) -> None:
        with contextlib.suppress(OSError, RuntimeError):
            if self.writer.can_write_eof():
                self.writer.write_eof()

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(OSError, RuntimeError, asyncio.TimeoutError):
            await asyncio.wait_for(self.writer.wait_closed(), 2)


async def _not_found(send: Send) -> None:
    body = b"Not found\n"
    await send(
        {
            "type": "http.response.start",
            "status": 404,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                (b"cache-control", b"no-store"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _plain(send: Send, status: int, text: str) -> None:
    body = text.encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return ""


def _path(scope: Scope) -> str:
    raw = scope.get("raw_path") or scope["path"].encode()
    path = bytes(raw).decode("latin-1") or "/"
    query = bytes(scope.get("query_string", b"")).decode("latin-1")
    return f"{path}?{query}" if query else path


def _forward_headers(scope: Scope, port: int, scheme: str) -> list[tuple[bytes, bytes]]:
    host = _header(scope, b"host")
    own = f"{scheme}://{host}".encode("latin-1", "replace")
    headers = preview_rules.upstream_headers(scope.get("headers", []), port=port, public_host=host, scheme=scheme)
    # A request from the preview's own pages looks same-origin to the dev server.
    return [(n, f"http://localhost:{port}".encode()) if n == b"origin" and v == own else (n, v) for n, v in headers]


class PreviewOrigin:
    """The ASGI app of the preview origin; `context` gives the server's PreviewAccess and runtime."""

    def __init__(self, context: Callable[[], tuple[PreviewAccess, Runtime] | None]) -> None:
        self.context = context

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        found = preview_rules.parse_host(_header(scope, b"host"))
        ready = self.context()
        if found is None and ready is not None and scope["type"] == "http" and scope.get("path") == ASK_PATH:
            await self._ask(scope, send, ready[0])
            return
        if found is None or ready is None:
            await self._refuse(scope, send)
            return
        access, runtime = ready
        project_id, port = found
        if scope["type"] == "http":
            pairs = parse_qsl(bytes(scope.get("query_string", b"")).decode("latin-1"), keep_blank_values=True)
            token = next((v for k, v in pairs if k == preview_rules.TOKEN_PARAM), None)
            if token is not None:
                await self._redeem(scope, send, access, token, project_id, port, pairs)
                return
        cookie = preview_rules.read_cookie(scope.get("headers", []))
        target = await asyncio.to_thread(access.authorize, cookie, project_id=project_id, port=port)
        if target is None:
            await self._refuse(scope, send)
            return
        scheme = (
            "https"
            if preview_rules.secure_context(access.settings.preview_template)
            and access.settings.preview_template.startswith("https")
            else "http"
        )
        if scope["type"] == "http":
            await self._http(scope, receive, send, runtime, target, scheme)
        elif scope["type"] == "websocket":
            await self._websocket(scope, receive, send, runtime, target, scheme)

    async def _ask(self, scope: Scope, send: Send, access: PreviewAccess) -> None:
        """Caddy's on-demand TLS question: may it get a certificate for `?domain=`?"""
        pairs = parse_qsl(bytes(scope.get("query_string", b"")).decode("latin-1"))
        domain = next((v for k, v in pairs if k == "domain"), "")
        if access.asked_for(domain):
            await _plain(send, 200, "ok\n")
        else:
            await _not_found(send)

    async def _refuse(self, scope: Scope, send: Send) -> None:
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
        elif scope["type"] == "http":
            await _not_found(send)

    async def _redeem(
        self,
        scope: Scope,
        send: Send,
        access: PreviewAccess,
        token: str,
        project_id: int,
        port: int,
        pairs: list[tuple[str, str]],
    ) -> None:
        value = access.redeem(token, project_id=project_id, port=port) if scope["method"] in ("GET", "HEAD") else None
        if value is None:
            await _not_found(send)
            return
        rest = urlencode([(k, v) for k, v in pairs if k != preview_rules.TOKEN_PARAM])
        location = (scope.get("path") or "/") + (f"?{rest}" if rest else "")
        cookie = preview_rules.cookie_header(
            value,
            max_age=access.settings.preview_cookie_minutes * 60,
            secure=preview_rules.secure_context(access.settings.preview_template),
        )
        await send(
            {
                "type": "http.response.start",
                "status": 303,
                "headers": [
                    (b"location", location.encode("latin-1", "replace")),
                    (b"set-cookie", cookie.encode()),
                    (b"cache-control", b"no-store"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"content-length", b"0"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": b""})

    async def _http(
        self, scope: Scope, receive: Receive, send: Send, runtime: Runtime, target: Target, scheme: str
    ) -> None:
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body.extend(message.get("body", b""))
            if len(body) > MAX_REQUEST_BYTES:
                await _plain(send, 413, "Request body too large for the preview\n")
                return
            if not message.get("more_body"):
                break
        try:
            channel = await Channel.open(runtime, target)
        except RuntimeErrorBase as exc:
            log.info("preview dial failed", extra={"port": target.port, "error": str(exc)})
            await _plain(send, 502, f"Nothing answers on port {target.port}\n")
            return
        started = False
        try:
            conn = h11.Connection(h11.CLIENT)
            headers = [
                *_forward_headers(scope, target.port, scheme),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ]
            out = conn.send(h11.Request(method=scope["method"], target=_path(scope), headers=headers))
            out = (out or b"") + (conn.send(h11.Data(data=bytes(body))) or b"" if body else b"")
            out += conn.send(h11.EndOfMessage()) or b""
            await channel.write(out)
            while True:
                event = conn.next_event()
                if event is h11.NEED_DATA:
                    wait = None if started else HEADER_WAIT_SECONDS
                    conn.receive_data(await asyncio.wait_for(channel.read(), wait))
                    continue
                if isinstance(event, h11.InformationalResponse):
                    continue
                if isinstance(event, h11.Response):
                    await send(
                        {
                            "type": "http.response.start",
                            "status": event.status_code,
                            "headers": preview_rules.downstream_headers(event.headers),
                        }
                    )
                    started = True
                elif isinstance(event, h11.Data):
                    await send({"type": "http.response.body", "body": bytes(event.data), "more_body": True})
                else:  # EndOfMessage, ConnectionClosed, PAUSED
                    break
            await send({"type": "http.response.body", "body": b""})
        except (TimeoutError, h11.ProtocolError, OSError) as exc:
            log.info("preview upstream failed", extra={"port": target.port, "error": str(exc)})
            if not started:
                await _plain(send, 502, f"The server on port {target.port} did not answer\n")
        finally:
            await channel.close()

    async def _websocket(
        self, scope: Scope, receive: Receive, send: Send, runtime: Runtime, target: Target, scheme: str
    ) -> None:
        if (await receive())["type"] != "websocket.connect":
            return
        try:
            channel = await Channel.open(runtime, target)
        except RuntimeErrorBase:
            await send({"type": "websocket.close", "code": 1011})
            return
        try:
            opened = await self._handshake(scope, channel, target, scheme)
            if opened is None:
                await send({"type": "websocket.close", "code": 1011})
                return
            await self._pump(*opened, channel, receive, send)
        finally:
            await channel.close()

    async def _handshake(
        self, scope: Scope, channel: Channel, target: Target, scheme: str
    ) -> tuple[ClientProtocol, list[object]] | None:
        try:
            uri = parse_uri(f"ws://localhost:{target.port}{_path(scope)}")
        except InvalidURI:
            return None
        subprotocols = [Subprotocol(p) for p in scope.get("subprotocols", [])]
        protocol = ClientProtocol(uri, subprotocols=subprotocols or None, max_size=MAX_WS_MESSAGE)
        request = protocol.connect()
        for name, value in _forward_headers(scope, target.port, scheme):
            if name != b"host" and name.decode() not in request.headers:
                request.headers[name.decode()] = value.decode("latin-1")
        protocol.send_request(request)
        try:
            await channel.write(b"".join(protocol.data_to_send()))
            while protocol.state is State.CONNECTING:
                data = await asyncio.wait_for(channel.read(), HEADER_WAIT_SECONDS)
                if not data:
                    protocol.receive_eof()
                    break
                protocol.receive_data(data)
        except (TimeoutError, OSError):
            return None
        if protocol.state is not State.OPEN:
            return None
        return protocol, list(protocol.events_received())

    async def _pump(
        self, protocol: ClientProtocol, early: list[object], channel: Channel, receive: Receive, send: Send
    ) -> None:
        response = next((e for e in early if isinstance(e, Response)), None)
        chosen = response.headers.get("Sec-WebSocket-Protocol") if response is not None else None
        await send({"type": "websocket.accept", "subprotocol": chosen})
        pending = [e for e in early if isinstance(e, Frame)]

        async def flush() -> None:
            await channel.write(b"".join(protocol.data_to_send()))

        async def downstream() -> None:
            parts: list[bytes] = []
            text = False
            frames = list(pending)
            while True:
                for frame in frames:
                    if frame.opcode in (Opcode.TEXT, Opcode.BINARY):
                        text, parts = frame.opcode is Opcode.TEXT, [bytes(frame.data)]
                    elif frame.opcode is Opcode.CONT:
                        parts.append(bytes(frame.data))
                    elif frame.opcode is Opcode.CLOSE:
                        close = Close.parse(frame.data) if frame.data else Close(1000, "")
                        await flush()
                        await send({"type": "websocket.close", "code": close.code, "reason": close.reason})
                        return
                    else:
                        continue
                    if frame.fin:
                        data = b"".join(parts)
                        await send(
                            {"type": "websocket.send", "text": data.decode("utf-8", "replace")}
                            if text
                            else {"type": "websocket.send", "bytes": data}
                        )
                        parts = []
                await flush()  # pongs, the reply to a close
                data = await channel.read()
                if not data:
                    protocol.receive_eof()
                    await send({"type": "websocket.close", "code": 1001})
                    return
                protocol.receive_data(data)
                frames = [e for e in protocol.events_received() if isinstance(e, Frame)]

        async def upstream() -> None:
            while True:
                message = await receive()
                if message["type"] == "websocket.disconnect":
                    with contextlib.suppress(ProtocolError, InvalidHandshake):
                        protocol.send_close(
                            message.get("code", 1000) if message.get("code", 1000) in range(1000, 5000) else 1000
                        )
                    with contextlib.suppress(OSError):
                        await flush()
                    channel.write_eof()
                    return
                if message.get("text") is not None:
                    protocol.send_text(str(message["text"]).encode())
                elif message.get("bytes") is not None:
                    protocol.send_binary(bytes(message["bytes"]))
                await flush()

        tasks = [asyncio.create_task(downstream()), asyncio.create_task(upstream())]
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                with contextlib.suppress(Exception):
                    task.result()
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
