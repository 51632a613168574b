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
        assert p.url.startswith("https://") and p.artist and p.year and p.licence
    assert "starry_night" in samples.PAINTINGS and "great_wave" in samples.PAINTINGS


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
    monkeypatch.setitem(samples.PAINTINGS, "test_painting", fake)
    with pytest.raises(ImageError, match="offline"):
        load_image("test_painting")
