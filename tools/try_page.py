"""The site's "Try it" page: a photo stylized in the browser by onnxruntime-web (WASM), offline.

``build(out)`` writes ``out/try/``: ``index.html`` (upload, style-mix slider, time taken, a
download button, and a field for the learner's own ``.onnx`` from ``nst-course export``), the
bundled network exported to ``fast_net.onnx`` (:func:`nst_course.export.export_net`), a sample
photo, and onnxruntime-web's WASM build copied from ``tools/node_modules`` (``env.wasm.wasmPaths``
points at this folder: nothing is fetched from elsewhere). The WASM runtime does not load from
``file://``: open it with ``nst-course serve site`` (``make serve``). ``link_from_index`` adds a
link to the site's index.
"""

from __future__ import annotations

import shutil
from pathlib import Path

NODE = Path(__file__).resolve().parent / "node_modules"
ORT_FILES = ("ort.wasm.min.mjs", "ort-wasm-simd-threaded.mjs", "ort-wasm-simd-threaded.wasm")
LINK_ID = "nst-try-link"

HERE = Path(__file__).resolve().parent
PAGE, SCRIPT = HERE / "try_page.html", HERE / "try_page.js"  # written as try/index.html, try/try.js


def build(out: Path, net_path=None) -> Path:
    """Write ``out/try/`` (see the module docstring); returns the page's path."""
    from nst_course.export import export_net
    from nst_course.feedforward import bundled_network, load_net
    from nst_course.images import save_image
    from nst_course.training import HELD_OUT, photo

    folder = Path(out) / "try"
    folder.mkdir(parents=True, exist_ok=True)
    dist = NODE / "onnxruntime-web" / "dist"
    missing = [f for f in ORT_FILES if not (dist / f).is_file()]
    if missing:
        raise FileNotFoundError(f"onnxruntime-web missing in {dist}: run `npm ci --prefix tools`")
    for f in ORT_FILES:
        shutil.copy2(dist / f, folder / f)
    net = load_net(net_path) if net_path else bundled_network()[0]
    export_net(net, folder / "fast_net.onnx", overwrite=True)
    save_image(photo(HELD_OUT[0]), folder / "sample.jpg", overwrite=True)
    shutil.copy2(SCRIPT, folder / "try.js")
    shutil.copy2(PAGE, folder / "index.html")
    for f in (folder / "fast_net.onnx", folder / "sample.jpg"):
        f.chmod(0o644)  # written atomically through a private temporary file; a site is for reading
    return folder / "index.html"


def link_from_index(index: Path) -> None:
    """Put a link to try/index.html at the top of the site's index page (once)."""
    page = index.read_text()
    if LINK_ID in page:
        return
    link = (f'<p id="{LINK_ID}" style="font-family:sans-serif;padding:.5em 1em;background:#eef">'
            '<a href="try/index.html"><b>Try it</b>: stylize your own photo in the browser</a> '
            '(needs <code>nst-course serve site</code>, i.e. <code>make serve</code>)</p>')
    i = page.find(">", page.find("<body")) + 1 if "<body" in page else 0
    index.write_text(page[:i] + link + page[i:])
