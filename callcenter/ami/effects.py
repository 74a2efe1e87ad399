"""Sending the AMI action of an effect, one way everywhere: where nothing waits on the
answer (a state machine's effect), Asterisk's refusal or silence is logged under the
caller's event name; where a person waits (a command), it raises :class:`AmiActionFailed`
(HTTP 502), or :class:`AmiNotConnected` (503) with no Asterisk to ask."""

from __future__ import annotations

import structlog

from callcenter.ami.actions import AmiAction
from callcenter.ami.client import ActionSender, AmiResponse
from callcenter.errors import AmiActionFailed, AmiNotConnected

log = structlog.get_logger("ami")


async def send_logged(send: ActionSender, action: AmiAction, failed: str) -> bool:
    """Send ``action``; a refusal or no answer is logged as ``failed``. Whether it was done."""
    try:
        reply = await send(action)
    except (AmiActionFailed, AmiNotConnected) as exc:
        log.warning(failed, action=action.name, error=exc.message)
        return False
    if not reply.success:
        log.warning(failed, action=action.name, message=reply.message)
    return reply.success


async def send_required(send: ActionSender, action: AmiAction) -> AmiResponse:
    """Send ``action``; Asterisk's refusal raises :class:`AmiActionFailed`."""
    reply = await send(action)
    if not reply.success:
        raise AmiActionFailed(f"{action.name}: {reply.message}")
    return reply
