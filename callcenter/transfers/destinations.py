"""Where an agent may transfer a call: the sub-centers and the dual hotlines' expert queues
named in ``config/hotlines.yaml`` (by number, by name, or by queue). Pure."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from callcenter.config.catalogue import digits_of
from callcenter.config.models import HotlinesConfig, Section
from callcenter.errors import TransferError


class DestinationKind(StrEnum):
    SUBCENTER = "subcenter"  # 分中心: a national line's own seats, dialed
    QUEUE = "queue"  # a dual hotline's (expert) seats inside 12345


@dataclass(frozen=True, slots=True)
class Destination:
    number: str  # the hotline number, as in the catalogue
    name: str
    units: str
    kind: DestinationKind
    target: str  # an Asterisk dial string (sub-center) or a queue name
    answer_timeout_s: int
    experts: bool = False

    def as_dict(self) -> dict[str, object]:
        return {"number": self.number, "name": self.name, "units": self.units,
                "kind": self.kind.value, "target": self.target,
                "answer_timeout_s": self.answer_timeout_s, "experts": self.experts}


def destinations(hotlines: HotlinesConfig) -> list[Destination]:
    """Every transfer destination of the catalogue, sub-centers first."""
    default_timeout = hotlines.defaults.subcenter.answer_timeout_s
    found: list[Destination] = []
    for line in hotlines.hotlines:
        timeout = round(line.answer_timeout_s or default_timeout)
        units = "、".join(line.units)
        if line.section is Section.SUBCENTER and line.destination is not None:
            d = line.destination
            target = f"PJSIP/{d.endpoint}" if d.endpoint is not None else d.dial or ""
            found.append(Destination(line.number, line.name, units, DestinationKind.SUBCENTER,
                                     target, timeout))
        elif line.section is Section.DUAL and line.queue is not None:
            found.append(Destination(line.number, line.name, units, DestinationKind.QUEUE,
                                     line.queue, timeout, experts=line.experts))
    found.sort(key=lambda d: d.kind is not DestinationKind.SUBCENTER)
    return found


def resolve(hotlines: HotlinesConfig, wanted: str) -> Destination:
    """The destination an agent named: a number (12366, 0931-… with or without area code),
    a queue (q12333) or the hotline's name."""
    text = wanted.strip()
    if not text:
        raise TransferError("请选择转接目标：分中心或专家座席的号码")
    digits = digits_of(text)
    area = digits_of(hotlines.area_code)
    for destination in destinations(hotlines):
        number = digits_of(destination.number)
        if digits and (digits in (number, area + number)
                       or (number.startswith(area) and digits == number[len(area):])):
            return destination
        if text in (destination.target, destination.name):
            return destination
    known = "、".join(f"{d.number} {d.name}" for d in destinations(hotlines))
    merged = next((h for h in hotlines.hotlines if digits and digits_of(h.number) == digits),
                  None)
    if merged is not None:
        raise TransferError(f"{merged.number} {merged.name} 已整体并入 12345，没有自己的座席可转："
                            f"请从以下目标中选择：{known}")
    raise TransferError(f"没有转接目标 {wanted!r}：请从以下目标中选择：{known}")
