"""The wallboard's alerts (pure: the time is passed in):

- ``long_wait``: a caller has waited in a queue longer than its service level
  (queues.yaml ``service_level_s``, 15 s by GB/T 33358-2016);
- ``service_rate``: a queue's 15-second answer rate today is below its target (the
  report's, :data:`callcenter.reports.figures.TARGET_RATE`);
- ``nobody``: a queue that takes calls (the main queue, dual hotlines' queues, overflow and
  menu targets) has no agent logged in;
- ``phone_offline``: a signed-in agent whose softphone is not registered (the agent desk's
  row says ``"phone": "offline"``, or Asterisk has the device unavailable): they cannot be
  offered a call, though they are counted in.

Texts name queues by their titles and agents by their names (never ``q12345``).

A wait becomes too long with time alone: :func:`next_change` says when, so the board is
pushed again then (and not every second).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from callcenter.reports.figures import SERVICE_LEVEL_S, TARGET_RATE

LONG_WAIT = "long_wait"
SERVICE_RATE = "service_rate"
NOBODY = "nobody"
PHONE_OFFLINE = "phone_offline"
ORDER = (LONG_WAIT, PHONE_OFFLINE, NOBODY, SERVICE_RATE)  # the most urgent first


@dataclass(frozen=True, slots=True)
class Targets:
    """What the figures are held against: those of ``run.py report``."""

    answer_within_s: int = SERVICE_LEVEL_S  # the "15 s" of the 15-second rate
    service_rate: float = TARGET_RATE  # 15秒接通率 (the report draws it against 95 %)
    connection_rate: float = TARGET_RATE  # 接通率 ≥ 95 %


@dataclass(frozen=True, slots=True)
class QueueView:
    """What the rules look at of one queue."""

    queue: str
    title: str
    takes_calls: bool
    service_level_s: int
    oldest_joined_at: float | None  # the caller waiting longest (None: nobody waits)
    logged_in: int
    service_rate: float | None  # today's 15-second rate (None: nothing answered yet)


@dataclass(frozen=True, slots=True)
class AgentView:
    """What the rules look at of one agent."""

    agent: str
    name: str
    signed_in: bool
    phone_offline: bool
    since: float | None = None  # when the phone went offline, where that is known


@dataclass(frozen=True, slots=True)
class Alert:
    kind: str
    queue: str
    text: str  # for the wall (Chinese)
    since: float | None = None  # when it began, where that is known
    agent: str = ""  # an agent's alert (phone_offline)

    def as_dict(self) -> dict[str, object]:
        return {"kind": self.kind, "queue": self.queue, "agent": self.agent,
                "text": self.text, "since": self.since}


def _name(q: QueueView) -> str:
    return q.title or "未命名队列"


def _person(a: AgentView) -> str:
    return f"话务员{a.name}（工号{a.agent}）" if a.name else f"工号{a.agent}的话务员"


def agent_alerts(agents: Iterable[AgentView]) -> list[Alert]:
    return [Alert(PHONE_OFFLINE, "", f"{_person(a)}软电话离线：已签入但接不到来电，请其刷新"
                  "工作台或检查网络与耳麦", a.since, a.agent)
            for a in agents if a.signed_in and a.phone_offline]


def alerts(queues: Iterable[QueueView], targets: Targets, now: float,
           agents: Iterable[AgentView] = ()) -> list[Alert]:
    found: list[Alert] = agent_alerts(agents)
    for q in queues:
        # (the text does not change with time: the page counts the wait itself)
        if q.oldest_joined_at is not None and now - q.oldest_joined_at > q.service_level_s:
            found.append(Alert(LONG_WAIT, q.queue,
                               f"{_name(q)} 有来电等待超过服务水平 {q.service_level_s} 秒",
                               q.oldest_joined_at + q.service_level_s))
        if q.service_rate is not None and q.service_rate < targets.service_rate:
            found.append(Alert(SERVICE_RATE, q.queue,
                               f"{_name(q)} 今日{targets.answer_within_s}秒接通率 "
                               f"{q.service_rate * 100:.1f}%，低于目标 "
                               f"{targets.service_rate * 100:.0f}%"))
        if q.takes_calls and q.logged_in == 0:
            found.append(Alert(NOBODY, q.queue, f"{_name(q)} 无话务员签入，来电无人接听"))
    return sorted(found, key=lambda a: (ORDER.index(a.kind), a.queue, a.agent))


def next_change(queues: Iterable[QueueView], now: float) -> float | None:
    """When a waiting caller's wait will pass its queue's service level (the next
    ``long_wait`` that time alone raises); None if no caller is waiting short of it."""
    due = [q.oldest_joined_at + q.service_level_s for q in queues
           if q.oldest_joined_at is not None and q.oldest_joined_at + q.service_level_s >= now]
    return min(due, default=None)
