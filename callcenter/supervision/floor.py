"""The floor as a supervisor sees it (pure): people by their names, an agent's softphone,
who in a queue can answer a call now, and the callers waiting in a queue before one is moved
(调队) — their place, the hotline they dialed and how it reached 12345, since when they wait,
whether they came from another queue; never their number.

An agent's softphone is offline when the agent desk's row says so (``"phone": "offline"``;
a row without the field is online) or when Asterisk has the signed-in agent's device
unreachable (``AgentStatus.unreachable_since``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from callcenter.agents.state import AgentBoard, AgentStatus
from callcenter.ami import events as ev
from callcenter.calls.state import LiveCall
from callcenter.config.loader import Config
from callcenter.glossary import word
from callcenter.queues.watch import MOVED

ONLINE, OFFLINE = "online", "offline"
Rows = Mapping[str, Mapping[str, Any]]  # the agent desk's rows by agent (AgentDesk.snapshot)


def person(config: Config, user: str) -> str:
    """A user as people know them: a supervisor's name from lab.yaml (赵磊), else their
    user name."""
    supervisor = config.agents.supervisors.get(user)
    return supervisor.name if supervisor is not None and supervisor.name else user


def title(config: Config, queue: str) -> str:
    spec = config.queues.queues.get(queue)
    return spec.title if spec is not None and spec.title else queue


def phone_of(row: Mapping[str, Any] | None, status: AgentStatus | None) -> str:
    """The agent's softphone: ONLINE or OFFLINE (see the module)."""
    if row is not None and row.get("phone") == OFFLINE:
        return OFFLINE
    if status is not None and status.queues and status.unreachable_since is not None:
        return OFFLINE
    return ONLINE


def answering(queue: str, agents: AgentBoard, rows: Rows) -> tuple[int, int]:
    """(signed in to ``queue``, of them able to answer: not paused, softphone online —
    free now or on a call they will finish)."""
    members = [s for s in agents.agents.values() if queue in s.queues]
    able = [s for s in members
            if not s.paused and phone_of(rows.get(s.agent_id), s) == ONLINE]
    return len(members), len(able)


def targets(config: Config, agents: AgentBoard, rows: Rows,
            from_queue: str) -> list[dict[str, Any]]:
    """The queues a caller of ``from_queue`` could be moved into, each with whether someone
    there can answer them (and if not, why)."""
    out = []
    for queue in sorted(config.queues.queues):
        if queue == from_queue:
            continue
        signed_in, able = answering(queue, agents, rows)
        why = "" if able else ("无话务员签入" if not signed_in else
                               "话务员均暂停或软电话离线")
        out.append({"queue": queue, "title": title(config, queue), "signed_in": signed_in,
                    "answering": able, "unavailable": why})
    return out


def origin(call: LiveCall | None) -> dict[str, str]:
    """The hotline the caller dialed, for people: its number and name, and how it reaches
    12345 (the glossary's section: 整体并入, 双号并行 …)."""
    route = call.route if call is not None else None
    if route is None:
        return {"dialed": call.dialed if call is not None else "", "hotline": "",
                "mode": "", "mode_text": ""}
    mode = route.mode.value
    return {"dialed": route.number or route.dialed, "hotline": route.hotline, "mode": mode,
            "mode_text": word("section", mode) if mode != "unknown" else "其他号码"}


def waiting_caller(config: Config, entry: ev.QueueEntryListed, call: LiveCall | None,
                   joined_at: float | None, came: tuple[str, str] | None,
                   now: float) -> dict[str, Any]:
    """One caller waiting (QueueStatus' entry), without their number."""
    since = joined_at if joined_at is not None else now - entry.wait
    came_from = None
    if came is not None and came[1] and came[1] != entry.queue:
        how, queue = came
        named = title(config, queue)
        came_from = {"how": how, "queue": queue, "title": named,
                     "text": f"由班长从{named}调入" if how == MOVED else f"由{named}溢出转入"}
    return {"position": entry.position, "call": call.call_id if call is not None else "",
            "joined_at": round(since, 3), **origin(call), "came_from": came_from}
