"""Every command the engine registers declares its arguments, and the README's table of
commands is the one written from those declarations and the permissions."""

from __future__ import annotations

from callcenter import api_doc, permissions
from callcenter.arguments import Arguments


def test_every_registered_command_declares_its_arguments() -> None:
    declared = api_doc.declarations()
    assert len(declared) >= 49
    for name, (arguments, rule) in declared.items():
        assert issubclass(arguments, Arguments) and arguments is not Arguments, name
        # and its roles, declared with it or in the table (root only otherwise)
        assert name in permissions.RULES or rule.roles, name


def test_the_readme_table_is_written_from_the_declarations() -> None:
    readme = api_doc.README.read_text(encoding="utf-8")
    assert api_doc.written(readme, api_doc.table()) == readme, (
        "README.md's table of commands is out of date: python -m callcenter.api_doc --write")
