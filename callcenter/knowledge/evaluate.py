"""How well the search finds the right article for queries phrased unlike the titles
(``tests/data/knowledge/*.yaml``): hits at 1 and at 3, mean reciprocal rank, the misses.

    python -m callcenter.knowledge.evaluate [FILE …] [--config DIR] [--misses]

(on a temporary store: the engine's database is not touched).
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ruamel.yaml import YAML

from callcenter.config.loader import load_config
from callcenter.knowledge.base import KnowledgeBase
from callcenter.paths import PROJECT_ROOT
from callcenter.store.db import Store

QUERIES = PROJECT_ROOT / "tests/data/knowledge/queries.yaml"


@dataclass(frozen=True, slots=True)
class Query:
    q: str
    expect: tuple[str, ...]
    hotline: str = ""


@dataclass(slots=True)
class Scores:
    queries: int = 0
    at1: int = 0
    at3: int = 0
    reciprocal: float = 0.0
    misses: list[str] = field(default_factory=list)

    @property
    def hit1(self) -> float:
        return self.at1 / self.queries if self.queries else 0.0

    @property
    def hit3(self) -> float:
        return self.at3 / self.queries if self.queries else 0.0

    @property
    def mrr(self) -> float:
        return self.reciprocal / self.queries if self.queries else 0.0


def load_queries(path: Path) -> list[Query]:
    data = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    return [Query(str(q["q"]), tuple(q["expect"]), str(q.get("hotline", "")))
            for q in data["queries"]]


async def evaluate(base: KnowledgeBase, queries: list[Query]) -> Scores:
    scores = Scores()
    for query in queries:
        found = [hit["id"] for hit in await base.search(query.q, query.hotline, limit=10)]
        rank = next((i + 1 for i, a in enumerate(found) if a in query.expect), None)
        scores.queries += 1
        scores.at1 += rank == 1
        scores.at3 += rank is not None and rank <= 3
        scores.reciprocal += 1 / rank if rank else 0.0
        if rank != 1:
            scores.misses.append(f"{query.q} → rank {rank or '-'} (want {query.expect[0]}; "
                                 f"got {', '.join(found[:3]) or 'nothing'})")
    return scores


async def scores_of(files: list[Path], config_dir: Path) -> dict[Path, Scores]:
    """Each file's scores, on a temporary store indexed from ``config_dir``."""
    base = KnowledgeBase.of(load_config(config_dir))
    with tempfile.TemporaryDirectory() as tmp:
        store = await Store.open(Path(tmp) / "knowledge.sqlite3")
        try:
            await base.open(store, refresh=False)
            await base.refresh()
            return {path: await evaluate(base, load_queries(path)) for path in files}
        finally:
            await base.close()
            await store.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("files", nargs="*", type=Path, default=[QUERIES])
    parser.add_argument("--config", type=Path, default=PROJECT_ROOT / "config")
    parser.add_argument("--misses", action="store_true", help="list every query not at 1")
    args = parser.parse_args()
    for path, s in asyncio.run(scores_of(args.files, args.config)).items():
        print(f"{path.name}: {s.queries} queries, hit@1 {s.hit1:.2f}, hit@3 {s.hit3:.2f}, "
              f"MRR {s.mrr:.2f}")
        if args.misses:
            for miss in s.misses:
                print(f"    {miss}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
