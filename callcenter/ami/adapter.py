"""Turns AMI frames into typed events. Pure: no I/O, never raises on bad input."""

from __future__ import annotations

from collections.abc import Callable

from callcenter.ami import events as ev
from callcenter.ami.wire import AmiFrame

OUR_VARIABLE_PREFIX = "CC_"

Builder = Callable[[AmiFrame], ev.AmiEvent | None]


class _Bad(ValueError):
    pass


def _int(frame: AmiFrame, key: str, default: int = 0) -> int:
    raw = frame.headers.get(key)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise _Bad(f"{key}={raw!r} is not a number") from None


def _bool(frame: AmiFrame, key: str) -> bool:
    return frame.headers.get(key, "").lower() in ("1", "yes", "true")


def _channel_state(frame: AmiFrame) -> ev.ChannelState:
    value = _int(frame, "ChannelState", ev.ChannelState.UNKNOWN)
    try:
        return ev.ChannelState(value)
    except ValueError:
        return ev.ChannelState.UNKNOWN


def _device_state(frame: AmiFrame) -> ev.DeviceState:
    value = _int(frame, "Status", 0)
    try:
        return ev.DeviceState(value)
    except ValueError:
        return ev.DeviceState.UNKNOWN


def _named_device_state(frame: AmiFrame) -> ev.DeviceState:
    try:
        return ev.DeviceState[frame.get("State")]
    except KeyError:
        return ev.DeviceState.UNKNOWN


def _dial_status(raw: str) -> ev.DialStatus:
    try:
        return ev.DialStatus(raw)
    except ValueError:
        return ev.DialStatus.OTHER


def _chan(frame: AmiFrame) -> tuple[str, str, str]:
    h = frame.headers
    uniqueid = h.get("Uniqueid", "")
    return h.get("Channel", ""), uniqueid, h.get("Linkedid", "") or uniqueid


def _newchannel(f: AmiFrame) -> ev.AmiEvent:
    h = f.headers
    return ev.Newchannel(
        *_chan(f),
        state=_channel_state(f),
        caller_num=h.get("CallerIDNum", ""),
        caller_name=h.get("CallerIDName", ""),
        exten=h.get("Exten", ""),
        context=h.get("Context", ""),
    )


def _newstate(f: AmiFrame) -> ev.AmiEvent:
    return ev.Newstate(*_chan(f), state=_channel_state(f))


def _dtmf_end(f: AmiFrame) -> ev.AmiEvent:
    return ev.DTMFEnd(*_chan(f), digit=f.get("Digit")[:1],
                      received=f.get("Direction") == "Received")


def _hangup(f: AmiFrame) -> ev.AmiEvent:
    return ev.Hangup(*_chan(f), cause=_int(f, "Cause"), cause_text=f.get("Cause-txt"))


def _dest(f: AmiFrame) -> tuple[str, str]:
    return f.get("DestChannel"), f.get("DestUniqueid")


def _dial_chan(f: AmiFrame) -> tuple[str, str, str]:
    # An originated dial has no caller side; then the destination stands in.
    if f.get("Uniqueid"):
        return _chan(f)
    uniqueid = f.get("DestUniqueid")
    return f.get("DestChannel"), uniqueid, f.get("DestLinkedid") or uniqueid


def _dial_begin(f: AmiFrame) -> ev.AmiEvent:
    return ev.DialBegin(*_dial_chan(f), *_dest(f), dial_string=f.get("DialString"))


def _dial_end(f: AmiFrame) -> ev.AmiEvent:
    return ev.DialEnd(*_dial_chan(f), *_dest(f), status=_dial_status(f.get("DialStatus")))


def _bridge_enter(f: AmiFrame) -> ev.AmiEvent:
    return ev.BridgeEnter(
        *_chan(f), bridge_id=f.get("BridgeUniqueid"), bridge_type=f.get("BridgeTechnology")
    )


def _bridge_leave(f: AmiFrame) -> ev.AmiEvent:
    return ev.BridgeLeave(*_chan(f), bridge_id=f.get("BridgeUniqueid"))


def _var_set(f: AmiFrame) -> ev.AmiEvent | None:
    name = f.get("Variable")
    if not name.startswith(OUR_VARIABLE_PREFIX):
        return None
    return ev.VarSet(*_chan(f), variable=name, value=f.get("Value"))


_USER_EVENT_SKIP = frozenset(
    {"Event", "Privilege", "UserEvent", "Channel", "Uniqueid", "Linkedid", "ChannelState",
     "ChannelStateDesc", "CallerIDNum", "CallerIDName", "ConnectedLineNum",
     "ConnectedLineName", "Language", "AccountCode", "Context", "Exten", "Priority"}
)


def _user_event(f: AmiFrame) -> ev.AmiEvent:
    fields = tuple((k, v) for k, v in f.headers.items() if k not in _USER_EVENT_SKIP)
    return ev.UserEvent(*_chan(f), name=f.get("UserEvent"), fields=fields)


def _caller_join(f: AmiFrame) -> ev.AmiEvent:
    return ev.QueueCallerJoin(
        *_chan(f), queue=f.get("Queue"), position=_int(f, "Position"), count=_int(f, "Count")
    )


def _caller_leave(f: AmiFrame) -> ev.AmiEvent:
    return ev.QueueCallerLeave(
        *_chan(f), queue=f.get("Queue"), position=_int(f, "Position"), count=_int(f, "Count")
    )


def _caller_abandon(f: AmiFrame) -> ev.AmiEvent:
    return ev.QueueCallerAbandon(
        *_chan(f),
        queue=f.get("Queue"),
        position=_int(f, "Position"),
        original_position=_int(f, "OriginalPosition"),
        hold_time=_int(f, "HoldTime"),
    )


def _member(f: AmiFrame) -> tuple[str, str]:
    return f.get("Interface"), f.get("MemberName")


def _agent_called(f: AmiFrame) -> ev.AmiEvent:
    return ev.AgentCalled(
        *_chan(f), queue=f.get("Queue"), interface=f.get("Interface"),
        member_name=f.get("MemberName"), dest_channel=f.get("DestChannel"),
    )


def _agent_connect(f: AmiFrame) -> ev.AmiEvent:
    return ev.AgentConnect(
        *_chan(f), queue=f.get("Queue"), interface=f.get("Interface"),
        member_name=f.get("MemberName"), dest_channel=f.get("DestChannel"),
        hold_time=_int(f, "HoldTime"), ring_time=_int(f, "RingTime"),
    )


def _agent_complete(f: AmiFrame) -> ev.AmiEvent:
    return ev.AgentComplete(
        *_chan(f), queue=f.get("Queue"), interface=f.get("Interface"),
        member_name=f.get("MemberName"), hold_time=_int(f, "HoldTime"),
        talk_time=_int(f, "TalkTime"), reason=f.get("Reason"),
    )


def _agent_rna(f: AmiFrame) -> ev.AmiEvent:
    return ev.AgentRingNoAnswer(
        *_chan(f), queue=f.get("Queue"), interface=f.get("Interface"),
        member_name=f.get("MemberName"), ring_time=_int(f, "RingTime"),
    )


def _queue_member(cls: type[ev.QueueMemberEvent]) -> Builder:
    def build(f: AmiFrame) -> ev.AmiEvent:
        interface = f.get("Interface") or f.get("Location")
        return cls(
            queue=f.get("Queue"),
            interface=interface,
            member_name=f.get("MemberName") or f.get("Name"),
            state_interface=f.get("StateInterface"),
            status=_device_state(f),
            paused=_bool(f, "Paused"),
            paused_reason=f.get("PausedReason"),
            penalty=_int(f, "Penalty"),
            in_call=_bool(f, "InCall"),
            calls_taken=_int(f, "CallsTaken"),
            dynamic=f.get("Membership", "dynamic") == "dynamic",
        )

    return build


def _queue_entry(f: AmiFrame) -> ev.AmiEvent:
    return ev.QueueEntryListed(
        *_chan(f), queue=f.get("Queue"), position=_int(f, "Position"), wait=_int(f, "Wait")
    )


def _queue_params(f: AmiFrame) -> ev.AmiEvent:
    return ev.QueueParamsListed(
        queue=f.get("Queue"), calls=_int(f, "Calls"), completed=_int(f, "Completed"),
        abandoned=_int(f, "Abandoned"), service_level=_int(f, "ServiceLevel"),
    )


def _duration(raw: str) -> int:
    parts = raw.split(":")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        return 0
    h, m, s = (int(p) for p in parts)
    return h * 3600 + m * 60 + s


def _core_show_channel(f: AmiFrame) -> ev.AmiEvent:
    h = f.headers
    return ev.CoreShowChannel(
        *_chan(f),
        state=_channel_state(f),
        caller_num=h.get("CallerIDNum", ""),
        caller_name=h.get("CallerIDName", ""),
        exten=h.get("Exten", ""),
        context=h.get("Context", ""),
        application=h.get("Application", ""),
        bridge_id=h.get("BridgeId", ""),
        duration_s=_duration(h.get("Duration", "")),
    )


def _confbridge(cls: type[ev.ConfbridgeJoin] | type[ev.ConfbridgeLeave]) -> Builder:
    def build(f: AmiFrame) -> ev.AmiEvent:
        return cls(*_chan(f), conference=f.get("Conference"))

    return build


def _originate_response(f: AmiFrame) -> ev.AmiEvent:
    return ev.OriginateResponse(*_chan(f), success=f.get("Response") == "Success",
                                reason=_int(f, "Reason"))


def _list_complete(f: AmiFrame) -> ev.AmiEvent:
    return ev.ListComplete(name=f.name, items=_int(f, "ListItems"))


BUILDERS: dict[str, Builder] = {
    "Newchannel": _newchannel,
    "Newstate": _newstate,
    "Hangup": _hangup,
    "DTMFEnd": _dtmf_end,
    "DialBegin": _dial_begin,
    "DialEnd": _dial_end,
    "BridgeEnter": _bridge_enter,
    "BridgeLeave": _bridge_leave,
    "VarSet": _var_set,
    "UserEvent": _user_event,
    "QueueCallerJoin": _caller_join,
    "QueueCallerLeave": _caller_leave,
    "QueueCallerAbandon": _caller_abandon,
    "AgentCalled": _agent_called,
    "AgentConnect": _agent_connect,
    "AgentComplete": _agent_complete,
    "AgentRingNoAnswer": _agent_rna,
    "QueueMemberAdded": _queue_member(ev.QueueMemberAdded),
    "QueueMemberRemoved": _queue_member(ev.QueueMemberRemoved),
    "QueueMemberPause": _queue_member(ev.QueueMemberPause),
    "QueueMemberStatus": _queue_member(ev.QueueMemberStatus),
    "QueueMember": _queue_member(ev.QueueMemberListed),
    "QueueEntry": _queue_entry,
    "DeviceStateChange": lambda f: ev.DeviceStateChange(device=f.get("Device"),
                                                        state=_named_device_state(f)),
    "QueueParams": _queue_params,
    "CoreShowChannel": _core_show_channel,
    "ConfbridgeJoin": _confbridge(ev.ConfbridgeJoin),
    "ConfbridgeLeave": _confbridge(ev.ConfbridgeLeave),
    "OriginateResponse": _originate_response,
    "CoreShowChannelsComplete": _list_complete,
    "QueueStatusComplete": _list_complete,
    "FullyBooted": lambda f: ev.FullyBooted(status=f.get("Status")),
    "Shutdown": lambda f: ev.Shutdown(restart=f.get("Restart") == "True"),
    "Reload": lambda f: ev.Reload(module=f.get("Module"), status=f.get("Status")),
}


def adapt(frame: AmiFrame) -> ev.AmiEvent | None:
    """The typed event of a frame; ``None`` for responses and for variables not ours.

    Malformed lines inside an otherwise readable frame do not lose the event: the caller
    reports ``frame.malformed`` separately.
    """
    name = frame.headers.get("Event")
    if name is None:
        return None
    builder = BUILDERS.get(name)
    if builder is None:
        return ev.UnknownEvent(name=name, headers=tuple(frame.headers.items()))
    try:
        event = builder(frame)
    except _Bad as exc:
        return ev.UnknownEvent(name=name, headers=tuple(frame.headers.items()), problem=str(exc))
    return event
