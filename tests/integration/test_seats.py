"""A sub-center's seat on a real softphone (pyVoIP) registered to the generated endpoint."""

from __future__ import annotations

import asyncio

from callcenter.app import Engine
from lab.sipp import CallSpec, place_calls
from lab.softphone import Softphone, SoftphoneSettings
from tests.integration.conftest import UNREGISTERED_SUBCENTER, Lab


async def test_registered_seat_answers_and_hears_the_caller(lab: Lab, engine: Engine) -> None:
    endpoint = f"subcenter-{UNREGISTERED_SUBCENTER}"
    phone = Softphone(SoftphoneSettings(endpoint, lab.secrets.sip_passwords[endpoint],
                                        sip_port=5062, rtp_low=30000, rtp_high=30100,
                                        answer_delay_s=0.5, talk_s=2.0))
    await asyncio.to_thread(phone.start)
    try:
        result = await place_calls([CallSpec(UNREGISTERED_SUBCENTER, "13744440001")],
                                   hold_ms=5000, audio=True, local_port=5074,
                                   media_port=16400)
        assert result.successful == 1
        await lab.wait_for("the seat's call to end", lambda: phone.answered
                           and phone.answered[0].ended_at is not None)
    finally:
        await asyncio.to_thread(phone.stop)
    (record,) = phone.answered
    assert record.heard_audio  # the caller's audio reached the seat through Asterisk
    call_id = await lab.call_id("13744440001")
    routed = lab.events("call.routed", call_id=call_id)
    assert [r["target"] for r in routed] == [endpoint]  # no fallback
    ends = lab.frames("DialEnd", Linkedid=call_id)
    assert any(f["DestChannel"].startswith(f"PJSIP/{endpoint}-") and f["DialStatus"] == "ANSWER"
               for f in ends)
