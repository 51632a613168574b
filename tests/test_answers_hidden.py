"""No lesson shows a quiz's answer before the learner tries (issue 22).

Every exercise widget registers what its check compares with (``nst_course.widgets.answer_keys``):
the answer in the order the images are shown (letters, titles, descriptions). Each lesson with an
exercise is executed in fast mode (once per test run, shared with the slides' test:
tests/_executed.py); a last cell, removed afterwards, prints the keys. Then every cell that is
not tagged ``solution`` (markdown and code: its source and its printed output) is scanned: it
must not contain a key in order (two or more items one after the other, also through the short
names of a dict such as ``{"plain": "plain transfer"}``), and for a quiz with decoys no list in
a cell may name exactly the descriptions used.

The scanner itself is tested on made-up cells first, so a scan that finds nothing means
something.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import pytest
from _executed import answer_keys, executed, shared_folder

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import _lessons as L  # noqa: E402

QUIZ_RE = re.compile(r"\b(MatchingExercise|SortingExercise|layer_sorting_exercise)\b")
WITH_QUIZ = [p for p in L.lessons() if any(QUIZ_RE.search(L.source(c)) for c in L.read(p).cells)]


# --- the scanner ---------------------------------------------------------------------------------

def _aliases(sources: list[str], key: list[str]) -> list[list[str]]:
    """The key through every dict literal of the lesson mapping short names to its items:
    ``{"plain": "plain transfer", ...}`` turns ``["plain transfer", ...]`` into ``["plain", ...]``."""
    out = []
    for src in sources:
        try:
            tree = ast.parse(src)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if not isinstance(node, ast.Dict):
                continue
            pairs = {v.value: k.value for k, v in zip(node.keys, node.values)
                     if isinstance(k, ast.Constant) and isinstance(v, ast.Constant)
                     and isinstance(k.value, str) and isinstance(v.value, str)}
            if all(item in pairs for item in key):
                out.append([pairs[item] for item in key])
    return out


#: a capital letter that is a name's initial: "A. Hertzmann", "C. E. Jacobs" (not a label)
INITIAL = re.compile(r"\.\s*[A-Z]")


def _sequence(text: str, vocabulary: set[str]) -> list[str]:
    """The words of ``vocabulary`` in ``text`` in the order they occur (whole words; longer
    words first where two overlap; a single capital letter not where it is a name's initial,
    so a reference list's "A. Hertzmann, C. E. Jacobs, N. Oliver, B. Curless" does not spell
    the letters A, C, B)."""
    words = sorted(vocabulary, key=len, reverse=True)
    pattern = re.compile(r"(?<![\w])(" + "|".join(map(re.escape, words)) + r")(?![\w])")
    return [m.group(1) for m in pattern.finditer(text)
            if not (len(m.group(1)) == 1 and m.group(1).isupper() and INITIAL.match(text, m.end()))]


def _contains_run(seq: list[str], key: list[str]) -> bool:
    n = len(key)
    return any(seq[i:i + n] == key for i in range(len(seq) - n + 1))


def _literals(src: str) -> list[list[str]]:
    """The strings of every list, tuple or set literal of a cell, each in its order."""
    try:
        tree = ast.parse(src)
    except SyntaxError:
        return []
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.List | ast.Tuple | ast.Set) and node.elts and all(
                isinstance(e, ast.Constant) and isinstance(e.value, str) for e in node.elts):
            out.append([e.value for e in node.elts])
    return out


def find_leaks(cells: list[dict], keys: list[dict], all_sources: list[str]) -> list[str]:
    """Leaks as sentences. ``cells``: ``{"where", "text", "code"}`` (the non-solution cells'
    sources and outputs; ``code`` only for sources of code cells); ``keys``: ``answer_keys()``.

    A key itself counts anywhere in the text (prose, code, output); a key through a dict's short
    names (common words such as "style") only as one list literal in code."""
    leaks = []
    for quiz in keys:
        full = [key for key in quiz["keys"] if len(key) >= 2]
        short = [a for key in full for a in _aliases(all_sources, key)]
        for cell in cells:  # one sentence per cell and quiz: the first way it gives the answer
            lists = _literals(cell["text"]) if cell.get("code") else []
            for key in full + short:
                in_text = key in full and _contains_run(_sequence(cell["text"], set(key)), key)
                if in_text or any(_contains_run(lst, key) for lst in lists):
                    leaks.append(f"{cell['where']} names the answer {key} in order")
                    break
                if all(len(k) == 1 and k.isalpha() for k in key) and re.search(
                        rf"(?<![\w]){''.join(key)}(?![\w])", cell["text"]):
                    leaks.append(f"{cell['where']} spells the answer {''.join(key)}")
                    break
            used = quiz.get("answer_set")
            if used and any(set(lst) == set(used) for lst in lists):
                leaks.append(f"{cell['where']} lists the descriptions used, {sorted(used)}")
    return leaks


def _cell(where, text, code=False):
    return {"where": where, "text": text, "code": code}


def test_the_scanner_finds_an_order_written_in_code_or_printed():
    keys = [{"kind": "matching", "keys": [["the style image", "white noise", "the content photo"]],
             "answer_set": None}]
    src = 'START = {"noise": "white noise", "content": "the content photo", "style": "the style image"}'
    assert find_leaks([_cell("c1", src, True)], keys, [src]) == []  # the dict: options' order
    leak = 'quiz_order = ["style", "noise", "content"]  # shuffled: A, B, C'
    assert find_leaks([_cell("c2", leak, True)], keys, [src, leak]) == [
        "c2 names the answer ['style', 'noise', 'content'] in order"]
    printed = "A: the style image\nB: white noise\nC: the content photo"
    assert find_leaks([_cell("c3 output", printed)], keys, [src]) == [
        "c3 output names the answer ['the style image', 'white noise', 'the content photo'] in order"]
    # only the whole key counts: two of three in a row also occur in the options' own order
    assert not find_leaks([_cell("c4", "white noise, the content photo or the style image")], keys, [src])


def test_the_scanner_finds_a_spelled_sorting_answer_and_a_named_answer_set():
    keys = [{"kind": "sorting", "keys": [list("CAEBD"), ["conv3_1", "conv1_1", "conv5_1", "conv2_1",
                                                         "conv4_1"]], "answer_set": None},
            {"kind": "matching", "keys": [["coffee", "mosaic", "waves"]],
             "answer_set": ["mosaic", "waves", "coffee"]}]
    assert find_leaks([_cell("m", "the order is C → A → E → B → D")], keys, [])
    assert find_leaks([_cell("m", 'check_order("CAEBD")', True)], keys, [])
    assert not find_leaks([_cell("m", 'type e.g. "ABCDE", the letters A, B, C, D, E')], keys, [])
    assert not find_leaks([_cell("m", "conv1_1 conv2_1 conv3_1 conv4_1 conv5_1")], keys, [])
    # a reference list's initials are not labels; the same letters written as an order are
    refs = "A. Hertzmann, C. E. Jacobs, N. Oliver, B. Curless, D. H. Salesin, *Image Analogies*"
    letters = [{"kind": "sorting", "keys": [list("ACB")], "answer_set": None}]
    assert not find_leaks([_cell("refs", refs)], letters, [])
    for order in ("A, C, B", "A → C → B", "first A, then C, then B", "ACB"):
        assert find_leaks([_cell("m", order)], letters, []), order
    src = 'SOURCES = ["mosaic", "waves", "coffee"]  # shuffled below'
    assert find_leaks([_cell("c20", src, True)], keys, [src]) == [
        "c20 lists the descriptions used, ['coffee', 'mosaic', 'waves']"]
    cands = 'CANDIDATES = ["swirls", "mosaic", "waves", "composition", "coffee", "astronaut"]'
    assert not find_leaks([_cell("c20", cands, True)], keys, [cands])


# --- the lessons -----------------------------------------------------------------------------------

def _output_text(cell) -> str:
    parts = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            parts.append(out.get("text", ""))
        for kind in ("text/plain", "text/markdown", "text/html"):
            value = out.get("data", {}).get(kind)
            if value:
                parts.append(value if isinstance(value, str) else "".join(value))
        if out.get("output_type") == "error":
            parts.append("\n".join(out.get("traceback", [])))
    return "\n".join(parts)


def test_lessons_with_quizzes_are_found():
    names = [p.name[:2] for p in WITH_QUIZ]
    assert {"00", "01", "02", "03"} <= set(names) and len(names) >= 6, names


@pytest.mark.parametrize("path", WITH_QUIZ, ids=[p.name[:2] for p in WITH_QUIZ])
def test_no_cell_before_the_solution_shows_an_answer(path, tmp_path_factory):
    nb = executed(path, shared_folder(tmp_path_factory))
    keys = answer_keys(nb)
    assert keys, f"{path.name} makes no exercise widget"
    cells, sources = [], [L.source(c) for c in nb.cells]
    for i, cell in enumerate(nb.cells):
        if "solution" in L.tags(cell):
            continue
        cells.append(_cell(f"{path.name} cell {i}", L.source(cell), cell.cell_type == "code"))
        if cell.cell_type == "code":
            cells.append(_cell(f"{path.name} cell {i} (output)", _output_text(cell)))
    leaks = find_leaks(cells, keys, sources)
    assert not leaks, "answers visible before the solution:\n" + "\n".join(leaks)
