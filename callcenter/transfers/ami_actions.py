"""The AMI actions that move a transfer's parties through the dialplan (``cc-xfer-*``
contexts, ASTERISK-LAB.md), built only by :mod:`callcenter.ami.actions`. Pure.
"""

from __future__ import annotations

from callcenter.ami import actions
from callcenter.transfers.destinations import DestinationKind
from callcenter.transfers.model import Transfer, TransferMode
from callcenter.transfers.state import GRACE_S

ROOM_CONTEXT = "cc-xfer-room"
DEST_CONTEXT = "cc-xfer-dest"
BLIND_CONTEXT = "cc-xfer-blind"
BACK_CONTEXT = "cc-xfer-back"
CALLER_PROFILE = "cc_caller"
PARTY_PROFILE = "cc_party"
DEFAULT_BACK_QUEUE = "q12345"


def _target(t: Transfer) -> tuple[str, str, str]:
    """The extension of the ``cc-xfer-*`` context, and the variable naming what it calls."""
    d = t.destination
    if d.kind is DestinationKind.QUEUE:
        return "queue", "CC_XFER_QUEUE", d.target
    return "dial", "CC_XFER_DIAL", d.target


def joined_moves(t: Transfer, *, together: bool = False) -> list[actions.AmiAction]:
    """Conference / attended: caller and agent into rooms by one dual Redirect (attended:
    the caller alone with hold music, the agent in the consult room; ``together``: both
    into the call's room), the Redirect last."""
    consult = t.mode is TransferMode.ATTENDED and not together
    agent_room = t.consult_room if consult else t.room
    return [actions.set_var(t.caller_channel, "CC_XFER_ROOM", t.room),
            actions.set_var(t.caller_channel, "CC_XFER_PROFILE", CALLER_PROFILE),
            actions.set_var(t.agent_channel, "CC_XFER_ROOM", agent_room),
            actions.set_var(t.agent_channel, "CC_XFER_PROFILE", PARTY_PROFILE),
            actions.redirect(t.caller_channel, ROOM_CONTEXT, "s",
                             extra_channel=t.agent_channel)]


def shown_number(number: str) -> str:
    """The caller's number as the destination's phone shows it: digits (and a leading +)
    only — the number comes from the carrier's SIP and is not ours to trust."""
    kept = "".join(c for c in number if c in "0123456789")[:32]  # not str.isdigit: '²', '٣'…
    return ("+" + kept if number.startswith("+") else kept) or "12345"


def destination_leg(t: Transfer, caller_number: str) -> actions.AmiAction:
    """A Local channel into ``cc-xfer-dest``, which calls the destination and, when it
    answers, brings it into the room (``t.dest_uid`` must be set)."""
    exten, name, target = _target(t)
    variables = {"CC_XFER_ID": t.id, "CC_XFER_TIMEOUT": str(t.destination.answer_timeout_s),
                 "CC_XFER_ROOM": t.dest_room, "CC_XFER_PROFILE": PARTY_PROFILE, name: target}
    # the ;1 side runs dialplan (not an application), so that it can be redirected later
    return actions.originate(
        f"Local/{exten}@{DEST_CONTEXT}/n", context=ROOM_CONTEXT, exten="s",
        timeout_ms=int((t.destination.answer_timeout_s + GRACE_S) * 1000),
        caller_id=f"12345 <{shown_number(caller_number)}>", variables=variables,
        channel_id=t.dest_uid, other_channel_id=f"{t.dest_uid}-2")


def blind_moves(t: Transfer, back_queue: str) -> list[actions.AmiAction]:
    """Blind: the caller to ``cc-xfer-blind``, which calls the destination and on failure
    puts the caller back at the head of ``back_queue``."""
    exten, name, target = _target(t)
    values = {"CC_XFER_ID": t.id, "CC_XFER_TIMEOUT": str(t.destination.answer_timeout_s),
              "CC_XFER_BACK": back_queue or DEFAULT_BACK_QUEUE, name: target}
    return [*(actions.set_var(t.caller_channel, key, value) for key, value in values.items()),
            actions.redirect(t.caller_channel, BLIND_CONTEXT, exten)]


def into_room(channel: str, room: str) -> list[actions.AmiAction]:
    """A party (agent or destination) into a room: its profile and room as channel
    variables, then a Redirect to ``[cc-xfer-room]``."""
    return [actions.set_var(channel, "CC_XFER_PROFILE", PARTY_PROFILE),
            actions.set_var(channel, "CC_XFER_ROOM", room),
            actions.redirect(channel, ROOM_CONTEXT, "s")]


def back_to_queue(channel: str) -> actions.AmiAction:
    return actions.redirect(channel, BACK_CONTEXT, "s")
