"""The admin page (系统管理, ``/admin``): users (list, add and reset by request and a second
admin's approval, revoke), the audit trail with filters, reload and the engine's status. Its
static files (``/admin/assets/…``) hold no citizen's data, so they are served before sign-in,
under the desktop's strict CSP; everything else the page reads through the API as the
signed-in admin (the command layer checks the role)."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from callcenter.web.pages import add_page

STATIC = Path(__file__).parent / "static"
PAGE = "admin.html"


def add_routes(app: web.Application) -> None:
    add_page(app, "/admin", STATIC, PAGE, "/admin/assets")
