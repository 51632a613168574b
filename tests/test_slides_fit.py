"""Every slide of every deck fits a 1280x720 screen, in real Chromium, offline.

The decks of all lessons are built once (fast mode, as `make slides FAST=1`, from the lessons
executed once per test run: tests/_executed.py) and each slide is measured where the presenter
sees it:

* nothing is taller than the slide unless the slide scrolls, says "more below" and Space/Down
  scroll it to its end before the next slide comes (a presenter reaches the bottom by keyboard);
* few slides need that scroll (the tooling cuts long cells into sub-slides instead);
* nothing sticks out to the right except inside a box that scrolls sideways;
* code is never wrapped: each source line is one line on the slide, with its indentation;
* a dropdown is wide enough for its longest option; a stored widget says it needs a notebook.

Shares the Chromium set-up (offline page, blocked requests) of tests/test_browser.py.
"""

import shutil

import pytest
from _executed import executed, shared_folder
from test_browser import LESSON, ROOT, SHOTS, _chromium, _offline_page, _requirements

MAX_SCROLLING = 0.10  # share of slides that may still need to scroll

#: every slide, visited without transitions: what does not fit, and which slides scroll
FIT_JS = """() => {
  Reveal.configure({transition: 'none', backgroundTransition: 'none'});
  const cfg = Reveal.getConfig(), slides = [], ctx = document.createElement('canvas').getContext('2d');
  const scrollsX = (e, s) => { for (let p = e; p && p !== s; p = p.parentElement)
    if (['auto', 'scroll'].includes(getComputedStyle(p).overflowX)) return true; return false; };
  Reveal.getHorizontalSlides().forEach((hs, h) => {
    const vs = hs.classList.contains('stack') ? [...hs.querySelectorAll(':scope > section')] : [hs];
    vs.forEach((_, v) => {
      Reveal.slide(h, v);
      const s = Reveal.getCurrentSlide(), box = s.getBoundingClientRect(), bad = [];
      const tall = s.scrollHeight > cfg.height + 2;
      const scrolls = tall && ['auto', 'scroll'].includes(getComputedStyle(s).overflowY);
      if (tall && !scrolls) bad.push(`${s.scrollHeight} px tall, the slide is ${cfg.height}`);
      if (scrolls && !getComputedStyle(s, '::after').content.includes('more below'))
        bad.push('scrolls without saying "more below"');
      for (const e of s.querySelectorAll('*')) {
        const r = e.getBoundingClientRect();
        if (!r.width || String(e.className).includes('MJX_Assistive')) continue;
        if (r.right > box.right + 2 && !scrollsX(e, s))
          bad.push(`${e.tagName}.${e.className} sticks out ${Math.round(r.right - box.right)} px`);
        if (e.tagName === 'IMG' && r.height > cfg.height)
          bad.push(`a figure ${Math.round(r.height)} px tall`);
      }
      for (const pre of s.querySelectorAll('.jp-Cell pre')) {
        const st = getComputedStyle(pre), text = pre.textContent.replace(/\\n$/, '');
        const lines = text.split('\\n').length;
        const shown = Math.round((pre.clientHeight - parseFloat(st.paddingTop) - parseFloat(st.paddingBottom))
                                 / parseFloat(st.lineHeight));
        if (shown > lines)
          bad.push(`code wrapped: ${lines} lines shown as ${shown} ("${text.slice(0, 40)}")`);
        if (pre.scrollWidth > pre.clientWidth + 2 && !['auto', 'scroll'].includes(st.overflowX))
          bad.push(`code cut at the right ("${text.slice(0, 40)}")`);
      }
      for (const sel of s.querySelectorAll('select')) {
        ctx.font = getComputedStyle(sel).font;
        const need = Math.max(...[...sel.options].map(o => ctx.measureText(o.text).width)) + 24;
        if (sel.offsetWidth < need)
          bad.push(`a dropdown ${sel.offsetWidth} px wide cuts its options (${Math.round(need)})`);
      }
      for (const w of s.querySelectorAll('.jp-OutputArea-output'))
        if (w.querySelector('script[type="application/vnd.jupyter.widget-view+json"]') &&
            !(w.querySelector('.nst-widget-note') || {}).innerText)
          bad.push('a widget that does not say it needs a running notebook');
      slides.push({h, v, height: s.scrollHeight, scrolls, bad: [...new Set(bad)].slice(0, 4)});
    });
  });
  return slides;
}"""

#: on a slide that scrolls: (scrollTop, still on it) after each Space
KEYS_JS = """([h, v]) => { Reveal.slide(h, v); const s = Reveal.getCurrentSlide(); s.scrollTop = 0;
  return [s.scrollHeight - s.clientHeight]; }"""


@pytest.fixture(scope="module")
def decks(tmp_path_factory):
    """Every lesson's deck, built in fast mode into a temporary folder (the lessons run once)."""
    _requirements()
    import build_site
    import slides_metadata

    if not (ROOT / "tools" / "node_modules" / "reveal.js").is_dir():
        pytest.fail("web assets missing: run `make web-assets` (npm ci --prefix tools)")
    tmp = tmp_path_factory.mktemp("decks")
    lessons = sorted(LESSON.parent.glob("[0-9][0-9]_*.ipynb"))
    shared = shared_folder(tmp_path_factory)
    for path in reversed(lessons):  # last lesson first: test_answers_hidden starts at the first
        executed(path, shared)
    for path in lessons:
        shutil.copy2(path, tmp / path.name)
    slides_metadata.update(tmp)
    return build_site.build("slides", tmp / "slides", [tmp / p.name for p in lessons], fast=True, run=True,
                            cache=shared)


def _reaches_the_bottom_by_keyboard(page, h, v) -> str:
    """'' if Space scrolls slide (h, v) to its end before moving on, else what went wrong."""
    room, top = page.evaluate(KEYS_JS, [h, v])[0], 0
    for _ in range(12):
        page.keyboard.press("Space")
        where = page.evaluate("""() => { const i = Reveal.getIndices(), s = Reveal.getCurrentSlide();
          return [i.h, i.v || 0, s.scrollTop, s.scrollHeight - s.clientHeight]; }""")
        if where[:2] != [h, v]:
            return f"Space left the slide with {room - top} of {room} px not shown" if room - top > 2 else ""
        top = where[2]
        if top >= room - 2:
            return ""
    return f"12 presses of Space did not get past its {room} px"


def test_every_slide_fits_the_screen(decks):
    problems, scrolling, total = [], [], 0
    with _chromium() as browser:  # one Chromium, a new page per deck
        for deck in decks:
            with _offline_page(deck, deck.name, browser, width=1280, height=720) as page:
                slides = page.evaluate(FIT_JS)
                total += len(slides)
                problems += [f"{deck.stem} #/{s['h']}/{s['v']}: {b}" for s in slides for b in s["bad"]]
                for s in (s for s in slides if s["scrolls"]):
                    scrolling.append(f"{deck.stem} #/{s['h']}/{s['v']} ({s['height']} px)")
                    missed = _reaches_the_bottom_by_keyboard(page, s["h"], s["v"])
                    if missed:
                        problems.append(f"{deck.stem} #/{s['h']}/{s['v']}: {missed}")
                tallest = max(slides, key=lambda s: s["height"])
                page.evaluate(f"Reveal.slide({tallest['h']}, {tallest['v']})")
                page.screenshot(path=str(SHOTS / f"fit_{deck.stem.split('.')[0]}_tallest.png"))
    assert not problems, f"{len(problems)} problems on {total} slides:\n" + "\n".join(problems[:25])
    assert len(scrolling) <= MAX_SCROLLING * total, \
        f"{len(scrolling)} of {total} slides need to scroll: " + ", ".join(scrolling[:10])


def test_every_lesson_figure_is_readable_in_class(decks, tmp_path_factory):
    # plotting.readability_problems, stored by the lessons' display hook on every figure (at most
    # 9 in wide, text at least 11 pt): read from the lessons executed for the decks above
    shared = shared_folder(tmp_path_factory)
    problems, checked = [], {}
    for path in sorted(LESSON.parent.glob("[0-9][0-9]_*.ipynb")):
        for k, cell in enumerate(executed(path, shared).cells):
            for out in cell.get("outputs", []):
                meta = out.get("metadata", {}).get("image/png") or {}
                checked[path.stem] = checked.get(path.stem, 0) + ("alt" in meta)  # the hook ran
                problems += [f"{path.stem} cell {k}: {p}" for p in meta.get("nst_readability", [])]
    # the hook only writes problems, so first make sure it saw the figures at all
    assert sum(checked.values()) >= 2 * len(checked) and min(checked.values()) >= 1, checked
    assert not problems, "\n".join(problems)


def test_long_cells_are_cut_into_sub_slides_at_build_time():
    import nbformat

    import slides_metadata

    code = "\n\n".join(f"def f{k}(x):\n    y = x + {k}\n    return y" for k in range(12))
    title = ("# 09 — T\n\nWhat the lesson does.\n\n**Objectives.**\n\n- one\n- two\n\n"
             "<details><summary>More</summary>\n\nhidden\n\n</details>")
    cells = [nbformat.v4.new_markdown_cell(title),
             nbformat.v4.new_markdown_cell("## A\n\ntext\n\n## B\n\nmore"),
             nbformat.v4.new_code_cell(code, outputs=[nbformat.v4.new_output("stream", text="done")]),
             nbformat.v4.new_code_cell(code, metadata={"tags": ["solution"]})]
    nb = nbformat.v4.new_notebook(cells=cells)
    slides_metadata.apply(nb)
    added = slides_metadata.fit_cells(nb)
    kinds = [c.metadata["slideshow"]["slide_type"] for c in nb.cells]
    texts = [c.source for c in nb.cells]
    assert texts[0] == "# 09 — T\n\nWhat the lesson does." and kinds[1] == "subslide"
    assert texts[1].startswith("**Objectives.**") and texts[1].endswith("</details>"), "an HTML block cut"
    assert texts[2:4] == ["## A\n\ntext", "## B\n\nmore"] and kinds[3] == "slide"
    pieces = [c for c in nb.cells[4:] if "solution" not in c.metadata.get("tags", [])]
    assert len(pieces) >= 2 and all(p.source.count("\n") < slides_metadata.CODE_LINES for p in pieces)
    assert "\n\n".join(p.source for p in pieces) == code, "code lost or reordered"
    assert [bool(p.outputs) for p in pieces] == [False] * (len(pieces) - 1) + [True], "outputs under the last"
    assert all(p.metadata["slideshow"]["slide_type"] == "subslide" for p in pieces[1:])
    assert nb.cells[-1].source == code, "a solution stays whole"
    assert added == len(nb.cells) - len(cells)
