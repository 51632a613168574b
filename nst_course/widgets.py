"""In-class exercises as widgets, each with a plain-text fallback for static viewers.

* :class:`SortingExercise`: images labelled with letters, put them in order
  (lesson 01: intermediate representations lowest -> highest layer, spelling
  STYLE; lesson 02: the reconstruction gallery).
* :class:`MatchingExercise`: give each image one description from a list
  (lesson 04: large/small content loss x large/small style loss).
* :func:`check_order`: the fallback for sorting when widgets do not render
  (a static viewer, a PDF): type the answer string, get right/wrong and a hint.
* :func:`hidden_pick`: choose which of several candidates a quiz uses, without the
  lesson's code naming them.

Every exercise works without a kernel: ``ex.check("STYLE")`` prints feedback and
returns a bool; in a notebook ``ex`` (or ``display(ex.widget)``) shows dropdowns,
a *Check* and a *Reveal* button. Introduced in notebooks/01_cnn_features.ipynb.

No answer leaks by running cells: ``ex.reveal()`` never touches the widget; it returns an
:class:`Answer`, shown as a *closed* ``<details>`` block (click to open). Only a click on
the widget's *Reveal* button writes the answer into the widget. Lessons call ``reveal()``
only in cells tagged ``solution`` (student copies drop them).

No answer sits in a lesson's code either: ``SortingExercise.shuffled`` and
``MatchingExercise.shuffled`` take the images in their *true* order and shuffle them inside
the widget (a hidden seed, never the identity, never the order of the options), so the cell
that builds a quiz names no order. Every exercise made in a process is kept in
``_Exercise.registry``; :func:`answer_keys` lists what their checks compare with
(tests/test_answers_hidden.py scans the lessons for it).
"""

from __future__ import annotations

import collections
import html
import re
import weakref
import zlib
from collections.abc import Mapping, Sequence

import numpy as np

BLANK = "?"
#: the shuffles' seed when a lesson gives none (kept here, out of the lessons' cells)
_HIDDEN_SEED = 2015


def _rng(seed, *salt: str) -> np.random.Generator:
    """A generator from ``seed``, or from the hidden seed and ``salt`` (so quizzes differ)."""
    if seed is None:
        seed = _HIDDEN_SEED + zlib.crc32("\x1f".join(salt).encode())
    return np.random.default_rng(seed)


def _shuffle(n: int, rng: np.random.Generator, avoid=()) -> list[int]:
    """A permutation of ``range(n)`` that is not the identity nor any order in ``avoid``
    (where ``n > 1`` allows one); ``order[k]`` is the true index of the item shown at ``k``."""
    bad = [list(range(n)), *[list(a) for a in avoid]]
    for _ in range(1000):
        order = [int(k) for k in rng.permutation(n)]
        if n < 2 or order not in bad:
            return order
    return order  # n == 2 with both orders avoided: nothing else exists


def hidden_pick(names, k: int, seed: int | None = None) -> list[str]:
    """``k`` of ``names``, chosen with the widgets' hidden seed, in the order of ``names``.

    For a quiz that uses some of its candidates: the lesson's code then never names which.

    >>> len(hidden_pick(["swirls", "mosaic", "waves", "composition"], 2))
    2
    """
    names = [str(n) for n in names]
    if not 0 < k <= len(names) or len(set(names)) != len(names):
        raise ValueError(f"cannot pick {k} of the {len(names)} names {names} (distinct names, "
                         f"1 to {len(names)} of them)")
    chosen = set(_rng(seed, "pick", *names).choice(len(names), size=k, replace=False).tolist())
    return [n for i, n in enumerate(names) if i in chosen]


def answer_keys() -> list[dict]:
    """What the checks of every exercise made in this process compare with.

    One dict per exercise: ``{"kind": "sorting" | "matching", "keys": [[str, ...], ...],
    "answer_set": [str, ...] | None}``. ``keys``: the answer in the order the images are shown
    (sorting: the letters in the right order, and the titles of the images as shown, if
    given; matching: one description per image as shown).
    ``answer_set``: for a matching quiz whose options include descriptions no image has, the
    descriptions used (naming them gives part of the answer away), else None.
    """
    return [ex._answer_keys() for ref in _Exercise.registry if (ex := ref()) is not None]


def _normalise_order(answer) -> str:
    """``"s t-y,L e"`` or ``["S", "T", ...]`` -> ``"STYLE"`` (letters only, upper case).

    Raises ``TypeError`` for what is not a string or a sequence of single labels.
    """
    if isinstance(answer, bytes):
        answer = answer.decode("utf-8", "replace")
    if not isinstance(answer, str):
        if not isinstance(answer, Sequence):
            raise TypeError(f"the answer is {_describe(answer)}, not a string of letters")
        bad = [a for a in answer if not isinstance(a, str)]
        if bad:
            raise TypeError(f"the answer holds {_describe(bad[0])}; give one letter per position")
        answer = "".join(answer)
    return "".join(ch for ch in answer.upper() if ch.isalnum())


def _describe(value) -> str:
    """A short phrase for a learner's value: ``None``, ``the number 3``, ``a list of 2 items``."""
    if value is None:
        return "None (nothing)"
    if isinstance(value, bool):
        return f"the value {value}"
    if isinstance(value, int | float):
        return f"the number {value!r}"
    if isinstance(value, str):
        return f"the text {value[:40]!r}"
    if isinstance(value, Sequence | Mapping | set):
        return f"a {type(value).__name__} of {len(value)} item{'s' * (len(value) != 1)}"
    return f"a {type(value).__name__}"


def order_feedback(answer, expected: str, hint: str | None = None,
                   first: str = "lowest") -> tuple[bool, str]:
    """Compare an order with the expected one; returns ``(right, message)``.

    Any value a learner can type gets a sentence about it (never an exception).
    """
    expected = _normalise_order(expected)
    if isinstance(answer, str) and len(answer) > 50 * max(1, len(expected)):
        return False, (f"Not yet: your answer is {len(answer):,} characters long; type just the "
                       f"{len(expected)} letters {', '.join(sorted(expected))} in your order.")
    try:
        given = _normalise_order(answer)
    except TypeError as e:
        return False, (f"Not yet: {e}. Type the {len(expected)} letters "
                       f"{', '.join(sorted(expected))} in your order, {first} first, e.g. "
                       f"check_order(\"{''.join(sorted(expected))}\").")
    if given == expected:
        return True, f"Right: {' → '.join(expected)}."
    if not given:
        return False, (f"Not answered yet: type the {len(expected)} letters "
                       f"{', '.join(sorted(expected))} in your order, {first} first.")
    if sorted(given) != sorted(expected):
        missing = sorted(set(expected) - set(given))
        counts = collections.Counter(given)  # one pass: a pasted megabyte answers at once
        repeated = sorted(ch for ch, n in counts.items() if n > 1)
        extra = sorted(set(given) - set(expected))
        parts = []
        if missing:
            parts.append(f"missing {', '.join(missing)}")
        if repeated:
            parts.append(f"used more than once: {', '.join(repeated)}")
        if extra:
            parts.append(f"not a label here: {', '.join(extra)}")
        msg = (f"Not yet: use each of the {len(expected)} labels {', '.join(sorted(expected))} "
               f"exactly once ({'; '.join(parts) or 'wrong length'}).")
        return False, msg
    n_right = sum(a == b for a, b in zip(given, expected))
    msg = f"Not yet: {n_right} of {len(expected)} positions right."
    if hint:
        msg += f" Hint: {hint}"
    return False, msg


def check_order(answer, expected: str = "STYLE",
                hint: str = "low layers keep exact edges and colours; deep layers keep only "
                            "coarse blobs where the objects are.") -> bool:
    """Plain fallback of the sorting exercise: print right/wrong (with a hint) and return it.

    >>> check_order("STYLE")
    Right: S → T → Y → L → E.
    True
    """
    right, msg = order_feedback(answer, expected, hint)
    print(msg)
    return right


class Answer:
    """An exercise's answer, shown closed: ``<details><summary>Answer</summary>…</details>``.

    Returned by ``reveal()``; displaying it never changes the exercise's widget.
    ``str(answer)`` and ``repr(answer)`` give the plain text (static viewers, PDF).
    """

    def __init__(self, text: str, summary: str = "Answer"):
        self.text = text
        self.summary = summary

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return self.text

    def _repr_html_(self) -> str:
        body = html.escape(self.text).replace("\n", "<br>")
        return (f"<details class='nst-answer'><summary>{html.escape(self.summary)}</summary>"
                f"<div style='margin:.4em 0 .4em 1.2em'>{body}</div></details>")


class _Exercise:
    """Shared parts: image tiles, feedback line, Check/Reveal buttons, display."""

    tile_width = 160
    #: weak references to every exercise made in this process, in order (:func:`answer_keys`)
    registry: list = []

    def __init__(self, images, captions, titles):
        self.images = list(images)
        self.captions = list(captions)
        self.titles = None if titles is None else list(titles)
        if self.titles is not None and len(self.titles) != len(self.images):
            raise ValueError("give one title per image (or none)")
        self.feedback = ""
        self._widget = None
        #: ``order[k]``: the true index of the image shown at ``k`` (identity unless shuffled)
        self._order = list(range(len(self.images)))
        _Exercise.registry.append(weakref.ref(self))

    def shown(self, items) -> list:
        """``items`` given in the true order (one per image), rearranged as the images are shown.

        For a solution cell, e.g. ``quiz.shown(names)`` next to ``quiz.images``.
        """
        items = list(items)
        if len(items) != len(self._order):
            raise ValueError(f"give one item per image ({len(self._order)}), got {len(items)}")
        return [items[k] for k in self._order]

    def _try_build(self):
        """Build the widgets now (so the controls exist as attributes); skip without ipywidgets."""
        try:
            self._build()
        except ImportError:  # plain fallback only: check() and reveal() still work
            self._widget = None

    def _build(self):
        import ipywidgets as w

        self.check_button = w.Button(description="Check", button_style="primary",
                                     icon="check")
        self.reveal_button = w.Button(description="Reveal", button_style="warning", icon="eye")
        # classes mark what a built page must store empty (tools/build_site.py scrubs them)
        self.feedback_label = w.HTML(value="", _dom_classes=("nst-feedback",))
        self.check_button.on_click(lambda _: self._on_check())
        self.reveal_button.on_click(lambda _: self._on_reveal())
        from .images import png_bytes

        tiles = []
        for img, cap in zip(self.images, self.captions):
            pic = w.Image(value=png_bytes(img, self.tile_width), format="png",
                          layout=w.Layout(width=f"{self.tile_width}px"))
            tiles.append(w.VBox([w.HTML(f"<b style='font-size:1.4em'>{cap}</b>"), pic],
                                layout=w.Layout(align_items="center", margin="0 6px")))
        self._widget = w.VBox([w.HBox(tiles, layout=w.Layout(flex_flow="row wrap")),
                               self._controls(),
                               w.HBox([self.check_button, self.reveal_button]),
                               self.feedback_label])

    @property
    def widget(self):
        """The ipywidgets box (needs ipywidgets)."""
        if self._widget is None:
            self._build()
        return self._widget

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)

    def _say(self, msg: str, ok: bool | None = None) -> None:
        self.feedback = msg
        if self._widget is not None:
            colour = {True: "green", False: "firebrick", None: "black"}[ok]
            text = html.escape(msg).replace("\n", "<br>")
            self.feedback_label.value = f"<span style='color:{colour}'>{text}</span>"

    def _verdict(self, msg: str, right: bool, quiet: bool) -> bool:
        """Show ``msg`` in the widget (and print it unless ``quiet``); return ``right``."""
        self._say(msg, right)
        if not quiet:
            print(msg)
        return right

    def _on_check(self):
        self.check(self._current(), quiet=True)

    def _on_reveal(self):
        for dropdown, value in zip(self.dropdowns, list(self.answer)):
            dropdown.value = value
        self._say(self.answer_text(), None)

    def reveal(self) -> Answer:
        """The answer as a closed ``<details>`` block; the widget is left as it is.

        Only a click on the widget's *Reveal* button writes the answer into the widget.
        """
        return Answer(self.answer_text())


class SortingExercise(_Exercise):
    """Put labelled images in order (e.g. lowest -> highest layer).

    Args:
        images: the images in the order shown (already shuffled), tensors
            ``(1, 3, H, W)`` in [0, 1], maps ``(H, W)``, arrays or PIL images.
        labels: one letter per image, in the same order (``"ETLSY"`` or a list).
        answer: the labels in the right order (``"STYLE"``).
        titles: what each image really is (``"conv1_1"``...), shown on Reveal.
        hint: added to a wrong answer's feedback.
        ends: the words at the two ends of the row of dropdowns; default ``("lowest",
            "highest")``, or ``("earliest", "latest")`` when every title is a step (``"step 12"``),
            an order in time.

    Controls: ``dropdowns`` (one per position, first = ``ends[0]``),
    ``check_button``, ``reveal_button``; ``feedback`` is the last message.
    """

    def __init__(self, images, labels, answer, titles=None,
                 hint: str = "look for exact edges and colours (low) versus coarse blobs (high).",
                 ends: tuple[str, str] | None = None):
        labels = list(labels)
        if len(labels) != len(list(images)):
            raise ValueError(f"{len(labels)} labels for {len(list(images))} images")
        if sorted(_normalise_order(answer)) != sorted(_normalise_order(labels)):
            raise ValueError(f"the answer {answer!r} must use each label {labels} once")
        super().__init__(images, labels, titles)
        self.labels = [str(lbl) for lbl in labels]
        self.answer = _normalise_order(answer)
        self.hint = hint
        in_time = titles is not None and all(re.fullmatch(r"step \d+", str(t)) for t in titles)
        self.ends = tuple(ends) if ends else ("earliest", "latest") if in_time else ("lowest", "highest")
        self._try_build()

    @classmethod
    def shuffled(cls, images, titles=None, labels: str = "ABCDE", seed: int | None = None,
                 **kwargs):
        """An exercise from ``images`` given in the *right* order, shown shuffled.

        The images are shuffled (seeded; by default with the widgets' hidden seed, so no
        cell needs one) and labelled ``labels`` in the order shown, so the answer never
        appears in the notebook's code. ``titles`` (in the right order) name the images on
        Reveal. Never shown in the right order.
        """
        images = list(images)
        labels = list(labels)[: len(images)]
        if len(labels) < len(images):
            raise ValueError(f"{len(images)} images need {len(images)} labels, got {len(labels)}")
        if seed is None:
            order = _shuffle(len(images), _rng(None, "sorting", *labels, *map(str, titles or ())))
        else:  # the shuffle lessons have always had for an explicit seed
            rng = np.random.default_rng(seed)
            order = rng.permutation(len(images))
            while len(images) > 1 and np.all(order == np.arange(len(images))):  # never unshuffled
                order = rng.permutation(len(images))
            order = [int(k) for k in order]
        shown = [images[k] for k in order]
        answer = "".join(labels[order.index(k)] for k in range(len(images)))
        shown_titles = None if titles is None else [list(titles)[k] for k in order]
        ex = cls(shown, labels, answer, titles=shown_titles, **kwargs)
        ex._order = order
        return ex

    def _controls(self):
        import ipywidgets as w

        self.dropdowns = [
            w.Dropdown(options=[BLANK] + self.labels, value=BLANK, description=f"{k + 1}.",
                       layout=w.Layout(width="110px"), style={"description_width": "22px"},
                       _dom_classes=("nst-choice",))
            for k in range(len(self.labels))
        ]
        return w.HBox([w.HTML(f"{self.ends[0]} →"), *self.dropdowns, w.HTML(f"→ {self.ends[1]}")])

    def _current(self) -> str:
        return "".join("" if d.value == BLANK else d.value for d in self.dropdowns)

    def check(self, answer, quiet: bool = False) -> bool:
        """Check an order (``"STYLE"``, ``"s t y l e"`` or a list); print and return right/wrong."""
        right, msg = order_feedback(answer, self.answer, self.hint, first=self.ends[0])
        return self._verdict(msg, right, quiet)

    def answer_text(self) -> str:
        """The answer, with what each image is if titles were given."""
        if self.titles is None:
            return f"Answer: {' → '.join(self.answer)}"
        what = dict(zip(self.labels, self.titles))
        return "Answer: " + " → ".join(f"{ch} ({what[ch]})" for ch in self.answer)

    def __repr__(self) -> str:
        return f"SortingExercise({len(self.images)} images labelled {''.join(self.labels)})"

    def _answer_keys(self) -> dict:
        keys = [list(self.answer)]
        if self.titles is not None:  # what each shown image is, in the order shown
            keys.append([str(t) for t in self.titles])
        return {"kind": "sorting", "keys": keys, "answer_set": None}


class MatchingExercise(_Exercise):
    """Give each image one of several descriptions.

    Args:
        images: the images, in the order shown.
        options: the descriptions to choose from (e.g. the four loss quadrants).
        answer: the right description per image (strings from ``options`` or indices).
        titles: captions above the images (default ``"A"``, ``"B"``...).
        reveal_text: shown on Reveal, e.g. the measured losses (default: the answer).
        hint: what to look at, added to the feedback after a wrong (complete) answer.

    Controls: ``dropdowns`` (one per image), ``check_button``, ``reveal_button``.
    """

    def __init__(self, images, options, answer, titles=None, reveal_text: str | None = None,
                 hint: str | None = None, details=None):
        images = list(images)
        self.options = [str(o) for o in options]
        answer = [self.options[a] if isinstance(a, int) else str(a) for a in answer]
        if len(answer) != len(images):
            raise ValueError(f"{len(answer)} answers for {len(images)} images")
        bad = [a for a in answer if a not in self.options]
        if bad:
            raise ValueError(f"answer {bad[0]!r} is not one of the options")
        captions = titles if titles is not None else [chr(ord("A") + k) for k in range(len(images))]
        super().__init__(images, captions, None)
        self.answer = answer
        self.reveal_text = reveal_text
        self.hint = hint  # what to look at, shown after a wrong answer (each quiz has its own)
        self.details = None if details is None else [str(d) for d in details]
        if self.details is not None and len(self.details) != len(images):
            raise ValueError(f"{len(self.details)} details for {len(images)} images")
        self._try_build()

    @classmethod
    def shuffled(cls, images, options, answer, labels: str = "ABCDEFGH", details=None,
                 reveal_text: str | None = None, hint: str | None = None,
                 seed: int | None = None) -> MatchingExercise:
        """A matching quiz from ``images`` and their ``answer`` in the *true* order, shown shuffled.

        Args:
            images: the images in any order you like (e.g. the order they were made in).
            options: the descriptions to choose from (in the dropdowns' order).
            answer: the right description (or option index) of each image, same order as
                ``images``.
            labels: captions of the images as shown (``"A"``, ``"B"``...).
            details: optional text per image (same order as ``images``), shown on Reveal
                after its answer, e.g. its measured losses.
            reveal_text, hint: as for the constructor.
            seed: default None, the widgets' hidden seed; the lesson then names no order.

        The images are shown in an order that is neither the given one nor the options'
        order, so neither a list in the lesson nor the dropdowns give the answer away.
        ``ex.images`` are the images as shown (for a static fallback), ``ex.captions`` their
        labels; ``ex.shown(items)`` rearranges a true-order list as shown (solution cells).
        """
        images = list(images)
        opts = [str(o) for o in options]
        answer = [opts[a] if isinstance(a, int) and not isinstance(a, bool) else str(a) for a in answer]
        if len(answer) != len(images):
            raise ValueError(f"{len(answer)} answers for {len(images)} images")
        bad = [a for a in answer if a not in opts]
        if bad:
            raise ValueError(f"answer {bad[0]!r} is not one of the options")
        labels = list(labels)
        if len(labels) < len(images):
            raise ValueError(f"{len(images)} images need {len(images)} labels, got {len(labels)}")
        by_option = sorted(range(len(images)), key=lambda k: (opts.index(answer[k]), k))
        order = _shuffle(len(images), _rng(seed, "matching", *opts, *answer), avoid=[by_option])
        ex = cls([images[k] for k in order], opts, [answer[k] for k in order],
                 titles=labels[: len(images)], reveal_text=reveal_text, hint=hint,
                 details=None if details is None else [list(details)[k] for k in order])
        ex._order = order
        return ex

    def _controls(self):
        import ipywidgets as w

        # wide enough for the longest option (about 9 px a character at the widgets' font size,
        # plus the label and the arrow), so a projector shows every option whole
        width = max(360, 9 * max(len(o) for o in self.options) + 90)
        self.dropdowns = [
            w.Dropdown(options=[BLANK] + self.options, value=BLANK, description=f"{cap}:",
                       layout=w.Layout(width=f"{width}px"), style={"description_width": "40px"},
                       _dom_classes=("nst-choice",))
            for cap in self.captions
        ]
        return w.VBox(self.dropdowns)

    def _current(self) -> list[str]:
        return [d.value for d in self.dropdowns]

    def _option(self, c) -> str:
        """One choice -> its description; ``ValueError`` with a sentence about ``c`` otherwise."""
        n = len(self.options)
        if isinstance(c, bool) or not isinstance(c, int | str):
            raise ValueError(f"{_describe(c)} is not a description: give an option number "
                             f"0…{n - 1} or its text")
        if isinstance(c, int):
            if not 0 <= c < n:
                raise ValueError(f"there is no option number {c}: the options are numbered 0…{n - 1}")
            return self.options[c]
        if c != BLANK and c not in self.options:
            raise ValueError(f"{_describe(c)} is not one of the {n} descriptions (copy one, or give "
                             f"its number 0…{n - 1})")
        return c

    def _as_list(self, choice) -> list[str]:
        """A list or dict of choices -> one description per image; ``ValueError`` says what is wrong."""
        if isinstance(choice, Mapping):
            keys = {str(c): k for k, c in enumerate(self.captions)}
            out = [BLANK] * len(self.images)
            for key, value in choice.items():
                k = key if isinstance(key, int) and not isinstance(key, bool) else keys.get(str(key))
                if k is None or not 0 <= k < len(out):
                    raise ValueError(f"{_describe(key)} is not one of the images "
                                     f"{', '.join(self.captions)}")
                out[k] = self._option(value)
            return out
        if isinstance(choice, str | bytes) or not isinstance(choice, Sequence):
            raise ValueError(f"the answer is {_describe(choice)}: give a list with one description "
                             f"(or option number) per image, or a dict image -> description")
        if len(choice) != len(self.answer):
            raise ValueError(f"the answer is {_describe(choice)}: give one description for each of "
                             f"the {len(self.answer)} images")
        return [self._option(c) for c in choice]

    def check(self, choice, quiet: bool = False) -> bool:
        """Check a list (one description or option index per image) or a dict caption -> choice.

        Any input gets a sentence about it; nothing a learner types raises an exception.
        """
        try:
            given = self._as_list(choice)
        except ValueError as e:
            msg, right = f"Not yet: {e}.", False
        else:
            n_right = sum(g == a for g, a in zip(given, self.answer))
            unanswered = sum(g == BLANK for g in given)
            if n_right == len(self.answer):
                msg, right = f"Right: all {n_right} matched.", True
            else:
                msg, right = f"Not yet: {n_right} of {len(self.answer)} right.", False
                if unanswered:
                    msg += f" ({unanswered} still unanswered.)"
                elif self.hint:
                    msg += f" Hint: {self.hint}"
        return self._verdict(msg, right, quiet)

    def answer_text(self) -> str:
        """The answer per image, then ``reveal_text`` (e.g. the measured losses)."""
        details = self.details or [""] * len(self.answer)
        text = "Answer:\n" + "\n".join(f"{c}: {a}" + (f" ({d})" if d else "")
                                       for c, a, d in zip(self.captions, self.answer, details))
        if self.reveal_text:
            text += "\n" + self.reveal_text
        return text

    def __repr__(self) -> str:
        return f"MatchingExercise({len(self.images)} images, {len(self.options)} options)"

    def _answer_keys(self) -> dict:
        used = sorted(set(self.answer), key=self.options.index)
        return {"kind": "matching", "keys": [list(self.answer)],
                "answer_set": used if len(used) < len(self.options) else None}
