"""The chat app in headless Chromium (Debian's package; Playwright downloads no browser).

Run ``bash scripts/install-browser.sh`` (root) to install Chromium; without it these tests skip.
Saves a screenshot of a real answer to ``docs/screenshot.png``.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.test_app import Q_INDEX, ROOT, LiveApp, shared_live_app, stop_live_app

pytestmark = pytest.mark.browser

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOT = ROOT / "docs" / "screenshot.png"
TIMEOUT_MS = 120_000


def find_chromium() -> str | None:
    if Path("/usr/bin/chromium").is_file():
        return "/usr/bin/chromium"
    return shutil.which("chromium")


@pytest.fixture(scope="session")
def chromium() -> str:
    path = find_chromium()
    if path is None:
        pytest.skip("Chromium not installed: run `bash scripts/install-browser.sh` (apt-get install chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        pytest.skip("playwright (python) not installed: pip install -e '.[test]'")
    return path


@pytest.fixture(scope="session")
def browser_app(chromium: str, tmp_path_factory: pytest.TempPathFactory):
    # Requested after `chromium`, so a missing browser skips before the index is built.
    yield shared_live_app(tmp_path_factory)
    stop_live_app()


@pytest.fixture()
def page(chromium: str, browser_app: LiveApp):
    from playwright.sync_api import sync_playwright

    blocked: list[str] = []

    def loopback_only(route) -> None:
        host = urlparse(route.request.url).hostname
        if host in ("127.0.0.1", "localhost") or route.request.url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1440, "height": 960}, locale="vi-VN")
            context.route("**/*", loopback_only)
            pg = context.new_page()
            pg.set_default_timeout(30_000)
            pg.goto(browser_app.url)
            yield pg
        finally:
            browser.close()


def test_ask_open_citation_and_upload(page, browser_app: LiveApp, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    chat = page.locator("#chat")
    expect(chat.get_by_text("Hình thức kỷ luật đối với công chức gồm những gì?")).to_be_visible()  # examples

    box = page.locator("#question textarea")
    box.fill(Q_INDEX)
    box.press("Enter")
    expect(chat).to_contain_text("81,84%", timeout=TIMEOUT_MS)
    citation = page.locator("#sources details.citation").first
    expect(citation).to_be_attached(timeout=TIMEOUT_MS)  # the panel fills when streaming ends
    expect(citation.locator("summary")).to_contain_text("[1]")

    # Open the first citation by its summary: the quoted sentence is highlighted in its paragraph.
    mark = citation.locator("mark")
    expect(mark).to_be_hidden()
    citation.locator("summary").click()
    expect(citation).to_have_attribute("open", "")
    expect(mark).to_be_visible()
    expect(mark).to_contain_text("81,84%")
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT))

    # Close it again; the [1] link in the answer opens it too.
    citation.locator("summary").click()
    expect(mark).to_be_hidden()
    link = chat.locator('a[href="#cite-1-1"]').first
    expect(link).to_have_text("[1]")
    link.click()
    expect(citation).to_have_attribute("open", "")
    expect(mark).to_be_visible()
    assert page.url.rstrip("/") == browser_app.url.rstrip("/")  # no navigation happened


    # Thumbs up under the answer is stored with the question, answer and citations.
    chat.get_by_role("button", name="Like", exact=True).first.click()
    expect(page.locator("#status")).to_contain_text("Cảm ơn phản hồi")
    with sqlite3.connect(browser_app.store / "feedback.sqlite3") as con:
        question, answer, liked = con.execute(
            "SELECT question, answer, liked FROM feedback ORDER BY rowid DESC LIMIT 1"
        ).fetchone()
    assert (question, liked) == (Q_INDEX, 1) and "81,84%" in answer

    # Upload a document through the file input and see it indexed.
    doc = tmp_path / "bao-cao-cchc-huyen-luc-nam.md"
    doc.write_text(
        "# Báo cáo số 55/BC-UBND về cải cách hành chính huyện Lục Nam\n\n"
        "Năm 2024, huyện Lục Nam tiếp nhận 4.321 hồ sơ trực tuyến toàn trình.\n",
        encoding="utf-8",
    )
    page.locator("#add-documents input[type=file]").set_input_files(str(doc))
    expect(page.locator("#upload-status")).to_contain_text("Đã thêm", timeout=TIMEOUT_MS)
    expect(page.locator("#upload-status")).to_contain_text(doc.name)
    expect(page.locator("#documents")).to_contain_text("Lục Nam")


def test_an_upload_appears_in_the_filter_of_a_page_opened_before_and_after(page, browser_app: LiveApp,
                                                                           tmp_path: Path) -> None:
    from playwright.sync_api import expect

    other = page.context.new_page()  # another user, whose page was open before the upload
    other.goto(browser_app.url)
    expect(other.locator("#documents")).to_contain_text("Luật", timeout=TIMEOUT_MS)
    doc = tmp_path / "ke-hoach-so-hoa-yen-the.md"
    doc.write_text(
        "# Kế hoạch số 66/KH-UBND về số hóa huyện Yên Thế\n\nNăm 2025, huyện Yên Thế số hóa 7.531 hồ sơ.\n",
        encoding="utf-8",
    )
    page.locator("#add-documents input[type=file]").set_input_files(str(doc))
    expect(page.locator("#upload-status")).to_contain_text("Đã thêm", timeout=TIMEOUT_MS)
    expect(other.locator("#documents")).to_contain_text("Yên Thế", timeout=30_000)  # refreshed, no reload
    later = page.context.new_page()  # a page opened after the upload
    later.goto(browser_app.url)
    expect(later.locator("#documents")).to_contain_text("Yên Thế", timeout=TIMEOUT_MS)
