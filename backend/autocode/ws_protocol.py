"""The WebSocket protocol: every frame and close code the server and the PWA exchange.

One owner for the contract. The models are added to the OpenAPI document's components (see
`openapi_components`), so the PWA's types are generated from here like the REST ones; a close
code added here fails the PWA's typecheck until the browser says what it means.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel, TypeAdapter
from pydantic.json_schema import models_json_schema

from autocode.models import LogPublic, ProjectPublic
from autocode.services.errors import DomainError, Forbidden, NotFound, Throttled, Unauthorized

# A WebSocket close reason holds at most 123 bytes (RFC 6455 5.5: 125 minus the code).
MAX_CLOSE_REASON_BYTES = 123


class CloseCode(IntEnum):
    """Why the server closed a socket. 4000: the terminal's session ended (Reconnect attaches
    again). 4008: the viewer fell too far behind (reconnect with after_id). 4401: the login
    ended or the ticket is spent (a new ticket tells which). 4403: refused, the reason says why
    (the runtime policy). 4404: the project is gone or not yours. 4429: too many open
    sockets or terminals for this account. 4500: the terminal runtime failed (retry)."""

    SESSION_ENDED = 4000
    TOO_SLOW = 4008
    AUTH_ENDED = 4401
    FORBIDDEN = 4403
    PROJECT_GONE = 4404
    TOO_MANY = 4429
    RUNTIME_ERROR = 4500


_CLOSE_CODES: dict[type[DomainError], CloseCode] = {
    NotFound: CloseCode.PROJECT_GONE,
    Unauthorized: CloseCode.AUTH_ENDED,
    Forbidden: CloseCode.FORBIDDEN,
    Throttled: CloseCode.TOO_MANY,
}


def close_code_for(exc: DomainError) -> CloseCode:
    """The close code of a domain error raised while a socket is open (the REST status's
    twin); any other refusal is a 4403 whose reason says why."""
    return next((code for cls, code in _CLOSE_CODES.items() if isinstance(exc, cls)), CloseCode.FORBIDDEN)


def close_reason(message: str) -> str:
    """A reason that fits a close frame, cut at a character boundary."""
    data = message.encode()
    if len(data) <= MAX_CLOSE_REASON_BYTES:
        return message
    return data[: MAX_CLOSE_REASON_BYTES - 3].decode(errors="ignore") + "..."


class Frame(BaseModel):
    # `type` has a default so the server need not repeat it, yet the schema marks it required.
    model_config = ConfigDict(json_schema_serialization_defaults_required=True, extra="forbid")


# Events socket (/ws/projects/{id}/events), server to client.


class LogFrame(Frame):
    """A log row; `id` is the row's id, ascending."""

    type: Literal["log"] = "log"
    id: int
    entry: LogPublic


class StateFrame(Frame):
    """The project's state; `id` is the last log id sent before it."""

    type: Literal["state"] = "state"
    id: int
    project: ProjectPublic


class EventFrame(RootModel[Annotated[LogFrame | StateFrame, Field(discriminator="type")]]):
    """A frame of the events socket."""


# Terminal socket (/ws/projects/{id}/terminal). Binary frames carry the terminal's bytes both
# ways; text frames carry these JSON control messages.


class WindowFrame(Frame):
    """Which tmux window the terminal shows (sent first; the one asked for may not exist)."""

    type: Literal["window"] = "window"
    window: Literal["agent", "shell"]


class ExitFrame(Frame):
    """The session ended; a close with 4000 follows."""

    type: Literal["exit"] = "exit"


class PongFrame(Frame):
    """The answer to a ping."""

    type: Literal["pong"] = "pong"


class ErrorFrame(Frame):
    """A control message the server could not read (the socket stays open)."""

    type: Literal["error"] = "error"
    detail: str


class TerminalServerFrame(
    RootModel[Annotated[WindowFrame | ExitFrame | PongFrame | ErrorFrame, Field(discriminator="type")]]
):
    """A JSON frame the terminal socket sends."""


class ResizeFrame(Frame):
    """The viewer's terminal size."""

    type: Literal["resize"] = "resize"
    cols: int = Field(ge=2, le=1000)
    rows: int = Field(ge=2, le=500)


class PingFrame(Frame):
    """Asks for a pong (keeps idle proxies from closing the socket)."""

    type: Literal["ping"] = "ping"


class TerminalClientFrame(RootModel[Annotated[ResizeFrame | PingFrame, Field(discriminator="type")]]):
    """A JSON frame the terminal socket accepts."""


_COMPONENTS: tuple[type[BaseModel], ...] = (EventFrame, TerminalServerFrame, TerminalClientFrame)
_REF = "#/components/schemas/{model}"


def openapi_components() -> dict[str, Any]:
    """The protocol's JSON schemas, named as the OpenAPI document's components name them."""
    _, top = models_json_schema([(model, "serialization") for model in _COMPONENTS], ref_template=_REF)
    defs: dict[str, Any] = top["$defs"]
    defs[CloseCode.__name__] = TypeAdapter(CloseCode).json_schema(ref_template=_REF)
    return defs


def add_to_openapi(document: dict[str, Any]) -> None:
    """Add the protocol to a generated OpenAPI document. A model the REST API shares (the log
    entry, the project) keeps the REST document's schema, which must have the same fields."""
    schemas: dict[str, Any] = document.setdefault("components", {}).setdefault("schemas", {})
    for name, schema in openapi_components().items():
        known = schemas.get(name)
        if known is None:
            schemas[name] = schema
        elif set(known.get("properties", {})) != set(schema.get("properties", {})):
            raise ValueError(f"the WebSocket schema {name} differs from the REST one")
