"""Who may run which command on what: pure rules, one table, checked by the command layer
for every front door before a command runs.

- **agent** (话务员): their own agent only (state, transfers) and the tickets of their own
  calls; lists show only their own rows.
- **supervisor** (班长): every agent, queue, transfer and ticket; the engine's status.
- **admin** (管理员): users, reload, the audit trail, the engine's status; no citizen's data.
- **root**: the local control socket (the CLI on the engine's machine): everything.

Every other combination is :class:`~callcenter.errors.Forbidden` (HTTP 403).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from callcenter.actors import Actor, Role
from callcenter.errors import Forbidden


class Own(Enum):
    """What an agent-role user's command must be about."""

    ANYTHING = "anything"
    AGENT = "agent"  # the ``agent`` argument is their own agent
    TICKET = "ticket"  # the ticket is of one of their calls (checked once it is read)
    ROWS = "rows"  # a list, cut down to their own rows


@dataclass(frozen=True, slots=True)
class Rule:
    roles: frozenset[Role]
    own: Own = Own.ANYTHING
    changes: bool = False  # changes state: every run is audited
    shows_number: bool = False  # shows a caller's unmasked number: every run is audited
    shows_secret: bool = False  # shows a password (a softphone's): every run is audited
    read_audited: bool = False  # reads citizens' data (masked): every run is audited too


DESK = frozenset({Role.AGENT, Role.SUPERVISOR})
SUPERVISOR = frozenset({Role.SUPERVISOR})
SUPERVISION = frozenset({Role.SUPERVISOR, Role.ADMIN})
ADMIN = frozenset({Role.ADMIN})

RULES: dict[str, Rule] = {
    "status": Rule(SUPERVISION),
    "reload": Rule(ADMIN, changes=True),
    "agent.list": Rule(DESK, Own.ROWS),
    "agent.login": Rule(DESK, Own.AGENT, changes=True),
    "agent.logout": Rule(DESK, Own.AGENT, changes=True),
    "agent.pause": Rule(DESK, Own.AGENT, changes=True),
    "agent.unpause": Rule(DESK, Own.AGENT, changes=True),
    "transfer.start": Rule(DESK, Own.AGENT, changes=True),
    "transfer.complete": Rule(DESK, Own.AGENT, changes=True),
    "transfer.cancel": Rule(DESK, Own.AGENT, changes=True),
    "transfer.list": Rule(DESK, Own.ROWS),
    "transfer.destinations": Rule(DESK),
    "ticket.get": Rule(DESK, Own.TICKET, shows_number=True),
    "ticket.watch": Rule(DESK, Own.TICKET),  # may the live stream be opened (shows nothing)
    "ticket.confirm": Rule(DESK, Own.TICKET, changes=True),
    "ticket.list": Rule(SUPERVISOR),
    "handoff.list": Rule(SUPERVISOR, shows_number=True),
    "agent.watch": Rule(DESK, Own.AGENT),
    "ticket.history": Rule(DESK, Own.TICKET),
    "ticket.earlier": Rule(DESK, Own.TICKET, shows_number=True),
    "call.requeue": Rule(DESK, Own.AGENT, changes=True),
    "callback.list": Rule(DESK),  # numbers masked
    "callback.take": Rule(DESK, changes=True, shows_number=True),
    "callback.done": Rule(DESK, changes=True),
    "user.add": Rule(ADMIN, changes=True),
    "user.list": Rule(ADMIN),
    "user.revoke": Rule(ADMIN, changes=True),
    "user.reset": Rule(ADMIN, changes=True),
    # over the web an admin only asks to add or reset a user; root approves on the server
    # and hands the new password over (no admin ever holds another's credentials); an admin
    # may drop a request (callcenter/users/requests.py)
    "user.requests": Rule(ADMIN),
    "user.approve": Rule(frozenset(), changes=True, shows_secret=True),
    "user.refuse": Rule(ADMIN, changes=True),
    "user.ended": Rule(frozenset()),  # root (the CLI, after a revoke or reset in the store)
    "audit.list": Rule(ADMIN),
    # the knowledge base: an agent records only what they answered their own call from
    "knowledge.search": Rule(DESK),
    "knowledge.get": Rule(DESK),
    "knowledge.suggest": Rule(DESK, Own.TICKET),
    "knowledge.used": Rule(frozenset({Role.AGENT}), Own.TICKET, changes=True),
    # a supervisor's control of the floor and monitoring of calls (callcenter/supervision/)
    "supervise.pause": Rule(SUPERVISOR, changes=True),
    "supervise.unpause": Rule(SUPERVISOR, changes=True),
    "supervise.logout": Rule(SUPERVISOR, changes=True),
    "supervise.skills": Rule(SUPERVISOR, changes=True),
    "supervise.waiting": Rule(SUPERVISOR),  # callers waiting: never their number
    "supervise.move_caller": Rule(SUPERVISOR, changes=True),
    "monitor.start": Rule(SUPERVISOR, changes=True),
    "monitor.mode": Rule(SUPERVISOR, changes=True),
    "monitor.stop": Rule(SUPERVISOR, changes=True),
    "monitor.list": Rule(SUPERVISOR),
    # the browser softphone's SIP account: an agent's or a supervisor's own
    # (callcenter/agents/phone.py)
    "phone.credentials": Rule(frozenset({Role.AGENT, Role.SUPERVISOR}), shows_secret=True),
    # the wallboard (监控大屏): queues, agents, alerts — no caller's number (wallboard/)
    "wallboard.get": Rule(SUPERVISOR),
}
NOBODY = Rule(frozenset())  # a command missing from the table: root only


def rule(name: str) -> Rule:
    return RULES.get(name, NOBODY)


def check(actor: Actor, name: str, args: Mapping[str, Any],
          declared: Rule | None = None) -> Rule:
    """The command's rule (``declared`` with the command, or the table's), once ``actor`` may
    run it with ``args``; else :class:`Forbidden`."""
    found = declared if declared is not None else rule(name)
    if actor.role is Role.ROOT:
        return found
    if actor.role not in found.roles:
        raise Forbidden(f"{name} is not allowed for the {actor.role} role")
    if (actor.role is Role.AGENT and found.own is Own.AGENT
            and str(args.get("agent", "")) != actor.agent):
        raise Forbidden(f"{name}: an agent acts only on their own agent ({actor.agent})")
    return found


def check_ticket(actor: Actor, ticket: Mapping[str, Any]) -> None:
    """An agent reads and confirms only the tickets of their own calls."""
    if actor.role is Role.AGENT and ticket.get("agent") != actor.agent:
        raise Forbidden(f"ticket {ticket.get('id')} is not of a call of agent {actor.agent}")


def own_rows(actor: Actor, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A list as the actor may see it (an agent: the rows of their own agent)."""
    if actor.role is not Role.AGENT:
        return rows
    return [row for row in rows if row.get("agent") == actor.agent]
