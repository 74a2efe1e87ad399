"""The desktop's Markdown renderer (markdown.js) in Chromium, on the page as the engine serves
it: headings, bold, lists and quotes become elements; whatever else an article holds stays
text — no element, no script (the page's CSP is not loosened for it)."""

from __future__ import annotations

from pathlib import Path

from aiohttp.test_utils import TestServer
from playwright.async_api import async_playwright

from tests.integration.browser import CHROMIUM
from tests.unit.people import open_door
from tests.unit.test_api import FakeEngine

HOSTILE = """> 示例条目：以下为通用要点。

## 答复要点

先**挂失**，再<img src=x onerror="window.pwned=1">补办；
补卡期间可用*电子社保卡*，见 `12333`。

- 电话挂失：拨打 12333，
  逾期自动解挂。
- **窗口**挂失 <script>window.pwned=2</script>

1. 本人身份证
2. [链接](javascript:window.pwned=3)
"""


async def test_articles_render_as_elements_and_stay_text(tmp_path: Path) -> None:
    door = await open_door(tmp_path, FakeEngine())
    server = TestServer(door.app())
    await server.start_server()
    try:
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=CHROMIUM,
                                                       args=["--no-sandbox"])
            page = await browser.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            response = await page.goto(str(server.make_url("/")))
            assert response is not None
            assert "script-src 'self'" in response.headers["content-security-policy"]
            html = await page.evaluate("""(source) => {
                const box = document.createElement("div");
                box.append(renderMarkdown(source));
                document.body.append(box);
                return box.innerHTML; }""", HOSTILE)
            pwned = await page.evaluate("() => window.pwned || 0")
            # odd bits of Markdown: no error, nothing lost or invented
            edges = await page.evaluate("""(sources) => sources.map((source) => {
                const box = document.createElement("div");
                box.append(renderMarkdown(source));
                return box.innerHTML; })""", ["", "\n\n", "**", "#", "- ", "> ", "*a"])
            await browser.close()
    finally:
        await server.close()
        await door.store.close()
    assert errors == [] and pwned == 0
    assert edges == ["", "", "<p>**</p>", "<p>#</p>", "<p>-</p>", "<blockquote></blockquote>",
                     "<p>*a</p>"]
    assert "<blockquote>示例条目：以下为通用要点。</blockquote>" in html
    assert "<h4>答复要点</h4>" in html
    # a paragraph's lines join (Chinese: without a space); bold, emphasis, code
    assert ("<p>先<strong>挂失</strong>，再&lt;img src=x onerror=\"window.pwned=1\"&gt;补办；"
            "补卡期间可用<em>电子社保卡</em>，见 <code>12333</code>。</p>") in html
    assert ("<ul><li>电话挂失：拨打 12333，逾期自动解挂。</li><li><strong>窗口</strong>挂失 "
            "&lt;script&gt;window.pwned=2&lt;/script&gt;</li></ul>") in html
    assert "<ol><li>本人身份证</li><li>[链接](javascript:window.pwned=3)</li></ol>" in html
    assert "<img" not in html and "<script" not in html and "<a" not in html

