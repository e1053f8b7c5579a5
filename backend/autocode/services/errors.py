"""Domain errors the services raise; the API maps each to one HTTP status."""


class DomainError(Exception):
    """Base of the errors a user can cause; the message is safe to show them."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    pass


class Conflict(DomainError):
    pass


class Forbidden(DomainError):
    pass


class Invalid(DomainError):
    pass


class Unauthorized(DomainError):
    pass


class Throttled(DomainError):
    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Gone(DomainError):
    """It existed, but can no longer be used (a spent or expired one-time token)."""
