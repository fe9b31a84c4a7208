"""End to end in a real browser: `cxradar dashboard` driven by headless Chromium via Selenium.

Needs Debian's chromium and chromium-driver (/usr/bin/chromium, /usr/bin/chromedriver);
skipped with the reason when they are missing. Nothing is downloaded: the driver path is
given, so Selenium Manager never runs. A screenshot of every page goes to a temporary
folder, or to $CXRADAR_SCREENSHOTS (e.g. docs/screenshots) when set. With
$CXRADAR_BROWSER_DATABASE the test runs on that database (e.g. the demo's) instead of
seed.py's, leaving out the checks that count seed.py's rows.

The password gate's tests each start a fresh server with CXRADAR_DASHBOARD_PASSWORD set:
what a server shows before anyone opened its front page is what a deep link in a chat
alert meets after every deploy or restart.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

from cxradar.db import migrate
from tests.dashboard.seed import ISOLATED_TEXT, SCRIPT_TEXT, seed
from tests.dashboard.seed_channels import add_channel_data

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
REPO = Path(__file__).resolve().parents[2]
WAIT_SECONDS = 60
MAX_SCREENSHOT_BYTES = 400_000
PASSWORD_ENV = "CXRADAR_DASHBOARD_PASSWORD"
PASSWORD = "correct horse battery"
LOGIN_TITLES = ("cxradar: sign in", "cxradar: Anmelden")  # ?ui=de asks in German
PAGES = {  # URL path -> (title, screenshot name)
    "": ("Overview", "overview"),
    "issues": ("Issues", "issues"),
    "channels": ("Channels compared", "channels"),
    "topics": ("Topics", "topics"),
    "mentions": ("Mentions explorer", "mentions"),
    "review": ("Review queue", "review-queue"),
    "alerts": ("Alert history", "alerts"),
    "sources": ("Sources", "sources"),
}

pytestmark = [
    pytest.mark.skipif(
        not (CHROMIUM.exists() and CHROMEDRIVER.exists()),
        reason="needs Debian's chromium and chromium-driver "
        "(apt-get install -y chromium chromium-driver)",
    ),
]
webdriver = pytest.importorskip("selenium.webdriver", reason="needs selenium (dev extra)")
from selenium.common.exceptions import (  # noqa: E402
    StaleElementReferenceException,
    TimeoutException,
)
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support import expected_conditions  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_healthy(base: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the dashboard exited with {server.returncode}")
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as answer:
                if answer.read().strip() == b"ok":
                    return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"the dashboard did not answer at {base} within {WAIT_SECONDS} s")


def dashboard_command(url: str, port: int) -> list[str]:
    """`cxradar dashboard` from the venv (the console script), else the same via Python."""
    script = Path(sys.executable).with_name("cxradar")
    launcher = [str(script)] if script.exists() else [sys.executable, "-m", "cxradar.cli"]
    return [*launcher, "--database", url, "dashboard", "--host", "127.0.0.1", "--port", str(port)]


@pytest.fixture(scope="module")
def database(tmp_path_factory) -> tuple[str, bool]:
    """(URL, whether it holds seed.py's rows)."""
    given = os.environ.get("CXRADAR_BROWSER_DATABASE")
    if given:
        return given, False
    url = f"sqlite:///{tmp_path_factory.mktemp('browser') / 'cxradar.db'}"
    migrate(url)
    seed(url)
    add_channel_data(url)  # survey answers and app versions: the Channels compared page
    return url, True


@contextmanager
def running_dashboard(url: str, log_folder: Path, password: str | None = None):
    """A freshly started `cxradar dashboard` on a free port; yields its base URL."""
    port = free_port()
    log = (log_folder / "streamlit.log").open("w")
    env = {**os.environ, "CXRADAR_DATABASE_URL": url, "STREAMLIT_SERVER_FILE_WATCHER_TYPE": "none"}
    env.pop(PASSWORD_ENV, None)
    if password:
        env[PASSWORD_ENV] = password
    server = subprocess.Popen(
        dashboard_command(url, port), cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(base, server)
        yield base
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


@pytest.fixture(scope="module")
def dashboard(database, tmp_path_factory):
    with running_dashboard(database[0], tmp_path_factory.mktemp("dashboard-log")) as base:
        yield base


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--window-size=1440,1100",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
    ):
        options.add_argument(flag)
    # The network log shows which /media/ URL a download fetched (see the sign-out test).
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    service = webdriver.ChromeService(executable_path=str(CHROMEDRIVER))  # no Selenium Manager
    driver = webdriver.Chrome(options=options, service=service)
    driver.set_page_load_timeout(WAIT_SECONDS)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory) -> Path:
    folder = os.environ.get("CXRADAR_SCREENSHOTS")
    path = (REPO / folder) if folder else tmp_path_factory.mktemp("screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path


# --- helpers --------------------------------------------------------------------------------------


def settled(driver, title: str) -> None:
    """Wait for the page's title and for Streamlit to finish running the script."""
    wait = WebDriverWait(driver, WAIT_SECONDS)
    wait.until(expected_conditions.text_to_be_present_in_element((By.TAG_NAME, "h1"), title))
    wait.until(lambda d: not d.find_elements(By.CSS_SELECTOR, '[data-testid="stStatusWidget"]'))
    time.sleep(1)  # charts draw after the script ends


def no_exception(driver) -> None:
    boxes = driver.find_elements(By.CSS_SELECTOR, '[data-testid="stException"]')
    assert not boxes, boxes[0].text


def save_screenshot(driver, folder: Path, name: str) -> Path:
    path = folder / f"{name}.png"
    driver.save_screenshot(str(path))
    if path.stat().st_size > MAX_SCREENSHOT_BYTES:
        shrink(path)
    return path


def shrink(path: Path) -> None:
    """Fewer colours (a palette PNG) keep a screenshot small enough for the README."""
    from PIL import Image

    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colors=128, method=Image.Quantize.MEDIANCUT)
    small.save(path, optimize=True)


def open_page(driver, base: str, path: str, query: str = "") -> None:
    driver.get(f"{base}/{path}{query}")
    settled(driver, PAGES[path][0])
    no_exception(driver)


def texts(driver, selector: str) -> list[str]:
    """The texts of the matching elements ([] while Streamlit is swapping them out)."""
    try:
        return [element.text for element in driver.find_elements(By.CSS_SELECTOR, selector)]
    except StaleElementReferenceException:
        return []


# --- the test -------------------------------------------------------------------------------------


def test_every_page_renders_without_errors_and_is_photographed(dashboard, browser, screenshots):
    for path, (_, name) in PAGES.items():
        open_page(browser, dashboard, path)
        assert not browser.execute_script(CLIPPED), path  # no metric cut off ("🟢 Is…")
        shot = save_screenshot(browser, screenshots, name)
        assert 0 < shot.stat().st_size <= MAX_SCREENSHOT_BYTES


def test_a_shared_filter_url_narrows_the_numbers(dashboard, browser, database):
    open_page(browser, dashboard, "", "?source=reddit")
    values = texts(browser, '[data-testid="stMetricValue"]')
    if database[1]:
        assert values[0] == "25"  # seed.py: reddit's October mentions
    assert "reddit" in texts(browser, '[data-testid="stMultiSelect"]')[0]


def test_the_overview_links_to_all_issues(dashboard, browser):
    open_page(browser, dashboard, "")
    link = browser.find_element(By.CSS_SELECTOR, '[data-testid="stPageLink"] a')
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", link)
    link.click()
    settled(browser, "Issues")
    no_exception(browser)
    headings = texts(browser, "h3")
    assert any("Systemic" in heading for heading in headings)


def test_an_alerts_link_opens_its_issue(dashboard, browser, database):
    from sqlalchemy import select

    from cxradar.db import session_scope
    from cxradar.intelligence.alerts import issue_link
    from cxradar.schema import Issue

    with session_scope(database[0]) as session:  # not the issue the page shows first
        issue_id = session.scalars(select(Issue.id).order_by(Issue.id.desc())).first()
    browser.get(issue_link(dashboard, issue_id))
    settled(browser, "Issues")
    no_exception(browser)

    def chosen(driver) -> list[str]:  # the drill-down picker's value
        return [
            box.get_attribute("value")
            for box in driver.find_elements(By.CSS_SELECTOR, '[data-testid="stSelectbox"] input')
        ]

    try:
        WebDriverWait(browser, WAIT_SECONDS).until(
            lambda d: any(value.startswith(f"#{issue_id} ") for value in chosen(d))
        )
    except TimeoutException:  # pragma: no cover - the message says what is on the page
        pytest.fail(f"issue #{issue_id} not chosen: {chosen(browser)}")


def test_channels_compared_shows_the_nps_dip_beside_tickets_and_ratings(
    dashboard, browser, database, screenshots
):
    open_page(browser, dashboard, "channels")
    labels = texts(browser, '[data-testid="stMetricLabel"]')
    values = dict(zip(labels, texts(browser, '[data-testid="stMetricValue"]'), strict=True))
    assert "NPS" in values and "Support tickets" in values
    assert browser.find_elements(By.CSS_SELECTOR, '[data-testid="stPlotlyChart"]')
    if database[1]:  # seed_channels.py: NPS +22.5 in October, -25 in the week of 19 Oct
        assert values["NPS"] == "+22.5" and values["Lowest weekly NPS"] == "−25.0"
        captions = texts(browser, '[data-testid="stCaptionContainer"]')
        assert any("week of 19 Oct, 12 answers" in text for text in captions)
        # the chart draws the dip: the NPS line's lowest point is the week of 19 Oct
        lowest = browser.execute_script(
            "const chart = document.querySelector("
            "'[data-testid=\"stPlotlyChart\"] .js-plotly-plot');"
            "const nps = chart.data[0]; const ys = nps.y.filter(v => v !== null);"
            "return [Math.min(...ys), String(nps.x[nps.y.indexOf(Math.min(...ys))])];"
        )
        assert lowest[0] == -25 and lowest[1].startswith("2026-10-22")  # mid-week point
    chart = browser.find_element(By.CSS_SELECTOR, '[data-testid="stPlotlyChart"]')
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", chart)
    time.sleep(0.5)
    shot = screenshots / "channels-chart.png"  # the README's picture: the chart alone
    chart.screenshot(str(shot))
    if shot.stat().st_size > MAX_SCREENSHOT_BYTES:
        shrink(shot)
    assert 0 < shot.stat().st_size <= MAX_SCREENSHOT_BYTES


def test_saving_a_verdict_in_the_review_queue(dashboard, browser, database):
    if not database[1]:
        pytest.skip("writes a verdict: only on seed.py's throwaway database")
    open_page(browser, dashboard, "review")
    save = browser.find_element(By.CSS_SELECTOR, '[data-testid="stBaseButton-primary"]')
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", save)
    save.click()
    try:
        WebDriverWait(browser, WAIT_SECONDS).until(
            lambda d: any("Saved #" in text for text in texts(d, '[data-testid="stAlert"]'))
        )
    except TimeoutException:  # pragma: no cover - the message says what is on the page
        pytest.fail("no confirmation: " + " | ".join(texts(browser, '[data-testid="stAlert"]')))
    no_exception(browser)
    captions = texts(browser, '[data-testid="stCaptionContainer"]')
    assert any("1 reviewed" in text for text in captions)


def test_chromium_is_the_systems(browser):
    """The browser used is Debian's, not one fetched by Selenium Manager."""
    assert shutil.which("chromium") == str(CHROMIUM)
    assert browser.capabilities["browserName"] in ("chrome", "chrome-headless-shell")


# --- the first load after a start, and nothing cut off ----------------------------------------

# Runs in every new document before the page's own scripts: records each list of page names
# the sidebar shows, so a listing that is replaced a moment later is caught too.
WATCH_NAVIGATION = """
window.cxNavigation = [];
new MutationObserver(() => {
  const links = document.querySelectorAll('[data-testid="stSidebarNav"] a');
  const names = Array.from(links, (link) => link.innerText.split("\\n").pop());
  const last = window.cxNavigation[window.cxNavigation.length - 1];
  if (names.length && JSON.stringify(names) !== JSON.stringify(last)) {
    window.cxNavigation.push(names);
  }
}).observe(document, {childList: true, subtree: true, characterData: true});
"""
# Text Streamlit cuts off with an ellipsis when it does not fit: metric values, badges.
CLIPPED = """
return Array.from(
  document.querySelectorAll('[data-testid="stMetricValue"] div, .stMarkdownBadge'),
).filter((e) => e.getClientRects().length && e.scrollWidth > e.clientWidth)
 .map((e) => e.innerText);
"""
VISIBLE_BADGES = """
return Array.from(document.querySelectorAll(".stMarkdownBadge"))
  .filter((e) => e.getClientRects().length).map((e) => e.innerText);
"""


def navigation_shown(driver, url: str) -> list[list[str]]:
    """Every list of page names the sidebar showed while `url` loaded, in order."""
    watch = driver.execute_cdp_cmd(
        "Page.addScriptToEvaluateOnNewDocument", {"source": WATCH_NAVIGATION}
    )
    try:
        driver.get(url)
        script_finished(driver)
        time.sleep(1)  # anything the page would still change
        return driver.execute_script("return window.cxNavigation")
    finally:
        driver.execute_cdp_cmd(
            "Page.removeScriptToEvaluateOnNewDocument", {"identifier": watch["identifier"]}
        )


@pytest.mark.parametrize("language", ["en", "de"])
def test_the_first_load_after_a_start_lists_the_pages_by_name(
    database, browser, tmp_path, language
):
    """Never raw file names (`app, alerts, issues…`), not even for a moment on the first visit."""
    with running_dashboard(database[0], tmp_path) as base:
        shown = navigation_shown(browser, f"{base}/?ui={language}")
    assert shown == [NAVIGATION[language]]


@pytest.mark.parametrize("language", ["en", "de"])
def test_the_issue_type_and_numbers_are_shown_in_full(dashboard, browser, database, language):
    browser.get(f"{dashboard}/issues?ui={language}")
    settled(browser, NAVIGATION[language][1])
    no_exception(browser)
    assert not browser.execute_script(CLIPPED)  # once "🟢 Is…" in the drill-down
    badges = browser.execute_script(VISIBLE_BADGES)
    assert len(badges) == 1  # the drill-down's issue type
    if database[1]:
        assert badges == [{"en": "🔴 Systemic", "de": "🔴 Systemisch"}[language]]


# --- the password gate, from the first request after a start --------------------------------

# What no one may see before the password: seed.py's posts, sources and issue labels.
SEED_MARKERS = (ISOLATED_TEXT, SCRIPT_TEXT, "reddit", "appstore", "card sent to old address")
WRONG_PASSWORD = {"en": "Wrong password.", "de": "Falsches Passwort."}
NAVIGATION = {
    "en": [
        "Overview",
        "Issues",
        "Channels compared",
        "Topics",
        "Mentions",
        "Review queue",
        "Alerts",
        "Sources",
    ],
    "de": [
        "Überblick",
        "Probleme",
        "Kanäle im Vergleich",
        "Themen",
        "Erwähnungen",
        "Zur Prüfung",
        "Alarme",
        "Quellen",
    ],
}


@pytest.fixture(scope="module")
def gate_database(tmp_path_factory) -> tuple[str, dict[str, int]]:
    """seed.py's database (its URL and issue ids), for servers started with a password."""
    url = f"sqlite:///{tmp_path_factory.mktemp('gate') / 'cxradar.db'}"
    migrate(url)
    return url, seed(url)


@pytest.fixture
def gated(gate_database, tmp_path):
    """A freshly started dashboard with CXRADAR_DASHBOARD_PASSWORD set: nobody has opened it."""
    with running_dashboard(gate_database[0], tmp_path, password=PASSWORD) as base:
        yield base


def script_finished(driver) -> None:
    """Wait until a page has a heading and Streamlit has finished running the script."""
    wait = WebDriverWait(driver, WAIT_SECONDS)
    wait.until(lambda d: texts(d, "h1"))
    wait.until(lambda d: not d.find_elements(By.CSS_SELECTOR, '[data-testid="stStatusWidget"]'))
    time.sleep(0.5)


def only_the_login_form(driver, where: str) -> None:
    script_finished(driver)
    no_exception(driver)
    headings = texts(driver, "h1")
    assert len(headings) == 1 and headings[0] in LOGIN_TITLES, f"{where}: {headings}, no login"
    for shown in ("stSidebarNav", "stDataFrame", "stMetric", "stPlotlyChart", "stMultiSelect"):
        elements = driver.find_elements(By.CSS_SELECTOR, f'[data-testid="{shown}"]')
        assert not elements, f"{where}: {shown} shown before the password"
    body = driver.find_element(By.TAG_NAME, "body").text
    assert not [marker for marker in SEED_MARKERS if marker in body], where


def give_password(driver, password: str) -> None:
    field = driver.find_element(By.CSS_SELECTOR, 'input[type="password"]')
    field.send_keys(Keys.CONTROL, "a")
    field.send_keys(password)
    time.sleep(0.3)  # Streamlit takes the value on its next frame
    driver.find_element(By.CSS_SELECTOR, '[data-testid="stFormSubmitButton"] button').click()


def navigation_names(driver) -> list[str]:
    links = driver.find_elements(By.CSS_SELECTOR, '[data-testid="stSidebarNav"] a')
    return [link.text.splitlines()[-1] for link in links]  # the icon's name comes first


def media_urls(driver) -> list[str]:
    """The /media/ URLs the browser fetched, from Chromium's network log."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            url = message["params"]["request"]["url"]
            if "/media/" in url:
                urls.append(url)
    return urls


def status_of(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code


def test_before_the_password_every_url_shows_only_the_login_form(gated, browser, gate_database):
    """Each page's URL, with and without a query string, as the first requests after start."""
    # The endpoints a stranger can reach without a browser session give away no data.
    assert status_of(f"{gated}/_stcore/health") == 200
    for path in ("_stcore/host-config", "_stcore/metrics", "app/static/cxradar.db", "mentions"):
        with urllib.request.urlopen(f"{gated}/{path}", timeout=5) as answer:
            body = answer.read().decode("utf-8", "replace")
        assert not [marker for marker in SEED_MARKERS if marker in body], path
    assert status_of(f"{gated}/media/{'0' * 56}.csv") == 404

    query = f"?issue={gate_database[1]['isolated']}&source=reddit&ui=de"
    for path in [*[p for p in PAGES if p], ""]:  # the front page last: it once closed the hole
        for suffix in ("", query):
            browser.get(f"{gated}/{path}{suffix}")  # a new browser session each time
            only_the_login_form(browser, f"/{path}{suffix}")


DEEP_LINKS = {  # id -> (path, query, title after the password, language)
    "page with a filter": ("mentions", "?source=reddit", "Mentions explorer", "en"),
    "alert link to an issue": ("", "?issue={isolated}", "Issues", "en"),
    "issue page in German": ("issues", "?issue={isolated}&ui=de", "Probleme", "de"),
}


@pytest.mark.parametrize("link", DEEP_LINKS)
def test_a_deep_link_opens_after_the_password(gated, browser, gate_database, tmp_path, link):
    path, query, title, language = DEEP_LINKS[link]
    isolated = gate_database[1]["isolated"]
    query = query.format(isolated=isolated)
    browser.get(f"{gated}/{path}{query}")
    only_the_login_form(browser, link)

    give_password(browser, "wrong " + PASSWORD)
    WebDriverWait(browser, WAIT_SECONDS).until(
        lambda d: WRONG_PASSWORD[language] in texts(d, '[data-testid="stAlert"]')
    )
    only_the_login_form(browser, f"{link}, wrong password")

    give_password(browser, PASSWORD)
    settled(browser, title)
    no_exception(browser)
    assert navigation_names(browser) == NAVIGATION[language]  # translated from the start
    if path == "mentions":
        assert "reddit" in texts(browser, '[data-testid="stMultiSelect"]')[0]
        assert any("25 mentions match" in text for text in texts(browser, "p"))
        download_then_sign_out(browser, tmp_path)
    else:
        picked = browser.find_element(By.CSS_SELECTOR, '[data-testid="stSelectbox"] input')
        assert picked.get_attribute("value").startswith(f"#{isolated} ")  # the linked issue


def download_then_sign_out(driver, folder: Path) -> None:
    """A download's /media/ URL answers anyone who has it, until the session signs out."""
    driver.execute_cdp_cmd(
        "Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(folder)}
    )
    driver.get_log("performance")  # forget what the pages fetched so far
    button = driver.find_element(By.CSS_SELECTOR, '[data-testid="stDownloadButton"] button')
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", button)
    button.click()
    WebDriverWait(driver, WAIT_SECONDS).until(lambda d: list(folder.glob("*.csv")))
    downloaded = list(folder.glob("*.csv"))[0].read_text(encoding="utf-8-sig")
    assert "reddit" in downloaded
    [url] = set(media_urls(driver))
    assert status_of(url) == 200  # no session, no cookie: only the URL

    [sign_out] = [
        button
        for button in driver.find_elements(By.CSS_SELECTOR, '[data-testid="stSidebar"] button')
        if button.text == "Sign out"
    ]
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", sign_out)
    sign_out.click()
    only_the_login_form(driver, "after signing out")
    assert status_of(url) == 404
