"""What every capability's command-line sub-commands share: the configuration the command
line names, a row id as an argument, and running commands through the one command layer on
the store directly (:func:`run_on_store`: the same checks and audit rows as over HTTP,
whether the engine is up or not; only the owner of the database — root: it is mode 0600 —
can open it, and the CLI acts as root)."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console

from callcenter.actors import Actor, cli_actor
from callcenter.audit import AuditTrail
from callcenter.commands import Commands, Handler
from callcenter.config.loader import Config, load_config
from callcenter.paths import Paths
from callcenter.store.db import Migration, Store, StoreError, row_id

console = Console()
Show = Callable[[Commands, Actor], Awaitable[int]]
# a capability's handlers on an open store (its commands that need no live engine)
OnStore = Callable[[Store, Config], Mapping[str, Handler]]
# a capability's sub-commands: adds them to ``run.py``'s (argparse subparsers)
AddParsers = Callable[[Any], None]


def config_of(args: argparse.Namespace, paths: Paths) -> Config:
    """The configuration the command line names (``--config DIR``, default ``config/``)."""
    return load_config(Path(args.config) if args.config else paths.config)


def row_id_arg(text: str) -> int:
    """A ticket or hand-off id as an argument: digits, in SQLite's range."""
    try:
        return row_id(text)
    except StoreError as exc:
        raise argparse.ArgumentTypeError(exc.message) from None


def run_on_store(config: Config, paths: Paths, on_store: OnStore, show: Show,
                 migrations: Sequence[Migration] = ()) -> int:
    """``show`` with the commands ``on_store`` makes; ``migrations``: the capability's own
    tables (the store may not have met this capability's engine yet)."""

    async def main() -> int:
        store = await Store.open(paths.resolve(config.engine.paths.database), migrations)
        try:
            trail = AuditTrail(store)
            commands = Commands(dict(on_store(store, config)), lambda: trail,
                                lambda: datetime.now(UTC))
            return await show(commands, cli_actor())
        finally:
            await store.close()

    return asyncio.run(main())
