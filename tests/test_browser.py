"""A real browser (Debian's chromium, driven by Selenium and chromedriver) asks the chat a question and sees
the answer, a cited passage with its answering sentence marked, and the 'not in the documents' state."""

from __future__ import annotations

import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import ROOT, TINY_CORPUS

pytestmark = pytest.mark.slow
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
SCREENSHOTS = ROOT / "out" / "browser"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def served_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """`python app.py` on a loopback port over a copy of the tiny collection."""
    work = tmp_path_factory.mktemp("browser-app")
    shutil.copytree(TINY_CORPUS, work / "corpus")
    port = free_port()
    environ = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(work),
        "BOT_CORPUS_DIR": str(work / "corpus"),
        "BOT_INDEX_DIR": str(work / "index"),
        "BOT_RECORDS_PATH": str(work / "records.sqlite3"),
        "GRADIO_ANALYTICS_ENABLED": "False",
    }
    log = (work / "app.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "app.py", "--port", str(port)],
        cwd=ROOT,
        env=environ,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"app.py exited: {(work / 'app.log').read_text()}")
            try:
                if httpx.get(f"{url}/api/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        else:
            raise RuntimeError("app.py did not become ready in 180 s")
        yield url, work / "records.sqlite3"
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        pytest.fail(
            "Debian's chromium and chromium-driver are missing; `make browser` installs them (as root)"
        )
    os.environ.setdefault("SE_OFFLINE", "true")  # never let Selenium Manager look for a driver online
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1200,1400",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


def ask(driver, question: str) -> None:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    box = driver.find_element(By.CSS_SELECTOR, "#question textarea")
    box.clear()
    box.send_keys(question)
    box.send_keys(Keys.ENTER)


def wait_for(driver, css: str, text: str, seconds: float = 60):  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, seconds).until(
        expected_conditions.text_to_be_present_in_element((By.CSS_SELECTOR, css), text)
    )
    return driver.find_element(By.CSS_SELECTOR, css)


def test_browser_asks_and_sees_the_answer_and_a_cited_passage(served_app: str, browser) -> None:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By

    url, records = served_app
    browser.get(url + "/")
    wait_for(browser, "body", "Ask the OSH and labour-inspection documents")
    ask(browser, "What does the quillometer count? <b>bold</b>")
    answers = wait_for(browser, "#answers", "passengers")
    assert "[1]" in answers.text
    assert "<b>bold</b>" in answers.text  # the question is shown as text, not rendered
    assert not [
        element for element in browser.find_elements(By.CSS_SELECTOR, "#answers b") if element.text == "bold"
    ]
    sources = wait_for(browser, "#sources", "River ferry notes")
    marked = sources.find_elements(By.CSS_SELECTOR, "mark")
    assert marked and "passengers" in marked[0].text
    assert "Answered from the documents" in wait_for(browser, "#status", "Answered").text
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SCREENSHOTS / "answer.png"))

    browser.find_element(By.CSS_SELECTOR, "#answers button[aria-label='Like']").click()
    assert "recorded as helpful" in wait_for(browser, "#feedback-note", "recorded").text
    with sqlite3.connect(records) as db:
        rows = db.execute(
            "SELECT a.question, f.verdict FROM feedback f JOIN answers a ON a.id = f.answer_id"
        ).fetchall()
    assert rows == [("What does the quillometer count? <b>bold</b>", "helpful")]

    ask(browser, "What is the price of a ferry ticket to the moon?")
    assert "Not in the documents" in wait_for(browser, "#status", "Not in the documents").text
    browser.save_screenshot(str(SCREENSHOTS / "not-in-documents.png"))
