"""The only code that builds AMI action dicts.

Each function returns an :class:`AmiAction`: the action's fields plus how its answer ends.
``answer`` records panoramisk's traps: some single responses look like the start of a list to
it (``QueueAdd``: "Added interface to queue"; ``Atxfer``: "… successfully queued"), so those
actions are sent with ``as_list=False`` or their future never resolves / the protocol crashes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

import structlog

from callcenter.errors import AmiActionRefused

log = structlog.get_logger("ami")

# A header value ends at CR or LF and NUL ends a C string: a value holding one could append
# headers or a whole second action (an Originate that sends a call's audio elsewhere).
FRAMING = re.compile(r"[\r\n\x00]")
KEY = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,63}")


class Answer(Enum):
    SINGLE = "single"  # one Response frame
    LIST = "list"  # a Response, then events, then a *Complete event


@dataclass(frozen=True, slots=True)
class AmiAction:
    name: str
    fields: tuple[tuple[str, str], ...] = ()
    answer: Answer = Answer.SINGLE

    def __post_init__(self) -> None:
        """Every action is checked here, once, whichever builder made it."""
        if not KEY.fullmatch(self.name):
            self._refuse("Action", "not an action name")
        for key, value in self.fields:
            if not KEY.fullmatch(key):
                self._refuse(key, "not a header name")
            elif FRAMING.search(value):
                self._refuse(key, "a line break or NUL in the value")
            elif key == "Variable" and "," in value.partition("=")[2]:
                self._refuse(key, "a comma in a variable's value (Asterisk splits on it)")

    def _refuse(self, key: str, why: str) -> None:
        log.warning("ami.action_refused", action=self.name[:64], header=key[:64], why=why)
        raise AmiActionRefused(f"{self.name[:64]}: {key[:64]}: {why}")

    def as_dict(self) -> dict[str, str | list[str]]:
        out: dict[str, str | list[str]] = {"Action": self.name}
        for key, value in self.fields:
            existing = out.get(key)
            if existing is None:
                out[key] = value
            elif isinstance(existing, list):
                existing.append(value)
            else:
                out[key] = [existing, value]
        return out

    @property
    def as_list(self) -> bool:
        return self.answer is Answer.LIST


def login(username: str, secret: str) -> AmiAction:
    return AmiAction("Login", (("Username", username), ("Secret", secret), ("Events", "on")))


def ping() -> AmiAction:
    return AmiAction("Ping")


def core_show_channels() -> AmiAction:
    return AmiAction("CoreShowChannels", answer=Answer.LIST)


def queue_status(queue: str | None = None) -> AmiAction:
    fields = (("Queue", queue),) if queue else ()
    return AmiAction("QueueStatus", fields, answer=Answer.LIST)


def core_settings() -> AmiAction:
    return AmiAction("CoreSettings")


def hangup(channel: str, cause: int = 16) -> AmiAction:
    return AmiAction("Hangup", (("Channel", channel), ("Cause", str(cause))))


def get_var(channel: str, variable: str) -> AmiAction:
    return AmiAction("Getvar", (("Channel", channel), ("Variable", variable)))


def set_var(channel: str, variable: str, value: str) -> AmiAction:
    return AmiAction("Setvar", (("Channel", channel), ("Variable", variable), ("Value", value)))


def queue_add(queue: str, interface: str, member_name: str, penalty: int,
              state_interface: str = "", paused: bool = False, reason: str = "") -> AmiAction:
    fields = [("Queue", queue), ("Interface", interface), ("MemberName", member_name),
              ("Penalty", str(penalty)), ("Paused", "true" if paused else "false")]
    if state_interface:
        fields.append(("StateInterface", state_interface))
    if paused and reason:
        fields.append(("Reason", reason))
    return AmiAction("QueueAdd", tuple(fields))


def queue_remove(queue: str, interface: str) -> AmiAction:
    return AmiAction("QueueRemove", (("Queue", queue), ("Interface", interface)))


def queue_pause(interface: str, paused: bool, reason: str = "", queue: str = "") -> AmiAction:
    fields = [("Interface", interface), ("Paused", "true" if paused else "false")]
    if queue:
        fields.append(("Queue", queue))
    if reason:
        fields.append(("Reason", reason))
    return AmiAction("QueuePause", tuple(fields))


def queue_penalty(interface: str, penalty: int, queue: str) -> AmiAction:
    """A member's penalty in one queue (lower: offered calls first)."""
    return AmiAction("QueuePenalty", (("Interface", interface), ("Penalty", str(penalty)),
                                      ("Queue", queue)))


def play_dtmf(channel: str, digit: str, *, receive: bool = False,
              duration_ms: int = 100) -> AmiAction:
    """A DTMF digit on ``channel``; ``receive``: as if the channel's phone had sent it (what
    an application running on the channel reads — ChanSpy's ``d`` mode switches), instead
    of sending it out to the phone."""
    fields = [("Channel", channel), ("Digit", digit), ("Duration", str(duration_ms))]
    if receive:
        fields.append(("Receive", "true"))
    return AmiAction("PlayDTMF", tuple(fields))


def originate(channel: str, *, context: str = "", exten: str = "", priority: int = 1,
              application: str = "", data: str = "", timeout_ms: int = 30000,
              caller_id: str = "", variables: dict[str, str] | None = None,
              channel_id: str = "", other_channel_id: str = "") -> AmiAction:
    fields: list[tuple[str, str]] = [("Channel", channel), ("Timeout", str(timeout_ms)),
                                     ("Async", "true")]
    if application:
        fields += [("Application", application), ("Data", data)]
    else:
        fields += [("Context", context), ("Exten", exten), ("Priority", str(priority))]
    if caller_id:
        fields.append(("CallerID", caller_id))
    if channel_id:
        fields.append(("ChannelId", channel_id))
    if other_channel_id:
        fields.append(("OtherChannelId", other_channel_id))
    for key, value in sorted((variables or {}).items()):
        fields.append(("Variable", f"{key}={value}"))
    return AmiAction("Originate", tuple(fields))


def audio_fork(spied_channel: str, stream_uuid: str, host: str, port: int) -> AmiAction:
    """Fork the audio *from* ``spied_channel`` to our AudioSocket server: an AudioSocket
    channel running ChanSpy (q quiet, E exit when the spied channel hangs up, o only the audio
    it sends, u exact channel name). The call's bridge is not touched."""
    return originate(f"AudioSocket/{host}:{port}/{stream_uuid}", application="ChanSpy",
                     data=f"{spied_channel},qEou", timeout_ms=5000)


def redirect(channel: str, context: str, exten: str, priority: int = 1,
             extra_channel: str = "", extra_context: str = "", extra_exten: str = "",
             extra_priority: int = 1) -> AmiAction:
    fields = [("Channel", channel), ("Context", context), ("Exten", exten),
              ("Priority", str(priority))]
    if extra_channel:
        fields += [("ExtraChannel", extra_channel), ("ExtraContext", extra_context or context),
                   ("ExtraExten", extra_exten or exten), ("ExtraPriority", str(extra_priority))]
    return AmiAction("Redirect", tuple(fields))


def atxfer(channel: str, exten: str, context: str) -> AmiAction:
    return AmiAction("Atxfer", (("Channel", channel), ("Exten", exten), ("Context", context)))


def blind_transfer(channel: str, exten: str, context: str) -> AmiAction:
    return AmiAction("BlindTransfer",
                     (("Channel", channel), ("Exten", exten), ("Context", context)))


def user_event(name: str, fields: dict[str, str]) -> AmiAction:
    return AmiAction("UserEvent", (("UserEvent", name), *sorted(fields.items())))


def pjsip_show_contacts() -> AmiAction:
    return AmiAction("PJSIPShowContacts", answer=Answer.LIST)


def device_state_list() -> AmiAction:
    return AmiAction("DeviceStateList", answer=Answer.LIST)


def confbridge_kick(conference: str, channel: str) -> AmiAction:
    return AmiAction("ConfbridgeKick", (("Conference", conference), ("Channel", channel)))


def confbridge_list(conference: str) -> AmiAction:
    return AmiAction("ConfbridgeList", (("Conference", conference),), answer=Answer.LIST)
