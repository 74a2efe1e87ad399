"""The hotline catalogue: numbers as callers dial them, and the prompts the catalogue implies."""

from __future__ import annotations

from dataclasses import dataclass

from callcenter.config.models import (
    Hotline,
    HotlinesConfig,
    MainLine,
    Prompt,
    Section,
)

TRANSITION_SHORT = "transition-short"


def digits_of(number: str) -> str:
    return "".join(c for c in number if c.isdigit())


def dial_forms(number: str, area_code: str) -> list[str]:
    """The digit strings that reach a number: a landline with and without its area code."""
    digits = digits_of(number)
    forms = [digits]
    if digits.startswith(area_code) and len(digits) > len(area_code) + 4:
        forms.append(digits[len(area_code):])
    return forms


def transition_prompt(hotline: Hotline) -> str:
    return f"transition-{digits_of(hotline.number)}"


def greeting_prompt(hotline: Hotline) -> str:
    return f"greeting-{digits_of(hotline.number)}"


def _fill(text: str, hotline: Hotline) -> str:
    return text.replace("{name}", hotline.name).replace("{number}", digits_of(hotline.number))


def derived_prompts(config: HotlinesConfig) -> dict[str, Prompt]:
    """Prompts declared by the catalogue itself: one transition announcement per merged
    number, one greeting per dual number, and the short post-transition prompt."""
    out: dict[str, Prompt] = {
        TRANSITION_SHORT: Prompt(text=config.defaults.merged.after_transition)}
    for hotline in config.hotlines:
        if hotline.section is Section.MERGED:
            text = hotline.announcement or config.defaults.merged.announcement
            out[transition_prompt(hotline)] = Prompt(text=_fill(text, hotline))
        elif hotline.section is Section.DUAL:
            text = hotline.greeting or config.defaults.dual.greeting
            out[greeting_prompt(hotline)] = Prompt(text=_fill(text, hotline))
    return out


Line = Hotline | MainLine


@dataclass(frozen=True, slots=True)
class Catalogue:
    config: HotlinesConfig
    by_dialed: dict[str, Line]

    @classmethod
    def build(cls, config: HotlinesConfig) -> Catalogue:
        """Index every dial form. Duplicates are a config error caught by the loader; here
        the first entry wins."""
        index: dict[str, Line] = {}
        lines: list[Line] = [config.main, *config.hotlines]
        for line in lines:
            for form in dial_forms(line.number, config.area_code):
                index.setdefault(form, line)
        return cls(config, index)

    def lookup(self, dialed: str) -> Line | None:
        return self.by_dialed.get(digits_of(dialed)) if dialed else None

    def by_number(self, number: str) -> Line | None:
        return self.lookup(number)
