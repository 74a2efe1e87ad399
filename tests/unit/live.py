"""What the unit tests of the live-call desks (transfers, monitoring) share: an AMI action
sender that records what it is asked and refuses what a test names, and a caller answered by
agent 1001 as AMI reports it; the queue watch's facts about calls."""

from __future__ import annotations

from typing import Any

from callcenter.ami import actions
from callcenter.ami import events as ev
from callcenter.ami.client import AmiResponse
from callcenter.calls.state import AgentAnswered, CallTracker
from callcenter.errors import AmiActionFailed
from callcenter.queues.watch import QueueWatch

CALLER, AGENT = "PJSIP/carrier-00000001", "PJSIP/agent-1001-00000002"


class FakeAmi:
    def __init__(self) -> None:
        self.sent: list[actions.AmiAction] = []
        self.refuse: set[str] = set()
        self.unanswered: set[str] = set()  # sent, and no answer came (done or not)

    async def send(self, action: actions.AmiAction) -> AmiResponse:
        self.sent.append(action)
        if action.name in self.unanswered:
            raise AmiActionFailed(f"{action.name}: no answer within 10 s")
        ok = action.name not in self.refuse
        return AmiResponse(action.name, ok, "" if ok else "No such channel", {})

    def names(self) -> list[str]:
        return [a.name for a in self.sent]

    def last(self, name: str) -> dict[str, Any]:
        return [a for a in self.sent if a.name == name][-1].as_dict()


def agent_on_a_call(tracker: CallTracker) -> None:
    """A caller (13812345678 on 12345) answered by agent 1001 from queue q12345."""
    ring = ev.ChannelState.RING
    tracker.apply(ev.Newchannel(CALLER, "100.1", "100.1", ring, "13812345678", "", "12345",
                                "from-carrier"), 1.0)
    tracker.apply(ev.Newchannel(AGENT, "100.2", "100.1", ring, "", "", "s", "cc-inbound"), 2.0)
    tracker.apply(ev.AgentConnect(CALLER, "100.1", "100.1", "q12345", "PJSIP/agent-1001",
                                  "1001", AGENT, 3, 1), 3.0)


def answered(event: ev.AgentConnect) -> AgentAnswered:
    """The call tracker's reading of an AgentConnect: what the ticket desk and the agent's
    desktop hear (the tracker is the one reader of AgentConnect for them)."""
    (notice,) = CallTracker().apply(event, 0.0)
    assert isinstance(notice, AgentAnswered)
    return notice


class Decided(list[dict[str, Any]]):
    """The queue watch's facts about calls, as their call-log lines (``ts`` as a number)."""

    def __init__(self, watch: QueueWatch) -> None:
        super().__init__()
        self.watch = watch

    def on_event(self, event: ev.AmiEvent, ts: float) -> None:
        self.extend({"event": fact.line, "ts": at, **fact.fields()}
                    for fact, at in self.watch.on_event(event, ts))
