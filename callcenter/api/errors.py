"""HTTP status of an engine error, by its class (never by its message): the most specific
class listed first wins; every other deliberate error is a 400."""

from __future__ import annotations

from callcenter.errors import (
    AgentConflict,
    AmiActionFailed,
    AmiNotConnected,
    CallCenterError,
    Forbidden,
    NotSignedIn,
    PhoneSuperseded,
    ServiceUnavailable,
    SupervisionConflict,
    TooManyAttempts,
    TransferConflict,
    UnknownAgent,
    UnknownArticle,
    UnknownCommand,
    UnknownSession,
)
from callcenter.store.db import NoSuchRow

STATUS_BY_CLASS: tuple[tuple[type[CallCenterError], int], ...] = (
    (NotSignedIn, 401),
    (Forbidden, 403),
    (TooManyAttempts, 429),
    (UnknownCommand, 404),
    (UnknownAgent, 404),
    (UnknownArticle, 404),
    (NoSuchRow, 404),
    (UnknownSession, 404),
    (TransferConflict, 409),
    (AgentConflict, 409),
    (SupervisionConflict, 409),
    (PhoneSuperseded, 409),
    (ServiceUnavailable, 503),
    (AmiNotConnected, 503),
    (AmiActionFailed, 502),  # Asterisk refused what the engine asked, or did not answer
)


def http_status(exc: CallCenterError) -> int:
    for cls, status in STATUS_BY_CLASS:
        if isinstance(exc, cls):
            return status
    return 400
