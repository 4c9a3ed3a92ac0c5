"""Browser fixtures for the Studio's end-to-end tests (real Chromium driven by Playwright).

The browser is Debian's ``chromium`` (``/usr/bin/chromium``, or ``$GLASSNET_CHROMIUM``); the
Playwright browser download is never used. Without Playwright, Chromium, Starlette or uvicorn
the browser tests are skipped with the reason, unless ``GLASSNET_REQUIRE_BROWSER=1`` (CI), where
they fail instead.
"""

import importlib.util
import os
import shutil
import tempfile

import pytest

CHROMIUM = os.environ.get("GLASSNET_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 800}


def browser_missing():
    """Why the browser tests cannot run here (None when they can)."""
    for module in ("playwright", "starlette", "uvicorn"):
        if importlib.util.find_spec(module) is None:
            return f"the Python package {module!r} is not installed (pip install -e '.[dev]')"
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        return f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    return None


def require_browser():
    """Skip (or, with GLASSNET_REQUIRE_BROWSER=1, fail) when the browser stack is missing."""
    reason = browser_missing()
    if reason is None:
        return
    if os.environ.get("GLASSNET_REQUIRE_BROWSER") == "1":
        pytest.fail(f"GLASSNET_REQUIRE_BROWSER=1 but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def studio_server():
    """A real StudioServer on a free port, serving in its own thread for the whole session."""
    require_browser()
    from glassnet.studio import StudioServer

    server = StudioServer(port=0).start()
    yield server
    try:
        server.jobs.stop_current(timeout=30)
    finally:
        server.stop()


@pytest.fixture(scope="session")
def browser_context():
    """A headless Chromium with a fresh user-data-dir (removed afterwards)."""
    require_browser()
    from playwright.sync_api import sync_playwright

    profile = tempfile.mkdtemp(prefix="glassnet-studio-chromium-")
    playwright = sync_playwright().start()
    try:
        context = playwright.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
            viewport=VIEWPORT, locale="en-US")
        context.set_default_timeout(20_000)
        yield context
        context.close()
    finally:
        playwright.stop()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def page(browser_context):
    """A new tab; fails the test on any JavaScript error the page raised."""
    tab = browser_context.new_page()
    errors = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    yield tab
    tab.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


@pytest.fixture
def open_studio(page, studio_server):
    """open_studio(language="en", hash="") -> the page, loaded and ready (state fetched)."""

    def opener(language="en", hash=""):
        page.goto(f"{studio_server.url}&lang={language}{'#' + hash if hash else ''}")
        page.wait_for_selector("body[data-ready='1']")
        return page

    return opener
