"""What the browser tests share: Chromium, screenshots, and the checks every screen must pass.

`Screens.shot` is the gate of every state: nothing pending, no output left in Gradio's error state, no English
chrome (visible text, aria-label/title/placeholder, toast titles), no horizontal overflow; then a screenshot into
test-artifacts/screens/ (not committed).
"""
from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
SCREENS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screens"
VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
JOB_TIMEOUT_MS = 180_000
UI_TIMEOUT_MS = 30_000

if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
    reason = f"Chromium is not installed at {CHROMIUM}: apt-get install -y chromium"
    print(f"SKIP browser tests: {reason}")
    pytest.skip(reason, allow_module_level=True)

from playwright.sync_api import Page, expect  # noqa: E402

# Latin text a Russian page may show: e-mail addresses, links, file types, and content marked lang="en" (the English
# prompt the model receives, on purpose) or typed by the user.
ALLOWED_LATIN = re.compile(r"[\w.+'\"<>=/-]*@[\w.-]+|https?://\S+|\b(PNG|JPEG|px)\b|\b[0-9a-f]{8}\b")
CHROME_JS = """
() => {
  const out = [];
  const skip = (el) => el.closest('[lang="en"], .td-en, .td-user-text, textarea, input');
  const visible = (el) => { const r = el.getBoundingClientRect(); const s = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none'; };
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const n = walker.currentNode, el = n.parentElement;
    if (!el || !n.nodeValue.trim() || skip(el) || ['SCRIPT', 'STYLE'].includes(el.tagName) || !visible(el)) continue;
    out.push(n.nodeValue.trim());
  }
  for (const el of document.querySelectorAll('[aria-label], [title], [placeholder], img[alt]')) {
    if (skip(el) && !['INPUT', 'TEXTAREA'].includes(el.tagName)) continue;
    for (const a of ['aria-label', 'title', 'placeholder', 'alt']) if (el.getAttribute(a)) out.push(el.getAttribute(a));
  }
  return out;
}
"""


def english_chrome(page: Page, allowed: tuple[str, ...] = ()) -> list[str]:
    """Every visible string (and accessible label) that still has an English word in it. `allowed`: user-typed
    values; a string holding one of them (even cut short) is the user's, not chrome."""
    found = []
    for text in page.evaluate(CHROME_JS):
        if any(word in text for word in allowed if len(word) > 8):
            continue
        for word in allowed:
            text = text.replace(word, "")
        text = ALLOWED_LATIN.sub("", text)
        if re.search(r"[A-Za-z]{2,}", text):
            found.append(text)
    return sorted(set(found))


class Screens:
    def __init__(self, prefix: str, allowed: tuple[str, ...] = ()):
        self.prefix, self.count, self.allowed = prefix, 0, allowed
        SCREENS.mkdir(parents=True, exist_ok=True)
        for stale in SCREENS.glob(f"{prefix}-[0-9][0-9]-*.png"):  # a previous run's numbering
            stale.unlink()

    def shot(self, page: Page, name: str, *, russian: bool = True) -> Path:
        self.count += 1
        expect(page.locator(".pending")).to_have_count(0)  # Gradio fades blocks while their event runs
        # No output left in Gradio's error state (the red «Ошибка» badge that covers a form).
        expect(page.locator(".gradio-container .error")).to_have_count(0)
        path = SCREENS / f"{self.prefix}-{self.count:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        width = page.viewport_size["width"]
        overflow = page.evaluate("document.documentElement.scrollWidth")
        assert overflow <= width + 1, f"{name}: the page is {overflow}px wide on a {width}px screen"
        if russian:
            english = english_chrome(page, self.allowed)
            assert not english, f"{name}: English on the page: {english}"
        return path


def open_tab(page: Page, title: str) -> None:
    page.get_by_role("tab", name=title, exact=True).click()


def signed_in(page: Page, yes: bool = True) -> None:
    expect(page.locator("#header-user .td-header-user")).to_have_attribute("data-signed-in", "1" if yes else "0",
                                                                          timeout=UI_TIMEOUT_MS)


def new_page(browser, viewport: str):
    context = browser.new_context(viewport=VIEWPORTS[viewport], accept_downloads=True, locale="ru-RU")
    context.set_default_timeout(UI_TIMEOUT_MS)
    return context, context.new_page()


def toast(page: Page, text: str, *, title: str | None = None) -> None:
    """A toast saying `text` shows, with a Russian title; then it is closed so it covers nothing."""
    item = page.locator(".toast-item", has_text=text).last
    expect(item).to_be_visible()
    heading = item.locator("[class*=toast-title]").first.inner_text().strip()
    assert heading and not re.search(r"[A-Za-z]", heading), f"toast title {heading!r}"
    if title:
        assert heading == title, heading
    for close in page.locator("[data-testid=toast-close]").all():
        if close.is_visible():
            close.click()
    expect(page.locator(".toast-item")).to_have_count(0)


def usable(page: Page, selector: str) -> None:
    """The element is visible, enabled and the topmost thing at its centre: nothing covers it."""
    element = page.locator(selector).first
    expect(element).to_be_visible()
    expect(element).to_be_enabled()
    element.scroll_into_view_if_needed()
    covered = element.evaluate("""el => { const r = el.getBoundingClientRect();
        const top = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
        return top && (el === top || el.contains(top)) ? '' : (top ? top.outerHTML.slice(0, 120) : 'nothing'); }""")
    assert not covered, f"{selector} is covered by {covered}"


def box(page: Page, selector: str) -> dict:
    return page.locator(selector).first.bounding_box()


def in_first_viewport(page: Page, selector: str) -> None:
    page.evaluate("window.scrollTo(0, 0)")
    rect = box(page, selector)
    height = page.viewport_size["height"]
    assert rect is not None and rect["y"] >= 0 and rect["y"] + min(rect["height"], 40) <= height, \
        f"{selector} is at y={rect and rect['y']}, outside the first {height}px"


def finished(page, selector: str) -> None:
    """The job at `selector` ends, and ends well (a failure is reported at once, not after the timeout)."""
    progress = page.locator(selector)
    expect(progress).to_have_attribute("data-status", re.compile("succeeded|failed|cancelled"),
                                       timeout=JOB_TIMEOUT_MS)
    assert progress.get_attribute("data-status") == "succeeded", progress.inner_text()


def in_view(page, selector: str) -> None:
    """Visible without scrolling where the page is now (what a person sees after the click)."""
    rect = box(page, selector)
    height = page.viewport_size["height"]
    assert rect is not None and 0 <= rect["y"] and rect["y"] + rect["height"] <= height, (selector, rect)
