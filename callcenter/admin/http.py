"""The admin page (系统管理, ``/admin``): users (list, add and reset by request and a second
admin's approval, revoke), the audit trail with filters, reload and the engine's status. Its
static files (``/admin/assets/…``) hold no citizen's data, so they are served before sign-in,
under the desktop's strict CSP; everything else the page reads through the API as the
signed-in admin (the command layer checks the role)."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from callcenter.desktop.http import PAGE_HEADERS

STATIC = Path(__file__).parent / "static"
PAGE = "admin.html"


def add_routes(app: web.Application) -> None:
    async def page(_request: web.Request) -> web.StreamResponse:
        return web.FileResponse(STATIC / PAGE, headers=PAGE_HEADERS)

    async def asset(request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        path = (STATIC / name).resolve()
        if path.parent != STATIC.resolve() or not path.is_file() or name == PAGE:
            raise web.HTTPNotFound()
        return web.FileResponse(path, headers=PAGE_HEADERS)

    app.router.add_get("/admin", page)
    app.router.add_get("/admin/assets/{name}", asset)
