"""The AMI actions of supervision, built only by :mod:`callcenter.ami.actions`. Pure.

- monitoring: the supervisor's softphone is originated straight into ChanSpy on the agent's
  channel (``[cc-…]`` dialplan is not needed: the leg runs the application itself); a mode
  switch is a DTMF digit the running ChanSpy reads from the leg (option ``d``);
- moving a waiting caller: the queues as channel variables, then a Redirect into
  ``[cc-move]`` (dialplan/extensions.conf.j2), which puts the caller into the other queue —
  or back into the one they came from if they cannot join it.
"""

from __future__ import annotations

from callcenter.ami import actions
from callcenter.supervision.model import MonitorMode, Session

SPY_OPTIONS = "qESud"  # quiet, exit with the spied channel or when none, exact name, DTMF modes
RING_S = 30  # how long the supervisor's softphone rings
MOVE_CONTEXT = "cc-move"


def spy_options(mode: MonitorMode) -> str:
    return SPY_OPTIONS + mode.option


def supervisor_leg(s: Session) -> actions.AmiAction:
    """Call the supervisor's softphone; answered, it runs ChanSpy on the agent's channel.
    Its ChannelId is ``s.leg_uid`` (its events are known by it from the first)."""
    return actions.originate(
        s.interface, application="ChanSpy",
        data=f"{s.spied_channel},{spy_options(s.mode)}", timeout_ms=RING_S * 1000,
        caller_id=f"{s.mode.text} {s.agent} <{s.agent}>", channel_id=s.leg_uid)


def switch_mode(leg_channel: str, mode: MonitorMode) -> actions.AmiAction:
    """The digit ChanSpy's ``d`` option reads as the mode, as if the supervisor pressed it."""
    return actions.play_dtmf(leg_channel, mode.digit, receive=True)


def move_caller(channel: str, from_queue: str, to_queue: str) -> list[actions.AmiAction]:
    """A waiting caller out of ``from_queue`` into ``to_queue`` by the dialplan."""
    return [actions.set_var(channel, "CC_MOVE_FROM", from_queue),
            actions.set_var(channel, "CC_MOVE_QUEUE", to_queue),
            actions.redirect(channel, MOVE_CONTEXT, "s")]
