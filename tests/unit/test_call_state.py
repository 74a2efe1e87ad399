from __future__ import annotations

from callcenter.ami import events as ev
from callcenter.ami.adapter import adapt
from callcenter.calls.state import (
    CallAnswered,
    CallEnded,
    CallRecovered,
    CallStarted,
    CallTracker,
)
from tests.recorded import recorded_frames

S = ev.ChannelState


def replay(tracker: CallTracker):  # type: ignore[no-untyped-def]
    notices = []
    for ts, frame in recorded_frames():
        event = adapt(frame)
        if event is not None:
            notices += tracker.apply(event, ts)
    return notices


def test_recorded_calls_start_answer_and_end() -> None:
    tracker = CallTracker()
    notices = replay(tracker)
    started = [n for n in notices if isinstance(n, CallStarted)]
    ended = [n for n in notices if isinstance(n, CallEnded)]
    assert len(started) == len(ended) == 6
    assert sum(isinstance(n, CallAnswered) for n in notices) == 6
    assert [n.call.dialed for n in started] == ["12345", "12396", "12315", "09318929999",
                                                "12366", "12333"]
    assert all(n.reason == "hangup" for n in ended)
    assert tracker.calls == {}


def _new(uid: str, linked: str, chan: str, exten: str = "12345") -> ev.Newchannel:
    return ev.Newchannel(chan, uid, linked, S.RING, "13812345678", "", exten, "from-carrier")


def _listed(uid: str, linked: str, chan: str, secs: int = 5) -> ev.CoreShowChannel:
    return ev.CoreShowChannel(chan, uid, linked, S.UP, "13812345678", "", "12345",
                              "from-carrier", "Wait", "", secs)


def test_resync_keeps_listed_drops_vanished_and_adopts_unknown() -> None:
    tracker = CallTracker()
    tracker.apply(_new("1.1", "1.1", "PJSIP/a"), 100.0)
    tracker.apply(_new("1.2", "1.2", "PJSIP/b"), 101.0)
    tracker.begin_resync()
    # during the resync: a call listed, one unknown to us, and a new one arriving live
    assert tracker.apply(_listed("1.1", "1.1", "PJSIP/a"), 110.0) == []
    adopted = tracker.apply(_listed("1.9", "1.9", "PJSIP/z", secs=7), 110.0)
    assert isinstance(adopted[0], CallRecovered) and adopted[0].call.started_at == 103.0
    tracker.apply(_new("1.3", "1.3", "PJSIP/c"), 110.5)
    notices = tracker.end_resync(111.0)
    assert [(type(n), n.call.call_id) for n in notices] == [(CallEnded, "1.2")]
    assert notices[0].reason == "gone during AMI outage"  # type: ignore[union-attr]
    assert set(tracker.calls) == {"1.1", "1.3", "1.9"}


def test_aborted_resync_drops_nothing() -> None:
    tracker = CallTracker()
    tracker.apply(_new("1.1", "1.1", "PJSIP/a"), 100.0)
    tracker.begin_resync()
    tracker.abort_resync()
    assert tracker.end_resync(101.0) == []
    assert set(tracker.calls) == {"1.1"}


def test_call_ends_when_its_last_channel_hangs_up() -> None:
    tracker = CallTracker()
    tracker.apply(_new("1.1", "1.1", "PJSIP/carrier-1"), 1.0)
    tracker.apply(_new("1.2", "1.1", "PJSIP/1001-2"), 2.0)
    tracker.apply(ev.VarSet("PJSIP/carrier-1", "1.1", "1.1", "CC_DIALED", "12315"), 2.0)
    assert tracker.apply(ev.Hangup("PJSIP/1001-2", "1.2", "1.1", 16, "Normal"), 3.0) == []
    ended = tracker.apply(ev.Hangup("PJSIP/carrier-1", "1.1", "1.1", 16, "Normal"), 4.0)
    assert isinstance(ended[0], CallEnded)
    assert ended[0].call.dialed == "12315"
    assert ended[0].call.caller_num == "13812345678"


FORK = "AudioSocket/127.0.0.1:4574-9c1ee859-17ba-4ec1-8758-a657c45bb054"


def test_speech_forks_are_not_calls() -> None:
    """The engine's AudioSocket forks (Originate → ChanSpy) were tracked as calls with
    dialed "s" and caller "<unknown>": in `status` and as call.started in the log."""
    tracker = CallTracker()
    events: list[ev.AmiEvent] = [
        ev.Newchannel(FORK, "9.5", "9.5", S.DOWN, "<unknown>", "<unknown>", "s", "default"),
        ev.Newstate(FORK, "9.5", "9.5", S.UP),
        ev.VarSet(FORK, "9.5", "9.5", "CC_DIALED", "s"),
        ev.Hangup(FORK, "9.5", "9.5", 0, "Unknown"),
    ]
    assert [n for e in events for n in tracker.apply(e, 1.0)] == []
    assert tracker.calls == {} and tracker.call_of("9.5") is None
    # a fork still up after a reconnect is not adopted either
    tracker.begin_resync()
    listed = ev.CoreShowChannel(FORK, "9.6", "9.6", S.UP, "<unknown>", "", "s", "default",
                                "ChanSpy", "", 3)
    assert tracker.apply(listed, 2.0) == []
    assert tracker.end_resync(2.5) == [] and tracker.calls == {}


def test_a_fork_does_not_keep_its_call_alive() -> None:
    tracker = CallTracker()
    tracker.apply(_new("1.1", "1.1", "PJSIP/carrier-1"), 1.0)
    tracker.apply(ev.Newchannel(FORK, "1.5", "1.1", S.DOWN, "<unknown>", "", "s", "default"),
                  2.0)
    assert set(tracker.calls["1.1"].channels) == {"1.1"}
    ended = tracker.apply(ev.Hangup("PJSIP/carrier-1", "1.1", "1.1", 16, "Normal"), 4.0)
    assert isinstance(ended[0], CallEnded) and tracker.calls == {}


def test_recorded_session_forks_are_not_calls() -> None:
    tracker = CallTracker()
    started = []
    for ts, frame in recorded_frames("replay/session.jsonl"):
        event = adapt(frame)
        if event is not None:
            started += [n for n in tracker.apply(event, ts) if isinstance(n, CallStarted)]
    assert started and all(n.call.inbound_channel.startswith("PJSIP/") for n in started)
    assert all(n.call.dialed != "s" for n in started)


def test_a_route_decided_before_the_call_started_is_on_its_record_when_it_does() -> None:
    from datetime import date

    from callcenter.calls import state
    from callcenter.config.loader import load_config
    from callcenter.paths import PROJECT_ROOT
    from callcenter.routing.decide import Router

    config = load_config(PROJECT_ROOT / "config")
    route = Router.of(config.hotlines, config.queues).decide("12329", date(2026, 11, 30))
    tracker = CallTracker()
    for n in range(state.EARLY_ROUTES_KEPT + 1):  # the oldest is forgotten beyond the bound
        tracker.route_decided(f"{n}.1", route)
    tracker.apply(_new("0.1", "0.1", "PJSIP/a"), 1.0)
    tracker.apply(_new("1.1", "1.1", "PJSIP/b"), 1.0)
    assert tracker.calls["0.1"].route is None and tracker.calls["1.1"].route is route
    tracker.route_decided("0.1", route)  # a live call: straight on its record
    assert tracker.calls["0.1"].route is route
