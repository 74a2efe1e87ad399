"""The web pages' files: a page and its static assets (scripts, styles), served before
sign-in — they hold no citizen's data; everything else a page reads through the API as the
signed-in person — under one strict Content Security Policy (no inline script, not framed)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path

from aiohttp import web

PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; "
                               "connect-src 'self'; media-src 'self' blob:; img-src 'self' "
                               "data:; frame-ancestors 'none'; base-uri 'none'; "
                               "form-action 'self'",
    "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer",
}


def add_page(app: web.Application, url: str, static: Path, page: str, assets: str) -> None:
    """``url`` answers ``static/page``; ``assets/{name}`` the other files of ``static`` (only
    files directly in it: no path leaves it, and the page is not served twice)."""
    add_pages(app, static, {url: page}, assets)


def add_pages(app: web.Application, static: Path, pages: Mapping[str, str],
              assets: str) -> None:
    """Several pages (``{url: page}``) of one ``static`` folder and its assets."""
    folder = static.resolve()

    def serving(page: str) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def serve_page(_request: web.Request) -> web.StreamResponse:
            return web.FileResponse(static / page, headers=PAGE_HEADERS)

        return serve_page

    async def asset(request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        path = (static / name).resolve()
        if path.parent != folder or not path.is_file() or name in pages.values():
            raise web.HTTPNotFound()
        return web.FileResponse(path, headers=PAGE_HEADERS)

    for url, page in pages.items():
        app.router.add_get(url, serving(page))
    app.router.add_get(f"{assets}/{{name}}", asset)
