"""``nst-course samples``: the sample images by name."""

from __future__ import annotations


def add_parser(sub) -> None:
    sub.add_parser("samples", help="list the sample images").set_defaults(func=run)


def run(args) -> int:
    from .. import samples

    print("Photos (shipped with scikit-image):")
    for name, credit in samples.PHOTOS.items():
        print(f"  {name:16} {credit}")
    print("Styles (drawn by nst_course, offline):")
    for name, what in samples.GENERATED.items():
        print(f"  {name:16} {what}")
    print("Paintings (public domain, bundled: offline):")
    for name, p in samples.PAINTINGS.items():
        if p.bundled:
            print(f"  {name:16} {p.title}, {p.artist}, {p.year}")
    print("Paintings (public domain, downloaded on first use):")
    for name, p in samples.PAINTINGS.items():
        if not p.bundled:
            print(f"  {name:16} {p.title}, {p.artist}, {p.year}")
    return 0
