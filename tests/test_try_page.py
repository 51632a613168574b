"""The site's Try it page in real Chromium over loopback: the bundled network in onnxruntime-web
gives PyTorch's picture (<= 2/255 per pixel), with two threads, and nothing leaves the site."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
sys.path.insert(0, str(ROOT / "tools"))
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
SHOT = Path("/tmp/classroom/try_page.png")


def test_try_page_matches_pytorch_offline_with_two_threads(tmp_path):
    if not CHROMIUM.exists():
        pytest.skip("Chromium is not installed at /usr/bin/chromium")
    from playwright.sync_api import sync_playwright

    from nst_course.feedforward import apply_net, bundled_network
    from nst_course.images import save_image
    from nst_course.siteserver import serve_in_thread
    from nst_course.training import HELD_OUT, photo

    import try_page

    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text("<html><body><h1>course</h1></body></html>")
    try_page.build(site)
    try_page.link_from_index(site / "index.html")
    assert 'href="try/index.html"' in (site / "index.html").read_text()
    img = photo(HELD_OUT[1], 128)[..., :128, :96]  # sides multiples of 4: the page keeps them
    img = (img * 255).round() / 255  # the 8-bit pixels the PNG gives the browser
    save_image(img, tmp_path / "photo.png")
    net, _ = bundled_network()
    want = apply_net(net, img, [0.5, 0.5], precision="float32")
    server, url = serve_in_thread(site)
    outside = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
            page = browser.new_page()

            def route(r):
                if r.request.url.startswith((url, "data:", "blob:")):
                    return r.continue_()
                outside.append(r.request.url)
                return r.abort()

            page.route("**/*", route)
            page.goto(url + "try/index.html")
            page.wait_for_function("document.body.dataset.ready === '1' && document.body.dataset.done",
                                   timeout=60_000)
            assert page.evaluate("self.crossOriginIsolated") and "2 thread" in page.inner_text("#status")
            page.set_input_files("#photo", str(tmp_path / "photo.png"))
            page.wait_for_function("document.body.dataset.done === '2'", timeout=30_000)
            page.eval_on_selector("#mix", "e => { e.value = 50; e.dispatchEvent(new Event('input')); }")
            page.wait_for_function("document.body.dataset.done === '3'", timeout=30_000)
            got = page.evaluate("""() => { const c = document.getElementById('output');
                return [c.width, c.height, Array.from(c.getContext('2d').getImageData(0, 0, c.width,
                c.height).data)]; }""")
            print("browser:", page.inner_text("#status"))
            SHOT.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SHOT), full_page=True)
            browser.close()
    finally:
        server.shutdown()
    w, h, data = got
    assert (w, h) == (96, 128)
    pixels = np.asarray(data, dtype=np.float64).reshape(h, w, 4)[..., :3]
    ref = (want[0].permute(1, 2, 0).numpy() * 255).round()
    diff = np.abs(pixels - ref).max()
    print(f"max difference to PyTorch: {diff:.2f}/255")
    assert diff <= 2.0
    assert not outside, f"requests left the site: {outside[:3]}"
    assert torch.isfinite(want).all()
