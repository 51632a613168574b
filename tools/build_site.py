"""Build the executed course as a static site (``make html``) or reveal.js slides (``make slides``).

Offline: every script and style sheet the pages load (reveal.js, require.js, jQuery,
MathJax 2, the Jupyter widgets HTML manager) is copied from ``tools/node_modules``
(``npm ci --prefix tools``, from the npm registry) into ``<out>/_static``; no CDN.

The lessons are executed once with nbclient into ``build/executed[-fast]/`` and reused
until a lesson changes. ``NST_COURSE_FAST=1`` (or ``--fast``) builds the small, quick
version; without it the pictures are real and the build takes a while on a CPU.

    python tools/build_site.py html   [--out site]   [--fast] [--no-execute] [LESSON ...]
    python tools/build_site.py slides [--out slides] [--fast] [--no-execute] [LESSON ...]
"""

from __future__ import annotations

import argparse
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

NODE = Path(__file__).resolve().parent / "node_modules"
STATIC = "_static"
MATHJAX_PARTS = ["MathJax.js", "config/TeX-AMS_CHTML-full.js", "config/Safe.js", "extensions",
                 "jax/input/TeX", "jax/output/CommonHTML", "jax/element", "fonts/HTML-CSS/TeX/woff"]
LINK = re.compile(r'href="((?:\./)?\d\d_[A-Za-z0-9_]+)\.ipynb(#[^"]*)?"')


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
    fonts = out / "@jupyter-widgets" / "html-manager" / "dist"  # where embed-amd.js looks for icons
    fonts.mkdir(parents=True, exist_ok=True)
    for f in wdist.iterdir():
        if f.name == "embed-amd.js":
            shutil.copy2(f, static / "widgets" / f.name)
        elif f.suffix in (".woff", ".woff2", ".ttf", ".eot", ".svg"):
            shutil.copy2(f, fonts / f.name)
    # lessons draw no mermaid diagrams; a stub keeps the template from reaching for a CDN
    (static / "mermaid-stub.mjs").write_text("export default { initialize() {}, run() {} };\n")
    if slides:
        for part in ("dist", "plugin"):
            shutil.copytree(NODE / "reveal.js" / part, static / "reveal.js" / part, dirs_exist_ok=True)


def exporter(slides: bool):
    from nbconvert import HTMLExporter, SlidesExporter

    urls = dict(
        mathjax_url=f"{STATIC}/mathjax/MathJax.js?config=TeX-AMS_CHTML-full,Safe",
        require_js_url=f"{STATIC}/require.js",
        jquery_url=f"{STATIC}/jquery.min.js",
        mermaid_js_url=f"./{STATIC}/mermaid-stub.mjs",
        widget_renderer_url=f"{STATIC}/widgets/embed-amd.js",
    )
    if slides:
        return SlidesExporter(reveal_url_prefix=f"{STATIC}/reveal.js", reveal_theme="simple",
                              reveal_scroll=True, reveal_number="c/t", **urls)
    return HTMLExporter(template_name="lab", **urls)


def execute(path: Path, cache: Path, fast: bool):
    """The executed lesson; outputs come from ``cache`` while the lesson's code is unchanged."""
    from nbclient import NotebookClient

    cache.mkdir(parents=True, exist_ok=True)
    done = cache / path.name
    if done.exists():
        old, nb = L.read(done), L.read(path)
        if [L.source(c) for c in old.cells] == [L.source(c) for c in nb.cells]:
            for cell, ran in zip(nb.cells, old.cells):  # new tags and slide metadata, old outputs
                if cell.cell_type == "code":
                    cell.outputs, cell.execution_count = ran.outputs, ran.execution_count
            if "widgets" in old.metadata:
                nb.metadata["widgets"] = old.metadata["widgets"]
            return nb
    nb = L.read(path)
    for cell in nb.cells:  # nbclient knows the tag, not nbval's comment
        if "NBVAL_RAISES_EXCEPTION" in L.source(cell):
            cell.metadata.setdefault("tags", []).append("raises-exception")
    env_fast = os.environ.get("NST_COURSE_FAST")
    if fast:
        os.environ["NST_COURSE_FAST"] = "1"
    t0 = time.perf_counter()
    try:
        NotebookClient(nb, timeout=None, kernel_name="python3", store_widget_state=True,
                       resources={"metadata": {"path": str(path.parent)}}).execute()
    finally:
        if fast and env_fast is None:
            os.environ.pop("NST_COURSE_FAST")
    print(f"executed {path.name} in {time.perf_counter() - t0:.0f} s", flush=True)
    nbformat.write(nb, str(done))
    return nb


def to_page(nb, name: str, slides: bool) -> str:
    body, _ = exporter(slides).from_notebook_node(nb, resources={"metadata": {"name": name}})
    ext = ".slides.html" if slides else ".html"
    return LINK.sub(lambda m: f'href="{m.group(1)}{ext}{m.group(2) or ""}"', body)


def index_page(pages: list[tuple[str, str]], title: str) -> str:
    items = "\n".join(f'<li><a href="{href}">{html.escape(text)}</a></li>' for href, text in pages)
    return (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title>"
            "<style>body{font-family:sans-serif;max-width:44em;margin:3em auto;line-height:1.6}</style>"
            f"</head><body><h1>{title}</h1><ul>\n{items}\n</ul></body></html>\n")


def build(kind: str, out: Path, paths: list[Path], fast: bool, run: bool) -> list[Path]:
    slides = kind == "slides"
    out.mkdir(parents=True, exist_ok=True)
    copy_assets(out, slides)
    cache = L.ROOT / "build" / ("executed-fast" if fast else "executed")
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
