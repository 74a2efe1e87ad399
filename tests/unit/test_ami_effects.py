"""One way to send an effect's AMI action: logged when nothing waits, raised when a person
does (AmiActionFailed: 502)."""

from __future__ import annotations

import pytest
import structlog

from callcenter.ami import actions
from callcenter.ami.client import AmiResponse
from callcenter.ami.effects import send_logged, send_required
from callcenter.errors import AmiActionFailed, AmiNotConnected

HANGUP = actions.hangup("PJSIP/agent-1001-00000001")


def _answer(success: bool) -> AmiResponse:
    return AmiResponse("Hangup", success, "done" if success else "No such channel", {})


async def test_a_refusal_or_no_asterisk_is_logged_when_nothing_waits() -> None:
    async def refused(_action: actions.AmiAction) -> AmiResponse:
        return _answer(False)

    async def gone(_action: actions.AmiAction) -> AmiResponse:
        raise AmiNotConnected("not connected")

    async def done(_action: actions.AmiAction) -> AmiResponse:
        return _answer(True)

    with structlog.testing.capture_logs() as logs:
        assert await send_logged(refused, HANGUP, "transfer.action_failed") is False
        assert await send_logged(gone, HANGUP, "agent.action_failed") is False
        assert await send_logged(done, HANGUP, "agent.action_failed") is True
    assert [(line["event"], line["action"], line.get("message") or line.get("error"))
            for line in logs] == [("transfer.action_failed", "Hangup", "No such channel"),
                                  ("agent.action_failed", "Hangup", "not connected")]


async def test_a_refusal_raises_when_a_person_waits() -> None:
    async def refused(_action: actions.AmiAction) -> AmiResponse:
        return _answer(False)

    with pytest.raises(AmiActionFailed, match="Hangup: No such channel") as raised:
        await send_required(refused, HANGUP)
    assert raised.value.http_status == 502
