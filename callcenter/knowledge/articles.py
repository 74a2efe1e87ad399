"""Knowledge-base articles (知识库): Markdown files under ``config/knowledge/`` that
administrators edit, one article a file, named by its id (``shebaoka-buban.md``)::

    ---
    title: 社会保障卡挂失与补办
    topic: 社保养老                 # a topic of prefill.yaml
    hotline: ["12345", "12333"]    # numbers of hotlines.yaml whose callers it answers, or all
    keywords: [社保卡, 挂失, 补卡]  # optional: words callers use (taught to the segmenter)
    updated: 2026-11-30
    sample: true                   # optional: a sample (示例) the province replaces
    ---
    The answer, in Markdown.

Every problem is a ``file:line`` :class:`~callcenter.config.source.Problem`, as for the YAML
files; ``check-config`` and ``reload`` report them (:func:`read_articles`).
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from callcenter.config.catalogue import digits_of
from callcenter.config.loader import Config
from callcenter.config.models import Hotline, HotlinesConfig, MainLine
from callcenter.config.source import Problem, display_path, parse_yaml, validation_problems

KNOWLEDGE_DIR = "knowledge"  # beside the YAML files of config/
ALL = "all"
ARTICLE_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
FENCE = "---"
MAX_BYTES = 256 * 1024
BODY_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u2028\u2029]")


def _numbers(value: object) -> object:
    """``all``, one number, or a list of numbers (YAML may read 12345 as an int)."""
    if isinstance(value, str | int) and not isinstance(value, bool):
        return [str(value)]
    if isinstance(value, list):
        return [str(v) if isinstance(v, int) and not isinstance(v, bool) else v for v in value]
    return value


def _one_word(value: str) -> str:
    if any(c.isspace() for c in value):
        raise ValueError(f"{value!r}: a keyword is one word, without spaces")
    return value


def _text(value: object) -> object:
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


Keyword = Annotated[str, BeforeValidator(_text), Field(min_length=1, max_length=20),
                    AfterValidator(_one_word)]
Numbers = Annotated[list[Annotated[str, Field(min_length=3, max_length=20)]],
                    BeforeValidator(_numbers), Field(min_length=1)]


class FrontMatter(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    title: str = Field(min_length=1, max_length=80)
    topic: str = Field(min_length=1, description="a topic of prefill.yaml")
    hotline: Numbers = Field(description="numbers of hotlines.yaml, or all")
    keywords: list[Keyword] = Field(default_factory=list)
    updated: date
    sample: bool = False


@dataclass(frozen=True, slots=True)
class Article:
    id: str
    title: str
    topic: str
    hotlines: tuple[str, ...]  # as written (0931-8121054), or ("all",)
    keywords: tuple[str, ...]
    updated: str  # ISO date
    sample: bool
    body: str  # Markdown
    file: str

    def applies_to(self, hotline: str, main: str) -> bool:
        """Whether callers of ``hotline`` get this article: it names the line or all; every
        article applies to the main line (12345 takes every matter) and to no line given."""
        wanted = digits_of(hotline)
        return (not wanted or wanted == main or ALL in self.hotlines
                or wanted in {digits_of(h) for h in self.hotlines})

    def summary(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "topic": self.topic,
                "hotlines": list(self.hotlines), "updated": self.updated,
                "sample": self.sample}

    def as_dict(self) -> dict[str, Any]:
        return {**self.summary(), "keywords": list(self.keywords), "body": self.body,
                "file": self.file}


def parse_article(path: Path, text: str, topics: Collection[str],
                  numbers: Collection[str]) -> tuple[Article | None, list[Problem]]:
    """One article file's text: the article, or the problems that keep it out."""
    shown = display_path(path)
    lines = text.removeprefix("\ufeff").split("\n")
    if not ARTICLE_ID.fullmatch(path.stem):
        return None, [Problem(shown, 1, f"file name {path.name!r}: an article's file is named "
                                        "by its id: lowercase letters, digits and '-' "
                                        "(e.g. shebaoka-buban.md)")]
    if lines[0].rstrip() != FENCE:
        return None, [Problem(shown, 1, "an article starts with its front matter: a line "
                                        "'---', then title, topic, hotline, updated, then a "
                                        "line '---'")]
    end = next((i for i in range(1, len(lines)) if lines[i].rstrip() == FENCE), None)
    if end is None:
        return None, [Problem(shown, 1, "the front matter is not closed by a line '---'")]
    data, smap, problems = parse_yaml("\n" + "\n".join(lines[1:end]), shown)
    if problems or data is None:
        return None, problems or [Problem(shown, 2, "the front matter is empty")]
    if not isinstance(data, dict):
        return None, [Problem(shown, 2, "the front matter must hold keys (title: …)")]
    try:
        meta = FrontMatter.model_validate(data)
    except ValidationError as exc:
        return None, validation_problems(exc, smap)
    if meta.topic not in topics:
        problems.append(smap.problem(("topic",), f"topic {meta.topic!r} is not a topic of "
                                                 f"prefill.yaml ({', '.join(topics)})"))
    for index, number in enumerate(meta.hotline):
        if number != ALL and digits_of(number) not in numbers:
            problems.append(smap.problem(("hotline", index), f"hotline {number!r} is not a "
                                         f"number of hotlines.yaml (or write: {ALL})"))
    if ALL in meta.hotline and len(meta.hotline) > 1:
        problems.append(smap.problem(("hotline",), f"hotline: {ALL} stands alone"))
    body = "\n".join(lines[end + 1:]).strip()
    if not body:
        problems.append(Problem(shown, end + 1, "the article has no text after its front "
                                                "matter"))
    bad = BODY_CONTROL.search(text)
    if bad:
        problems.append(Problem(shown, text[:bad.start()].count("\n") + 1,
                                f"a control character ({bad.group()!r}) in the text"))
    if problems:
        return None, problems
    return Article(path.stem, meta.title, meta.topic, tuple(meta.hotline),
                   tuple(meta.keywords), meta.updated.isoformat(), meta.sample, body,
                   shown), []


def catalogue_numbers(hotlines: HotlinesConfig) -> frozenset[str]:
    """The digits of every number of the catalogue (12345 and the 57 lines)."""
    lines: list[Hotline | MainLine] = [hotlines.main, *hotlines.hotlines]
    return frozenset(digits_of(line.number) for line in lines)


def article_files(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.md")) if directory.is_dir() else []


def read_articles(directory: Path, topics: Collection[str],
                  numbers: Collection[str]) -> tuple[list[Article], list[Problem]]:
    """Every ``*.md`` of ``directory`` (none when it does not exist), checked against the
    pre-fill topics and the catalogue's numbers (as digits)."""
    articles: list[Article] = []
    problems: list[Problem] = []
    for path in article_files(directory):
        shown = display_path(path)
        try:
            raw = path.read_bytes()
            if len(raw) > MAX_BYTES:
                problems.append(Problem(shown, 1, f"larger than {MAX_BYTES // 1024} KiB: "
                                                  "split it into several articles"))
                continue
            text = raw.decode("utf-8")
        except OSError as exc:
            problems.append(Problem(shown, 1, f"cannot read: {exc.strerror or exc}"))
            continue
        except UnicodeDecodeError as exc:
            problems.append(Problem(shown, 1, f"not UTF-8 text: {exc.reason}"))
            continue
        article, found = parse_article(path, text, topics, numbers)
        problems += found
        if article is not None:
            articles.append(article)
    return articles, problems


def check_articles(directory: Path, config: Config) -> list[Problem]:
    """The configuration's knowledge articles, checked with the rest of it (``run.py check``,
    a start, a reload: :data:`callcenter.plugins.CONFIG_CHECKS`)."""
    return read_articles(directory / KNOWLEDGE_DIR, list(config.prefill.topics),
                         catalogue_numbers(config.hotlines))[1]
