"""A loopback web server for the built course site (``nst-course serve``, ``make serve``).

The site's pages open from ``file://``, except "Try it": onnxruntime-web loads its WASM
runtime with a dynamic ``import()``, which browsers refuse from ``file://``. This server
answers on 127.0.0.1 only (nothing outside the computer can reach it), sends ``.wasm`` as
``application/wasm`` and ``.mjs`` as JavaScript, and sends the cross-origin isolation headers
(``Cross-Origin-Opener-Policy: same-origin``, ``Cross-Origin-Embedder-Policy: require-corp``)
without which a page gets no ``SharedArrayBuffer`` and so onnxruntime-web only one thread.
"""

from __future__ import annotations

import functools
import http.server
import threading
from pathlib import Path

HOST = "127.0.0.1"
ISOLATION_HEADERS = {"Cross-Origin-Opener-Policy": "same-origin",
                     "Cross-Origin-Embedder-Policy": "require-corp",
                     "Cross-Origin-Resource-Policy": "same-origin"}


class SiteHandler(http.server.SimpleHTTPRequestHandler):
    """Static files with the MIME types and isolation headers above; no caching, quiet log."""

    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map,
                      ".wasm": "application/wasm", ".mjs": "text/javascript",
                      ".js": "text/javascript", ".onnx": "application/octet-stream",
                      ".json": "application/json", ".svg": "image/svg+xml"}

    def end_headers(self):
        for key, value in ISOLATION_HEADERS.items():
            self.send_header(key, value)
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, format, *args):  # one line per request is noise in a lesson
        pass


def make_server(folder, port: int = 8000) -> http.server.ThreadingHTTPServer:
    """A server for ``folder`` on 127.0.0.1:``port`` (0: any free port; ``server.server_port``)."""
    folder = Path(folder)
    if not (folder / "index.html").is_file():
        raise FileNotFoundError(f"{folder}: no index.html there; build the site first with `make html`.")
    handler = functools.partial(SiteHandler, directory=str(folder))
    try:
        return http.server.ThreadingHTTPServer((HOST, port), handler)
    except OSError as e:
        raise OSError(f"cannot listen on {HOST}:{port} ({e.strerror}); choose another with --port.") from None


def serve_in_thread(folder, port: int = 0):
    """Start :func:`make_server` in a daemon thread (tests, notebooks); returns ``(server, url)``.
    Stop it with ``server.shutdown()``."""
    server = make_server(folder, port)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://{HOST}:{server.server_port}/"
