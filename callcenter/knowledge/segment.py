"""Chinese word segmentation for the knowledge base: jieba, the same way for the articles
(at index time) and for the queries, so that SQLite's ``unicode61`` tokenizer — which splits
on spaces and punctuation only — sees the same words on both sides.

jieba loads its dictionary slowly (about a second) and blocks: :meth:`Segmenter.load` runs
once, off the event loop (``asyncio.to_thread``); every call holds one lock (a jieba
tokenizer is not safe across threads while words are added). The domain's words — the
articles' keywords, the pre-fill topics' keywords — are taught to it (:meth:`teach`), so that
社保卡, 公积金, 居住证 stay whole.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import jieba

# words that say how a caller asks, not what about: dropped from queries (not from articles)
_STOPWORDS = """
的 了 吗 呢 吧 啊 呀 嘛 哦 哈 么 嗯 喂 您好 你好 请问 问 问问 一下 咨询 想 想要 要 需要 能 能不能
可以 可不可以 可否 是 是不是 有 有没有 没有 在 和 与 或 及 把 被 给 对 向 到 去 从 就 都 也 还
又 再 很 太 我 我们 你 你们 他 她 它 他们 这 那 这个 那个 这样 那样 哪个 哪 哪里 哪儿 什么 啥
怎么 怎么办 怎么样 怎样 咋 咋办 如何 为什么 多少 多久 谁 几 个 些 得 地 着 过 一个 就是 然后
还是 现在 今天 已经 办 办理 弄 搞 事 事情 问题 情况 一些 之后 以后 时候 应该 该 一 来 去 上 下 下去
"""
STOPWORDS = frozenset(_STOPWORDS.split())
MAX_QUERY_WORDS = 64
_BETWEEN_HAN = re.compile(r"(?<=[\u3400-\u9fff])\s+(?=[\u3400-\u9fff])")


def normalize(text: str) -> str:
    """Full-width → half-width, lower case, no spaces between Chinese characters (speech
    recognizers put one between words: "社保 卡 丢 了")."""
    return _BETWEEN_HAN.sub("", unicodedata.normalize("NFKC", text).lower())


def _is_word(token: str) -> bool:
    return any(c.isalnum() for c in token)


class Segmenter:
    def __init__(self, cache_dir: Path | None = None) -> None:
        # where jieba keeps its dictionary's cache (marshal, loaded as it is): the engine's
        # owner-only directory, not the machine's shared temporary one
        self.cache_dir = cache_dir
        self._tokenizer: Any = None
        self._lock = threading.Lock()
        self._taught: dict[str, int | None] = {}  # word → its frequency before (None: new)

    @property
    def loaded(self) -> bool:
        return self._tokenizer is not None

    def load(self) -> None:
        """Load jieba's dictionary (blocking, about a second; once)."""
        with self._lock:
            if self._tokenizer is None:
                jieba.setLogLevel(logging.WARNING)
                tokenizer = jieba.Tokenizer()
                if self.cache_dir is not None:
                    tokenizer.tmp_dir = str(self.cache_dir)
                tokenizer.initialize()
                self._tokenizer = tokenizer

    def teach(self, words: Iterable[str]) -> None:
        """Make ``words`` the domain's words: each stays one word; words taught before and
        not given now get their former standing back."""
        self.load()
        wanted = {normalize(w) for w in words if len(w) > 1 and not any(c.isspace() for c in w)}
        with self._lock:
            tokenizer = self._tokenizer
            for word in set(self._taught) - wanted:
                before = self._taught.pop(word)
                if before is None:
                    tokenizer.del_word(word)
                else:
                    tokenizer.add_word(word, before)
            for word in wanted - set(self._taught):
                self._taught[word] = tokenizer.FREQ.get(word) or None
                tokenizer.add_word(word, max(tokenizer.suggest_freq(word, False),
                                             self._taught[word] or 0))

    def words(self, text: str) -> list[str]:
        """Every word of ``text``, and the shorter words inside long ones (jieba's search
        mode: 社保卡 → 社保, 社保卡), in order: what the index holds."""
        self.load()
        with self._lock:
            tokens = list(self._tokenizer.cut_for_search(normalize(text)))
        return [t.strip() for t in tokens if _is_word(t)]

    def query_words(self, text: str, limit: int = MAX_QUERY_WORDS) -> list[str]:
        """The words to look for: distinct, without the ones of asking (怎么办, 请问 …),
        the last ``limit`` of a long text. Only asking words: they are all kept."""
        words = list(dict.fromkeys(self.words(text)))
        content = [w for w in words if w not in STOPWORDS]
        return (content or words)[-limit:]
