import http.server
import socket
import threading

import numpy as np
import pytest
from PIL import Image

from nst_course import ImageError, load_image, samples
from nst_course.images import fetch_url
from nst_course.vgg import sha256_file


def test_catalog_names_and_metadata():
    names = samples.names()
    assert {"astronaut", "chelsea", "coffee", "rocket"} <= set(names["photos"])
    assert len(names["styles"]) >= 3
    for p in samples.PAINTINGS.values():
        assert p.artist and p.year and p.licence == "public domain"
        assert (p.url is None) == p.bundled  # bundled, or downloaded from a URL: one of the two
        assert p.bundled or p.url.startswith("https://")
    assert "starry_night" in samples.PAINTINGS and "great_wave" in samples.PAINTINGS


BUNDLED = ["starry_night", "the_scream", "shipwreck", "udnie", "great_wave"]


def test_the_five_paintings_are_bundled_with_their_hash_and_source():
    assert [n for n, p in samples.PAINTINGS.items() if p.bundled] == BUNDLED
    assert not samples.PAINTINGS["composition_vii"].bundled  # stays download-only
    folder = samples.painting_path("udnie").parent
    assert sorted(p.name for p in folder.iterdir() if p.suffix == ".jpg") == sorted(
        samples.PAINTINGS[n].file for n in BUNDLED)  # nothing shipped that the catalog does not name
    total = 0
    for name in BUNDLED:
        p, path = samples.PAINTINGS[name], samples.painting_path(name)
        assert sha256_file(path) == p.sha256, f"{path} is not the file whose hash the catalog records"
        assert "jcjohnson/neural-style" in p.source or "lengstrom/fast-style-transfer" in p.source
        with Image.open(path) as im:
            assert max(im.size) == 512 and im.mode == "RGB"
        total += path.stat().st_size
    assert total < 1_000_000  # the package stays small


@pytest.fixture()
def no_network(monkeypatch):
    """Any attempt to open a connection fails the test."""
    def refuse(*a, **k):
        raise AssertionError("a bundled sample tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.mark.parametrize("name", BUNDLED)
def test_bundled_paintings_load_offline(name, no_network, tmp_path, monkeypatch):
    monkeypatch.setenv("NST_COURSE_CACHE", str(tmp_path / "empty-cache"))
    img = load_image(name, 256)
    assert img.shape[:2] == (1, 3) and max(img.shape[-2:]) == 256
    assert 0.05 < img.mean().item() < 0.95 and img.std().item() > 0.1  # a picture, not a flat field
    assert not (tmp_path / "empty-cache").exists() or not any((tmp_path / "empty-cache").iterdir())


def test_a_damaged_bundled_painting_is_refused(tmp_path, monkeypatch):
    from nst_course import images

    bad = tmp_path / "paintings" / "udnie.jpg"
    bad.parent.mkdir()
    Image.fromarray(np.full((64, 64, 3), 9, np.uint8)).save(bad)
    monkeypatch.setattr(samples, "painting_path", lambda name: bad)
    images._offline_sample.cache_clear()
    try:
        with pytest.raises(ImageError, match="does not match its recorded sha256"):
            load_image("udnie")
    finally:
        images._offline_sample.cache_clear()


@pytest.mark.parametrize("name", ["astronaut", "chelsea", "coffee", "rocket"])
def test_photos_load_offline(name):
    img = load_image(name, 96)
    assert max(img.shape[-2:]) == 96


@pytest.mark.parametrize("name", list(samples.GENERATED))
def test_generated_styles_are_deterministic_and_painterly(name):
    from nst_course import styles

    a = np.asarray(getattr(styles, name)(128))
    b = np.asarray(getattr(styles, name)(128))
    assert a.shape == (128, 128, 3) and np.array_equal(a, b)
    # painterly: many colours and strong local contrast, not a flat field
    assert len(np.unique(a.reshape(-1, 3), axis=0)) > 300
    assert np.abs(np.diff(a.astype(float), axis=1)).mean() > 8


def test_unknown_sample_name_is_a_missing_file():
    with pytest.raises(ImageError, match="no such file"):
        load_image("starry_nite")


@pytest.fixture()
def server(tmp_path):
    """A local HTTP server on 127.0.0.1 serving tmp_path/www."""
    www = tmp_path / "www"
    www.mkdir()
    Image.fromarray(np.full((48, 64, 3), 200, np.uint8)).save(www / "paint.png")

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a, **k):
            super().__init__(*a, directory=str(www), **k)

        def log_message(self, *a):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", www
    httpd.shutdown()
    httpd.server_close()


def test_download_with_matching_hash_then_cached(server, monkeypatch):
    base, www = server
    sha = sha256_file(www / "paint.png")
    path = fetch_url(base + "/paint.png", sha)
    assert sha256_file(path) == sha
    (www / "paint.png").unlink()  # the cached copy is used without asking again
    assert fetch_url(base + "/paint.png", sha) == path
    assert load_image(base + "/paint.png").shape == (1, 3, 48, 64)


def test_download_hash_mismatch(server):
    base, _ = server
    with pytest.raises(ImageError, match="did not match its recorded sha256"):
        fetch_url(base + "/paint.png", "0" * 64)


def test_download_404(server):
    base, _ = server
    with pytest.raises(ImageError, match="HTTP 404"):
        load_image(base + "/missing.png")


def test_server_down():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    with pytest.raises(ImageError, match="could not reach"):
        load_image(f"http://127.0.0.1:{port}/paint.png")


def test_painting_offline_gives_clear_message(monkeypatch):
    port_sock = socket.socket()
    port_sock.bind(("127.0.0.1", 0))
    port = port_sock.getsockname()[1]
    port_sock.close()
    fake = samples.Painting("Test", "Nobody", "2000", f"http://127.0.0.1:{port}/x.jpg")
    assert not fake.bundled
    monkeypatch.setitem(samples.PAINTINGS, "test_painting", fake)
    with pytest.raises(ImageError, match="offline"):
        load_image("test_painting")


# --- issue 15: downloads are verified before they are cached, and have a deadline ----------

@pytest.fixture()
def hostile_server():
    """A local server with the misbehaviours of the real web: a captive portal's HTML page
    served with 200, a server that trickles a byte at a time, a redirect loop, a cut-off body."""
    import time

    png = tmp_png_bytes()
    state = {"portal": True}

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def do_GET(self):
            if self.path == "/photo.png":  # the captive portal answers first, then the real file
                body, kind = (b"<!DOCTYPE html><html>Log in to the Wi-Fi</html>", "text/html") \
                    if state["portal"] else (png, "image/png")
                self.send_response(200)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            elif self.path == "/trickle.png":
                self.send_response(200)
                self.send_header("Content-Length", str(len(png)))
                self.end_headers()
                try:
                    for i in range(len(png)):
                        self.wfile.write(png[i:i + 1])
                        self.wfile.flush()
                        time.sleep(0.2)
                except OSError:
                    pass
            elif self.path.startswith("/loop"):
                self.send_response(302)
                self.send_header("Location", "/loop-again" if self.path == "/loop" else "/loop")
                self.end_headers()
            elif self.path == "/cut.png":
                self.send_response(200)
                self.send_header("Content-Length", str(len(png)))
                self.end_headers()
                self.wfile.write(png[: len(png) // 2])
            else:
                self.send_error(404)

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", state
    httpd.shutdown()
    httpd.server_close()


def tmp_png_bytes():
    import io

    buf = io.BytesIO()
    Image.fromarray(np.full((48, 64, 3), 120, np.uint8)).save(buf, "PNG")
    return buf.getvalue()


def cached_files():
    from nst_course.images import cache_dir

    return [p.name for p in cache_dir().glob("*")] if cache_dir().exists() else []


def test_html_page_served_with_200_is_never_cached(hostile_server):
    # item 8: the portal page was cached and failed forever after, naming the cache file
    base, state = hostile_server
    url = base + "/photo.png"
    with pytest.raises(ImageError) as e:
        load_image(url)
    from nst_course.images import cache_dir

    msg = str(e.value)
    assert msg.startswith(url) and "web page" in msg and str(cache_dir()) not in msg
    assert cached_files() == []
    state["portal"] = False  # connected now: the same URL works, nothing stale was kept
    assert load_image(url).shape == (1, 3, 48, 64)
    assert len(cached_files()) == 1


def test_trickling_server_hits_the_overall_deadline(hostile_server):
    # item 9: one byte every 0.2 s passes every per-read timeout; the deadline stops it
    import time

    base, _ = hostile_server
    t0 = time.monotonic()
    with pytest.raises(ImageError, match=r"trickle.png was still downloading after 1 s"):
        fetch_url(base + "/trickle.png", deadline=1.0, timeout=5.0)
    assert time.monotonic() - t0 < 4
    assert cached_files() == []


def test_redirect_loop_is_one_sentence_with_the_url(hostile_server):
    # item 15: raw requests errors without the URL
    base, _ = hostile_server
    with pytest.raises(ImageError, match=f"^{base}/loop redirects in a loop"):
        load_image(base + "/loop")


def test_cut_off_download_is_one_sentence_with_the_url(hostile_server):
    base, _ = hostile_server
    with pytest.raises(ImageError, match=f"download of {base}/cut.png was cut off"):
        load_image(base + "/cut.png")
    assert cached_files() == []


def test_catalog_imports_nothing_that_opens_images():
    # no import cycle: samples is data; images does the opening and downloading
    import ast
    import inspect

    tree = ast.parse(inspect.getsource(samples))
    imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import | ast.ImportFrom)
                for a in n.names} | {n.module for n in ast.walk(tree)
                                     if isinstance(n, ast.ImportFrom) and n.module}
    assert not imported & {"images", "ImageError", "open_image", "pooch", "requests"}
    assert not hasattr(samples, "fetch_url") and not hasattr(samples, "sample_image")
