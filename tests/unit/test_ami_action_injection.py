"""No string can reach Asterisk through an action that breaks the AMI framing: every builder
in callcenter/ami/actions.py is thrown arbitrary text; each action either comes out with no
CR, LF or NUL in any header, or is refused (AmiActionRefused) — nothing in between."""

from __future__ import annotations

import inspect
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from callcenter.ami import actions
from callcenter.errors import AmiActionRefused

BUILDERS = [f for name, f in inspect.getmembers(actions, inspect.isfunction)
            if f.__module__ == actions.__name__ and not name.startswith("_")]
HOSTILE = st.text() | st.sampled_from([
    "PJSIP/x\r\nAction: Originate\r\nChannel: Local/evil", "1001\nEvents: off", "a\x00b",
    "12345 <1\r\n>", "x=1,CC_XFER_ROOM=other", "\n"])


def _arguments(function: Any, draw: Any) -> dict[str, Any]:
    args: dict[str, Any] = {}
    for name, parameter in inspect.signature(function).parameters.items():
        annotation = str(parameter.annotation)
        if "dict" in annotation:
            args[name] = draw(st.dictionaries(HOSTILE, HOSTILE, max_size=3))
        elif "bool" in annotation:
            args[name] = draw(st.booleans())
        elif "int" in annotation or "float" in annotation:
            args[name] = draw(st.integers(0, 10**6))
        elif "str" in annotation:
            args[name] = draw(HOSTILE)
    return args


def test_every_builder_is_covered() -> None:
    assert len(BUILDERS) >= 15


@pytest.mark.parametrize("builder", BUILDERS, ids=lambda f: f.__name__)
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_no_value_breaks_the_framing(builder: Any, data: Any) -> None:
    args = _arguments(builder, data.draw)
    try:
        action = builder(**args)
    except AmiActionRefused:
        return
    for key, value in [("Action", action.name), *action.fields]:
        assert not any(c in value for c in "\r\n\x00"), (key, value)
        assert not any(c in key for c in "\r\n\x00:"), key


def test_an_injected_caller_id_is_refused_with_its_error_id() -> None:
    with pytest.raises(AmiActionRefused) as refused:
        actions.originate("Local/dial@cc-xfer-dest/n", context="cc-xfer-room", exten="s",
                          caller_id="12345 <1\r\nAction: Originate\r\nChannel: Local/x>")
    assert refused.value.error_id == "CC304"
    with pytest.raises(AmiActionRefused, match="comma"):
        actions.originate("Local/x@y/n", variables={"CC_XFER_ID": "a,CC_XFER_ROOM=b"})
    ok = actions.originate("Local/x@y/n", variables={"CC_XFER_ID": "abc"})
    assert ("Variable", "CC_XFER_ID=abc") in ok.fields


def test_the_destination_sees_the_callers_number_as_digits_only() -> None:
    from callcenter.transfers.ami_actions import shown_number

    assert shown_number("13812345678") == "13812345678"
    assert shown_number('+86 138"1234>5678\r\nX: y') == "+8613812345678"
    assert shown_number("anonymous") == "12345"
