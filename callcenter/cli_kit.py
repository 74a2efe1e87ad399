"""What every capability's command-line sub-commands share: the configuration the command
line names, a row id as an argument, a command's declared arguments as a sub-command's
(:func:`add_arguments`, :func:`given`), and running commands through the one command layer on
the store directly (:func:`run_on_store`: the same checks and audit rows as over HTTP,
whether the engine is up or not; only the owner of the database — root: it is mode 0600 —
can open it, and the CLI acts as root)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import structlog
from pydantic_core import PydanticUndefined
from rich.console import Console

from callcenter.actors import Actor, Role, cli_actor
from callcenter.arguments import Arguments, Kind, kind_of
from callcenter.audit import AuditTrail
from callcenter.commands import Commands, Handler
from callcenter.config.loader import Config, load_config
from callcenter.errors import CallCenterError, UserError
from callcenter.paths import Paths
from callcenter.store.db import Migration, Store, StoreError, row_id

console = Console()
Show = Callable[[Commands, Actor], Awaitable[int]]
# a capability's handlers on an open store (its commands that need no live engine)
OnStore = Callable[[Store, Config], Mapping[str, Handler]]
# a capability's sub-commands: adds them to ``run.py``'s (argparse subparsers)
AddParsers = Callable[[Any], None]
# what one capability knows of the configuration directory that another's sub-commands check
# against (``units``: the units a unit user may be of); the composition root fills it
DIRECTORIES: dict[str, Callable[[Path], Collection[str]]] = {}


def known(kind: str, directory: Path) -> Collection[str] | None:
    """What :data:`DIRECTORIES` says of ``kind`` (None: no capability knows it)."""
    found = DIRECTORIES.get(kind)
    return None if found is None else found(directory)


def group(sub: Any, name: str, help_text: str) -> Any:
    """The sub-commands of ``run.py NAME …``, which several capabilities may add to (the
    ticket loop's ``ticket dispatch`` beside the tickets' ``ticket show``)."""
    groups: dict[str, Any] = sub.__dict__.setdefault("_groups", {})
    if name not in groups:
        parser = sub.add_parser(name, help=help_text)
        groups[name] = parser.add_subparsers(dest=f"{name}_action", required=True)
    return groups[name]


def config_of(args: argparse.Namespace, paths: Paths) -> Config:
    """The configuration the command line names (``--config DIR``, default ``config/``)."""
    return load_config(Path(args.config) if args.config else paths.config)


def row_id_arg(text: str) -> int:
    """A ticket or hand-off id as an argument: digits, in SQLite's range."""
    try:
        return row_id(text)
    except StoreError as exc:
        raise argparse.ArgumentTypeError(exc.message) from None


def add_arguments(parser: argparse.ArgumentParser, arguments: type[Arguments], *,
                  positional: Sequence[str] = (), skip: Sequence[str] = (),
                  choices: Mapping[str, Sequence[str]] | None = None) -> None:
    """A command's declared arguments as a sub-command's: ``positional`` ones in that order,
    the others as ``--name`` (``--to-queue`` for ``to_queue``; a flag as ``--name`` /
    ``--no-name``), each checked as the command layer checks it, its help the declaration's
    docstring, its default the declared one; ``skip``: those the sub-command gives itself."""
    declared = arguments.model_fields
    for name in (*positional, *(n for n in declared if n not in positional and n not in skip)):
        field, kind = declared[name], kind_of(declared[name])
        shown = field.description or ""
        if field.annotation is not bool and field.default not in ("", None, PydanticUndefined):
            shown += f" (default: {field.default})"  # (argparse says a flag's itself)
        options: dict[str, Any] = {"help": shown or None,
                                   "default": None if field.is_required() else field.default}
        if choices and name in choices:
            options["choices"] = list(choices[name])
        if field.annotation is bool:  # a Flag
            parser.add_argument(f"--{name.replace('_', '-')}", dest=name,
                                action=argparse.BooleanOptionalAction, **options)
            continue
        options["type"] = _checked(name, kind)
        if name in positional:
            parser.add_argument(name, nargs=None if field.is_required() else "?",
                                metavar=name.upper(), **options)
        else:
            parser.add_argument(f"--{name.replace('_', '-')}", dest=name,
                                required=field.is_required(), **options)


def _checked(name: str, kind: Kind) -> Callable[[str], object]:
    def check(text: str) -> object:
        try:
            return kind.read(name, text)
        except CallCenterError as exc:
            raise argparse.ArgumentTypeError(exc.message) from None
    return check


def given(args: argparse.Namespace, arguments: type[Arguments]) -> dict[str, Any]:
    """The command's declared arguments as the command line gave them (None: not given)."""
    return {name: getattr(args, name) for name in arguments.model_fields
            if getattr(args, name, None) is not None}


def run_on_store(config: Config, paths: Paths, on_store: OnStore, show: Show,
                 migrations: Sequence[Migration] = (), as_user: str = "") -> int:
    """``show`` with the commands ``on_store`` makes; ``migrations``: the capability's own
    tables (the store may not have met this capability's engine yet); ``as_user``: root acts
    as this user (``--as NAME``: their role's rules apply, the audit row names them). What
    the commands log goes to stderr: stdout is the answer (``ticket: 12``)."""
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(sys.stderr))

    async def main() -> int:
        store = await Store.open(paths.own(config.engine.paths.database), migrations)
        try:
            trail = AuditTrail(store)
            commands = Commands(dict(on_store(store, config)), lambda: trail,
                                lambda: datetime.now(UTC))
            actor = await actor_named(store, as_user) if as_user else cli_actor()
            return await show(commands, actor)
        finally:
            await store.close()

    return asyncio.run(main())


async def actor_named(store: Store, name: str) -> Actor:
    """The user ``name`` acting on the server's command line (a revoked one: none)."""
    async with store.db.execute("SELECT role, agent, unit FROM users WHERE name = ? AND "
                                "revoked_at IS NULL", (name,)) as cursor:
        row = await cursor.fetchone()
    if row is None:
        raise UserError(f"没有用户 {name[:40]!r}（或已停用）：--as 须是 user list 中的用户")
    return Actor(name, "cli", "", Role(row["role"]), row["agent"] or "", row["unit"] or "")
