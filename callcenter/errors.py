"""The one exception root of the engine, with stable error ids.

Every error the engine raises on purpose derives from :class:`CallCenterError` and carries an
``error_id`` that never changes between releases, so that ops can grep logs and runbooks for it,
and the HTTP status every front door answers it with (``http_status``, on the class: one class
per failure, never read from the message). The same failure is the same class wherever it
happens: Asterisk refusing or not answering an action is :class:`AmiActionFailed` (502), a
state that forbids an action now is a ``…Conflict`` (409).
"""

from __future__ import annotations

from typing import ClassVar


class CallCenterError(Exception):
    """Root of every deliberate engine error."""

    error_id: ClassVar[str] = "CC000"
    http_status: ClassVar[int] = 400  # a request the engine cannot do as asked

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return f"[{self.error_id}] {self.message}"


# --- configuration -------------------------------------------------------------------------


class ConfigError(CallCenterError):
    """The YAML configuration is invalid; ``problems`` holds one line per problem."""

    error_id = "CC100"

    def __init__(self, problems: list[str]) -> None:
        shown = "; ".join(problems[:3]) + ("; …" if len(problems) > 3 else "")
        super().__init__(f"{len(problems)} configuration problem(s): {shown}")
        self.problems = problems


# --- the local Asterisk --------------------------------------------------------------------


class AsteriskInstallError(CallCenterError):
    error_id = "CC200"


class AsteriskProcessError(CallCenterError):
    error_id = "CC201"


# --- AMI -----------------------------------------------------------------------------------


class AmiProtocolError(CallCenterError):
    """The byte stream from Asterisk cannot be parsed (the connection is then reset)."""

    error_id = "CC300"


class AmiNotConnected(CallCenterError):
    error_id = "CC301"
    http_status = 503


class AmiActionFailed(CallCenterError):
    """Asterisk answered an action with an error, or did not answer in time."""

    error_id = "CC302"
    http_status = 502


class AmiLoginFailed(CallCenterError):
    error_id = "CC303"


class AmiActionRefused(CallCenterError):
    """An action field that would break the AMI framing (CR, LF or NUL: Asterisk would read a
    new header or a new action) or a Variable list (a comma): nothing is sent."""

    error_id = "CC304"


# --- FastAGI -------------------------------------------------------------------------------


class AgiProtocolError(CallCenterError):
    """A FastAGI request or reply that does not follow the protocol."""

    error_id = "CC400"


class AgiHangup(CallCenterError):
    """The caller hung up while a script was talking to the channel."""

    error_id = "CC401"


class AgiUnknownScript(CallCenterError):
    error_id = "CC402"


class AgiCommandFailed(CallCenterError):
    error_id = "CC403"


# --- engine control ------------------------------------------------------------------------


class EngineControlError(CallCenterError):
    error_id = "CC500"


# --- agents --------------------------------------------------------------------------------


class AgentError(CallCenterError):
    """An agent operation that cannot be done (unknown agent, softphone not registered, …)."""

    error_id = "CC700"


class UnknownAgent(AgentError):
    """No such agent in agents.yaml."""

    error_id = "CC701"
    http_status = 404


class AgentConflict(AgentError):
    """Not now, given the agent's state: a supervisor's pause the agent wants to end."""

    error_id = "CC702"
    http_status = 409


class CallbackTaken(AgentConflict):
    """A callback request another agent has taken: theirs to call back."""

    error_id = "CC703"


# -- speech (AudioSocket, recognition) ------------------------------------------------------


class AudioSocketProtocolError(CallCenterError):
    """An AudioSocket peer sent something that is not the protocol: the connection is closed
    (the call it listened to is not touched)."""

    error_id = "CC900"


# -- transfers ------------------------------------------------------------------------------


class TransferError(CallCenterError):
    """A transfer that cannot be done (unknown destination or mode, …): nothing about the
    call was changed."""

    error_id = "CC1000"


class TransferConflict(TransferError):
    """Not now, given the call's state: no call, a transfer already going on or none, the
    destination not answered yet, a blind transfer that cannot be completed or cancelled."""

    error_id = "CC1001"
    http_status = 409


# -- supervision: monitoring and control of agents and callers ------------------------------


class SupervisionError(CallCenterError):
    """A supervisor's request that cannot be done as asked (no softphone of theirs, an
    unknown mode or queue, …): nothing was changed."""

    error_id = "CC1500"


class SupervisionConflict(SupervisionError):
    """Not now, given the calls' state: the agent has no call, the caller is not waiting in
    a queue, a monitoring session already going on or not answered yet."""

    error_id = "CC1501"
    http_status = 409


class UnknownSession(SupervisionError):
    """No live monitoring session with that id."""

    error_id = "CC1502"
    http_status = 404


# -- HTTP API -------------------------------------------------------------------------------


class CommandError(CallCenterError):
    """A command the command layer cannot take: unknown, or its arguments are missing or of
    the wrong kind (whichever front door it came through)."""

    error_id = "CC1200"


class UnknownCommand(CommandError):
    error_id = "CC1201"
    http_status = 404


class BadRequestBody(CommandError):
    """A request body that is not UTF-8 JSON of valid text (unreadable, of another charset,
    nested past reading, holding a lone surrogate): refused before any command, audited."""

    error_id = "CC1203"


class ServiceUnavailable(CallCenterError):
    """A part the command needs is not there yet (the ticket store still opening, …)."""

    error_id = "CC1202"
    http_status = 503


class ApiRequestError(CallCenterError):
    """A request the HTTP API cannot take as such (body too large, unknown path or method):
    answered as JSON like every other refusal."""

    error_id = "CC1100"


# --- people: users, roles, sign-in -----------------------------------------------------------


class NotSignedIn(CallCenterError):
    """No valid credentials: a missing, wrong, expired or revoked token, session or password."""

    error_id = "CC1300"
    http_status = 401


class Forbidden(CallCenterError):
    """Signed in, but the user's role (or agent) does not allow this command on this target."""

    error_id = "CC1301"
    http_status = 403


class TooManyAttempts(CallCenterError):
    """Too many failed sign-ins for this user from this address: wait, then try again."""

    error_id = "CC1302"
    http_status = 429


class UserError(CallCenterError):
    """A user command cannot be done as asked (a name taken, a role unknown …)."""

    error_id = "CC1303"


# --- the knowledge base (知识库) ---------------------------------------------------------------


class KnowledgeError(CallCenterError):
    """A knowledge-base request that cannot be done as asked (a query with no words …)."""

    error_id = "CC1400"


class UnknownArticle(KnowledgeError):
    """No article with that id in the knowledge base (``config/knowledge/<id>.md``)."""

    error_id = "CC1401"
    http_status = 404


# --- the browser softphone's SIP, relayed to Asterisk ----------------------------------------


class SipRefused(CallCenterError):
    """A SIP message from a browser softphone that is not relayed to Asterisk: it does not
    read one way only, or it is not the browser's own to send (the socket is closed)."""

    error_id = "CC1600"


class PhoneSuperseded(SipRefused):
    """A softphone socket that newer ones of the same page or person took the place of
    while it was connecting to Asterisk."""

    error_id = "CC1601"
    http_status = 409


# --- the ticket loop (派单, 签收, 办理, 答复, 审核, 办结, 评价) ----------------------------


class TicketFlowError(CallCenterError):
    """A ticket-loop request that cannot be done as asked (no such unit, a bad limit …)."""

    error_id = "CC1700"


class TicketFlowConflict(TicketFlowError):
    """Not now, given the ticket's step (a return after its limit, a second extension request,
    a review of a ticket not replied), or someone else acted on the ticket first."""

    error_id = "CC1701"
    http_status = 409


class TicketFlowForbidden(Forbidden):
    """Not this person's to do: a unit acting on another unit's ticket, the centre doing a
    unit's step or the reverse."""

    error_id = "CC1702"


# --- outbound calls (回拨) --------------------------------------------------------------------


class OutboundError(CallCenterError):
    """An outbound request that cannot be done as asked."""

    error_id = "CC1800"


class OutboundConflict(OutboundError):
    """Not now, given the callback task's state (dialing a task that is not waiting or not
    due, an outcome for a task that is not being dialed), or someone acted on it first."""

    error_id = "CC1801"
    http_status = 409
