"""Browser fixtures: Playwright driving Debian's chromium against the live server.

Every page a test opens is watched: a console error, an uncaught script error or a
Content-Security-Policy violation fails the test, so the pages are proven to work under the policy
they are served with. Tests that expect an error page (a 404 on purpose) list the messages they
accept with `browser_errors.allow("...")`.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass, field

import pytest

# Playwright's sync API runs an event loop in the test thread; the ORM calls that tests make
# around it are ordinary synchronous calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

# Reported through the page itself: Chromium also logs CSP violations to the console, but an
# event listener gives the directive and the blocked address in one line.
WATCH_CSP = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI || "inline"}`);
});
"""


@dataclass
class BrowserErrors:
    """Console errors, page errors and CSP violations seen during one test."""

    seen: list[str] = field(default_factory=list)
    allowed: list[re.Pattern] = field(default_factory=list)

    def allow(self, pattern: str) -> None:
        self.allowed.append(re.compile(pattern))

    def record(self, message: str) -> None:
        self.seen.append(message)

    def unexpected(self) -> list[str]:
        return [m for m in self.seen if not any(p.search(m) for p in self.allowed)]


# How long an action or an expectation waits for the page: a loaded machine (a suite running
# beside other work) can take seconds to answer a form; a test that fails still fails, later.
WAIT_MS = 10_000


@pytest.fixture(scope="session")
def _playwright():
    if not os.path.exists(CHROMIUM):
        pytest.skip("chromium is not installed (make test installs it)")
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=WAIT_MS)  # Playwright's own is 5 s, half the pages' actions

    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(_playwright):
    browser = _playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
    yield browser
    browser.close()


@pytest.fixture
def browser_errors():
    return BrowserErrors()


@pytest.fixture
def new_page(browser, live_server, browser_errors, settings):
    """Opens pages in fresh browser contexts (separate cookie jars), all watched for errors.

    `new_page()` gives a page whose relative URLs go to the live server; call it twice for two
    people (a creator and a student) at once.
    """
    # Links and emails are built from SITE_URL; point it at the live server.
    settings.SITE_URL = live_server.url
    contexts = []

    def open_page():
        context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
        context.set_default_timeout(WAIT_MS)
        context.add_init_script(WATCH_CSP)
        contexts.append(context)
        page = context.new_page()
        page.on(
            "console",
            lambda msg: msg.type == "error" and browser_errors.record(f"console: {msg.text} ({page.url})"),
        )
        page.on("pageerror", lambda error: browser_errors.record(f"page error: {error} ({page.url})"))
        return page

    yield open_page
    for context in contexts:
        context.close()
    problems = browser_errors.unexpected()
    assert problems == [], "the browser reported errors:\n" + "\n".join(problems)


@pytest.fixture
def page(new_page):
    return new_page()


@pytest.fixture
def browser_creator(transactional_db):
    from tests.factories import make_creator

    return make_creator(email="maya@example.com", display_name="Maya Studio")


def creator_sign_in(page, email: str, password: str) -> None:
    """Signs in through the sign-in form, as a person would."""
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/desk/"))


@pytest.fixture
def creator_page(page, browser_creator):
    """A browser page signed in as the creator (through the sign-in form)."""
    from tests.factories import TEST_PASSWORD

    creator_sign_in(page, browser_creator.email, TEST_PASSWORD)
    return page


@pytest.fixture
def demo_data(transactional_db):
    """The demo seed: one creator, three courses and about 60 customers in every state."""
    from coursedesk.usecases.demo import seed_demo

    creator, _ = seed_demo()
    return creator
