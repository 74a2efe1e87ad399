"""The AMI action that calls a citizen back (``[cc-outbound]`` in the dialplan), built only
by :mod:`callcenter.ami.actions` from checked strings. Pure."""

from __future__ import annotations

import re

from callcenter.ami import actions
from callcenter.errors import OutboundError

TRUNK_ENDPOINT = "outbound-trunk"  # pjsip.conf's outbound-only endpoint
CONTEXT = "cc-outbound"
CHANNEL_PREFIX = "callback-"  # an outbound call's channel id (and so its call id)
NUMBER = re.compile(r"\+?[0-9]{3,20}")  # ASCII: not str.isdigit ('²', '٣' …)
QUEUE = re.compile(r"q[0-9a-z_-]{1,63}")


def channel_id(task: int, attempt: int) -> str:
    return f"{CHANNEL_PREFIX}{task}-{attempt}"


def is_outbound(call_id: str) -> bool:
    return call_id.startswith(CHANNEL_PREFIX)


def call_citizen(number: str, *, task: int, attempt: int, queue: str, caller_id: str,
                 ring_s: int, queue_wait_s: int) -> actions.AmiAction:
    """Originate to ``number`` through the trunk; answered, the citizen runs
    ``[cc-outbound]``: the prompt, then the head of ``queue``."""
    if not NUMBER.fullmatch(number):
        raise OutboundError("回拨号码不是电话号码（只能是数字，可带开头的 +）")
    if not QUEUE.fullmatch(queue):
        raise OutboundError(f"回拨任务{task}的队列名不合法")
    return actions.originate(
        f"PJSIP/{number}@{TRUNK_ENDPOINT}", context=CONTEXT, exten="s",
        timeout_ms=ring_s * 1000, caller_id=f'"{caller_id}" <{caller_id}>',
        variables={"CC_OUTBOUND_TASK": str(task), "CC_QUEUE": queue,
                   "CC_OUTBOUND_WAIT": str(queue_wait_s)},
        channel_id=channel_id(task, attempt))


def hang_up(channel: str) -> actions.AmiAction:
    """Hang up one of the dialer's own calls, by its channel id (Asterisk finds a channel by
    its uniqueid too)."""
    if not re.fullmatch(rf"{CHANNEL_PREFIX}[0-9]{{1,19}}-[0-9]{{1,2}}", channel):
        raise OutboundError("不是回拨呼叫的通道")
    return actions.hangup(channel)
