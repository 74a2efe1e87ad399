"""The scripts each page loads share one global scope: a name declared at the top of two of
them (``const``, ``let``, ``class``) stops the second script with a SyntaxError, and the page's
sign-in form then submits itself as a plain GET — with the password in the address. Seen after
a merge (the wallboard's and the desktop's shared scripts both declared ``CJK``)."""
from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2] / "callcenter"
SERVED = {"/assets/": ROOT / "desktop" / "static",
          "/wallboard/assets/": ROOT / "wallboard" / "static",
          "/admin/assets/": ROOT / "admin" / "static",
          "/loop/assets/": ROOT / "ticketflow" / "static"}
PAGES = sorted(ROOT.glob("*/static/*.html"))
TOP = re.compile(r"^(?:async\s+)?(?:const|let|var|class|function\*?)\s+([A-Za-z_$][\w$]*)", re.M)


def scripts(page: Path) -> list[Path]:
    found = []
    for src in re.findall(r'<script src="([^"]+)"', page.read_text(encoding="utf-8")):
        for prefix, folder in SERVED.items():
            if src.startswith(prefix) and "/" not in src[len(prefix):]:
                found.append(folder / src[len(prefix):])
                break
    return found


def test_the_pages_are_found() -> None:
    assert {p.name for p in PAGES} >= {"index.html", "wallboard.html", "admin.html",
                                       "phone-check.html", "unit.html", "backoffice.html",
                                       "ticket.html"}
    assert all(scripts(page) for page in PAGES)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: f"{p.parent.parent.name}/{p.name}")
def test_no_name_is_declared_twice_on_a_page(page: Path) -> None:
    names: Counter[str] = Counter()
    for script in scripts(page):
        if script.name == "glossary.js":  # generated (callcenter/glossary.py): one GLOSSARY
            continue
        assert script.is_file(), script
        names.update(TOP.findall(script.read_text(encoding="utf-8")))
    assert [name for name, count in names.items() if count > 1] == []


@pytest.mark.parametrize("page", PAGES, ids=lambda p: f"{p.parent.parent.name}/{p.name}")
def test_a_form_never_sends_a_password_in_the_address(page: Path) -> None:
    """Should a script fail, a form with a password posts (to the page, which refuses it)
    rather than putting the password in the address bar, the history and the server's log."""
    html = page.read_text(encoding="utf-8")
    for form in re.findall(r"<form[^>]*>.*?</form>", html, re.S):
        if 'type="password"' in form:
            assert re.search(r'method="post"', form.split(">", 1)[0]), form.split(">", 1)[0]
