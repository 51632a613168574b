"""The classroom and self-study tools: navigation, slide metadata, student copies, slides/site export.

None of these tests executes a whole lesson: the student-copy test runs only each lesson's setup
cell, its exercise stubs and its check cells; the export tests convert stored notebooks and one
small made-up lesson with both exercises (executed: a few seconds). tests/test_browser.py opens
an executed lesson in Chromium.
"""

import ast
import builtins
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

from nst_course import lessons  # noqa: E402

import _lessons as L  # noqa: E402
import build_site  # noqa: E402
import navigation  # noqa: E402
import slides_metadata  # noqa: E402
import student  # noqa: E402

LESSONS = L.lessons()
assert LESSONS, "no lessons found in notebooks/"
NODE_ASSETS = ROOT / "tools" / "node_modules" / "reveal.js"
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


def test_every_lesson_link_points_to_an_existing_lesson():
    names = {p.name for p in LESSONS}
    links = 0
    for path in LESSONS:
        for cell in L.read(path).cells:
            if "navigation" in L.tags(cell) or "lesson-list" in L.tags(cell):
                for target in re.findall(r"\]\(([^)#]+\.ipynb)", L.source(cell)):
                    assert target in names, f"{path.name}: navigation links to missing {target}"
                    links += 1
    assert links >= 2 * len(LESSONS), "every lesson links to its neighbours and the index"


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
    # signatures stay in the stub by design (students fill in the body)
    return {ln for ln in sol - rest
            if len(ln) > 8 and not ln.startswith(("#", '"""', "'''", "def ", "async def ", "@"))}


@pytest.fixture(scope="module")
def student_copies(tmp_path_factory):
    """The copies `make student` writes (its command, tools/student.py, run as a program)."""
    out = tmp_path_factory.mktemp("student")
    cmd = [sys.executable, str(ROOT / "tools" / "student.py"), str(ROOT / "notebooks"), str(out)]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    return sorted(out.glob("*.ipynb"))


REVEAL_CALL = re.compile(r"\.reveal\s*\(")


def test_make_student_never_overwrites_a_learners_copy(tmp_path):
    """tools/student.py (``make student``) used overwrite=True: a second run wiped the work."""
    src = tmp_path / "src"
    src.mkdir()
    shutil.copy(ROOT / "notebooks" / "00_start_here.ipynb", src)
    out = tmp_path / "student"
    assert student.main([str(src), str(out)]) == 0
    work = out / "00_start_here.ipynb"
    work.write_text(work.read_text().replace("Start here", "My own notes"))
    mine = work.read_bytes()
    assert student.main([str(src), str(out)]) == 0
    assert work.read_bytes() == mine


def test_no_student_copy_contains_a_reveal(student_copies):
    assert {p.name for p in student_copies} >= {p.name for p in LESSONS}
    for path in student_copies:
        for cell in L.read(path).cells:
            assert not REVEAL_CALL.search(L.source(cell)), \
                f"{path.name}: a student copy reveals an answer: {L.source(cell)[:80]!r}"


def test_lecture_plans_stay_in_the_lessons_and_leave_the_student_copies(student_copies):
    """A ``lecture-plan`` cell (what to pre-run, which outputs to clear) is for the lecturer."""
    assert {p.name for p in student_copies} >= {p.name for p in LESSONS}
    for path in LESSONS:
        plans = [L.source(c) for c in L.read(path).cells if lessons.LECTURE_PLAN in L.tags(c)]
        assert plans, f"{path.name} has no lecture-plan cell: the full lessons keep theirs"
        copy = L.read(next(p for p in student_copies if p.name == path.name))
        assert not [c for c in copy.cells if lessons.LECTURE_PLAN in L.tags(c)], path.name
        texts = {L.source(c) for c in copy.cells}
        assert not texts & set(plans), f"{path.name}: the lecture plan's text is in the student copy"


def test_lessons_reveal_only_in_solution_cells():
    found = 0
    for path in LESSONS:
        for k, cell in enumerate(L.read(path).cells):
            if cell.cell_type == "code" and REVEAL_CALL.search(L.source(cell)):
                found += 1
                assert "solution" in L.tags(cell), \
                    f"{path.name} cell {k}: {L.source(cell)[:60]!r} reveals an answer; tag it `solution`"
    assert found, "no lesson calls .reveal(: the pattern is stale, so this test checks nothing"


def test_stub_keeps_the_signature_and_raises():
    code = ('def gram(features, normalize="chw"):\n    """Doc."""\n    return features @ features.mT\n\n'
            'answer = "STYLE"')
    stub = lessons.stub_code(code)
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
    copy = lessons.student_notebook(nb)
    texts = [L.source(c) for c in copy.cells]
    assert not any("x.diff()" in t or "Answer: **B**" in t for t in texts)
    assert any("raise NotImplementedError" in t and "def my_tv(x):" in t for t in texts)
    assert not any("solution" in L.tags(c) for c in copy.cells)


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
    defined = set(lessons.defined_names(code))
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


def test_exercise_checks_report_not_yet_solved_on_the_stubs(student_copies, monkeypatch):
    """Every lesson's setup, stubs and checks, one lesson after the other in one kernel (each
    check runs right after its own lesson's setup and stubs; one kernel pays for the imports
    and the timed step once instead of once per lesson)."""
    from nbclient import NotebookClient

    monkeypatch.setenv("NST_COURSE_FAST", "1")
    cells, checks, folders = [], [], {p.parent for p in student_copies}
    assert len(folders) == 1, folders  # the lessons resolve relative paths from one folder
    for path in student_copies:
        run = _stub_check_notebook(L.read(path))
        if run is None:
            continue
        n_setup_stub = len(run.cells) - sum(bool(CHECK_CALL.search(L.source(c))) for c in run.cells)
        checks += [(path.name, len(cells) + k) for k in range(n_setup_stub, len(run.cells))]
        cells += run.cells
    assert checks, "no exercise check found in the student copies"
    together = nbformat.v4.new_notebook(cells=cells)
    together.metadata = L.read(student_copies[0]).metadata
    NotebookClient(together, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(folders.pop())}}).execute()
    for name, k in checks:
        cell = together.cells[k]
        text = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
        assert not [o for o in cell.outputs if o.output_type == "error"], f"{name}: a check crashed"
        assert re.search(r"not (yet|answered)", text.lower()), \
            f"{name}: {L.source(cell)!r} printed {text!r}, not 'not yet solved'"


# --- slides and site export ---------------------------------------------------------------------

def _offline(page: str) -> list[str]:
    """Scripts, style sheets, modules and fonts the page would fetch from the network."""
    found = re.findall(r'(?:src|href)="(https?://[^"]+)"|(?:import|from)\s*\(?\s*[\'"](https?://[^\'"]+)|'
                       r'url\(\s*[\'"]?(https?://[^)\'"]+)', page)
    return [u for group in found for u in group if u]


def _assets():
    if not NODE_ASSETS.is_dir():
        if shutil.which("npm") is None:
            pytest.skip("npm is not installed: the offline web assets cannot be installed here")
        pytest.fail("web assets missing: run `make web-assets` (npm ci --prefix tools)")


def test_slides_and_site_pages_are_offline(tmp_path):
    _assets()
    lesson = next(p for p in LESSONS if p.name.startswith("01_"))
    src = tmp_path / "src"
    src.mkdir()
    shutil.copy2(lesson, src / lesson.name)
    slides_metadata.update(src)
    slides = build_site.build("slides", tmp_path / "slides", [src / lesson.name], fast=True, run=False)
    site = build_site.build("html", tmp_path / "site", [src / lesson.name], fast=True, run=False)
    for page in slides + site:
        text = page.read_text()
        assert not _offline(text), f"{page.name} loads from the network: {_offline(text)[:3]}"
        assert not re.search(r"import\b[^;]*mermaid", text), f"{page.name}: imports mermaid (blocked under file://)"
        for ref in re.findall(r'(?:src|href)="(_static/[^"?]+)', text):
            assert (page.parent / ref).exists(), f"{page.name}: {ref} missing"
        assert not re.search(r'href="\d\d_\w+\.ipynb', text), "links to lessons should point to pages"
    deck = slides[0].read_text()
    assert "_static/reveal.js/dist/reveal.js" in deck and deck.count("<section") > 3
    assert 'navigationMode: "linear"' in deck, "arrows must visit every slide"
    for css in (tmp_path / "slides" / "_static").rglob("*.css"):
        assert not _offline(css.read_text()) and "fonts.googleapis" not in css.read_text(), css.name
    assert (tmp_path / "site" / "_static" / "mathjax" / "MathJax.js").exists()
    assert list((tmp_path / "site" / "@jupyter-widgets").glob("*.woff2")), "widget icon fonts where asked"


LEAK_LESSON = [
    "# 98 — Leak check: a made-up lesson\n\nBoth exercises, answered and revealed by code.",
    "from nst_course.config import describe_setup\nprint(describe_setup())",
    "import matplotlib.pyplot as plt\nimport torch\n\nfrom nst_course.plotting import show_images\n"
    "from nst_course.widgets import MatchingExercise, SortingExercise\n"
    "imgs = [torch.full((1, 3, 8, 12), k / 5) for k in range(5)]",
    "sorting = SortingExercise(imgs, 'ETLSY', 'STYLE', titles=['conv5_1', 'conv2_1', 'conv4_1', "
    "'conv1_1', 'conv3_1'])\nsorting",
    "match = MatchingExercise(imgs[:2], ['quiet cat', 'loud dog'], [1, 0], reveal_text='measured 123.25')\n"
    "match",
    "sorting.check('STYLE')\nmatch.check([1, 0])\nsorting.reveal_button.click()\nmatch.reveal_button.click()",
    "_ = show_images(imgs[:2], ['content: a grey square', 'style: a lighter one'])\nplt.show()",
    ("sorting.reveal()", ["solution"]),
    ("The right order spells **STYLE**.", ["solution"]),
    "## Exercises\n\n1. Nothing.",
]
ANSWERS = ["S (conv1_1)", "STYLE", "Right", "measured 123.25", "loud dog", "quiet cat"]


@pytest.fixture(scope="module")
def leak_pages(tmp_path_factory):
    """Site and slides of LEAK_LESSON, executed once (a kernel, no network, a few seconds)."""
    _assets()
    tmp = tmp_path_factory.mktemp("leak")
    cells = []
    for item in LEAK_LESSON:
        text, tags = item if isinstance(item, tuple) else (item, [])
        markdown = text.startswith(("#", "The right"))
        kind = nbformat.v4.new_markdown_cell if markdown else nbformat.v4.new_code_cell
        cells.append(kind(text, metadata={"tags": tags} if tags else {}))
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = tmp / "98_leak_check.ipynb"
    nbformat.write(nb, str(path))
    slides_metadata.update(tmp)
    cache = tmp / "executed"
    site = build_site.build("html", tmp / "site", [path], fast=True, run=True, cache=cache)[0]
    deck = build_site.build("slides", tmp / "slides", [path], fast=True, run=True, cache=cache)[0]
    return site, deck


def _widget_state(page: str) -> dict:
    m = re.search(r'<script type="application/vnd.jupyter.widget-state\+json">(.*?)</script>', page, re.S)
    assert m, "the page stores no widget state"
    return json.loads(m.group(1))["state"]


@pytest.mark.parametrize("which", ["site", "slides"])
def test_built_pages_store_no_answer_in_widget_state(leak_pages, which):
    from bs4 import BeautifulSoup

    page = leak_pages[which == "slides"].read_text()
    state = _widget_state(page)
    feedback = [m["state"] for m in state.values() if "nst-feedback" in m["state"].get("_dom_classes", [])]
    choices = [m["state"] for m in state.values() if "nst-choice" in m["state"].get("_dom_classes", [])]
    assert len(feedback) == 2 and len(choices) == 7
    assert all(f["value"] == "" for f in feedback), "feedback stored in the page"
    assert all(c["index"] == 0 for c in choices), "an answer is picked in the stored dropdowns"
    stored = json.dumps(state, ensure_ascii=False)
    for text in ANSWERS[:4]:
        assert text not in stored, f"{text!r} in the stored widget state"

    soup = BeautifulSoup(page, "html.parser")
    solutions = soup.select("details.nst-solution")
    assert len(solutions) == 2 and not any(d.has_attr("open") for d in solutions)
    assert "S (conv1_1)" in solutions[0].get_text() and "STYLE" in solutions[1].get_text()
    for text in ("S (conv1_1)", "The right order spells"):
        for hit in soup.find_all(string=re.compile(re.escape(text))):
            assert hit.find_parent("details", class_="nst-solution"), f"{text!r} outside a closed <details>"
    if which == "slides":
        assert all(d.find_parent(class_="fragment") for d in solutions), "answers on a later fragment"


@pytest.mark.parametrize("which", ["site", "slides"])
def test_every_figure_has_a_description(leak_pages, which):
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(leak_pages[which == "slides"].read_text(), "html.parser")
    alts = [img.get("alt", "") for img in soup.select(".jp-OutputArea img")]
    assert alts == ["two colour pictures side by side, with the titles 'content: a grey square'; "
                    "'style: a lighter one'"]
    assert not soup.find("img", alt=build_site.PLACEHOLDER_ALT)


def test_images_get_the_cells_alt_field_or_where_they_are():
    png = "iVBORw0KGgo="
    image = nbformat.v4.new_output("display_data", data={"image/png": png, "text/plain": "<Figure>"})
    described = nbformat.v4.new_output("display_data", data={"image/png": png},
                                       metadata={"image/png": {"alt": "a cat, then a dog"}})
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# 97 — T\n\n## Section A"),
        nbformat.v4.new_code_cell("x", outputs=[image], metadata={"alt": "loss curves of three runs"}),
        nbformat.v4.new_code_cell("y", outputs=[described, nbformat.from_dict(image)])])
    missing = build_site.describe_images(nb)
    html_of = [o.data["text/html"] for c in nb.cells[1:] for o in c.outputs]
    assert 'alt="loss curves of three runs"' in html_of[0] and 'alt="a cat, then a dog"' in html_of[1]
    assert 'alt="Figure under “Section A”"' in html_of[2] and missing == ["cell 2 under 'Section A'"]


def test_slides_hide_long_plumbing_code_of_figures_and_widgets():
    fig = nbformat.v4.new_output("display_data", data={"text/html": "<img alt='x'>"})
    long_code = "a = 1\nb = 2\nc = 3\nshow(a, b, c)"
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# 97 — T"),
        nbformat.v4.new_code_cell(long_code, outputs=[fig]),
        nbformat.v4.new_code_cell("show(a)", outputs=[nbformat.from_dict(fig)]),
        nbformat.v4.new_code_cell(long_code, outputs=[nbformat.from_dict(fig)],
                                  metadata={"tags": ["show-input"]}),
        nbformat.v4.new_code_cell(long_code),
        nbformat.v4.new_code_cell("x = 1", metadata={"tags": ["hide-input"]})])
    slides, _ = build_site.prepare(nb, slides=True)
    hidden = [c.metadata.get("transient", {}).get("remove_source", False) for c in slides.cells[1:]]
    assert hidden == [True, False, False, False, True]
    site, _ = build_site.prepare(nb, slides=False)
    assert not any(c.metadata.get("transient") for c in site.cells), "the site shows all code"


def test_theme_css_loses_its_google_fonts():
    css = "@import url(https://fonts.googleapis.com/css?family=Lato:400,700);\n.reveal { color: red; }"
    assert build_site.offline_css(css).strip() == ".reveal { color: red; }"


def test_navigation_of_the_lessons_is_up_to_date():
    changed = navigation.update(ROOT / "notebooks", write=False)
    assert not changed, f"navigation out of date in {[p.name for p in changed]}: run `make navigation`"


# --- issue 22: solutions stored collapsed in JupyterLab -----------------------------------------

@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_solution_cells_are_stored_collapsed(path):
    for k, cell in enumerate(L.read(path).cells):
        hidden = cell.metadata.get("jupyter", {})
        if "solution" in L.tags(cell):
            assert hidden.get("source_hidden") is True, \
                f"{path.name} cell {k}: a solution stored open; run `make navigation`"
            if cell.cell_type == "code":
                assert hidden.get("outputs_hidden") is True, f"{path.name} cell {k}: its output open"
        else:  # a question is never hidden
            assert not hidden.get("source_hidden") and not hidden.get("outputs_hidden"), \
                f"{path.name} cell {k}: a cell that is not a solution is stored collapsed"


def test_navigation_collapses_solutions_and_student_copies_show_their_stubs(mini_course):
    path = mini_course / "02_reconstruction.ipynb"
    nb = L.read(path)
    nb.cells[2:2] = [nbformat.v4.new_code_cell("def tv(x):\n    return x.abs().sum()",
                                               metadata={"tags": ["solution"]}),
                     nbformat.v4.new_markdown_cell("Answer: **B**", metadata={"tags": ["solution"]})]
    nbformat.write(nb, str(path))
    assert navigation.main([str(mini_course)]) == 0
    assert navigation.update(mini_course) == []  # a second run changes nothing
    nb = L.read(path)
    nbformat.validate(nb)
    meta = {L.source(c)[:6]: c.metadata.get("jupyter") for c in nb.cells if "solution" in L.tags(c)}
    assert meta == {"def tv": {"source_hidden": True, "outputs_hidden": True},
                    "Answer": {"source_hidden": True}}
    copy = lessons.student_notebook(nb)  # the stub replacing a solution is open, under its question
    stub = next(c for c in copy.cells if "raise NotImplementedError" in L.source(c))
    assert "jupyter" not in stub.metadata
    assert not any(c.metadata.get("jupyter", {}).get("source_hidden") for c in copy.cells)
