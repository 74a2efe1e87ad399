"""The ticket loop's tables, as the store's migrations (numbered per capability; a step
once shipped is never rewritten — a database that had it keeps it — the next one follows it).

1. ``ticket_flow`` (each ticket's place in the loop, beside the ticket) and ``ticket_event``
   (its history, append-only), with the indexes of a unit's inbox, the deadlines, merging.
2. ``remind_at``: when the overdue scan next has something to do for a ticket (indexed: the
   scan reads only those whose moment has come), and the yellow share it was kept for; the
   indexes that give every list its order (a unit's, the centre's of a step) without sorting.
3. ``ticket_event.unit``: whose the ticket is after each step (the unit dispatched to, the
   unit that returned it …: a report charges a unit with what it did, not with what the
   ticket's unit of today did), and the index of a period's history lines (the report).
4. The indexes of the pages' other lists, each in deadline order: the tickets a unit
   assists, the 督办 list, extensions asked, closed tickets not rated yet.
5. ``ticket_assist`` (unit, ticket): the tickets each unit assists (协办), kept with the
   flow's ``assists`` by every step that changes them — a unit's inbox reads its own rows,
   not every ticket with an assisting unit; extensions asked indexed by step and deadline.
6. ``ticket_assist`` by ticket (a step rewriting a ticket's rows read the whole table).
"""


from __future__ import annotations

from callcenter.store.db import Migration

CAPABILITY = "ticketflow"
# the assisting units of the tickets already in the loop (``assists``: one per line)
ASSISTS_SPLIT = """
    WITH RECURSIVE split(ticket, unit, rest) AS (
        SELECT ticket, '', assists || char(10) FROM ticket_flow WHERE assists != ''
        UNION ALL
        SELECT ticket, substr(rest, 1, instr(rest, char(10)) - 1),
               substr(rest, instr(rest, char(10)) + 1) FROM split WHERE rest != '')
    INSERT OR IGNORE INTO ticket_assist (unit, ticket)
        SELECT unit, ticket FROM split WHERE unit != '';
"""
MIGRATIONS = [Migration(CAPABILITY, 1, """
    CREATE TABLE ticket_flow (
        ticket INTEGER PRIMARY KEY REFERENCES ticket (id),
        channel TEXT NOT NULL DEFAULT 'phone',
        caller TEXT NOT NULL DEFAULT '',
        topic TEXT NOT NULL DEFAULT '',
        place TEXT NOT NULL DEFAULT '',
        step TEXT NOT NULL,
        request_type TEXT NOT NULL,
        urgent INTEGER NOT NULL DEFAULT 0,
        accepted_at REAL NOT NULL,
        unit TEXT NOT NULL DEFAULT '',
        assists TEXT NOT NULL DEFAULT '',
        dispatched_at REAL,
        sign_due REAL,
        handle_due REAL,
        due REAL,
        returns INTEGER NOT NULL DEFAULT 0,
        extensions INTEGER NOT NULL DEFAULT 0,
        extension_asked INTEGER NOT NULL DEFAULT 0,
        redos INTEGER NOT NULL DEFAULT 0,
        reopened INTEGER NOT NULL DEFAULT 0,
        rating TEXT NOT NULL DEFAULT '',
        supervised INTEGER NOT NULL DEFAULT 0,
        reminded TEXT NOT NULL DEFAULT '',
        merged_into INTEGER,
        version INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX ticket_flow_inbox ON ticket_flow (unit, step, due);
    CREATE INDEX ticket_flow_due ON ticket_flow (due) WHERE due IS NOT NULL;
    CREATE INDEX ticket_flow_merged ON ticket_flow (merged_into) WHERE merged_into IS NOT NULL;
    CREATE INDEX ticket_flow_caller ON ticket_flow (caller, accepted_at) WHERE caller != '';
    CREATE INDEX ticket_flow_matter ON ticket_flow (place, topic, accepted_at)
        WHERE place != '' AND topic != '';
    CREATE TABLE ticket_event (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        ticket INTEGER NOT NULL REFERENCES ticket (id),
        at REAL NOT NULL,
        who TEXT NOT NULL,
        action TEXT NOT NULL,
        before TEXT NOT NULL,
        after TEXT NOT NULL,
        note TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX ticket_event_ticket ON ticket_event (ticket, id);
    CREATE TRIGGER ticket_event_kept BEFORE UPDATE ON ticket_event
        BEGIN SELECT RAISE(ABORT, 'a ticket''s history is append-only'); END;
    CREATE TRIGGER ticket_event_not_deleted BEFORE DELETE ON ticket_event
        BEGIN SELECT RAISE(ABORT, 'a ticket''s history is append-only'); END;
"""), Migration(CAPABILITY, 2, """
    -- when the overdue scan next has something to do for a ticket (state.remind_at); a
    -- database from before it kept these: every ticket with a deadline running and no 督办
    -- yet is looked at by the next scan, which keeps its moment
    ALTER TABLE ticket_flow ADD COLUMN remind_at REAL;
    UPDATE ticket_flow SET remind_at = 0 WHERE due IS NOT NULL AND reminded != 'overdue';
    CREATE INDEX ticket_flow_remind ON ticket_flow (remind_at) WHERE remind_at IS NOT NULL;
    -- the yellow share (limits.yaml) the moments were kept for: another one, and the next scan
    -- looks at every ticket not reminded yet again
    CREATE TABLE ticket_reminder_timing (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        yellow_share REAL NOT NULL
    );
    -- the lists in their order (store.inbox): a unit's, and the centre's of a step
    CREATE INDEX ticket_flow_unit_due ON ticket_flow (unit, due);
    CREATE INDEX ticket_flow_step_due ON ticket_flow (step, due);
"""), Migration(CAPABILITY, 3, """
    -- whose the ticket is after each step; '' in the lines kept before this step (a report
    -- then takes the ticket's unit of today) and in the centre's steps before any dispatch
    ALTER TABLE ticket_event ADD COLUMN unit TEXT NOT NULL DEFAULT '';
    CREATE INDEX ticket_event_at ON ticket_event (at);
"""), Migration(CAPABILITY, 4, """
    CREATE INDEX ticket_flow_assisted ON ticket_flow (due) WHERE assists != '';
    CREATE INDEX ticket_flow_supervised ON ticket_flow (due) WHERE supervised = 1;
    CREATE INDEX ticket_flow_asked ON ticket_flow (due) WHERE extension_asked > 0;
    CREATE INDEX ticket_flow_unrated ON ticket_flow (ticket)
        WHERE step = 'closed' AND rating = '';
"""), Migration(CAPABILITY, 5, """
    CREATE TABLE ticket_assist (
        unit TEXT NOT NULL,
        ticket INTEGER NOT NULL REFERENCES ticket (id),
        PRIMARY KEY (unit, ticket)
    ) WITHOUT ROWID;
""" + ASSISTS_SPLIT + """
    DROP INDEX ticket_flow_assisted;
    DROP INDEX ticket_flow_asked;
    CREATE INDEX ticket_flow_asked ON ticket_flow (step, due) WHERE extension_asked > 0;
"""), Migration(CAPABILITY, 6, """
    -- a step that changes a ticket's assisting units finds its rows by ticket
    CREATE INDEX ticket_assist_ticket ON ticket_assist (ticket);
""")]
