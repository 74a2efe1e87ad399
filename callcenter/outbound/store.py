"""Callback tasks in the store. A task is the callback request the engine already keeps
(``callback_request``, store/db.py: the number, the hotline, the queue, why) with its place
as a task beside it (``state``, ``attempts``, ``next_at``, added by this capability's
migration; a request an agent marked worked is closed, ``worked``). Every attempt is a row
(``callback_attempt``: when, the call's channel id, the outcome, the hang-up cause, the agent
who took it) and every transition a line of the task's history (``callback_event``,
append-only). A step is one transaction on a connection of the capability's own, refused
when someone moved the task since it was read (``version``).

The citizen's number stays in ``callback_request.caller``: read whole only by
:meth:`TaskStore.number` (the dialer's audited read); lists mask it."""

from __future__ import annotations

import asyncio
from typing import Any

import aiosqlite

from callcenter.calllog.privacy import mask_number
from callcenter.clock import iso_ts
from callcenter.errors import OutboundConflict
from callcenter.outbound.state import OPEN, Closed, Task, TaskState, Transition
from callcenter.store.db import Migration, NoSuchRow

CAPABILITY = "outbound"
MIGRATIONS = [Migration(CAPABILITY, 1, """
    ALTER TABLE callback_request ADD COLUMN state TEXT NOT NULL DEFAULT 'waiting';
    ALTER TABLE callback_request ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE callback_request ADD COLUMN next_at REAL NOT NULL DEFAULT 0;
    ALTER TABLE callback_request ADD COLUMN closed_reason TEXT NOT NULL DEFAULT '';
    ALTER TABLE callback_request ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
    UPDATE callback_request SET state = 'closed', closed_reason = 'worked'
        WHERE done_at IS NOT NULL;
    CREATE INDEX callback_request_due ON callback_request (state, next_at);
    CREATE INDEX callback_request_caller ON callback_request (caller, state);
    CREATE TABLE callback_attempt (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        task INTEGER NOT NULL REFERENCES callback_request (id),
        number INTEGER NOT NULL,
        channel_id TEXT NOT NULL UNIQUE,
        started_at REAL NOT NULL,
        ended_at REAL,
        outcome TEXT NOT NULL DEFAULT '',
        cause INTEGER,
        agent TEXT NOT NULL DEFAULT '',
        UNIQUE (task, number)
    );
    CREATE TABLE callback_event (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        task INTEGER NOT NULL REFERENCES callback_request (id),
        at REAL NOT NULL,
        event TEXT NOT NULL,
        before TEXT NOT NULL,
        after TEXT NOT NULL,
        outcome TEXT NOT NULL DEFAULT '',
        note TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX callback_event_task ON callback_event (task, id);
    CREATE TRIGGER callback_event_kept BEFORE UPDATE ON callback_event
        BEGIN SELECT RAISE(ABORT, 'a callback task''s history is append-only'); END;
    CREATE TRIGGER callback_event_not_deleted BEFORE DELETE ON callback_event
        BEGIN SELECT RAISE(ABORT, 'a callback task''s history is append-only'); END;
"""), Migration(CAPABILITY, 2, """
    -- requests missed more than a day before the dialer came are not rung now
    UPDATE callback_request SET state = 'closed', closed_reason = 'expired'
        WHERE state = 'waiting' AND done_at IS NULL
        AND requested_at < strftime('%Y-%m-%dT%H:%M:%S', 'now', '-1 day');
""")]

_OPEN = tuple(s.value for s in OPEN)


def task_of(row: aiosqlite.Row) -> Task:
    state, reason = TaskState(row["state"]), row["closed_reason"]
    if row["done_at"] is not None and state is TaskState.WAITING:  # an agent worked it
        state, reason = TaskState.CLOSED, Closed.WORKED.value
    return Task(id=row["id"], queue=row["queue"], hotline=row["hotline"], state=state,
                attempts=row["attempts"], next_at=row["next_at"], closed_reason=reason,
                version=row["version"])


class TaskStore:
    """The tasks' reads and steps, on a connection of their own (``Store.own_connection``)."""

    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db
        self._writing = asyncio.Lock()

    async def close(self) -> None:
        await self._db.close()

    async def get(self, task: int) -> Task | None:
        async with self._db.execute("SELECT * FROM callback_request WHERE id = ?",
                                    (task,)) as cursor:
            row = await cursor.fetchone()
        return None if row is None else task_of(row)

    async def need(self, task: int) -> Task:
        found = await self.get(task)
        if found is None:
            raise NoSuchRow(f"没有回拨任务 {task}：请核对编号")
        return found

    async def add(self, call_id: str, caller: str, dialed: str, hotline: str, queue: str,
                  reason: str, requested_at: str) -> Task:
        """A missed call's request row (waiting, due at once): the caller's part of
        :func:`state.missed` follows as a step."""
        async with self._writing:
            cursor = await self._db.execute(
                "INSERT INTO callback_request (call_id, caller, dialed, hotline, queue, reason, "
                "requested_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (call_id, caller, dialed, hotline, queue, reason, requested_at))
        return await self.need(int(cursor.lastrowid or 0))

    async def has_call(self, call_id: str) -> bool:
        """Whether a call already has its task (the dialplan's own request, say)."""
        async with self._db.execute("SELECT 1 FROM callback_request WHERE call_id = ?",
                                    (call_id,)) as cursor:
            return await cursor.fetchone() is not None

    async def open_before(self, task: Task) -> bool:
        """Whether the task's number has an older task still open (this one: a duplicate)."""
        async with self._db.execute(
                "SELECT 1 FROM callback_request AS older, callback_request AS this "
                f"WHERE this.id = ? AND older.caller = this.caller AND older.id < this.id "
                f"AND older.state IN ({', '.join('?' * len(_OPEN))}) "
                "AND older.done_at IS NULL LIMIT 1", (task.id, *_OPEN)) as cursor:
            return await cursor.fetchone() is not None

    async def waiting_of(self, caller: str) -> list[Task]:
        """The number's waiting tasks (closed when it calls again and is answered)."""
        async with self._db.execute(
                "SELECT * FROM callback_request WHERE caller = ? AND state = 'waiting' "
                "AND done_at IS NULL ORDER BY id", (caller,)) as cursor:
            return [task_of(r) for r in await cursor.fetchall()]

    async def due(self, at: float, limit: int = 100) -> list[Task]:
        """Waiting tasks due by ``at``, the longest-waiting first."""
        async with self._db.execute(
                "SELECT * FROM callback_request WHERE state = 'waiting' AND done_at IS NULL "
                "AND taken_by IS NULL AND next_at <= ? ORDER BY next_at, id LIMIT ?",
                (at, limit)) as cursor:  # (one an agent took is theirs to call)
            return [task_of(r) for r in await cursor.fetchall()]

    async def dialing(self) -> list[Task]:
        async with self._db.execute("SELECT * FROM callback_request WHERE state = 'dialing' "
                                    "ORDER BY id") as cursor:
            return [task_of(r) for r in await cursor.fetchall()]

    async def number(self, task: int) -> tuple[str, str, str]:
        """The citizen's whole number, the number they had dialed and the missed call's id:
        the dialer's read (its caller writes the audit row)."""
        async with self._db.execute("SELECT caller, dialed, call_id FROM callback_request "
                                    "WHERE id = ?", (task,)) as cursor:
            row = await cursor.fetchone()
        if row is None:
            raise NoSuchRow(f"没有回拨任务 {task}")
        return str(row["caller"]), str(row["dialed"]), str(row["call_id"])

    async def step(self, read: Task, new: Task, line: Transition, *,
                   attempt: tuple[str, float] | None = None,
                   attempt_end: tuple[str, int | None] | None = None) -> Task:
        """The task as it becomes and its history line in one transaction (with
        ``attempt``: (channel id, start) a new attempt row; ``attempt_end``: (outcome, cause)
        the current attempt's end); refused when the task moved since it was read."""
        done = None if new.state in OPEN else line.at
        async with self._writing:
            await self._db.execute("BEGIN IMMEDIATE")
            try:
                cursor = await self._db.execute(
                    "UPDATE callback_request SET state = ?, attempts = ?, next_at = ?, "
                    "closed_reason = ?, version = version + 1, "
                    "done_at = COALESCE(done_at, ?), done_by = COALESCE(done_by, ?) "
                    "WHERE id = ? AND version = ?",
                    (new.state.value, new.attempts, new.next_at, new.closed_reason,
                     None if done is None else iso_ts(done),
                     None if done is None else "outbound", read.id, read.version))
                if cursor.rowcount != 1:
                    raise OutboundConflict(f"回拨任务{read.id}刚被他人处理，请刷新后重试")
                if attempt is not None:
                    await self._db.execute(
                        "INSERT INTO callback_attempt (task, number, channel_id, started_at) "
                        "VALUES (?, ?, ?, ?)", (read.id, new.attempts, *attempt))
                if attempt_end is not None:
                    await self._db.execute(
                        "UPDATE callback_attempt SET ended_at = ?, outcome = ?, cause = ? "
                        "WHERE task = ? AND number = ?",
                        (line.at, *attempt_end, read.id, read.attempts))
                await self._db.execute(
                    "INSERT INTO callback_event (task, at, event, before, after, outcome, note) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (line.task, line.at, line.event, line.before.value, line.after.value,
                     line.outcome, line.note))
                await self._db.execute("COMMIT")
            except BaseException:
                await self._db.execute("ROLLBACK")
                raise
        kept = await self.get(read.id)
        assert kept is not None
        return kept

    async def attempt_agent(self, channel_id: str, agent: str) -> None:
        """The agent who took an answered callback."""
        async with self._writing:
            await self._db.execute("UPDATE callback_attempt SET agent = ? WHERE channel_id = ?",
                                   (agent, channel_id))

    async def listing(self, limit: int = 200, open_only: bool = False) -> list[dict[str, Any]]:
        """Tasks as people read them (newest first), numbers masked, with their attempts."""
        where = (f" WHERE state IN ({', '.join('?' * len(_OPEN))}) AND done_at IS NULL"
                 if open_only else "")
        async with self._db.execute(
                f"SELECT * FROM callback_request{where} ORDER BY id DESC LIMIT ?",
                (*(_OPEN if open_only else ()), limit)) as cursor:
            rows = await cursor.fetchall()
        out = []
        for row in rows:
            task = task_of(row)
            async with self._db.execute(
                    "SELECT number, started_at, ended_at, outcome, cause, agent "
                    "FROM callback_attempt WHERE task = ? ORDER BY number",
                    (task.id,)) as cursor:
                attempts = [dict(a) for a in await cursor.fetchall()]
            out.append({"id": task.id, "caller": mask_number(row["caller"]),
                        "hotline": task.hotline, "queue": task.queue, "reason": row["reason"],
                        "requested_at": row["requested_at"], "state": task.state.value,
                        "closed_reason": task.closed_reason, "next_at": task.next_at,
                        "attempts": attempts})
        return out

    async def history(self, task: int) -> list[dict[str, Any]]:
        async with self._db.execute(
                "SELECT at, event, before, after, outcome, note FROM callback_event "
                "WHERE task = ? ORDER BY id", (task,)) as cursor:
            return [dict(r) for r in await cursor.fetchall()]
