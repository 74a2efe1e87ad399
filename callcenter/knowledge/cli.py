"""``run.py knowledge search "…"`` / ``knowledge show ID`` / ``knowledge index``: the
knowledge base from the command line, through the one command layer (as root, like
:mod:`callcenter.cli_kit`), on the store directly — whether the engine runs or not. The
index is brought up to date with ``config/knowledge/`` first."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import structlog
from rich.console import Console
from rich.markdown import Markdown
from rich.table import Table
from rich.text import Text

from callcenter.actors import cli_actor
from callcenter.audit import AuditTrail
from callcenter.commands import Commands
from callcenter.config.loader import load_config
from callcenter.knowledge.base import KnowledgeBase
from callcenter.knowledge.commands import knowledge_handlers
from callcenter.paths import Paths
from callcenter.store.db import Store
from callcenter.tickets.store import Tickets

console = Console()


def marked(hit: dict[str, Any]) -> Text:
    shown = Text(hit.get("snippet", ""))
    for start, end in hit.get("highlights", []):
        shown.stylize("bold yellow", start, end)
    return shown


async def _run(args: argparse.Namespace, paths: Paths) -> int:
    config = load_config(Path(args.config) if args.config else paths.config)
    store = await Store.open(paths.own(config.engine.paths.database))
    base = KnowledgeBase.of(config)
    try:
        await base.open(store, refresh=False)
        changed = await base.refresh()
        tickets, trail = Tickets(store), AuditTrail(store)
        commands = Commands(knowledge_handlers(base, lambda: tickets), lambda: trail,
                            lambda: datetime.now(UTC))
        actor = cli_actor()
        if args.knowledge_action == "index":
            state = "re-indexed" if changed else "up to date"
            print(f"{len(base.articles)} articles from {base.directory}: {state}")
            return 0
        if args.knowledge_action == "show":
            article = await commands.run("knowledge.get", {"article": args.id}, actor)
            if args.json:
                print(json.dumps(article, ensure_ascii=False, indent=2))
                return 0
            console.print(f"[bold]{article['title']}[/bold]  ({article['id']}, "
                          f"{article['topic']}, {' '.join(article['hotlines'])}, "
                          f"{article['updated']}{', 示例' if article['sample'] else ''})")
            console.print(Markdown(article["body"]))
            return 0
        hits = await commands.run("knowledge.search", {
            "q": args.query, "hotline": args.hotline or "", "limit": args.limit}, actor)
        if args.json:
            print(json.dumps(hits, ensure_ascii=False, indent=2))
            return 0
        table = Table("#", "id", "title", "topic", "score", "snippet",
                      title=f"知识库: {args.query}")
        for rank, hit in enumerate(hits, 1):
            table.add_row(str(rank), hit["id"], hit["title"], hit["topic"],
                          f"{hit.get('score', 0):.2f}", marked(hit))
        console.print(table if hits else "no article matches")
        return 0
    finally:
        await base.close()
        await store.close()


def cmd_knowledge(args: argparse.Namespace, paths: Paths) -> int:
    # what the knowledge base logs (knowledge.indexed …) goes to stderr: stdout is the answer
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(sys.stderr))
    return asyncio.run(_run(args, paths))


def add_parsers(sub: Any) -> None:
    knowledge = sub.add_parser("knowledge", help="the knowledge base (知识库): search "
                               "articles, show one, re-index config/knowledge/")
    actions = knowledge.add_subparsers(dest="knowledge_action", required=True)
    search = actions.add_parser("search", help="articles matching a question, best first")
    search.add_argument("query", help='e.g. "社保卡丢了怎么办"')
    search.add_argument("--hotline", help="only articles for callers of this number")
    search.add_argument("--limit", type=int, default=10)
    search.add_argument("--json", action="store_true")
    show = actions.add_parser("show", help="one article, by its id (its file name)")
    show.add_argument("id")
    show.add_argument("--json", action="store_true")
    actions.add_parser("index", help="re-index config/knowledge/ if it changed")
    knowledge.set_defaults(func=cmd_knowledge)
