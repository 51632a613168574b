"""The classroom and self-study tools: navigation, slide metadata, student copies, slides/site export.

None of these tests executes a whole lesson: the student-copy test runs only each lesson's setup
cell, its exercise stubs and its check cells; the export test converts stored notebooks.
"""

import ast
import builtins
import re
import shutil
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import _lessons as L  # noqa: E402
import build_site  # noqa: E402
import navigation  # noqa: E402
import slides_metadata  # noqa: E402
import student  # noqa: E402

LESSONS = L.lessons()
CHECK_CALL = re.compile(r"\bcheck_\w+\(|\.check\(")


def _lesson(num, name, title, extra=()):
    cells = [nbformat.v4.new_markdown_cell(f"# {num} — {title}: the long part\n\nOne sentence on {name}.")]
    setup = "from nst_course.config import describe_setup\nprint(describe_setup())"
    cells += [nbformat.v4.new_code_cell(setup),
              nbformat.v4.new_markdown_cell("## 1. Something\n\nText."), *extra,
              nbformat.v4.new_markdown_cell("## Exercises\n\n1. Try it.")]
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


@pytest.fixture
def mini_course(tmp_path):
    """Three tiny lessons, one with a hand-written (stale) navigation cell."""
    stale = nbformat.v4.new_markdown_cell("[index](nowhere.ipynb)", metadata={"tags": ["navigation"]})
    specs = [("00", "start_here", "Start here", [nbformat.v4.new_markdown_cell("## Course map")]),
             ("01", "cnn_features", "CNN features", [stale]),
             ("02", "reconstruction", "Layer-wise reconstruction", [])]
    for num, name, title, extra in specs:
        nbformat.write(_lesson(num, name, title, extra), str(tmp_path / f"{num}_{name}.ipynb"))
    return tmp_path


# --- navigation -------------------------------------------------------------------------------

def test_navigation_links_prev_index_next_and_is_idempotent(mini_course):
    assert navigation.main([str(mini_course)]) == 0
    first = {p.name: p.read_text() for p in mini_course.glob("*.ipynb")}
    assert navigation.main([str(mini_course), "--check"]) == 0, "a second run would change something"
    assert navigation.update(mini_course) == []
    assert {p.name: p.read_text() for p in mini_course.glob("*.ipynb")} == first

    nb = L.read(mini_course / "01_cnn_features.ipynb")
    navs = [c for c in nb.cells if "navigation" in L.tags(c)]
    assert len(navs) == 2, "one navigation cell at the top, one at the bottom (the stale one reused)"
    assert nb.cells[1] is navs[0] and nb.cells[-1] is navs[1]
    assert L.source(navs[0]) == ("[← previous: 00 Start here](00_start_here.ipynb) | "
                                 "[index](00_start_here.ipynb) | "
                                 "[next: 02 Layer-wise reconstruction →](02_reconstruction.ipynb)")
    last = L.source(L.read(mini_course / "02_reconstruction.ipynb").cells[-1])
    assert "next" not in last and "previous: 01 CNN features" in last

    index = L.read(mini_course / "00_start_here.ipynb")
    listing = [c for c in index.cells if "lesson-list" in L.tags(c)]
    assert len(listing) == 1, "00 carries one generated lesson list"
    assert L.source(index.cells[index.cells.index(listing[0]) - 1]).startswith("## Course map")
    text = L.source(listing[0])
    assert "[CNN features: the long part](01_cnn_features.ipynb)" in text
    assert "One sentence on reconstruction." in text


def test_navigation_follows_a_renamed_title(mini_course):
    navigation.update(mini_course)
    path = mini_course / "02_reconstruction.ipynb"
    nb = L.read(path)
    nb.cells[0].source = nb.cells[0].source.replace("Layer-wise reconstruction", "Seeing with losses")
    nbformat.write(nb, str(path))
    assert navigation.main([str(mini_course), "--check"]) == 1
    navigation.update(mini_course)
    top = L.source(L.read(mini_course / "01_cnn_features.ipynb").cells[1])
    assert "[next: 02 Seeing with losses →]" in top


@pytest.mark.skipif(not LESSONS, reason="no lessons yet")
def test_every_lesson_link_points_to_an_existing_lesson():
    names = {p.name for p in LESSONS}
    for path in LESSONS:
        for cell in L.read(path).cells:
            if "navigation" in L.tags(cell) or "lesson-list" in L.tags(cell):
                for target in re.findall(r"\]\(([^)#]+\.ipynb)", L.source(cell)):
                    assert target in names or not (ROOT / "notebooks" / "00_start_here.ipynb").exists(), \
                        f"{path.name}: navigation links to missing {target}"


# --- slide metadata ---------------------------------------------------------------------------

def test_slide_rules_on_a_small_lesson(mini_course):
    navigation.update(mini_course)
    nb = L.read(mini_course / "01_cnn_features.ipynb")
    nb.cells[-1:-1] = [
        nbformat.v4.new_markdown_cell("### A detail"),
        nbformat.v4.new_code_cell("def f(x):\n    raise NotImplementedError"),
        nbformat.v4.new_code_cell("def f(x):\n    return x", metadata={"tags": ["solution"]}),
        nbformat.v4.new_markdown_cell("Lecturer: ask the room first.")]
    slides_metadata.apply(nb)
    kinds = [c.metadata["slideshow"]["slide_type"] for c in nb.cells]
    assert kinds[0] == "slide"                          # title
    assert kinds[1] == kinds[-1] == "skip"              # navigation
    assert kinds[2] == "skip"                           # setup cell
    assert kinds[3] == "slide"                          # ## heading
    assert kinds[-6:-1] == ["slide", "subslide", "-", "fragment", "notes"]  # ##, ###, stub, solution, notes
    before = nbformat.writes(nb)
    slides_metadata.apply(nb)
    assert nbformat.writes(nb) == before, "not idempotent"


def test_long_runs_of_cells_are_split_into_subslides():
    cells = [nbformat.v4.new_markdown_cell("# 09 — T"), nbformat.v4.new_markdown_cell("## Section")]
    cells += [nbformat.v4.new_code_cell("show_images([a, b])\nplt.show()") for _ in range(4)]
    kinds = slides_metadata.slide_types(nbformat.v4.new_notebook(cells=cells))
    assert kinds[:3] == ["slide", "slide", "-"] and "subslide" in kinds[3:]


@pytest.mark.skipif(not LESSONS, reason="no lessons yet")
@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_lesson_carries_slide_metadata(path):
    nb = L.read(path)
    kinds = [c.metadata.get("slideshow", {}).get("slide_type") for c in nb.cells]
    assert all(k in slides_metadata.TYPES for k in kinds), \
        f"{path.name}: cells without slide metadata; run `make navigation`"
    assert kinds == slides_metadata.slide_types(nb), \
        f"{path.name}: slide metadata out of date; run `make navigation`"


# --- student copies ---------------------------------------------------------------------------

def _solution_only_lines(nb) -> set[str]:
    """Code lines that appear in solution cells and nowhere else in the lesson."""
    sol, rest = set(), set()
    for cell in nb.cells:
        lines = {ln.strip() for ln in L.source(cell).splitlines()}
        (sol if "solution" in L.tags(cell) else rest).update(lines)
    return {ln for ln in sol - rest if len(ln) > 8 and not ln.startswith(("#", '"""', "'''"))}


@pytest.fixture(scope="module")
def student_copies(tmp_path_factory):
    out = tmp_path_factory.mktemp("student")
    return student.build(ROOT / "notebooks", out)


def test_stub_keeps_the_signature_and_raises():
    code = ('def gram(features, normalize="chw"):\n    """Doc."""\n    return features @ features.mT\n\n'
            'answer = "STYLE"')
    stub = student.stub_code(code)
    ns = {}
    exec(stub, ns)  # noqa: S102 - our own generated stub
    with pytest.raises(NotImplementedError):
        ns["gram"](1)
    assert ns["answer"] is None and '"""Doc."""' in stub and "return" not in stub


def test_student_copy_of_a_lesson_without_a_stub_gets_one(tmp_path):
    nb = _lesson("05", "x", "X", [
        nbformat.v4.new_code_cell("def my_tv(x):\n    return x.diff().abs().sum()",
                                  metadata={"tags": ["solution"]}),
        nbformat.v4.new_markdown_cell("Answer: **B**", metadata={"tags": ["solution"]})])
    copy = student.student_notebook(nb)
    texts = [L.source(c) for c in copy.cells]
    assert not any("x.diff()" in t or "Answer: **B**" in t for t in texts)
    assert any("raise NotImplementedError" in t and "def my_tv(x):" in t for t in texts)
    assert not any("solution" in L.tags(c) for c in copy.cells)


@pytest.mark.skipif(not LESSONS, reason="no lessons yet")
def test_student_copies_are_valid_and_hold_no_solution(student_copies):
    assert {p.name for p in student_copies} >= {p.name for p in LESSONS}
    for path in student_copies:
        nb = L.read(path)
        nbformat.validate(nb)
        original = L.read(ROOT / "notebooks" / path.name)
        leaked = _solution_only_lines(original)
        for cell in nb.cells:
            assert "solution" not in L.tags(cell), f"{path.name}: a solution cell survived"
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None
            hit = leaked & {ln.strip() for ln in L.source(cell).splitlines()}
            assert not hit, f"{path.name}: solution code in the student copy: {sorted(hit)[:3]}"


def _names(code: str) -> tuple[set[str], set[str]]:
    """(names the cell defines, names it reads) at top level; (empty, empty) if it does not parse."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return set(), set()
    defined = set(student.defined_names(code))
    used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    local = {a.arg for n in ast.walk(tree) if isinstance(n, ast.arguments)
             for a in n.args + n.kwonlyargs + n.posonlyargs + [n.vararg, n.kwarg] if a}
    local |= {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    return defined, used - local


def _stub_check_notebook(nb):
    """Setup cell + exercise stubs + the check cells that need nothing else; None if there are none."""
    code = [c for c in nb.cells if c.cell_type == "code"]
    setup = [c for c in code if "describe_setup(" in L.source(c)][:1]
    stubs = [c for c in code if re.search(r"raise NotImplementedError|YOUR (CODE|ANSWER) HERE", L.source(c))]
    have = set(dir(builtins))
    for c in setup + stubs:
        have |= _names(L.source(c))[0]
    checks = []
    for c in code:
        text = L.source(c)
        if CHECK_CALL.search(text) and c not in stubs:
            defined, used = _names(text)
            if used <= have | defined:
                checks.append(c)
    if not checks:
        return None
    run = nbformat.v4.new_notebook(cells=[nbformat.from_dict(c) for c in setup + stubs + checks])
    run.metadata = nb.metadata
    return run


@pytest.mark.skipif(not LESSONS, reason="no lessons yet")
def test_exercise_checks_report_not_yet_solved_on_the_stubs(student_copies, monkeypatch):
    from nbclient import NotebookClient

    monkeypatch.setenv("NST_COURSE_FAST", "1")
    ran = 0
    for path in student_copies:
        run = _stub_check_notebook(L.read(path))
        if run is None:
            continue
        NotebookClient(run, timeout=300, kernel_name="python3",
                       resources={"metadata": {"path": str(path.parent)}}).execute()
        n_setup_stub = len(run.cells) - sum(bool(CHECK_CALL.search(L.source(c))) for c in run.cells)
        for cell in run.cells[n_setup_stub:]:
            text = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
            assert not [o for o in cell.outputs if o.output_type == "error"], f"{path.name}: a check crashed"
            assert re.search(r"not (yet|answered)", text.lower()), \
                f"{path.name}: {L.source(cell)!r} printed {text!r}, not 'not yet solved'"
            ran += 1
    assert ran, "no exercise check found in the student copies"


# --- slides and site export ---------------------------------------------------------------------

def _offline(page: str) -> list[str]:
    """Scripts, style sheets and modules the page would fetch from the network."""
    return re.findall(r'(?:src|href)="(https?://[^"]+)"|import [^;]* from \'(https?://[^\']+)\'', page)


@pytest.mark.skipif(not LESSONS, reason="no lessons yet")
@pytest.mark.skipif(not (ROOT / "tools" / "node_modules" / "reveal.js").is_dir(),
                    reason="reveal.js assets not installed: run `make web-assets` (npm ci --prefix tools)")
def test_slides_and_site_pages_are_offline(tmp_path):
    lesson = next((p for p in LESSONS if p.name.startswith("01_")), LESSONS[0])
    src = tmp_path / "src"
    src.mkdir()
    shutil.copy2(lesson, src / lesson.name)
    slides_metadata.update(src)
    slides = build_site.build("slides", tmp_path / "slides", [src / lesson.name], fast=True, run=False)
    site = build_site.build("html", tmp_path / "site", [src / lesson.name], fast=True, run=False)
    for page in slides + site:
        text = page.read_text()
        assert not [u for u in _offline(text) if any(u)], f"{page.name} loads from the network"
        for ref in re.findall(r'(?:src|href)="(_static/[^"?]+)', text):
            assert (page.parent / ref).exists(), f"{page.name}: {ref} missing"
        assert not re.search(r'href="\d\d_\w+\.ipynb', text), "links to lessons should point to pages"
    deck = slides[0].read_text()
    assert "_static/reveal.js/dist/reveal.js" in deck and deck.count("<section") > 3
    assert (tmp_path / "site" / "_static" / "mathjax" / "MathJax.js").exists()


@pytest.mark.skipif(not (ROOT / "notebooks" / "00_start_here.ipynb").exists(), reason="no index (00) yet")
def test_navigation_of_the_lessons_is_up_to_date():
    changed = navigation.update(ROOT / "notebooks", write=False)
    assert not changed, f"navigation out of date in {[p.name for p in changed]}: run `make navigation`"
