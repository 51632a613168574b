"""A real browser: lesson 01 in JupyterLab, the built site and slides offline, `make lab`'s link.

Debian's Chromium (headless, driven by Playwright with ``executable_path``; no browser download).
The tests skip only where /usr/bin/chromium is absent (`make test` installs it via browser-deps).

* JupyterLab (a temporary copy of notebooks/, fast mode, random token): run all cells of lesson
  01, see the first exercise unanswered (running cells revealed nothing), pick an order and press
  *Check* (feedback about it), press *Reveal* (the only way the answer gets into the widget),
  press *Check* again and read "Right".
* The site and slides of lesson 01, executed in fast mode, opened from ``file://`` with every
  request outside their folder blocked: any such request fails the test. The arrows visit every
  slide; no element sticks out of its slide or hides content in a scroll box; no figure is taller
  than the slide; widgets use the page's font; every image has a real description; the stored
  widgets show no answer and say that they need a running notebook. (Every deck's fit at
  1280x720: tests/test_slides_fit.py.)
* `make lab`'s command prints a URL that opens lesson 00 itself.

Screenshots go to ``$NST_BROWSER_SHOTS`` (default /tmp/classroom/).
"""

import contextlib
import json
import os
import re
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
sys.path.insert(0, str(ROOT / "tools"))
LESSON = next(iter(sorted((ROOT / "notebooks").glob("01_*.ipynb"))))
SHOTS = Path(os.environ.get("NST_BROWSER_SHOTS", "/tmp/classroom"))
SHOT = SHOTS / "lab_sorting_exercise.png"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


def _requirements():
    if not CHROMIUM.exists():
        pytest.skip("Chromium is not installed at /usr/bin/chromium (as root: apt-get install chromium; "
                    "`make test` does it where it can)")
    SHOTS.mkdir(parents=True, exist_ok=True)


def _lab_command(root: Path, port: int, token: str) -> list[str]:
    """``make lab``'s JupyterLab command (``make lab`` runs ``nst-course lab``), headless, on
    ``port``, serving ``root``."""
    from nst_course.cli.course import lab_command

    dry = subprocess.run(["make", "-n", "--no-print-directory", "lab"], cwd=ROOT, capture_output=True,
                         text=True, timeout=60)
    assert dry.returncode == 0, dry.stderr
    assert any("nst-course lab" in ln for ln in dry.stdout.splitlines()), dry.stdout
    return [*lab_command(no_browser=True), f"--port={port}", "--ip=127.0.0.1",
            f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}", "--LabApp.news_url=",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]


def _stop(proc: subprocess.Popen) -> None:
    """Stop a JupyterLab server: terminate, and kill it if it has not gone in 15 s."""
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()


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
    # every cell stays in the page (no windowing), so the widget's view is the one we click
    tracker = tmp_path / "settings" / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings"
    tracker.parent.mkdir(parents=True)
    tracker.write_text('{"windowingMode": "none"}')
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
        _stop(proc)
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

            check = page.locator("button.widget-button", has_text="Check").first
            check.wait_for(timeout=90_000)
            # let Run All finish (fast mode: well under a minute), so the kernel answers clicks at once
            idle, deadline = 0, time.monotonic() + 240
            while idle < 5 and time.monotonic() < deadline:
                idle = idle + 1 if page.get_by_text("Python 3 (ipykernel) | Idle").is_visible() else 0
                page.wait_for_timeout(1000)
            assert idle >= 5, "Run All did not finish within 4 minutes"
            # the first exercise's box (has= matches any box with a Check button: take the first)
            any_check = page.locator("button.widget-button", has_text="Check")
            widget = page.locator(".widget-vbox", has=any_check).first
            check = widget.locator("button.widget-button", has_text="Check")
            selects = widget.locator("select")
            expect(selects).to_have_count(5, timeout=10_000)
            # running the cells revealed nothing: no choice made, no feedback, answers closed
            assert [selects.nth(k).input_value() for k in range(5)] == ["?"] * 5
            assert widget.locator(".widget-html", has_text=re.compile("Right|Answer")).count() == 0
            assert page.locator("details[open]").count() == 0
            # a student's pick reaches the kernel: the shown order, checked, gets an answer about it
            for k in range(5):
                selects.nth(k).select_option(index=k + 1)
            labels = [selects.nth(k).input_value() for k in range(5)]
            assert "?" not in labels and len(set(labels)) == 5
            check.click()
            said = widget.locator(".widget-html", has_text=re.compile(r"Right|Not yet: \d of 5"))
            expect(said).to_be_visible(timeout=20_000)
            # only a click on Reveal writes the answer into the widget
            widget.locator("button.widget-button", has_text="Reveal").click()
            expect(widget.locator(".widget-html", has_text="Answer")).to_be_visible(timeout=20_000)
            answer = [selects.nth(k).input_value() for k in range(5)]
            assert "?" not in answer and sorted(answer) == sorted(labels)
            check.click()
            feedback = widget.locator(".widget-html", has_text="Right")
            expect(feedback).to_be_visible(timeout=20_000)
            assert " → ".join(answer) in feedback.inner_text()
            widget.scroll_into_view_if_needed()
        finally:
            page.screenshot(path=str(SHOT))
            browser.close()


# --- the built site and slides, offline ---------------------------------------------------------

@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """{"site": page, "slides": deck} of lesson 01, executed in fast mode (about half a minute)."""
    _requirements()
    import build_site
    import slides_metadata

    if not (ROOT / "tools" / "node_modules" / "reveal.js").is_dir():
        pytest.fail("web assets missing: run `make web-assets` (npm ci --prefix tools)")
    from _executed import executed, shared_folder

    tmp = tmp_path_factory.mktemp("built")
    cache = shared_folder(tmp_path_factory)
    executed(LESSON, cache)  # once per test run, shared with test_slides_fit and test_answers_hidden
    shutil.copy2(LESSON, tmp / LESSON.name)
    slides_metadata.update(tmp)
    site = build_site.build("html", tmp / "site", [tmp / LESSON.name], fast=True, run=True, cache=cache)
    deck = build_site.build("slides", tmp / "slides", [tmp / LESSON.name], fast=True, run=True, cache=cache)
    return {"site": site[0], "slides": deck[0]}


#: true once every stored widget view of the page has been drawn (ipywidgets' embed manager
#: replaces each view's script with a ``.jupyter-widgets`` element beside it)
WIDGETS_DRAWN = """() => [...document.querySelectorAll(
  'script[type="application/vnd.jupyter.widget-view+json"]')].every(
  s => s.parentElement.querySelector('.jupyter-widgets'))"""


def _open_offline(browser, page_path: Path, width=1280, height=800):
    """(page, requests outside the folder, failed requests): a new page of ``browser`` with
    ``page_path`` loaded, its formulas typeset and its widgets drawn."""
    page = browser.new_page(viewport={"width": width, "height": height})
    folder, outside, failed = page_path.parent.resolve(), [], []

    def route(r):
        url = r.request.url
        local = Path(url[7:].split("?")[0].split("#")[0]).resolve() if url.startswith("file://") else None
        if url.startswith("data:") or (local is not None and folder in local.parents):
            return r.continue_()
        outside.append(url)
        return r.abort()

    page.route("**/*", route)
    page.on("requestfailed", lambda req: failed.append(f"{req.url} ({req.failure})"))
    page.goto(page_path.as_uri())
    page.wait_for_load_state("load")
    page.wait_for_function("() => !window.MathJax || !MathJax.Hub || MathJax.Hub.queue.running === 0 "
                           "&& MathJax.Hub.queue.pending === 0", timeout=30_000)
    page.wait_for_function(WIDGETS_DRAWN, timeout=30_000)
    return page, outside, failed


@contextlib.contextmanager
def _chromium():
    """One offline Chromium (the tests' flags) for several pages."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


@contextlib.contextmanager
def _offline_page(page_path: Path, what: str, browser=None, **size):
    """The page loaded in Chromium with every request outside its folder blocked; fails on any.
    ``browser``: open it there (a new page, closed afterwards) instead of in a Chromium of its
    own; ``size``: ``width`` and ``height`` of the window (1280 x 800)."""
    if browser is None:
        with _chromium() as own, _offline_page(page_path, what, own, **size) as page:
            yield page
        return
    page, outside, failed = _open_offline(browser, page_path, **size)
    try:
        assert not outside, f"{what} fetched from outside the folder: {outside[:3]}"
        assert not failed, f"requests failed: {failed[:3]}"
        yield page
    finally:
        page.close()


OVERFLOW_JS = """() => {
  const s = Reveal.getCurrentSlide(), box = s.getBoundingClientRect(), bad = [];
  for (const e of s.querySelectorAll('*')) {
    const r = e.getBoundingClientRect();
    if (!r.width || e.offsetWidth <= 2 || String(e.className).includes('MJX_Assistive')) continue;
    const what = `${e.tagName}.${e.className}`;
    if (r.right > box.right + 2) bad.push(`${what} sticks out ${Math.round(r.right - box.right)} px`);
    // a box that scrolls (long code) is measured by tests/test_slides_fit.py, every deck
    if (e.tagName === 'IMG' && r.height > box.height + 2) bad.push(`a figure ${Math.round(r.height)} px`);
    const cy = r.y + r.height / 2, cx = r.x + r.width / 2;
    if (e.tagName === 'SELECT' && cy > 0 && cy < innerHeight) {  // a dropdown must not be covered
      const top = document.elementFromPoint(cx, cy);
      if (top && top !== e && !e.contains(top)) bad.push(`a dropdown under ${top.tagName}.${top.className}`);
    }
  }
  return bad.slice(0, 3);
}"""


def _fonts(page) -> dict:
    return page.evaluate("""() => {
      const f = sel => { const e = document.querySelector(sel); return e && getComputedStyle(e).fontFamily; };
      return {text: f('.jp-RenderedMarkdown p'), widget: f('.jupyter-widgets .widget-html-content'),
              select: f('.jupyter-widgets select'), button: f('.jupyter-widgets button')};
    }""")


def _check_images_and_widgets(page, name):
    alts = page.eval_on_selector_all("img", "els => els.map(e => e.getAttribute('alt') || '')")
    assert alts, f"{name}: no images"
    for alt in alts:
        assert len(alt) > 8 and "No description has been provided" not in alt, f"{name}: image alt {alt!r}"
    fonts = _fonts(page)
    assert fonts["widget"] and len(set(fonts.values())) == 1, f"{name}: widget and text fonts differ: {fonts}"
    values = page.eval_on_selector_all(".nst-choice select", "els => els.map(e => e.value)")
    assert values and set(values) == {"?"}, f"{name}: stored widgets show choices {values}"
    feedback = page.locator(".nst-feedback").all_inner_texts()
    assert feedback and set(feedback) == {""}, f"{name}: stored feedback {feedback}"
    shown = page.locator("details.nst-solution[open], details[open]:not(details.nst-solution details)")
    assert shown.count() == 0, f"{name}: an answer is open"
    # without a kernel the widgets answer nothing: each says so, drawn as stored, and ignores clicks
    views = page.locator('script[type="application/vnd.jupyter.widget-view+json"]').count()
    notes = page.locator(".nst-static-widget > .nst-widget-note", has_text="running notebook")
    assert views and notes.count() == views, f"{name}: {notes.count()} of {views} widgets say they need one"
    drawn = page.locator(".nst-static-widget .jupyter-widgets").count()
    assert drawn >= views, f"{name}: {drawn} of {views} stored widgets are drawn"
    live = page.locator(".nst-static-widget :is(select, button, input):not([disabled])").count()
    assert live == 0, f"{name}: {live} controls of stored widgets look live"


def test_site_page_offline_with_answers_closed(built):
    with _offline_page(built["site"], "the site") as page:
        _check_images_and_widgets(page, "site")
        answer = page.locator("details.nst-solution").first
        assert "(conv1_1)" not in answer.inner_text()  # closed: the answer is not shown
        page.locator(".jupyter-widgets").first.scroll_into_view_if_needed()
        page.screenshot(path=str(SHOTS / "site_01_widget.png"))
        answer.locator("> summary").click()
        assert "(conv1_1)" in answer.inner_text()
        answer.scroll_into_view_if_needed()
        page.screenshot(path=str(SHOTS / "site_01_answer_opened.png"))


def test_slides_offline_linear_and_within_the_slide(built):
    with _offline_page(built["slides"], "the slides") as page:
        total = page.evaluate("Reveal.getTotalSlides()")
        # no transitions: each slide is laid out at once (the walk measured 0.9 s of animation per slide)
        page.evaluate("Reveal.configure({transition: 'none', backgroundTransition: 'none'})")
        seen, problems = [], []
        for _ in range(total + 10):
            idx = page.evaluate("JSON.stringify([Reveal.getIndices().h, Reveal.getIndices().v])")
            if idx not in seen:
                seen.append(idx)
                problems += [f"slide {idx}: {b}" for b in page.evaluate(OVERFLOW_JS)]
                page.screenshot(path=str(SHOTS / f"slides_01_{len(seen):02d}.png"))
            if page.evaluate("Reveal.isLastSlide() && !Reveal.availableFragments().next"):
                break
            page.keyboard.press("ArrowRight")
            page.wait_for_timeout(100)
        assert len(seen) == total, f"the right arrow visited {len(seen)} of {total} slides"
        assert not problems, "content beyond the slide: " + "; ".join(problems[:5])
        _check_images_and_widgets(page, "slides")
        state = page.evaluate("""() => JSON.parse(document.querySelector(
            'script[type="application/vnd.jupyter.widget-state+json"]').textContent).state""")
        stored = json.dumps(state, ensure_ascii=False)
        assert "(conv1_1)" not in stored and "Right:" not in stored


def test_make_lab_prints_a_link_that_opens_lesson_00(tmp_path):
    """The URL `make lab` prints lands on lesson 00 itself, not on the Launcher."""
    _requirements()
    from playwright.sync_api import expect, sync_playwright

    root = tmp_path / "course"  # what `make lab` opens: the working copies nst-course lab makes
    shutil.copytree(ROOT / "notebooks", root, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    port, token = _free_port(), secrets.token_hex(16)
    env = dict(os.environ, JUPYTERLAB_SETTINGS_DIR=str(tmp_path / "settings"),
               JUPYTERLAB_WORKSPACES_DIR=str(tmp_path / "workspaces"),
               JUPYTER_RUNTIME_DIR=str(tmp_path / "rt"))
    proc = subprocess.Popen(_lab_command(root, port, token), env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, cwd=root)
    try:
        url, deadline = None, time.monotonic() + 90
        while url is None and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line and proc.poll() is not None:
                break
            m = re.search(rf"(http://127\.0\.0\.1:{port}/\S+)", line)
            url = m.group(1) if m else None
        assert url, "make lab printed no URL"
        assert "/lab/tree/00_start_here.ipynb?token=" in url, url
        url = url.replace("token=...", f"token={token}")  # a token given on the command line is masked
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
            page = browser.new_page(viewport={"width": 1200, "height": 800})
            try:
                page.goto(url)
                tab = page.locator(".lm-TabBar-tab.lm-mod-current .lm-TabBar-tabLabel",
                                   has_text="00_start_here")
                expect(tab.first).to_be_visible(timeout=60_000)
                page.screenshot(path=str(SHOTS / "make_lab_opens_lesson_00.png"))
            finally:
                browser.close()
    finally:
        _stop(proc)
