"""The admin page's static files over the real HTTP app: served before sign-in (no data in
them) under the strict CSP, no inline script, nothing outside its folder; and the routes it
reads answer the admin only (the command layer's roles)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from tests.unit.people import Door, open_door
from tests.unit.test_api import FakeEngine


@pytest.fixture
async def door(tmp_path: Path) -> AsyncIterator[Door]:
    opened = await open_door(tmp_path, FakeEngine())
    yield opened
    await opened.store.close()


async def test_the_page_and_its_assets(door: Door) -> None:
    async with TestClient(TestServer(door.app())) as client:
        page = await client.get("/admin")
        text = await page.text()
        assert page.status == 200 and "系统管理" in text
        assert "<script>" not in text and "onclick" not in text and "style=" not in text
        assert "script-src 'self'" in page.headers["Content-Security-Policy"]
        assert page.headers["X-Frame-Options"] == "DENY"
        for asset in ("/admin/assets/admin.js", "/admin/assets/admin.css",
                      "/wallboard/assets/page.js", "/assets/glossary.js"):
            assert (await client.get(asset)).status == 200, asset
        for bad in ("/admin/assets/..%2Fhttp.py", "/admin/assets/../http.py",
                    "/admin/assets/admin.html", "/admin/assets/nothing.js"):
            assert (await client.get(bad)).status == 404, bad
        for path in ("/api/users", "/api/audit", "/api/status"):
            assert (await client.get(path)).status == 401, path
            assert (await client.get(path, headers=door.auth("li"))).status == 403, path
            assert (await client.get(path, headers=door.auth("chen"))).status == 200, path
