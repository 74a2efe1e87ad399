"""The knowledge base (知识库) of the engine: the articles of ``config/knowledge/``, indexed
in the store, searched in Chinese, suggested during a call.

- :meth:`KnowledgeBase.open` attaches it to the store (the index kept there serves at once)
  and re-indexes in the background; :meth:`reconfigure` (``Engine.reconfigure``, on
  ``reload``) re-indexes too — each time only when the files (or the words taught to the
  segmenter) changed: their fingerprint is kept beside the index.
- An invalid article keeps the index as it was (``knowledge.invalid`` logged;
  ``check-config`` and ``reload`` already refuse such a configuration).
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import structlog

from callcenter.clock import iso_seconds, wall_clock
from callcenter.config.catalogue import digits_of
from callcenter.config.loader import Config
from callcenter.knowledge.articles import (
    KNOWLEDGE_DIR,
    Article,
    article_files,
    catalogue_numbers,
    read_articles,
)
from callcenter.knowledge.index import Indexed, KnowledgeIndex
from callcenter.knowledge.ranking import Ranking
from callcenter.knowledge.segment import Segmenter
from callcenter.knowledge.text import plain_text
from callcenter.routing.decide import Router
from callcenter.store.db import Store
from callcenter.tasks import TaskSet

log = structlog.get_logger("knowledge")

INDEX_VERSION = "1"  # change it when what is indexed changes: every store re-indexes


def iso_now() -> str:
    return iso_seconds(wall_clock())


def fingerprint(directory: Path, words: Iterable[str]) -> str:
    digest = hashlib.sha256(f"knowledge index {INDEX_VERSION}\0".encode())
    for path in article_files(directory):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    digest.update("\0".join(sorted(words)).encode())
    return digest.hexdigest()


class KnowledgeBase(Ranking):
    def __init__(self, directory: Path, topics: dict[str, tuple[str, ...]],
                 numbers: frozenset[str], main: str,
                 segmenter: Segmenter | None = None) -> None:
        super().__init__(segmenter or Segmenter(), main)
        self.directory = directory
        self.topics = topics  # topic → its keywords (prefill.yaml): taught to the segmenter
        self.numbers = numbers
        self._tasks = TaskSet("knowledge")
        self._refreshing = asyncio.Lock()
        self._served: str | None = None  # the fingerprint of the articles in memory

    @classmethod
    def of(cls, config: Config, segmenter: Segmenter | None = None) -> KnowledgeBase:
        """The knowledge base of ``config`` (a segmenter already loaded may be shared)."""
        h = config.hotlines
        return cls(config.directory / KNOWLEDGE_DIR,
                   {name: tuple(t.keywords) for name, t in config.prefill.topics.items()},
                   catalogue_numbers(h), digits_of(h.main.number), segmenter)

    def reconfigure(self, config: Config, router: Router) -> None:
        new = KnowledgeBase.of(config)
        self.directory, self.topics, self.numbers = new.directory, new.topics, new.numbers
        self.main = new.main
        if self.index is not None:
            self._tasks.spawn(self.refresh())

    async def open(self, store: Store, *, refresh: bool = True) -> None:
        self.index = await KnowledgeIndex.open(store)
        if self.segmenter.cache_dir is None:  # beside the database: owner-only
            self.segmenter.cache_dir = self.index.path.parent
        self.articles = {a.id: a for a in await self.index.articles()}
        self._served = await self.index.fingerprint()
        if refresh:
            self._tasks.spawn(self.refresh())

    async def close(self) -> None:
        await self._tasks.wait()
        if self.index is not None:
            await self.index.close()
            self.index = None

    def _words(self, articles: Iterable[Article]) -> set[str]:
        words = {w for keywords in self.topics.values() for w in keywords}
        return words | {w for a in articles for w in a.keywords}

    async def refresh(self) -> bool:
        """Re-index when the files changed; whether it did. The articles served are then
        the index's (also when another process, the CLI, re-indexed it)."""
        async with self._refreshing:
            index = self.opened()
            directory, topics, numbers = self.directory, self.topics, self.numbers
            found = await asyncio.to_thread(fingerprint, directory, self._words(()))
            changed = found != await index.fingerprint()
            if changed:
                articles, problems = await asyncio.to_thread(read_articles, directory,
                                                             topics, numbers)
                if problems:  # the index stays as it is
                    log.error("knowledge.invalid", problems=[str(p) for p in problems[:20]],
                              count=len(problems))
                    changed = False
                else:
                    indexed = await asyncio.to_thread(self._segmented, articles)
                    await index.replace(indexed, found, iso_now())
                    log.info("knowledge.indexed", articles=len(articles),
                             directory=str(directory))
            served = await index.fingerprint()
            if served != self._served:
                self.articles = {a.id: a for a in await index.articles()}
                self._served = served
            await asyncio.to_thread(self.segmenter.teach, self._words(self.articles.values()))
            return changed

    def _segmented(self, articles: list[Article]) -> list[Indexed]:
        self.segmenter.teach(self._words(articles))
        cut = self.segmenter.words
        return [Indexed(a, " ".join(cut(a.title)), " ".join(cut(" ".join(a.keywords))),
                        " ".join(cut(a.topic)), " ".join(cut(plain_text(a.body))))
                for a in articles]

    async def record_use(self, ticket_id: int, article_id: str, agent: str,
                         user: str) -> dict[str, Any]:
        """That the agent answered ticket ``ticket_id`` from the article (once each)."""
        index, article = self.opened(), self.get(article_id)
        recorded = await index.record_use(ticket_id, article, agent, user, iso_now())
        return {"ticket": ticket_id, "article": article.id, "recorded": recorded,
                "uses": await index.uses(ticket_id)}
