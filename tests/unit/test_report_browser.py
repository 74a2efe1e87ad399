"""The HTML report opened in headless Chromium (DevTools protocol): it loads, its plots
render, nothing is written to the console as an error; a screenshot is kept."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from callcenter.reports.render import write_html
from tests.unit.test_reports import build

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


async def _devtools(url: str, out_png: Path) -> tuple[list[str], dict[str, Any]]:
    """Open ``url``; returns the console errors and the page's state (screenshot saved)."""
    shot, errors, state = await _open(url)
    await asyncio.to_thread(out_png.write_bytes, shot)
    return errors, state


async def _open(url: str) -> tuple[bytes, list[str], dict[str, Any]]:
    assert CHROMIUM is not None
    process = await asyncio.create_subprocess_exec(
        CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
        "--remote-debugging-port=0", "--window-size=1200,2000", "about:blank",
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
    errors: list[str] = []
    try:
        assert process.stderr is not None
        ws_url = ""
        while not ws_url:
            line = (await asyncio.wait_for(process.stderr.readline(), 30)).decode()
            assert line, "chromium exited before its DevTools endpoint was up"
            found = re.search(r"(ws://\S+)", line)
            ws_url = found.group(1) if found else ""
        async with aiohttp.ClientSession() as http:
            port = ws_url.split(":")[2].split("/")[0]
            async with http.get(f"http://127.0.0.1:{port}/json/list") as reply:
                page = next(t for t in await reply.json() if t["type"] == "page")
            async with http.ws_connect(page["webSocketDebuggerUrl"], max_msg_size=0) as ws:
                counter = iter(range(1, 1000))

                async def call(method: str, **params: Any) -> dict[str, Any]:
                    ident = next(counter)
                    await ws.send_json({"id": ident, "method": method, "params": params})
                    while True:
                        message = json.loads((await ws.receive()).data)
                        if message.get("id") == ident:
                            return dict(message.get("result", {}))
                        method_name = message.get("method", "")
                        p = message.get("params", {})
                        if method_name == "Runtime.exceptionThrown":
                            errors.append(str(p["exceptionDetails"].get("text")))
                        elif method_name == "Runtime.consoleAPICalled" and \
                                p.get("type") in ("error", "assert"):
                            errors.append(str(p.get("args")))
                        elif method_name == "Log.entryAdded" and \
                                p["entry"].get("level") == "error":
                            errors.append(str(p["entry"].get("text")))

                for domain in ("Page", "Runtime", "Log"):
                    await call(f"{domain}.enable")
                await call("Page.navigate", url=url)
                state: dict[str, Any] = {}
                for _ in range(100):
                    done = await call("Runtime.evaluate", returnByValue=True, expression=(
                        "({ready: document.readyState, images: document.images.length, "
                        "drawn: Array.from(document.images).filter(i => i.complete && "
                        "i.naturalWidth > 0).length, title: document.title, "
                        "tables: document.querySelectorAll('table').length})"))
                    state = done["result"]["value"]
                    if state["ready"] == "complete":
                        break
                    await asyncio.sleep(0.1)
                shot = await call("Page.captureScreenshot", format="png")
                return base64.b64decode(shot["data"]), errors, state
    finally:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()


async def test_html_report_renders_in_headless_chromium(tmp_path: Path) -> None:
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed (./dev setup installs it)")
        pytest.skip("chromium is not installed (./dev setup installs it)")
    builder = build()
    page = tmp_path / "report.html"
    write_html(builder.report, builder, page)
    errors, state = await _devtools(page.as_uri(), tmp_path / "report.png")
    assert errors == []
    assert state["title"] == "12345热线服务报表"
    assert state["images"] == state["drawn"] == 4  # every plot decoded and drawn
    assert state["tables"] >= 5
    assert (tmp_path / "report.png").stat().st_size > 20_000
