"""The knowledge base's index in the engine's store (tables of migration 5): the articles
(``knowledge_article``), their segmented text in an FTS5 table (``knowledge_fts``,
``tokenize='unicode61'`` over words jieba separated by spaces), the fingerprint of the files
indexed (``knowledge_index``), and which article answered which ticket (``knowledge_use``).

It has its own connection to the database: a re-index is one transaction that no statement
of another part of the engine (tickets, on the store's shared connection) can commit half
of or see half done; its own reads wait for it (one lock).
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiosqlite

from callcenter.knowledge.articles import Article
from callcenter.store.db import Store

# bm25 weight of each FTS5 column: article (not indexed), title, keywords, topic, body
COLUMN_WEIGHTS = (0.0, 4.0, 3.0, 2.0, 1.0)


@dataclass(frozen=True, slots=True)
class Indexed:
    """An article with its columns as segmented words (separated by spaces)."""

    article: Article
    title: str
    keywords: str
    topic: str
    body: str


def fts_query(words: list[str]) -> str:
    """An FTS5 expression matching any of ``words``, each a quoted phrase (nothing a caller
    says can be read as FTS5 syntax)."""
    return " OR ".join('"' + w.replace('"', '""') + '"' for w in words)


def _article(row: aiosqlite.Row) -> Article:
    return Article(row["id"], row["title"], row["topic"], tuple(json.loads(row["hotlines"])),
                   tuple(json.loads(row["keywords"])), row["updated"], bool(row["sample"]),
                   row["body"], row["file"])


class KnowledgeIndex:
    def __init__(self, db: aiosqlite.Connection, path: Path) -> None:
        self._db = db
        self.path = path
        self._lock = asyncio.Lock()

    @classmethod
    async def open(cls, store: Store) -> KnowledgeIndex:
        """A second connection to ``store``'s database (migrated and owner-only already)."""
        async with store.db.execute("PRAGMA database_list") as cursor:
            path = next(row[2] for row in await cursor.fetchall() if row[1] == "main")
        db = await aiosqlite.connect(path, isolation_level=None, timeout=10)
        db.row_factory = aiosqlite.Row
        await db.execute("PRAGMA foreign_keys=ON")
        return cls(db, Path(path))

    async def close(self) -> None:
        await self._db.close()

    async def fingerprint(self) -> str | None:
        async with self._db.execute("SELECT hash FROM knowledge_index WHERE id = 1") as cursor:
            row = await cursor.fetchone()
        return None if row is None else str(row[0])

    async def articles(self) -> list[Article]:
        async with self._lock, self._db.execute(
                "SELECT * FROM knowledge_article ORDER BY id") as cursor:
            return [_article(row) for row in await cursor.fetchall()]

    async def replace(self, indexed: list[Indexed], fingerprint: str, at: str) -> None:
        """The index holds exactly ``indexed`` (one transaction)."""
        async with self._lock:
            await self._db.execute("BEGIN IMMEDIATE")
            try:
                await self._db.execute("DELETE FROM knowledge_fts")
                await self._db.execute("DELETE FROM knowledge_article")
                await self._db.executemany(
                    "INSERT INTO knowledge_article (id, title, topic, hotlines, keywords, "
                    "updated, sample, body, file) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [(a.id, a.title, a.topic, json.dumps(a.hotlines, ensure_ascii=False),
                      json.dumps(a.keywords, ensure_ascii=False), a.updated, int(a.sample),
                      a.body, a.file) for a in (i.article for i in indexed)])
                await self._db.executemany(
                    "INSERT INTO knowledge_fts (article, title, keywords, topic, body) "
                    "VALUES (?, ?, ?, ?, ?)",
                    [(i.article.id, i.title, i.keywords, i.topic, i.body) for i in indexed])
                await self._db.execute(
                    "INSERT INTO knowledge_index (id, hash, indexed_at, articles) "
                    "VALUES (1, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET hash = excluded.hash,"
                    " indexed_at = excluded.indexed_at, articles = excluded.articles",
                    (fingerprint, at, len(indexed)))
                await self._db.execute("COMMIT")
            except BaseException:
                await self._db.execute("ROLLBACK")
                raise

    async def match(self, words: list[str], limit: int) -> list[tuple[str, float]]:
        """(article id, bm25 score: higher is better) of the articles holding any of
        ``words``, best first."""
        if not words:
            return []
        weights = ", ".join(str(w) for w in COLUMN_WEIGHTS)
        async with self._lock, self._db.execute(
                f"SELECT article, -bm25(knowledge_fts, {weights}) AS score FROM knowledge_fts "
                "WHERE knowledge_fts MATCH ? ORDER BY score DESC LIMIT ?",
                (fts_query(words), limit)) as cursor:
            return [(row[0], float(row[1])) for row in await cursor.fetchall()]

    async def documents_holding(self, words: list[str]) -> tuple[int, dict[str, int]]:
        """How many articles are indexed, and in how many of them each of ``words`` is
        (FTS5's own vocabulary: a temporary table of this connection)."""
        async with self._lock:
            await self._db.execute(
                "CREATE VIRTUAL TABLE IF NOT EXISTS temp.knowledge_vocab "
                "USING fts5vocab(main, knowledge_fts, row)")
            async with self._db.execute("SELECT COUNT(*) FROM knowledge_article") as cursor:
                row = await cursor.fetchone()
            total = int(row[0]) if row is not None else 0
            if not words:
                return total, {}
            async with self._db.execute(
                    "SELECT term, doc FROM temp.knowledge_vocab WHERE term IN "
                    f"({', '.join('?' * len(words))})", words) as cursor:
                return total, {str(r[0]): int(r[1]) for r in await cursor.fetchall()}

    async def record_use(self, ticket_id: int, article: Article, agent: str, user: str,
                         at: str) -> bool:
        """That ``article`` answered ticket ``ticket_id``; False when it was recorded
        before (once per ticket and article)."""
        async with self._lock:
            cursor = await self._db.execute(
                "INSERT OR IGNORE INTO knowledge_use (ticket_id, article, title, agent, user, "
                "at) VALUES (?, ?, ?, ?, ?, ?)",
                (ticket_id, article.id, article.title, agent, user, at))
            return cursor.rowcount == 1

    async def uses(self, ticket_id: int) -> list[dict[str, Any]]:
        async with self._lock, self._db.execute(
                "SELECT article, title, agent, user, at FROM knowledge_use WHERE ticket_id = ? "
                "ORDER BY id", (ticket_id,)) as cursor:
            return [dict(row) for row in await cursor.fetchall()]
