from __future__ import annotations

from callcenter.ami import events as ev
from callcenter.ami.adapter import adapt
from callcenter.ami.wire import parse_block
from tests.recorded import recorded_frames


def frame(text: str):  # type: ignore[no-untyped-def]
    return parse_block(text.replace("\n", "\r\n"))


def test_recorded_frames_become_typed_events() -> None:
    kinds = {type(adapt(f)) for _, f in recorded_frames()}
    assert {ev.Newchannel, ev.Newstate, ev.Hangup, ev.VarSet, ev.FullyBooted,
            ev.ListComplete} <= kinds


def test_newchannel_fields() -> None:
    event = adapt(frame("Event: Newchannel\nChannel: PJSIP/carrier-00000000\nChannelState: 4\n"
                        "CallerIDNum: 13812345678\nCallerIDName: <unknown>\nContext: from-carrier"
                        "\nExten: 12345\nUniqueid: 1.0\nLinkedid: 1.0"))
    assert event == ev.Newchannel("PJSIP/carrier-00000000", "1.0", "1.0", ev.ChannelState.RING,
                                  "13812345678", "<unknown>", "12345", "from-carrier")


def test_only_our_variables() -> None:
    ours = adapt(frame("Event: VarSet\nChannel: c\nUniqueid: 1\nLinkedid: 1\n"
                       "Variable: CC_DIALED\nValue: 12345"))
    assert isinstance(ours, ev.VarSet) and ours.value == "12345"
    assert adapt(frame("Event: VarSet\nChannel: c\nUniqueid: 1\nLinkedid: 1\n"
                       "Variable: BRIDGEPEER\nValue: x")) is None


def test_queue_and_agent_events() -> None:
    join = adapt(frame("Event: QueueCallerJoin\nChannel: c\nUniqueid: 1\nLinkedid: 1\n"
                       "Queue: q12345\nPosition: 2\nCount: 2"))
    assert join == ev.QueueCallerJoin("c", "1", "1", "q12345", 2, 2)
    member = adapt(frame("Event: QueueMemberPause\nQueue: q12345\nInterface: PJSIP/1001\n"
                         "MemberName: 1001\nStateInterface: PJSIP/1001\nMembership: dynamic\n"
                         "Penalty: 1\nCallsTaken: 3\nStatus: 1\nPaused: 1\n"
                         "PausedReason: 小休\nInCall: 0"))
    assert isinstance(member, ev.QueueMemberPause)
    assert member.paused and member.paused_reason == "小休"
    assert member.status is ev.DeviceState.NOT_INUSE and member.dynamic


def test_unknown_and_unreadable_frames_never_raise() -> None:
    unknown = adapt(frame("Event: SomethingNew\nFoo: bar"))
    assert isinstance(unknown, ev.UnknownEvent) and unknown.problem == ""
    broken = adapt(frame("Event: Hangup\nChannel: c\nUniqueid: 1\nCause: sixteen"))
    assert isinstance(broken, ev.UnknownEvent)
    assert "Cause" in broken.problem
    odd_state = adapt(frame("Event: Newstate\nChannel: c\nUniqueid: 1\nChannelState: 99"))
    assert isinstance(odd_state, ev.Newstate) and odd_state.state is ev.ChannelState.UNKNOWN
    assert adapt(frame("Response: Success\nMessage: ok")) is None


def test_dial_status_and_originate_without_caller() -> None:
    end = adapt(frame("Event: DialEnd\nDestChannel: PJSIP/1001-1\nDestUniqueid: 2\n"
                      "DestLinkedid: 1\nDialStatus: WEIRD"))
    assert isinstance(end, ev.DialEnd)
    assert end.status is ev.DialStatus.OTHER and end.uniqueid == "2" and end.linkedid == "1"


def test_device_state_changes_name_their_state() -> None:
    """As Asterisk sends them (and lists them for DeviceStateList): the state's name."""
    gone = adapt(frame("Event: DeviceStateChange\nPrivilege: call,all\n"
                       "Device: PJSIP/agent-1001-web\nState: UNAVAILABLE"))
    assert gone == ev.DeviceStateChange("PJSIP/agent-1001-web", ev.DeviceState.UNAVAILABLE)
    back = adapt(frame("Event: DeviceStateChange\nDevice: PJSIP/agent-1001-web\n"
                       "State: NOT_INUSE"))
    assert back == ev.DeviceStateChange("PJSIP/agent-1001-web", ev.DeviceState.NOT_INUSE)
    odd = adapt(frame("Event: DeviceStateChange\nDevice: PJSIP/x\nState: SOMETHING_NEW"))
    assert odd == ev.DeviceStateChange("PJSIP/x", ev.DeviceState.UNKNOWN)
