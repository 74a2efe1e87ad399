"""The one way the effects of a pure state machine are run (the transfer board, the monitor
board: state + event + time → new state + effects).

An effect is either *work* — AMI actions, done by the desk's ``act`` — or a *note* the desk
takes at once (a log line, a store row, a timer, the hub). The effects of an event or a timer
are run as they come: the notes at once, the work as supervised tasks, each effect's actions
in order (:meth:`EffectRunner.run`); the effects of a command are done in order before it
returns, a refused action raising where a person waits (:meth:`EffectRunner.perform`,
``required``)."""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterable
from types import UnionType
from typing import Any, Generic, TypeVar, get_args

from callcenter.tasks import TaskSet

E = TypeVar("E")


class EffectRunner(Generic[E]):
    """``work``: the effects ``act(effect, required)`` does (a union of their classes);
    ``note`` takes every other effect."""

    def __init__(self, work: UnionType | type,
                 act: Callable[[Any, bool], Coroutine[Any, Any, None]],
                 note: Callable[[E], None], tasks: TaskSet) -> None:
        self._work = get_args(work) or (work,)
        self._act = act
        self._note = note
        self._tasks = tasks

    def run(self, effects: Iterable[E]) -> None:
        """An event's or a timer's effects: notes now, work as tasks."""
        for effect in effects:
            if isinstance(effect, self._work):
                self._tasks.spawn(self._act(effect, False))
            else:
                self._note(effect)

    async def perform(self, effects: Iterable[E], *, required: bool = False) -> None:
        """A command's effects, in order, before it returns (``required``: a refused
        action raises)."""
        for effect in effects:
            if isinstance(effect, self._work):
                await self._act(effect, required)
            else:
                self._note(effect)
