"""Domain errors map to one close code each, and close reasons fit a close frame."""

from __future__ import annotations

import pytest

from autocode.services.errors import Conflict, DomainError, Forbidden, Gone, Invalid, NotFound, Throttled, Unauthorized
from autocode.ws_protocol import MAX_CLOSE_REASON_BYTES, CloseCode, close_code_for, close_reason


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (NotFound("Project not found"), CloseCode.PROJECT_GONE),
        (Unauthorized("Invalid or expired ticket"), CloseCode.AUTH_ENDED),
        (Forbidden("local runtime: admins only"), CloseCode.FORBIDDEN),
        (Throttled("at most 8 terminals per user", retry_after=5), CloseCode.TOO_MANY),
        (Invalid("bad"), CloseCode.FORBIDDEN),
        (Conflict("busy"), CloseCode.FORBIDDEN),
        (Gone("spent"), CloseCode.FORBIDDEN),
    ],
)
def test_each_domain_error_has_one_close_code(error: DomainError, code: CloseCode) -> None:
    assert close_code_for(error) is code


@pytest.mark.parametrize("message", ["short", "é" * 100, "x" * 200])
def test_close_reasons_fit_a_close_frame(message: str) -> None:
    reason = close_reason(message)
    assert len(reason.encode()) <= MAX_CLOSE_REASON_BYTES
    assert reason == message or reason.endswith("...")
