"""The read side of the knowledge base: search (bm25 over the segmented words, a snippet
with the query's words marked) and suggestions for a live call (the articles of the call's
pre-filled topic and line first, then the articles the words said so far point to)."""

from __future__ import annotations

import asyncio
from functools import lru_cache
from typing import Any

from callcenter.errors import ServiceUnavailable, UnknownArticle
from callcenter.knowledge.articles import Article
from callcenter.knowledge.index import KnowledgeIndex
from callcenter.knowledge.segment import MAX_QUERY_WORDS, Segmenter
from callcenter.knowledge.text import plain_text, snippet

MATCH_LIMIT = 200  # FTS matches looked at before the hotline and topic filters
TRANSCRIPT_CHARS = 2000  # what a suggestion reads of a long call: its last characters
TRANSCRIPT_WORDS = 48
SAMPLE_NOTE = "示例"  # how the shipped sample articles open: ``> 示例条目：…``
# a single character in more than this share of the articles (不, 可, 后 …) says nothing
# of what a query is about: alone it matched most articles
COMMON_SHARE = 0.4



@lru_cache(maxsize=1024)
def _plain(body: str) -> str:
    """What a snippet is cut from: the text without its sample note (示例条目：…)."""
    return "\n".join(line for line in plain_text(body).split("\n")
                     if not line.startswith(SAMPLE_NOTE))


class Ranking:
    def __init__(self, segmenter: Segmenter, main: str) -> None:
        self.segmenter = segmenter
        self.main = main  # the main line's digits: every article applies to its calls
        self.index: KnowledgeIndex | None = None
        self.articles: dict[str, Article] = {}  # as indexed
        self._loading = asyncio.Lock()

    def opened(self) -> KnowledgeIndex:
        if self.index is None:
            raise ServiceUnavailable("知识库尚未就绪：请稍后再试")
        return self.index

    def get(self, article_id: str) -> Article:
        self.opened()
        found = self.articles.get(article_id)
        if found is None:
            shown = article_id if len(article_id) <= 64 else article_id[:64] + "…"
            raise UnknownArticle(f"知识库中没有条目 {shown!r}：请重新搜索")
        return found

    async def query_words(self, text: str, limit: int) -> list[str]:
        """The words of ``text`` to look for (jieba off the event loop; loaded once),
        without single characters that most articles hold: a query of words the articles
        do not have finds nothing (it found ten articles that hold 不)."""
        if not self.segmenter.loaded:
            async with self._loading:
                await asyncio.to_thread(self.segmenter.load)
        words = await asyncio.to_thread(self.segmenter.query_words, text, limit)
        singles = [w for w in words if len(w) == 1]
        if not singles or self.index is None:
            return words
        total, holding = await self.index.documents_holding(singles)
        return [w for w in words if holding.get(w, 0) <= COMMON_SHARE * total]

    def _hit(self, article: Article, words: list[str], **more: Any) -> dict[str, Any]:
        shown, spans = snippet(_plain(article.body), words)
        return {**article.summary(), **more, "snippet": shown, "highlights": spans}

    async def search(self, query: str, hotline: str = "", topic: str = "",
                     limit: int = 10) -> list[dict[str, Any]]:
        """The articles best matching ``query`` (bm25: title, keywords, topic, body in that
        order of weight) for callers of ``hotline``; no query: every such article."""
        index, articles = self.opened(), self.articles  # as they are now: a re-index may come
        wanted = {a.id: a for a in articles.values()
                  if a.applies_to(hotline, self.main) and (not topic or a.topic == topic)}
        if not query.strip():
            return [a.summary() for a in sorted(wanted.values(),
                                                key=lambda a: (a.topic, a.id))][:limit]
        words = await self.query_words(query, MAX_QUERY_WORDS)
        found = [(wanted[i], score) for i, score in await index.match(words, MATCH_LIMIT)
                 if i in wanted]
        return [self._hit(a, words, score=round(score, 3)) for a, score in found[:limit]]

    async def suggest(self, topic: str, hotline: str, text: str,
                      limit: int = 5) -> list[dict[str, Any]]:
        """For a call on ``hotline`` whose pre-fill says ``topic``: that topic's articles
        for the line, then the topic's other articles, then what the transcript's words
        match; within each, by those words (bm25)."""
        index, articles = self.opened(), self.articles
        words = await self.query_words(text[-TRANSCRIPT_CHARS:], TRANSCRIPT_WORDS) \
            if text.strip() else []
        scores = dict(await index.match(words, MATCH_LIMIT))

        def group(a: Article) -> int:
            if topic and a.topic == topic:
                return 0 if a.applies_to(hotline, self.main) else 1
            return 2

        chosen = [a for a in articles.values() if group(a) < 2 or a.id in scores]
        chosen.sort(key=lambda a: (group(a), -scores.get(a.id, 0.0), a.id))
        return [self._hit(a, words, reason="topic" if group(a) < 2 else "words",
                          score=round(scores.get(a.id, 0.0), 3)) for a in chosen[:limit]]
