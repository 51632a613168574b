"""Build the executed course as a static site (``make html``) or reveal.js slides (``make slides``).

Offline: every script and style sheet the pages load (reveal.js, require.js, jQuery,
MathJax 2, the Jupyter widgets HTML manager) is copied from ``tools/node_modules``
(``npm ci --prefix tools``, from the npm registry) into ``<out>/_static``; no CDN.

The lessons are executed once with nbclient into ``build/executed[-fast]/`` and reused
until a lesson changes. ``NST_COURSE_FAST=1`` (or ``--fast``) builds the small, quick
version; without it the pictures are real and the build takes a while on a CPU.

In class, nothing is given away: stored widget state keeps empty feedback and unanswered
choices (:func:`scrub_widget_state`), and cells tagged ``solution`` sit in a closed
``<details>`` (on a later fragment in the slides). Every figure gets alt text from its
titles (``nst_course.plotting.describe_figures`` runs in the kernel) or from the cell's
``alt`` metadata field. Slides (1280x720): arrows visit every slide (``navigationMode:
linear``); cells too long for one slide are cut into sub-slides (``slides_metadata.fit_cells``);
code keeps its lines and indentation (a smaller font, then a sideways scrollbar); a slide still
too tall says "more below" and Space/Down scroll it before moving on; figures fit the slide;
long plumbing code is hidden; no font or script is fetched from outside the folder. Stored
widgets say that they need a running notebook (:func:`label_static_widgets`).

    python tools/build_site.py html   [--out site]   [--fast] [--no-execute] [LESSON ...]
    python tools/build_site.py slides [--out slides] [--fast] [--no-execute] [LESSON ...]
"""

from __future__ import annotations

import argparse
import base64
import html
import os
import re
import shutil
import sys
import time
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _lessons as L  # noqa: E402
import slides_metadata  # noqa: E402

NODE = Path(__file__).resolve().parent / "node_modules"
STATIC = "_static"
MATHJAX_PARTS = ["MathJax.js", "config/TeX-AMS_CHTML-full.js", "config/Safe.js", "extensions",
                 "jax/input/TeX", "jax/output/CommonHTML", "jax/element", "fonts/HTML-CSS/TeX/woff"]
LINK = re.compile(r'href="((?:\./)?\d\d_[A-Za-z0-9_]+)\.ipynb(#[^"]*)?"')
SOLUTION_SUMMARY = "Answer (try it yourself first)"
SLIDE_SIZE = (1280, 720)  # reveal.js slide in CSS pixels: a 16:9 projector
HIDE_INPUT_LINES = 3  # on slides, a cell showing a figure or widget hides code longer than this
BUILD_VERSION = 2  # executed copies of an older build (no figure descriptions) are run again
FIGURE_HOOK = "from nst_course.plotting import describe_figures; describe_figures()"
PLACEHOLDER_ALT = "No description has been provided for this image"
#: CSS added to every page: widgets in the page's font, solutions as closed blocks
PAGE_CSS = """
.jupyter-widgets, .jupyter-widgets select, .jupyter-widgets button, .jupyter-widgets input,
.jupyter-widgets .widget-html-content, .jupyter-widgets .widget-label {
  font-family: var(--nst-font) !important; }
details.nst-solution { border-left: 4px solid #c9a227; padding: .2em .8em; margin: .5em 0; }
details.nst-solution > summary, details.nst-answer > summary {
  cursor: pointer; font-weight: bold; font-family: var(--nst-font); }
"""
SITE_CSS = ":root { --nst-font: var(--jp-content-font-family); }"
#: widget images (drawn by the widget manager after load) get a description from their box;
#: stored widgets' controls are disabled (nothing answers them without a kernel)
WIDGET_ALT_JS = """
new MutationObserver(() => {
  document.querySelectorAll('.jupyter-widgets img:not([alt])').forEach(img => {
    const box = img.closest('.widget-box'), text = box ? box.innerText.trim().split('\\n')[0] : '';
    img.alt = text ? `picture ${text.slice(0, 80)} (interactive exercise)`
                   : 'picture in an interactive widget';
  });
  // no kernel behind a stored widget: its controls are shown as they start, and disabled
  document.querySelectorAll('.nst-static-widget :is(select, button, input, textarea):not([disabled])')
    .forEach(e => { e.disabled = true; e.title = 'needs a running notebook (JupyterLab)'; });
}).observe(document.documentElement, {childList: true, subtree: true});
"""
#: slides: one font, code in its own lines, figures within the slide
SLIDES_CSS = """
:root { --nst-font: var(--jp-content-font-family); }
.reveal { font-family: var(--nst-font); }
.reveal h1, .reveal h2, .reveal h3, .reveal h4 { font-family: var(--nst-font); text-transform: none; }
.reveal pre, .reveal code, .reveal .highlight pre, .reveal .jp-OutputArea-output pre {
  white-space: pre; overflow-wrap: normal; word-break: normal; }
.reveal .jp-Cell pre { box-sizing: border-box; max-width: 100%; margin: 0; overflow-x: auto; }
.reveal .slides section:not(.stack) { height: 100%; max-height: 100%; overflow-y: auto; overflow-x: hidden;
  box-sizing: border-box; scrollbar-gutter: stable; scrollbar-width: auto; scrollbar-color: #888 #eee; }
.reveal .slides section::-webkit-scrollbar { width: 14px; }
.reveal .slides section::-webkit-scrollbar-thumb { background: #888; border-radius: 7px; }
.reveal .jp-InputPrompt, .reveal .jp-OutputPrompt { display: none; }
.reveal .slides section.nst-more::after { content: "▼ more below: Space or ↓ scrolls"; position: sticky;
  bottom: 0; display: block; text-align: center; font-size: 16px; color: #444; padding: 4px;
  height: 30px; margin-top: -30px; box-sizing: border-box;  /* takes no room: the slide's height stays */
  background: linear-gradient(transparent, #fff 45%); }
.reveal .jupyter-widgets select { width: auto !important; min-width: 4.5em; max-width: 100%;
  flex: 0 0 auto !important; }
.reveal img { max-width: 100%; max-height: 600px; height: auto; object-fit: contain; }
.reveal table { max-width: 100%; display: block; overflow-x: auto; }
.reveal .jp-Cell, .reveal .jp-OutputArea, .reveal .jp-OutputArea-child,
.reveal .jp-OutputArea-output { max-width: 100%; min-width: 0; }
.reveal .jupyter-widgets { max-width: 100%; flex-wrap: wrap; font-size: 18px; }
.reveal .jupyter-widgets.widget-inline-hbox { height: auto; align-items: center; line-height: 1.4; }
.reveal .jupyter-widgets select {
  height: auto !important; min-height: 1.7em; font-size: 18px; line-height: 1.4;
  padding: 2px 24px 2px 4px; margin: 0; color: #222; }  /* the arrow sits in the right padding */
.reveal .MathJax_CHTML { white-space: normal; }
.reveal .jp-RenderedMarkdown { font-size: 22px; line-height: 1.45; }
.reveal .jp-RenderedMarkdown h1 { font-size: 48px; } .reveal .jp-RenderedMarkdown h2 { font-size: 38px; }
.reveal .jp-RenderedMarkdown h3 { font-size: 30px; }
.reveal .jp-InputArea-editor pre, .reveal .jp-OutputArea-output pre { font-size: 16px; line-height: 1.35; }
"""
#: slides: Space, Page Down and Down scroll a slide taller than the screen before moving on (Up,
#: Page Up back); code too wide for the slide gets a smaller font (down to 11 px), then a scrollbar
SLIDES_JS = """
window.nstScroll = dir => {
  const s = Reveal.getCurrentSlide(), step = 0.8 * s.clientHeight;
  if (dir > 0 && s.scrollTop + s.clientHeight < s.scrollHeight - 2) s.scrollBy({top: step});
  else if (dir < 0 && s.scrollTop > 2) s.scrollBy({top: -step});
  else dir > 0 ? Reveal.next() : Reveal.prev();
};
window.nstFitCode = slide => slide && slide.querySelectorAll('.jp-Cell pre').forEach(pre => {
  for (let k = 0; k < 8 && pre.clientWidth && pre.scrollWidth > pre.clientWidth + 1; k++) {
    const size = parseFloat(getComputedStyle(pre).fontSize);
    if (size <= 11) break;
    pre.style.fontSize = Math.max(11, Math.floor(size * pre.clientWidth / pre.scrollWidth * 10) / 10) + 'px';
  }
});
window.nstMore = s => s && s.classList.toggle('nst-more', s.scrollTop + s.clientHeight < s.scrollHeight - 2);
for (const kind of ['ready', 'slidechanged'])  // reveal.js sends its events to the .reveal element
  document.querySelector('.reveal').addEventListener(kind, e => {
    nstFitCode(e.currentSlide);
    nstMore(e.currentSlide);
  });
document.querySelectorAll('.reveal .slides section')
  .forEach(s => s.addEventListener('scroll', () => nstMore(s)));
"""
REVEAL_OPTIONS = ('navigationMode: "linear", center: false, '
                  'keyboard: {32: () => nstScroll(1), 34: () => nstScroll(1), 40: () => nstScroll(1), '
                  '33: () => nstScroll(-1), 38: () => nstScroll(-1)},')
WIDGET_NOTE = ("Needs a running notebook: open the lesson in JupyterLab to use this widget "
               "(here it is a picture of its start).")
WIDGET_CSS = """
.nst-static-widget { display: block !important; }
.nst-widget-note { font-family: var(--nst-font); font-size: 15px; color: #555; font-style: italic;
  margin: .3em 0; }
.nst-widget-note::before { content: "⚠ "; font-style: normal; }
.nst-static-widget :is(select, button, input, textarea):disabled { opacity: 1; cursor: not-allowed; }
.nst-static-widget select:disabled { color: #222; }
"""


class MissingAssets(RuntimeError):
    pass


def copy_assets(out: Path, slides: bool) -> None:
    """Copy the offline web assets into ``out/_static``."""
    if not (NODE / "reveal.js").is_dir():
        raise MissingAssets("web assets missing: run `npm ci --prefix tools` (or `make web-assets`)")
    static = out / STATIC
    static.mkdir(parents=True, exist_ok=True)
    shutil.copy2(NODE / "requirejs" / "require.js", static / "require.js")
    shutil.copy2(NODE / "jquery" / "dist" / "jquery.min.js", static / "jquery.min.js")
    for part in MATHJAX_PARTS:
        src, dst = NODE / "mathjax" / part, static / "mathjax" / part
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(src, dst, dirs_exist_ok=True) if src.is_dir() else shutil.copy2(src, dst)
    wdist = NODE / "@jupyter-widgets" / "html-manager" / "dist"
    (static / "widgets").mkdir(exist_ok=True)
    fonts = out / "@jupyter-widgets"  # where embed-amd.js asks for its icon fonts (seen in Chromium)
    fonts.mkdir(parents=True, exist_ok=True)
    for f in wdist.iterdir():
        if f.name == "embed-amd.js":
            shutil.copy2(f, static / "widgets" / f.name)
        elif f.suffix in (".woff", ".woff2", ".ttf", ".eot", ".svg"):
            shutil.copy2(f, fonts / f.name)
    if slides:
        for part in ("dist", "plugin"):
            shutil.copytree(NODE / "reveal.js" / part, static / "reveal.js" / part, dirs_exist_ok=True)
        for theme in (static / "reveal.js" / "dist" / "theme").glob("*.css"):
            theme.write_text(offline_css(theme.read_text()))


def offline_css(css: str) -> str:
    """A style sheet without ``@import url(https://...)`` (the reveal.js themes fetch Google Fonts)."""
    return re.sub(r"@import\s+url\(\s*['\"]?https?://[^)]*\)\s*;?", "", css)


def exporter(slides: bool):
    from nbconvert import HTMLExporter, SlidesExporter

    urls = dict(
        mathjax_url=f"{STATIC}/mathjax/MathJax.js?config=TeX-AMS_CHTML-full,Safe",
        require_js_url=f"{STATIC}/require.js",
        jquery_url=f"{STATIC}/jquery.min.js",
        widget_renderer_url=f"{STATIC}/widgets/embed-amd.js",
    )
    if slides:
        return SlidesExporter(reveal_url_prefix=f"{STATIC}/reveal.js", reveal_theme="simple",
                              reveal_scroll=False, reveal_number="c/t", reveal_width=str(SLIDE_SIZE[0]),
                              reveal_height=str(SLIDE_SIZE[1]), **urls)
    return HTMLExporter(template_name="lab", **urls)


def execute(path: Path, cache: Path, fast: bool, probe: str | None = None):
    """The executed lesson; outputs come from ``cache`` while the lesson's code is unchanged.

    ``probe``: code run after the lesson's last cell in the same kernel; what it prints is kept
    in the notebook's metadata ``nst_probe`` and the cell is removed (the tests read the
    widgets' answer keys this way, from the same run the pages are built from)."""
    cache.mkdir(parents=True, exist_ok=True)
    done = cache / path.name
    if done.exists():
        old, nb = L.read(done), L.read(path)
        if old.metadata.get("nst_build") == BUILD_VERSION and \
                (probe is None or old.metadata.get("nst_probe", {}).get("code") == probe) and \
                [L.source(c) for c in old.cells] == [L.source(c) for c in nb.cells]:
            for cell, ran in zip(nb.cells, old.cells):  # new tags and slide metadata, old outputs
                if cell.cell_type == "code":
                    cell.outputs, cell.execution_count = ran.outputs, ran.execution_count
            for key in ("widgets", "nst_probe"):
                if key in old.metadata:
                    nb.metadata[key] = old.metadata[key]
            return nb
    nb = L.read(path)
    if probe is not None:
        nb.cells.append(nbformat.v4.new_code_cell(probe))
    t0 = time.perf_counter()
    # the kernel's inline backend draws the figures; describe_figures gives each PNG alt text
    L.run_notebook(nb, path.parent, {"NST_COURSE_FAST": "1" if fast else os.environ.get("NST_COURSE_FAST"),
                                     "MPLBACKEND": None},
                   store_widget_state=True, extra_arguments=[f"--IPKernelApp.exec_lines={FIGURE_HOOK}"])
    print(f"executed {path.name} in {time.perf_counter() - t0:.0f} s", flush=True)
    if probe is not None:
        ran = nb.cells.pop()
        printed = "".join(o.get("text", "") for o in ran.get("outputs", [])
                          if o.get("output_type") == "stream")
        nb.metadata["nst_probe"] = {"code": probe, "printed": printed}
    nb.metadata["nst_build"] = BUILD_VERSION
    nbformat.write(nb, str(done))
    return nb


def scrub_widget_state(nb) -> int:
    """Store what a learner sees before answering: empty feedback, no choice made.

    Exercise widgets (``nst_course.widgets``) mark their feedback line ``nst-feedback`` and
    their choices ``nst-choice``; whatever a run wrote into them (a check, a Reveal click)
    is not stored in the page. Returns how many widgets were reset.
    """
    state = nb.metadata.get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {})
    reset = 0
    for model in state.get("state", {}).values():
        st = model.get("state", {})
        classes = set(st.get("_dom_classes", ()))
        if "nst-feedback" in classes and st.get("value"):
            st["value"], reset = "", reset + 1
        if "nst-choice" in classes and st.get("index") not in (0, None):
            st["index"], reset = 0, reset + 1
    return reset


def _headings(nb) -> list[str]:
    """The nearest heading above each cell (for alt text that has nothing better)."""
    out, last = [], L.title(nb)[1] if nb.cells else ""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            found = re.findall(r"^#+\s+(.+)$", L.source(cell), re.M)
            last = found[-1].strip() if found else last
        out.append(last)
    return out


def describe_images(nb) -> list[str]:
    """Give every image output an ``<img alt=...>``: its own description, the cell's ``alt``
    field (a string, or a list with one per image) or, failing both, where it is.

    The image becomes an HTML output (nbconvert would write a placeholder instead).
    Returns the cells that needed the fallback (``"cell N under 'heading'"``).
    """
    fallback = []
    for cell, heading in zip(nb.cells, _headings(nb)):
        if cell.cell_type != "code":
            continue
        given = cell.metadata.get("alt")
        given = [given] if isinstance(given, str) else list(given or [])
        k = 0
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            mime = next((m for m in ("image/png", "image/jpeg", "image/gif") if m in data), None)
            if mime is None:
                continue
            alt = (out.get("metadata", {}).get(mime) or {}).get("alt") or (
                given[min(k, len(given) - 1)] if given else "")
            if not alt:
                alt = f"Figure under “{heading}”"
                fallback.append(f"cell {nb.cells.index(cell)} under {heading!r}")
            k += 1
            img = data[mime].replace("\n", "") if isinstance(data[mime], str) else \
                base64.b64encode(data[mime]).decode()
            out["data"] = {"text/html": f'<img src="data:{mime};base64,{img}" alt="{html.escape(alt)}" '
                                        'style="max-width:100%;height:auto">',
                           "text/plain": data.get("text/plain", alt)}
    return fallback


def prepare(nb, slides: bool):
    """A copy of the executed lesson ready to export (widget state scrubbed, alt text, slides)."""
    nb = nbformat.from_dict(nb)
    scrub_widget_state(nb)
    missing = describe_images(nb)
    for cell in nb.cells:
        if not slides or cell.cell_type != "code" or "show-input" in L.tags(cell):
            continue
        shows = any(set(o.get("data", {})) & {"text/html", "application/vnd.jupyter.widget-view+json"}
                    for o in cell.get("outputs", []))
        if "hide-input" in L.tags(cell) or (shows and L.source(cell).count("\n") >= HIDE_INPUT_LINES):
            cell.metadata.setdefault("transient", {})["remove_source"] = True
    if slides:
        slides_metadata.fit_cells(nb)
    return nb, missing


def finish_page(page: str, slides: bool) -> str:
    """Solutions in closed ``<details>``, no mermaid import, page CSS, linear slide navigation."""
    from bs4 import BeautifulSoup

    page = re.sub(r"<script type=\"module\">(?:(?!</script>).)*mermaid(?:(?!</script>).)*</script>", "",
                  page, flags=re.S)
    soup = BeautifulSoup(page, "html.parser")
    for cell in soup.select(".celltag_solution"):
        if cell.find_parent("details", class_="nst-solution") is not None:
            continue
        box = soup.new_tag("details", attrs={"class": "nst-solution"})
        summary = soup.new_tag("summary")
        summary.string = SOLUTION_SUMMARY
        cell.wrap(box)
        box.insert(0, summary)
        for inner in cell.select("details.nst-answer"):  # one click opens the whole answer
            inner["open"] = ""
    label_static_widgets(soup)
    for img in soup.select("img"):
        if img.get("alt") == PLACEHOLDER_ALT:  # only pictures in markdown can still lack one
            img["alt"] = img.get("title") or "picture"
    style = soup.new_tag("style")
    style.string = PAGE_CSS + WIDGET_CSS + (SLIDES_CSS if slides else SITE_CSS)
    (soup.head or soup).append(style)
    script = soup.new_tag("script")
    script.string = WIDGET_ALT_JS + (SLIDES_JS if slides else "")
    (soup.body or soup).append(script)
    page = str(soup)
    if slides:
        page = page.replace("Reveal.initialize({", 'window.Reveal = Reveal;\n        Reveal.initialize({\n'
                            f'            {REVEAL_OPTIONS}', 1)
    return page


def label_static_widgets(soup) -> int:
    """Say on every stored widget that it needs a kernel, and let clicks pass it by.

    The widget stays drawn from its stored state (the static picture of its start); the page's
    script disables its controls, so nothing looks like it answers. Returns how many were labelled.
    """
    views = soup.select('script[type="application/vnd.jupyter.widget-view+json"]')
    for view in views:
        out = view.find_parent(class_="jp-OutputArea-output") or view.parent
        classes = out.get("class", [])
        if "nst-static-widget" in classes:
            continue
        out["class"] = [*classes, "nst-static-widget"]
        note = soup.new_tag("p", attrs={"class": "nst-widget-note", "role": "note"})
        note.string = WIDGET_NOTE
        out.insert(0, note)
    return len(views)


def to_page(nb, name: str, slides: bool) -> str:
    nb, missing = prepare(nb, slides)
    for where in missing:
        print(f"  {name}: no description for the figure of {where}: add an `alt` field to the cell")
    for k, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            for problem in (out.get("metadata", {}).get("image/png") or {}).get("nst_readability", []):
                print(f"  {name}: figure of cell {k} hard to read in class: {problem}")
    body, _ = exporter(slides).from_notebook_node(nb, resources={"metadata": {"name": name}})
    body = finish_page(body, slides)
    ext = ".slides.html" if slides else ".html"
    return LINK.sub(lambda m: f'href="{m.group(1)}{ext}{m.group(2) or ""}"', body)


def index_page(pages: list[tuple[str, str]], title: str) -> str:
    items = "\n".join(f'<li><a href="{href}">{html.escape(text)}</a></li>' for href, text in pages)
    return (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title>"
            "<style>body{font-family:sans-serif;max-width:44em;margin:3em auto;line-height:1.6}</style>"
            f"</head><body><h1>{title}</h1><ul>\n{items}\n</ul></body></html>\n")


def build(kind: str, out: Path, paths: list[Path], fast: bool, run: bool,
          cache: Path | None = None) -> list[Path]:
    """Write the pages of ``paths`` (executed copies kept in ``cache``, default build/executed*)."""
    slides = kind == "slides"
    out.mkdir(parents=True, exist_ok=True)
    copy_assets(out, slides)
    if cache is None:  # one cache per mode (NST_COURSE_MODE=demo builds demo pages)
        mode = "fast" if fast else os.environ.get("NST_COURSE_MODE", "").strip().lower() or "full"
        cache = L.ROOT / "build" / ("executed" if mode == "full" else f"executed-{mode}")
    written, listing = [], []
    for path in paths:
        nb = execute(path, cache, fast) if run else L.read(path)
        name = path.stem
        target = out / (name + (".slides.html" if slides else ".html"))
        target.write_text(to_page(nb, name, slides))
        written.append(target)
        listing.append((target.name, L.title(nb)[0] + " — " + L.title(nb)[1]))
        print("wrote", target, flush=True)
    for src in paths[0].parent.iterdir():  # pictures the lessons link to
        if src.suffix.lower() in (".png", ".jpg", ".jpeg", ".gif", ".svg"):
            shutil.copy2(src, out / src.name)
    if slides:
        (out / "index.html").write_text(index_page(listing, "Neural style transfer: lecture slides"))
    else:  # lesson 00 is the index of the course
        index = next((t for t in written if t.name.startswith("00_")), None)
        if index is not None:
            shutil.copy2(index, out / "index.html")
        else:
            (out / "index.html").write_text(index_page(listing, "Neural style transfer"))
        import try_page  # the Try it page: the bundled network in the browser (tools/try_page.py)

        written.append(try_page.build(out)), try_page.link_from_index(out / "index.html")
    return written


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("kind", choices=["html", "slides"])
    ap.add_argument("lessons", nargs="*", type=Path, help="default: every lesson in notebooks/")
    ap.add_argument("--out", type=Path, help="default: site/ or slides/")
    ap.add_argument("--fast", action="store_true", default=os.environ.get("NST_COURSE_FAST") == "1",
                    help="small images, few steps (NST_COURSE_FAST=1)")
    ap.add_argument("--no-execute", dest="run", action="store_false",
                    help="convert the stored notebooks as they are (no outputs)")
    args = ap.parse_args(argv)
    out = args.out or L.ROOT / ("site" if args.kind == "html" else "slides")
    paths = args.lessons or L.lessons()
    if not paths:
        print("no lessons found in notebooks/", file=sys.stderr)
        return 1
    try:
        written = build(args.kind, out, paths, args.fast, args.run)
    except MissingAssets as e:
        print(e, file=sys.stderr)
        return 1
    print(f"{len(written)} pages in {out}/ ; open {out / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
