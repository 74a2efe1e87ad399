"""The knowledge base: segmentation, the index in the store (re-indexed only when the files
change), search with snippets, suggestions for a live call."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from callcenter.config.loader import load_config
from callcenter.errors import ServiceUnavailable, UnknownArticle
from callcenter.knowledge.base import KnowledgeBase
from callcenter.knowledge.segment import Segmenter
from callcenter.knowledge.text import plain_text, snippet
from callcenter.paths import PROJECT_ROOT
from callcenter.store.db import Store


@pytest.fixture(scope="module")
def segmenter() -> Segmenter:
    loaded = Segmenter()
    loaded.load()
    return loaded


@pytest.fixture
async def kb(tmp_path: Path, segmenter: Segmenter) -> AsyncIterator[KnowledgeBase]:
    directory = tmp_path / "config"
    shutil.copytree(PROJECT_ROOT / "config", directory)
    base = KnowledgeBase.of(load_config(directory), segmenter)
    store = await Store.open(tmp_path / "cc.sqlite3")
    await base.open(store, refresh=False)
    assert await base.refresh()
    yield base
    await base.close()
    await store.close()


def test_segmentation_is_the_same_for_articles_and_queries(segmenter: Segmenter) -> None:
    assert segmenter.query_words("社保卡丢了怎么办", 64) == ["社保", "社保卡", "丢"]
    # what a recognizer writes (a space between words) and full-width text segment the same
    assert segmenter.query_words("我 的 社保 卡 丢 了", 64) == ["社保", "社保卡", "丢"]
    assert segmenter.words("ＡＰＰ１２３") == ["app123"]
    assert segmenter.query_words("怎么办", 64) == ["怎么", "怎么办"]  # only asking words: kept


def test_taught_words_stay_whole_and_are_taken_back(segmenter: Segmenter) -> None:
    before = segmenter.words("居住证签注")
    segmenter.teach(["居住证签注"])
    assert "居住证签注" in segmenter.words("居住证签注")
    segmenter.teach([])
    assert segmenter.words("居住证签注") == before


async def test_search_finds_articles_phrased_otherwise(kb: KnowledgeBase) -> None:
    for query, wanted in (("社保卡丢了怎么办", "shebaoka-buban"),
                          ("公积金怎么取出来", "gongjijin-tiqu"),
                          ("我 想 问 一下 户口 怎么 迁", "hukou-qianyi")):
        hits = await kb.search(query)
        assert hits[0]["id"] == wanted, (query, hits[:2])
        assert hits[0]["score"] > (hits[1]["score"] if len(hits) > 1 else 0)
    [hit] = await kb.search("公积金怎么取出来", limit=1)
    assert set(hit) >= {"id", "title", "topic", "hotlines", "updated", "sample", "score",
                        "snippet", "highlights"}
    marked = [hit["snippet"][s:e] for s, e in hit["highlights"]]
    assert marked and all(m in ("公积金", "取出") for m in marked), marked


async def test_search_by_hotline_and_topic(kb: KnowledgeBase) -> None:
    on_12329 = await kb.search("工资", hotline="12329")
    assert on_12329 == [] or all("12329" in h["hotlines"] or "all" in h["hotlines"]
                                 for h in on_12329)
    first = (await kb.search("工资", hotline="12333"))[0]
    assert first["id"] == "nongmingong-qianxin"
    on_main = {h["id"] for h in await kb.search("工资", hotline="12345", limit=50)}
    assert on_main == {h["id"] for h in await kb.search("工资", limit=50)}
    every = await kb.search("", topic="户籍证件")
    assert [h["id"] for h in every] == ["hukou-qianyi", "juzhuzheng"]


async def test_queries_are_never_fts_syntax(kb: KnowledgeBase) -> None:
    for query in ('" OR *', "NEAR(社保 卡)", "title:社保卡", "a AND", '""""', "^社保卡 -",
                  "？？？", "\x00"):
        await kb.search(query)  # no sqlite3.OperationalError


async def test_get_and_unknown_articles(kb: KnowledgeBase) -> None:
    article = kb.get("juzhuzheng")
    assert article.title == "居住证申领与签注" and "签注" in article.body
    with pytest.raises(UnknownArticle) as caught:
        kb.get("../etc/passwd")
    assert caught.value.error_id == "CC1401"


async def test_reindex_only_when_the_files_change(kb: KnowledgeBase, tmp_path: Path,
                                                  segmenter: Segmenter) -> None:
    assert not await kb.refresh()
    article = kb.directory / "juzhuzheng.md"
    article.write_text(article.read_text(encoding="utf-8").replace(
        "居住证申领与签注", "居住证办理"), encoding="utf-8")
    assert await kb.refresh()
    assert kb.get("juzhuzheng").title == "居住证办理"
    bad = kb.directory / "broken.md"
    bad.write_text("no front matter\n", encoding="utf-8")
    assert not await kb.refresh()  # an invalid file: the index stays
    assert kb.get("juzhuzheng").title == "居住证办理" and "broken" not in kb.articles
    bad.unlink()
    (kb.directory / "dibao-shenqing.md").unlink()
    assert await kb.refresh()
    assert "dibao-shenqing" not in kb.articles
    assert [h["id"] for h in await kb.search("低保")] != ["dibao-shenqing"]
    # another process (the CLI) re-indexed: what is served follows the index
    other = KnowledgeBase.of(load_config(tmp_path / "config"), segmenter)
    with pytest.raises(ServiceUnavailable):
        await other.search("低保")
    store = await Store.open(tmp_path / "cc.sqlite3")
    await other.open(store, refresh=False)
    article.write_text(article.read_text(encoding="utf-8").replace(
        "居住证办理", "居住证"), encoding="utf-8")
    assert await other.refresh()
    assert not await kb.refresh() and kb.get("juzhuzheng").title == "居住证"
    await other.close()
    await store.close()


async def test_a_new_engine_serves_the_index_kept_in_the_store(tmp_path: Path,
                                                               segmenter: Segmenter) -> None:
    config = load_config(PROJECT_ROOT / "config")
    store = await Store.open(tmp_path / "cc.sqlite3")
    first = KnowledgeBase.of(config, segmenter)
    await first.open(store, refresh=False)
    assert await first.refresh()
    await first.close()
    again = KnowledgeBase.of(config, segmenter)
    await again.open(store, refresh=False)
    assert len(again.articles) == len(first.articles) >= 15  # before any refresh
    assert not await again.refresh()
    await again.close()
    await store.close()


async def test_suggestions_for_a_call(kb: KnowledgeBase) -> None:
    said = "喂 你好 我 那个 社保 卡 不 见 了 想 问 一下 去 哪里 补"
    first = await kb.suggest("社保养老", "12333", said)
    assert first[0]["id"] == "shebaoka-buban" and first[0]["reason"] == "topic"
    # the topic's articles first, then what the words point to
    gongjijin = await kb.suggest("住房公积金", "12345", "我想问一下租房的事 还有社保卡")
    assert gongjijin[0]["id"] == "gongjijin-tiqu" and gongjijin[0]["reason"] == "topic"
    assert "shebaoka-buban" in [s["id"] for s in gongjijin[1:]]
    assert all(s["reason"] == "words" for s in gongjijin[1:])
    # no topic yet: the words alone; nothing said yet: nothing to suggest
    assert (await kb.suggest("", "12345", "暖气不热 屋里太冷了"))[0]["id"] == "gongnuan"
    assert await kb.suggest("", "12345", "") == []
    both = await kb.suggest("户籍证件", "12345", "居住证", limit=1)
    assert [s["id"] for s in both] == ["juzhuzheng"]


def test_plain_text_and_snippet() -> None:
    markdown = ("## 答复要点\n\n社保卡**遗失**的，先挂失，\n再补办。\n\n- 电话挂失：拨打 12333；\n"
                "| 事项 | 引导 |\n|---|---|\n| 诉讼 | 法院 |\n[链接](http://example)")
    assert plain_text(markdown).split("\n") == [
        "答复要点", "社保卡遗失的，先挂失，再补办。", "电话挂失：拨打 12333；", "事项 引导",
        "诉讼 法院", "链接"]
    text = "前言。" + "无关的话。" * 30 + "社保卡遗失的，先挂失，再补办社保卡。"
    shown, spans = snippet(text, ["社保卡", "补办"], width=30)
    assert shown.startswith("…社保卡遗失")
    assert [shown[s:e] for s, e in spans] == ["社保卡", "补办", "社保卡"]
    assert snippet("ＡＢＣ 社保", ["abc"])[1] == [[0, 3]]


async def test_words_the_articles_do_not_have_find_nothing(kb: KnowledgeBase) -> None:
    """A single character most articles hold (不) is no match by itself: a query of unknown
    words found ten articles through it."""
    for query in ("阿巴阿巴不知道", "我不知道", "不"):
        assert await kb.search(query) == [], query
    assert "不" not in await kb.query_words("火星移民不给办", 64)
    (only,) = await kb.search("火星移民不给办")
    assert only["id"] == "churujing-zhengjian"  # 移民: a word an article has
    assert (await kb.search("社保卡丢了怎么办"))[0]["id"] == "shebaoka-buban"
