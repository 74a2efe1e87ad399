"""The capabilities this engine runs, in the order they hear each event (after the decision
core). A new capability is one more line here: the engine knows none by name."""

from __future__ import annotations

from functools import partial
from typing import Protocol

from callcenter.admin import plugin as admin
from callcenter.asr import cli as speech_cli
from callcenter.asr import plugin as speech
from callcenter.capability import Capability, Context
from callcenter.cli_kit import DIRECTORIES, AddParsers
from callcenter.config.loader import Check
from callcenter.desktop import plugin as desktop
from callcenter.knowledge import cli as knowledge_cli
from callcenter.knowledge import plugin as knowledge
from callcenter.knowledge.articles import check_articles
from callcenter.outbound import cli as outbound_cli
from callcenter.outbound import plugin as outbound
from callcenter.replay import cli as replay_cli
from callcenter.reports.sections import SectionSource
from callcenter.supervision import cli as supervision_cli
from callcenter.supervision import plugin as supervision
from callcenter.ticketflow import cli as ticketflow_cli
from callcenter.ticketflow import plugin as ticketflow
from callcenter.ticketflow.files import check_loop_files, unit_ids
from callcenter.ticketflow.report import loop_sections
from callcenter.tickets import cli as tickets_cli
from callcenter.tickets import plugin as tickets
from callcenter.transfers import cli as transfers_cli
from callcenter.transfers import plugin as transfers
from callcenter.users import cli as users_cli
from callcenter.users import plugin as users
from callcenter.wallboard import plugin as wallboard


class Plugin(Protocol):
    def load(self, context: Context) -> Capability: ...


PLUGINS: tuple[Plugin, ...] = (tickets, ticketflow, speech, transfers, desktop, wallboard,
                               supervision, knowledge, users, admin, outbound)

# the capabilities' own checks of the configuration directory, with the loader's
CONFIG_CHECKS: tuple[Check, ...] = (check_articles, check_loop_files)

# the capabilities' sections of `run.py report`, after the call figures (from the store)
REPORT_SECTIONS: tuple[SectionSource, ...] = (loop_sections,)

# the capabilities' sub-commands of `run.py` (the engine's own are callcenter/cli.py's)
COMMAND_LINES: tuple[AddParsers, ...] = (
    transfers_cli.add_parsers, partial(replay_cli.add_parsers, sections=REPORT_SECTIONS),
    tickets_cli.add_parsers,
    ticketflow_cli.add_parsers,  # (after the tickets': it adds to their `ticket`)
    speech_cli.add_parsers, users_cli.add_parsers, knowledge_cli.add_parsers,
    supervision_cli.add_parsers, outbound_cli.add_parsers)
# what a capability's sub-commands check against that another capability knows
DIRECTORIES["units"] = unit_ids
