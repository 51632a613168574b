"""A real browser does lesson 01's sorting exercise in JupyterLab.

Starts ``jupyter lab`` on a free localhost port (fast mode, random token, a temporary copy of
notebooks/ so autosave never touches the lessons), opens lesson 01 in Debian's Chromium
(headless, driven by Playwright with ``executable_path``; no browser download), runs all
cells (interrupting the rest once the widget shows), picks the right order in the widget's
dropdowns, presses *Check* and reads the success message from the page.
Screenshot: ``$NST_BROWSER_SHOT`` or /tmp/browser_check.png.
"""

import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
LESSON = next(iter(sorted((ROOT / "notebooks").glob("01_*.ipynb"))), None)
SHOT = Path(os.environ.get("NST_BROWSER_SHOT", "/tmp/browser_check.png"))
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


def _requirements():
    if not CHROMIUM.exists():
        pytest.skip("Chromium is not installed at /usr/bin/chromium (as root: apt-get install chromium; "
                    "`make test` does it where it can)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        pytest.skip("playwright is not installed (pip install -e '.[dev]')")
    if LESSON is None:
        pytest.skip("lesson 01 does not exist yet")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def lab(tmp_path):
    """(base url, token) of a JupyterLab serving a copy of notebooks/."""
    _requirements()
    root = tmp_path / "course"
    shutil.copytree(ROOT / "notebooks", root, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    port, token = _free_port(), secrets.token_hex(16)
    env = dict(os.environ, NST_COURSE_FAST="1", TQDM_DISABLE="1",
               JUPYTERLAB_SETTINGS_DIR=str(tmp_path / "settings"),
               JUPYTERLAB_WORKSPACES_DIR=str(tmp_path / "workspaces"),
               JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"))
    env.pop("MPLBACKEND", None)  # the kernel's inline backend, as a student has it
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}", "--ip=127.0.0.1",
           f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
           "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
           "--LabApp.extension_manager=readonly"]
    if os.geteuid() == 0:
        cmd.append("--allow-root")
    log = open(tmp_path / "lab.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("JupyterLab did not start:\n" + (tmp_path / "lab.log").read_text()[-3000:])
                time.sleep(0.5)
        yield base, token
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def test_sorting_exercise_in_jupyterlab(lab):
    from playwright.sync_api import expect, sync_playwright

    base, token = lab
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        try:
            page.goto(f"{base}/lab/tree/{LESSON.name}?token={token}")
            page.locator(".jp-Notebook .jp-Cell").first.wait_for(timeout=60_000)
            select_kernel = page.locator(".jp-Dialog").get_by_role("button", name="Select", exact=True)
            try:  # JupyterLab may ask which kernel to start
                select_kernel.click(timeout=5_000)
            except Exception:  # noqa: BLE001 - no dialog: the kernel started by itself
                pass
            expect(page.locator(".jp-Dialog")).to_have_count(0, timeout=10_000)
            expect(page.get_by_text("Python 3 (ipykernel) | Idle")).to_be_visible(timeout=60_000)
            page.get_by_role("menuitem", name="Run", exact=True).click()
            page.get_by_role("menuitem", name="Run All Cells", exact=True).click()

            check = page.locator("button.widget-button", has_text="Check")
            check.wait_for(timeout=90_000)
            # the widget is on the page: stop the later (optional) cells so Check is answered now
            page.get_by_role("menuitem", name="Kernel", exact=True).click()
            page.get_by_role("menuitem", name="Interrupt Kernel").click()
            expect(page.get_by_text("Python 3 (ipykernel) | Idle")).to_be_visible(timeout=30_000)
            widget = page.locator(".widget-vbox", has=check).last
            selects = widget.locator("select")
            expect(selects).to_have_count(5, timeout=10_000)
            for k, letter in enumerate("STYLE"):
                selects.nth(k).select_option(label=letter)
            check.click()
            feedback = widget.locator(".widget-html", has_text="Right")
            expect(feedback).to_be_visible(timeout=20_000)
            assert "S → T → Y → L → E" in feedback.inner_text()
            widget.scroll_into_view_if_needed()
        finally:
            page.screenshot(path=str(SHOT))
            browser.close()
