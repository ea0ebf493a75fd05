"""The HTML report's layout in a real browser: Debian's headless Chromium, driven by selenium.

At 1280 px nothing scrolls sideways (even with every ``<details>`` opened), and the verdict in
words and the per-segment chart are above the fold. The visible-space marker is drawn by the
page (a CSS box), so it shows without any particular font. Skipped without ``chromium`` and
``chromedriver`` unless ``QG_REQUIRE_CHROMIUM=1`` (CI), which makes that a failure.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

from quality_gates.report import render
from tests.gates._report_sample import IMPACT, SUBJECT, demo_results

WIDTH, HEIGHT = 1280, 900
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    f"--window-size={WIDTH},{HEIGHT}",
)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[webdriver.Chrome]:
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if chromium is None or driver is None:
        reason = "chromium and chromium-driver not installed (Debian: apt-get install both)"
        if os.environ.get("QG_REQUIRE_CHROMIUM") == "1":
            pytest.fail(f"QG_REQUIRE_CHROMIUM=1 but {reason}")
        pytest.skip(reason)
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    # An explicit driver path: selenium never looks one up (or downloads one) by itself.
    session = webdriver.Chrome(options=options, service=Service(executable_path=driver))
    try:
        yield session
    finally:
        session.quit()


@pytest.fixture
def page(browser: webdriver.Chrome, tmp_path: Path) -> webdriver.Chrome:
    report = tmp_path / "gate.html"
    report.write_text(render(demo_results(), "html", SUBJECT), encoding="utf-8")
    browser.get(report.as_uri())
    return browser


def _top(browser: webdriver.Chrome, selector: str) -> float:
    top = browser.execute_script(
        "return document.querySelector(arguments[0]).getBoundingClientRect().top", selector
    )
    assert isinstance(top, int | float), selector
    return float(top)


def test_nothing_scrolls_sideways_at_1280_px(page: webdriver.Chrome) -> None:
    page.execute_script("document.querySelectorAll('details').forEach(d => d.open = true)")
    widths = page.execute_script(
        "const e = document.documentElement; return [e.scrollWidth, e.clientWidth, innerWidth]"
    )
    scroll, client, inner = widths
    assert inner == WIDTH
    assert scroll <= client, f"the page is {scroll} px wide in a {client} px viewport"
    # The long unbroken test id is on the page, wrapped rather than cut.
    assert "test_" + "x" * 50 in page.find_element(By.ID, "gate-tests").find_element(
        By.XPATH, ".."
    ).text.replace("\n", "")


def test_verdict_and_chart_are_above_the_fold(page: webdriver.Chrome) -> None:
    fold = page.execute_script("return innerHeight")
    verdict = page.find_element(By.ID, "verdict")
    assert f"Blocked: {IMPACT}." in verdict.text
    assert "Blocked by 3 of 5 gates: tests, incidents, replay." in verdict.text
    assert "New login code refuses every hash" in page.find_element(By.CLASS_NAME, "subject").text
    assert _top(page, "#verdict") < fold
    assert _top(page, "#headline-chart svg") < fold
    assert "login success by segment" in page.find_element(By.ID, "headline-chart").text


def test_long_lists_start_collapsed(page: webdriver.Chrome) -> None:
    first_failed = page.find_element(By.XPATH, "//li[contains(., 'number_0_of_the_login')]")
    assert not first_failed.is_displayed()
    page.find_element(By.XPATH, "//summary[. = '51 findings']").click()
    assert first_failed.is_displayed()


def test_the_space_marker_is_drawn(page: webdriver.Chrome) -> None:
    marks = page.find_elements(By.CSS_SELECTOR, "#gate-replay ~ ul .sp")
    assert len(marks) == 2
    box = marks[0].rect
    assert box["width"] > 3
    assert box["height"] > 2
    assert marks[0].value_of_css_property("border-bottom-style") == "solid"
    assert "\u2420" not in page.find_element(By.TAG_NAME, "body").text  # no glyph left to miss
