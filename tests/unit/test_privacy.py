from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

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


def test_a_number_written_any_way_is_masked() -> None:
    """Carriers and phones send numbers with brackets, dots, URI parts and parameters: the
    digits are masked wherever they stand (these came back unmasked)."""
    assert mask_number("(0931)8123456") == "(093*)***3456"
    assert mask_number("138.1234.5678") == "138.****.5678"
    assert mask_number("13812345678;ext=1") == "138****5678;ext=1"
    assert mask_number("tel:+8613812345678") == "tel:+861******5678"
    assert mask_number("sip:13812345678@carrier") == "sip:138****5678@carrier"
    assert mask_number("agent-1001") == "agent-1001"  # short numbers stay readable


def test_repeated_headers_and_lines_that_were_not_headers_are_masked() -> None:
    from callcenter.calllog.privacy import FrameMasker

    masker = FrameMasker()
    frame = {"Event": "Newchannel", "CallerIDNum": "13812345678;ext=1",
             "ChanVariable": ["CALLER=13812345678", "QUEUE=q12345"],
             "__malformed__": ["garbage 13912345678 here"]}
    masker.mask(frame)
    text = json.dumps(frame)
    assert "13812345678" not in text and "13912345678" not in text, text
    assert frame["ChanVariable"] == ["CALLER=138****5678", "QUEUE=q12345"]


def test_a_name_that_holds_a_number_keeps_its_first_character_only() -> None:
    from callcenter.calllog.privacy import FrameMasker

    masker = FrameMasker()
    frame = {"Event": "Newchannel", "CallerIDName": "王小明 13812345678",
             "ConnectedLineName": "13912345678"}
    masker.mask(frame)
    assert frame == {"Event": "Newchannel", "CallerIDName": "王********",
                     "ConnectedLineName": "139****5678"}
    later = {"Event": "VarSet", "Value": "13812345678"}  # the name's number is known now
    masker.mask(later)
    assert later["Value"] == "138****5678"


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


def test_frames_are_masked_by_header_family() -> None:
    """Every header ending in CallerIDNum / ConnectedLineNum / …Name, whatever its prefix."""
    from callcenter.calllog.privacy import FrameMasker

    frame = {"Event": "AgentConnect", "CallerIDNum": "13812345678",
             "DestConnectedLineNum": "13812345678", "DestConnectedLineName": "13812345678",
             "SpyeeCallerIDNum": "13912345678", "SpyeeCallerIDName": "+86 139 1234 5678",
             "OrigCallerIDNum": "013712345678", "DestCallerIDName": "张三",
             "Exten": "09318929999", "Uniqueid": "1764518400.123", "Queue": "q12345"}
    FrameMasker().mask(frame)
    assert frame["CallerIDNum"] == frame["DestConnectedLineNum"] == "138****5678"
    assert frame["DestConnectedLineName"] == "138****5678"
    assert frame["SpyeeCallerIDNum"] == "139****5678"
    assert "1234" not in frame["SpyeeCallerIDName"]
    assert frame["OrigCallerIDNum"] == "013*****5678"
    assert frame["DestCallerIDName"] == "张*"  # a caller's name: its first character only
    # a dialed number that no caller has is not a caller's number: it stays readable
    assert frame["Exten"] == "09318929999" and frame["Uniqueid"] == "1764518400.123"


def test_a_number_seen_as_a_caller_is_masked_in_any_other_header_and_format() -> None:
    from callcenter.calllog.privacy import FrameMasker, number_core

    masker = FrameMasker()
    masker.mask({"Event": "Newchannel", "CallerIDNum": "13812345678"})
    later = {"Event": "VarSet", "Channel": "Local/13812345678@cc-callback-0001;1",
             "Value": "+86 138-1234-5678", "Other": "8613812345678", "Count": "12345678901"}
    masker.mask(later)
    text = json.dumps(later)
    assert "13812345678" not in text and "1234-5678" not in text
    assert later["Count"] == "12345678901"  # not a number seen as a caller's
    assert {number_core(n) for n in ("+86 138 1234 5678", "8613812345678", "013812345678",
                                     "0086-138-1234-5678")} == {"13812345678"}


def test_a_masker_remembers_a_bounded_number_of_callers() -> None:
    from callcenter.calllog.privacy import FrameMasker

    masker = FrameMasker(remember=2)
    for number in ("13800000001", "13800000002", "13800000003"):
        masker.mask({"CallerIDNum": number})
    later = {"Value": "13800000001 13800000003"}
    masker.mask(later)
    assert later["Value"] == "13800000001 138****0003"


def test_names_keep_their_first_character_only() -> None:
    from callcenter.calllog.privacy import mask_headers, mask_name

    assert mask_name("张三丰") == "张**" and mask_name("EVIL MARK") == "E********"
    assert mask_name("A" * 40) == "A" + "*" * 8  # the length is not told either
    assert mask_name("<unknown>") == "<unknown>" and mask_name("") == ""
    assert mask_name("1001") == "1001" and mask_name("13812345678") == "138****5678"
    agi = mask_headers({"agi_callerid": "13812345678", "agi_calleridname": "李四"},
                       ("agi_callerid", "agi_calleridname"))
    assert agi == {"agi_callerid": "138****5678", "agi_calleridname": "李*"}


def test_a_log_line_stays_one_line_whatever_a_caller_sends() -> None:
    """A SIP display name may carry U+2028, U+2029 or U+0085, which str.splitlines and
    some log shippers take as line ends: the call log escapes them."""
    import json

    from callcenter.calllog.writer import dumps

    for odd in ("\u2028", "\u2029", "\x85", "\r\n", "\x00"):
        line = dumps({"name": f"a{odd}b", "unit": "省应急管理厅"})
        assert len(line.splitlines()) == 1 and "省应急管理厅" in line
        assert json.loads(line)["name"] == f"a{odd}b"


def _masked_header_by_header(masker: object, headers: dict[str, object]) -> None:
    """The masker as it was before its fast path: every header searched on its own."""
    from callcenter.calllog import privacy

    seen = masker._seen  # type: ignore[attr-defined]
    for key, value in headers.items():
        if isinstance(value, str):
            if not value:
                continue
            if privacy.is_number_header(key) or key == privacy.MALFORMED:
                headers[key] = masker._masked(key, value)  # type: ignore[attr-defined]
            elif seen and privacy._DIGIT_RUN.search(value):
                headers[key] = privacy._DIGIT_RUN.sub(
                    masker._masked_if_seen, value)  # type: ignore[attr-defined]
        elif isinstance(value, list):
            headers[key] = [masker._masked(key, v)  # type: ignore[attr-defined]
                            if isinstance(v, str) else v for v in value]


_NUMBERS = ["13812345678", "+86 139-0000-1111", "(0931)8123456", "09318123456", "1001",
            "12345", "8613700001234", "1701234567.42"]
_PIECES = [*_NUMBERS, "PJSIP/carrier-0000001a", "Local/", "@cc-x", ";", " ", "张三",
           "q12345", "-", ""]
_VALUES = st.lists(st.sampled_from(_PIECES), max_size=5).map("".join)
_FRAME = st.dictionaries(st.sampled_from(["CallerIDNum", "CallerIDName", "Channel",
                                          "ConnectedLineNum", "Exten", "Value", "Uniqueid",
                                          "Event", "DestCallerIDNum", "AppData", "Variable"]),
                         _VALUES, max_size=8)


@settings(max_examples=300, deadline=None)
@given(st.lists(_FRAME, min_size=1, max_size=6))
def test_the_fast_masker_masks_as_header_by_header_did(frames: list[dict[str, str]]) -> None:
    """The masker searches only the headers that can hold a caller's text, all in one go,
    once the frame's own numbers are noted: it masks what searching every header on its own
    masked (Asterisk's own id and enum headers never hold a caller's number), and more — a
    number in a header before the caller-number header that names it in the same frame."""
    from callcenter.calllog.privacy import ASTERISK_OWN, FrameMasker

    fast, slow = FrameMasker(), FrameMasker()
    for frame in frames:
        got, want = dict(frame), dict(frame)
        fast.mask(got)
        _masked_header_by_header(slow, want)
        for key in ASTERISK_OWN & want.keys():
            want[key] = frame[key]  # not searched: Asterisk fills them
        assert got.keys() == want.keys()
        for key, value in got.items():  # the same, or more of its digits masked
            assert len(value) == len(want[key]), key
            assert all(g == w or (g == "*" and w.isdigit()) for g, w in zip(value, want[key],
                                                                              strict=True)), key
