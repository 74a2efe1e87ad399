from __future__ import annotations

import json

from callcenter.calllog.privacy import mask_number
from callcenter.calllog.writer import CallLog


def test_mask_number() -> None:
    assert mask_number("13812345678") == "138****5678"
    assert mask_number("09318929999") == "093****9999"
    assert mask_number("8929999") == "89***99"
    assert mask_number("+86 138 1234 5678") == "+86 1** **** 5678"
    assert mask_number("1001") == "1001"
    assert mask_number("张三") == "张三"
    assert mask_number("<unknown>") == "<unknown>"


def test_call_log_masks_numbers_in_lines_and_frames(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import structlog

    path = tmp_path / "calls.jsonl"
    log = CallLog(path, mask=True)
    structlog.get_logger().info("call.started", call_id="1.1", caller="13812345678", ts=0.5)
    log.record_frame({"Event": "Newchannel", "CallerIDNum": "13812345678"}, 1.0)
    log.record_agi_request({"agi_callerid": "13812345678", "agi_channel": "x"}, 2.0)
    log.close()
    text = path.read_text()
    assert "13812345678" not in text
    lines = [json.loads(line) for line in text.splitlines()]
    assert lines[0]["ts"] == "1970-01-01T00:00:00.500Z"
    assert lines[0]["caller"] == "138****5678"
    assert [line["event"] for line in lines] == ["call.started", "ami.frame", "agi.request"]


def test_full_numbers_when_the_admin_says_so(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import structlog

    path = tmp_path / "calls.jsonl"
    log = CallLog(path, mask=False)
    structlog.get_logger().info("call.started", caller="13812345678")
    log.close()
    assert "13812345678" in path.read_text()
