"""Knowledge-base articles: every problem of a file is a file:line, and check-config says it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from callcenter.cli import main as cli_main
from callcenter.config.loader import collect
from callcenter.knowledge.articles import read_articles
from callcenter.paths import PROJECT_ROOT
from callcenter.plugins import CONFIG_CHECKS

TOPICS = ("社保养老", "住房公积金")
NUMBERS = frozenset({"12345", "12333", "12329", "09318121054"})
GOOD = """---
title: 社会保障卡挂失与补办
topic: 社保养老
hotline: [12345, "12333"]
keywords: [社保卡, 挂失]
updated: 2026-11-30
---
## 答复要点

先挂失，再补办。
"""


def problems_of(tmp_path: Path, name: str, text: str) -> list[str]:
    (tmp_path / name).write_text(text, encoding="utf-8")
    articles, problems = read_articles(tmp_path, TOPICS, NUMBERS)
    assert not (articles and problems)
    return [str(p).replace(str(tmp_path), "K") for p in problems]


def test_a_good_article(tmp_path: Path) -> None:
    (tmp_path / "shebaoka-buban.md").write_text(GOOD, encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not an article", encoding="utf-8")
    [article], problems = read_articles(tmp_path, TOPICS, NUMBERS)
    assert problems == []
    assert (article.id, article.topic, article.hotlines) == ("shebaoka-buban", "社保养老",
                                                             ("12345", "12333"))
    assert article.keywords == ("社保卡", "挂失") and article.updated == "2026-11-30"
    assert article.body.startswith("## 答复要点") and not article.sample
    assert article.applies_to("12333", "12345") and article.applies_to("12345", "12345")
    assert article.applies_to("", "12345") and not article.applies_to("12329", "12345")


def test_no_directory_no_articles(tmp_path: Path) -> None:
    assert read_articles(tmp_path / "none", TOPICS, NUMBERS) == ([], [])


@pytest.mark.parametrize(("name", "text", "expected"), [
    ("a.md", "# 标题\n正文\n", "K/a.md:1: an article starts with its front matter"),
    ("a.md", "---\ntitle: x\n", "K/a.md:1: the front matter is not closed"),
    ("Shebao Ka.md", GOOD, "K/Shebao Ka.md:1: file name 'Shebao Ka.md'"),
    ("a.md", GOOD.replace("topic: 社保养老", "topic: 社保"),
     "K/a.md:3: topic '社保' is not a topic of prefill.yaml (社保养老, 住房公积金)"),
    ("a.md", GOOD.replace('"12333"', '"12399"'),
     "K/a.md:4: hotline '12399' is not a number of hotlines.yaml (or write: all)"),
    ("a.md", GOOD.replace("title: 社会保障卡挂失与补办\n", ""),
     "K/a.md:1: title: required key is missing"),
    ("a.md", GOOD.replace("updated: 2026-11-30", "updated: 昨天"), "K/a.md:6: updated:"),
    ("a.md", GOOD.replace("keywords: [社保卡, 挂失]", "keywords: [社保 卡]"),
     "K/a.md:5: keywords[0]: Value error, '社保 卡': a keyword is one word"),
    ("a.md", GOOD.replace("updated:", "owner: 李明\nupdated:"), "K/a.md:6: unknown key 'owner'"),
    ("a.md", GOOD.replace("topic:", "topic: [\ntopic:"), "K/a.md:5: YAML syntax error"),
    ("a.md", GOOD.replace('[12345, "12333"]', "[all, 12333]"), "K/a.md:4: hotline: all"),
    ("a.md", GOOD.split("## ")[0], "K/a.md:7: the article has no text after its front matter"),
    ("a.md", GOOD + "\x00\n", "K/a.md:11: a control character ('\\x00') in the text"),
    ("a.md", GOOD.replace("title: 社会保障卡挂失与补办", 'title: "a\\x07b"'),
     "K/a.md:2: title: a control character"),
])
def test_every_problem_has_its_line(tmp_path: Path, name: str, text: str,
                                    expected: str) -> None:
    found = problems_of(tmp_path, name, text)
    assert any(p.startswith(expected) for p in found), found


def test_one_hotline_all_and_numbers_as_written(tmp_path: Path) -> None:
    for hotline, expected in (("all", ("all",)), ("12333", ("12333",)),
                              ('"0931-8121054"', ("0931-8121054",))):
        (tmp_path / "a.md").write_text(GOOD.replace('[12345, "12333"]', hotline), "utf-8")
        [article], problems = read_articles(tmp_path, TOPICS, NUMBERS)
        assert problems == [] and article.hotlines == expected
    assert article.applies_to("0931—8121054", "12345")


def test_check_config_reports_a_bad_article(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    directory = tmp_path / "config"
    shutil.copytree(PROJECT_ROOT / "config", directory)
    bad = directory / "knowledge" / "bad-article.md"
    bad.write_text(GOOD.replace("topic: 社保养老", "topic: 天气预报"), encoding="utf-8")
    config, problems = collect(directory, CONFIG_CHECKS)
    assert config is None
    [problem] = [p for p in problems if not p.warning]
    assert (problem.line, problem.file.endswith("knowledge/bad-article.md")) == (3, True)
    assert cli_main(["check-config", str(directory)]) == 2
    assert "bad-article.md:3: topic '天气预报' is not a topic" in capsys.readouterr().out


def test_the_shipped_articles_are_valid_samples() -> None:
    config, problems = collect(PROJECT_ROOT / "config", CONFIG_CHECKS)
    assert config is not None and [p for p in problems if not p.warning] == []
    articles, problems = read_articles(PROJECT_ROOT / "config/knowledge",
                                       list(config.prefill.topics), NUMBERS | {
                                           "12393", "09315156737", "12336", "12315",
                                           "09318929999", "12358", "12319", "12328",
                                           "12367", "12331", "12366", "12349", "12348"})
    assert problems == [] and len(articles) >= 15
    assert all(a.sample and "示例" in a.body.split("\n")[0] for a in articles)
