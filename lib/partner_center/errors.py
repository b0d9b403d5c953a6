"""Partner Center failures, each carrying what an operator needs to chase it: the HTTP status, Partner Center's
error code and description, and the MS-RequestId / MS-CorrelationId of the call."""

from __future__ import annotations

import requests


class PartnerCenterError(Exception):
    def __init__(self, message: str, *, status: int | None = None, code: str | None = None,
                 description: str | None = None, request_id: str | None = None,
                 correlation_id: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.description = description
        self.request_id = request_id
        self.correlation_id = correlation_id

    @property
    def code_text(self) -> str:
        """A short label for audit rows: Partner Center's code when it sent one, else the HTTP status."""
        if self.code:
            return f"{self.code}"
        return f"http {self.status}" if self.status is not None else type(self).__name__


class BadRequestError(PartnerCenterError):
    """400: Partner Center refused the request as written (e.g. an invalid status transition)."""


class AuthenticationError(PartnerCenterError):
    """401/403, or no token could be had: never retried; the credentials or the app's consent are wrong."""


class NotFoundError(PartnerCenterError):
    """404: no such customer, subscription or resource."""


class ConflictError(PartnerCenterError):
    """409/412: the resource changed or the operation conflicts with its state."""


class PreconditionFailedError(ConflictError):
    """412: the `If-Match` etag sent with a PATCH is no longer the resource's: it changed since it was read. Read it
    again and decide again."""


class UnreadableAnswerError(PartnerCenterError):
    """Partner Center answered, but not with something csp-guard can read: not JSON, not the shape documented, a
    required field missing or of the wrong type. `status` is the HTTP status of that answer (a 2xx from a PATCH
    means Partner Center accepted the change although its answer could not be read)."""

    @property
    def code_text(self) -> str:
        return "unreadable answer" + (f" (http {self.status})" if self.status is not None else "")


class RetriesExhaustedError(PartnerCenterError):
    """Throttling, server errors or timeouts outlasted the retry policy (count or time budget).

    `status` is the last HTTP status received (None when the last attempt got no answer at all), and
    `last_exception` the connection error or timeout of the last attempt, if that is how it failed."""

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None,
                 description: str | None = None, request_id: str | None = None,
                 correlation_id: str | None = None, attempts: int = 0,
                 last_exception: BaseException | None = None) -> None:
        super().__init__(message, status=status, code=code, description=description, request_id=request_id,
                         correlation_id=correlation_id)
        self.attempts = attempts
        self.last_exception = last_exception


def error_from_response(response: requests.Response, request_id: str, correlation_id: str) -> PartnerCenterError:
    """The named error for a failed answer, with Partner Center's code and description when its body has them."""
    code = description = None
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):  # a gateway in front of Partner Center may answer with anything
        code = str(body["code"]) if body.get("code") not in (None, "") else None
        description = str(body["description"]) if body.get("description") is not None else None
    status = response.status_code
    cls: type[PartnerCenterError] = {400: BadRequestError, 401: AuthenticationError, 403: AuthenticationError,
                                     404: NotFoundError, 409: ConflictError, 412: PreconditionFailedError}.get(status,
                                                                                                    PartnerCenterError)
    message = f"Partner Center answered {status}" + (f" ({code}: {description})" if code else "")
    return cls(message, status=status, code=code, description=description, request_id=request_id,
               correlation_id=correlation_id)
