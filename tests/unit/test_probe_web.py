"""Probes of the engine's HTTP surface in-process (review of issue #21): each test shows a
way through that is still open, and fails on today's code."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from callcenter.store.db import CallbackRequest
from callcenter.users import store as users_store
from tests.unit.people import Door
from tests.unit.test_desktop import Desk, desk
from tests.unit.test_web_probes import Site, site

__all__ = ["desk", "site"]  # the fixtures


async def _ask_and_approve(site: Site, asker: str, approver: str, path: str,
                           body: dict[str, Any] | None = None) -> dict[str, Any]:
    """``asker`` asks (202 pending), ``approver`` tries to approve: what the approver is
    shown. (The fix: only root approves, on the server — an admin's approval is a 403.)"""
    asked = await site.client.post(path, json=body or {}, headers=site.door.auth(asker))
    assert asked.status == 202, await asked.text()
    request = (await asked.json())["pending"]["id"]
    approved = await site.client.post(f"/api/users/requests/{request}/approve",
                                      headers=site.door.auth(approver))
    assert approved.status in (200, 403), await approved.text()
    return dict(await approved.json())


async def test_an_admin_never_ends_up_holding_a_supervisors_password(site: Site) -> None:
    """Issue #21: "resetting or adding a user of another role over HTTP must not hand that
    role to an admin". Today the second admin's approval hands it to the approving admin:
    chen asks to reset the supervisor zhao (a forgotten password, say), liu approves and is
    shown zhao's new password — liu signs in as zhao and reads a citizen's ticket (number
    and all) with nobody else knowing. The requester never sees the password, the
    supervisor must get it from liu."""
    liu = await site.door.users.add("liu", "admin", "", site.door.clock())
    site.door.tokens["liu"] = liu.token
    shown = await _ask_and_approve(site, "chen", "liu", "/api/users/zhao/reset")
    assert "password" not in shown and "token" not in shown, (
        "the approving admin was shown the supervisor's new credentials")


async def test_one_admin_alone_cannot_approve_their_own_request_under_a_second_name(
        site: Site) -> None:
    """The approver of a new *admin* is shown that admin's token: from then on they hold
    two admin names and approve their own requests alone. Here: chen asks for a new admin
    sun (any plausible reason), liu approves and keeps sun's token; liu then asks to reset
    the supervisor zhao and approves it as sun — zhao's password, with no second person —
    and reads a citizen's ticket as zhao."""
    liu = await site.door.users.add("liu", "admin", "", site.door.clock())
    site.door.tokens["liu"] = liu.token
    sun = await _ask_and_approve(site, "chen", "liu", "/api/users",
                                 {"name": "sun", "role": "admin"})
    site.door.tokens["sun"] = sun.get("token", "")
    asked = await site.client.post("/api/users/zhao/reset", headers=site.door.auth("liu"))
    request = (await asked.json())["pending"]["id"]
    approved = await site.client.post(f"/api/users/requests/{request}/approve",
                                      headers=site.door.auth("sun"))
    password = (await approved.json()).get("password") if approved.status == 200 else None
    read = None
    if password:
        login = await site.client.post("/api/login", json={"user": "zhao",
                                                           "password": password})
        assert login.status == 200
        read = await site.client.get(f"/api/tickets/{site.ticket}")
        print("\nliu, as zhao, reads ticket", site.ticket, "→", read.status,
              (await read.json()).get("caller"))
    assert read is None or read.status != 200, (
        "one admin (liu, approving as sun) got a supervisor's password and a citizen's "
        "number alone")


async def test_a_locked_address_makes_no_more_slow_hashes_with_wrong_tokens(
        site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    """A wrong API token is counted against its address *after* its hash is checked, and
    the check runs even once the address is locked: a signed-in agent who knows their own
    token's public id (``cc_<id>_…``) sends ``cc_<id>_<anything>`` and every request costs
    a scrypt (16 MiB, ~50 ms of a core: the machine has 2, shared with Asterisk and the
    speech recognizer) — 429 or not. Password sign-ins reserve their attempt before the
    hash; tokens should too (a locked address: no hash)."""
    hashes = 0
    real = users_store.verify_secret

    def counted(secret: str, stored: str) -> bool:
        nonlocal hashes
        hashes += 1
        return real(secret, stored)

    monkeypatch.setattr(users_store, "verify_secret", counted)
    token_id = site.door.tokens["li"].split("_")[1]
    limit = site.door.signin.throttle.per_address
    statuses = []
    for n in range(limit * 3):
        reply = await site.client.get("/api/me", headers={
            "Authorization": f"Bearer cc_{token_id}_wrong{n}"})
        statuses.append(reply.status)
    # (the fix locks the token's id after per_user wrong secrets, before the address limit)
    per_id = site.door.signin.throttle.per_user
    assert statuses[:per_id] == [401] * per_id and set(statuses[per_id:]) == {429}
    print(f"\n{len(statuses)} wrong tokens, {statuses.count(429)} answered 429: "
          f"{hashes} slow hashes")
    assert hashes <= per_id, f"{hashes} scrypt hashes for {len(statuses)} wrong tokens"


async def test_wrong_tokens_sent_at_once_meet_the_address_limit(
        site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same, all at once: the address's count is taken only after each hash, so 60
    wrong tokens sent together are 60 hashes at the same moment (the default thread pool
    runs them 6 at a time, ahead of every other sign-in's and reading's)."""
    hashes = 0
    real = users_store.verify_secret

    def counted(secret: str, stored: str) -> bool:
        nonlocal hashes
        hashes += 1
        return real(secret, stored)

    monkeypatch.setattr(users_store, "verify_secret", counted)
    token_id = site.door.tokens["li"].split("_")[1]
    limit = site.door.signin.throttle.per_address
    replies = await asyncio.gather(*(site.client.get("/api/me", headers={
        "Authorization": f"Bearer cc_{token_id}_wrong{n}"}) for n in range(60)))
    print(f"\n60 at once: {sorted(r.status for r in replies)[-1]} last; {hashes} hashes")
    assert hashes <= min(limit, site.door.signin.throttle.per_user)


async def test_a_supervisors_flood_takes_no_slot_the_owner_needs(site: Site) -> None:
    """The role check now comes first (issue #21), but whoever passes it shares the slots:
    a supervisor (any agent's, any ticket's streams are theirs to open) holds every slot of
    agent 1001's call's ticket, and the agent's own desktop stream answers 503. Slots per
    person per ticket, or the owner's own kept, would keep the agent's screen live."""
    streams = []
    for _ in range(site.bus.per_ticket):  # (the fix refuses some of them: 503)
        reply = await site.client.get(f"/api/tickets/{site.ticket}/events",
                                      headers=site.door.auth("zhao"))
        assert reply.status in (200, 503)
        streams.append(reply)
    own = await site.client.get(f"/api/tickets/{site.ticket}/events",
                                headers=site.door.auth("li"))
    print(f"\n{len(streams)} streams of the supervisor; the agent's own: {own.status}")
    for reply in [*streams, own]:
        reply.close()
    assert own.status == 200, await own.text()


async def test_the_callback_list_masks_the_numbers_of_those_waiting(
        desk: tuple[Door, Desk]) -> None:
    """"Masked numbers in every list; a full number shown only to the one person who needs
    it, with an audit row." The callback list (``GET /api/callbacks``, the desktop's 待回拨
    panel on every agent's screen) gives any agent the full numbers of up to 1000 citizens
    waiting in their queues at once — one audit row, naming none of them. The number an
    agent calls back should be shown for that one request (and audited as such)."""
    door, _parts = desk
    numbers = [f"1390000{n:04d}" for n in range(30)]
    for n, number in enumerate(numbers):
        await door.store.add_callback(CallbackRequest(
            f"7.{n}", number, "12345", "12345", "q12345", "timeout",
            f"2026-11-30T07:{n:02d}:00.000Z"))
    listed = await door.commands.run("callback.list", {}, door.actor("li"))
    if isinstance(listed, dict):  # (the fix: a page of requests, each number masked)
        listed = listed["requests"]
    shown = [row["caller"] for row in listed if row["caller"] in numbers]
    rows = [r for r in await door.audit() if r["action"] == "callback.list"]
    print(f"\nagent li's callback list: {len(listed)} requests, {len(shown)} full numbers "
          f"(e.g. {shown[:2]}); audit rows: {[(r['target'], r['detail']) for r in rows]}")
    assert shown == [], f"{len(shown)} citizens' full numbers in one list"
