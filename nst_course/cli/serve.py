"""``nst-course serve [SITE]``: the built site on http://127.0.0.1:PORT/ (:mod:`nst_course.siteserver`)."""

from __future__ import annotations

import sys


def add_parser(sub) -> None:
    s = sub.add_parser("serve", help="serve the built site on 127.0.0.1 (the Try it page needs it; "
                                     "the other pages also open as files)")
    s.add_argument("site", nargs="?", default="site", help="the folder `make html` wrote (default: site)")
    s.add_argument("--port", type=int, default=8000, help="port on 127.0.0.1 (default: 8000; 0: any free)")
    s.set_defaults(func=run)


def run(args) -> int:
    from ..siteserver import make_server

    if not 0 <= args.port <= 65535:
        raise ValueError(f"--port must be between 0 and 65535, got {args.port}.")
    try:
        server = make_server(args.site, args.port)
    except FileNotFoundError as e:
        raise ValueError(str(e)) from None
    except OSError as e:
        raise ValueError(str(e)) from None
    url = f"http://127.0.0.1:{server.server_port}/"
    print(f"Serving {args.site} at {url} (Try it: {url}try/index.html); Ctrl-C stops.", file=sys.stderr)
    with server:
        server.serve_forever()
    return 0
