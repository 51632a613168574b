"""The course installed from a built wheel, run in a folder outside the repository.

Builds the wheel (offline: ``pip wheel --no-deps --no-build-isolation`` with this venv's
setuptools) from a copy of the sources, installs it with ``--no-deps`` into a fresh venv in a
temporary folder, and lets that venv reuse the dependencies already installed here (torch is
~1 GB: a ``.pth`` file appends this venv's site-packages *after* the fresh venv's own, so
``nst_course`` itself comes from the wheel). Then ``nst-course lessons DIR`` copies the
lessons out of the wheel and the copies run there with that venv's Python.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
LESSONS = sorted(p.name for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
# Lessons run a second time under nbval, now from the wheel: only lesson 00. `make test` already
# runs every lesson from the repository, and running all of them again would double the longest
# part of the test run (10-minute budget on 2 cores). Lesson 00 is the one a newcomer opens first
# and it checks the installation as a whole: the setup cell, the weights found from the installed
# packages, the device, a timed stylize step, the time estimates. What could differ for the other
# lessons between the repository and the wheel is what they import: every import of every lesson
# is checked against the installed wheel below (one process), and each is copied byte for byte.
RUN_UNDER_NBVAL = ["00_start_here.ipynb"]


def _run(cmd, cwd, env, timeout=600):
    p = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True,
                       timeout=timeout)
    assert p.returncode == 0, f"{' '.join(map(str, cmd))} failed ({p.returncode}):\n{p.stdout[-3000:]}\n" \
                              f"{p.stderr[-3000:]}"
    return p


@pytest.fixture(scope="module")
def wheel_env(tmp_path_factory):
    """``(venv python, lessons folder, env)``: the wheel installed in a fresh venv outside the repo."""
    base = tmp_path_factory.mktemp("wheel")
    assert not base.resolve().is_relative_to(ROOT), "the temporary folder must be outside the repo"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    env.update(NST_COURSE_FAST="1", TQDM_DISABLE="1", MPLBACKEND="Agg", PIP_NO_INDEX="1",
               PIP_DISABLE_PIP_VERSION_CHECK="1", NST_COURSE_CACHE=str(base / "cache"),
               TORCH_HOME=str(base / "torch"), JUPYTER_PLATFORM_DIRS="1")

    # 1. build the wheel from a copy of the sources (no build/ or egg-info left in the repo)
    src = base / "src"
    ignore = shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints", "*.egg-info", ".*")
    for name in ("nst_course", "notebooks"):
        shutil.copytree(ROOT / name, src / name, ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
          "-w", base / "dist", src], base, env)
    (wheel,) = (base / "dist").glob("nst_course-*.whl")

    # 2. a fresh venv, the wheel installed into it (pip of this venv, run for that interpreter)
    venv = base / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", venv], base, env)
    python = venv / "bin" / "python"
    _run([sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "-q", wheel], base, env)

    # 3. ... reusing the dependencies installed here (appended after the venv's own site-packages)
    site = Path(_run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                     base, env).stdout.strip())
    ours = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (site / "zz_nst_course_deps.pth").write_text("\n".join(sorted(ours)) + "\n")

    # 4. the lessons out of the wheel, with the wheel's own command
    lessons = base / "course"
    p = _run([venv / "bin" / "nst-course", "lessons", lessons], base, env)
    print(p.stdout)
    return python, lessons, env


def test_the_wheel_carries_every_lesson(wheel_env):
    python, lessons, env = wheel_env
    assert sorted(p.name for p in lessons.glob("*.ipynb")) == LESSONS
    built_from = python.parents[2] / "src" / "notebooks"  # the sources' copy the wheel was built from
    for name in LESSONS:  # the same lessons, not stripped or changed on the way
        assert (lessons / name).read_bytes() == (built_from / name).read_bytes()


def _files(folder: Path) -> set[Path]:
    return {p.relative_to(folder) for p in folder.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts and not p.name.startswith(".")}


def test_the_wheel_carries_every_module_and_data_file(wheel_env):
    python, lessons, env = wheel_env
    (installed,) = python.parents[1].glob("lib/python*/site-packages/nst_course")
    missing = _files(ROOT / "nst_course") - _files(installed)
    assert not missing, (f"not in the wheel: {sorted(map(str, missing))}; list a new subpackage in "
                         "pyproject.toml [tool.setuptools] packages, data files in package-data")


def _code_cells(path: Path):
    """The lesson's code cells parsed (IPython ``%``/``!`` lines dropped, unparsable cells skipped)."""
    for cell in nbformat.read(str(path), as_version=4).cells:
        if cell.cell_type != "code":
            continue
        code = "\n".join(ln for ln in cell.source.splitlines() if not ln.lstrip().startswith(("%", "!")))
        try:
            yield ast.parse(code)
        except SyntaxError:
            continue


def _imports(path: Path) -> list[str]:
    """The lesson's imports from ``nst_course`` (the rest comes from the same venv either way)."""
    out = []
    for tree in _code_cells(path):
        for node in ast.walk(tree):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else \
                [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if any(n == "nst_course" or n.startswith("nst_course.") for n in names):
                out.append(ast.unparse(node))
    return out


@pytest.fixture(scope="module")
def from_the_wheel(wheel_env):
    """One process of the wheel's Python in the lessons' folder: where ``nst_course`` and the
    bundled lessons come from, and each lesson's ``nst_course`` imports that fail (if any)."""
    python, lessons, env = wheel_env
    imports = {name: list(dict.fromkeys(_imports(lessons / name))) for name in LESSONS}
    script = (
        "import json\n"
        f"imports = {imports!r}\n"
        "errors = {}\n"
        "for name, lines in imports.items():\n"
        "    try:\n"
        "        exec('\\n'.join(lines), {})\n"
        "    except Exception as e:\n"
        "        errors[name] = f'{type(e).__name__}: {e}'\n"
        "import nst_course, nst_course.lessons as L\n"
        "from nst_course import load_image, samples\n"
        "paintings = {n: list(load_image(n, 64).shape) for n, p in samples.PAINTINGS.items() if p.bundled}\n"
        "print(json.dumps({'errors': errors, 'module': nst_course.__file__, 'lessons': str(L.lessons_dir()),"
        " 'checked': sum(map(len, imports.values())), 'paintings': paintings}))\n")
    p = _run([python, "-c", script], lessons, env, timeout=300)
    return json.loads(p.stdout.strip().splitlines()[-1])


def test_nst_course_comes_from_the_wheel_not_the_repo(wheel_env, from_the_wheel):
    venv = wheel_env[0].parents[1]
    module, bundled = Path(from_the_wheel["module"]), Path(from_the_wheel["lessons"])
    assert module.is_relative_to(venv) and not module.is_relative_to(ROOT), module
    assert bundled.is_relative_to(venv), bundled


def test_the_bundled_paintings_load_from_the_wheel(from_the_wheel):
    """The five paintings are package data: they open (sha256-checked) from the installed wheel."""
    paintings = from_the_wheel["paintings"]
    assert sorted(paintings) == sorted(["starry_night", "the_scream", "shipwreck", "udnie", "great_wave"])
    assert all(shape[:2] == [1, 3] and max(shape[2:]) == 64 for shape in paintings.values()), paintings


def test_every_lesson_imports_resolve_in_the_wheel(from_the_wheel):
    assert from_the_wheel["checked"] >= len(LESSONS)  # every lesson imports from nst_course
    assert not from_the_wheel["errors"], f"imports that fail from the wheel: {from_the_wheel['errors']}"


def test_copied_lessons_run_under_nbval_outside_the_repo(wheel_env):
    python, lessons, env = wheel_env
    env = dict(env, OMP_NUM_THREADS=env.get("OMP_NUM_THREADS", "1"))
    p = _run([python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", lessons,
              "--nbval-lax", "--nbval-current-env", *RUN_UNDER_NBVAL], lessons, env, timeout=900)
    print(p.stdout[-2000:])
    assert " passed" in p.stdout and "failed" not in p.stdout


def test_student_copies_from_the_wheel(wheel_env, tmp_path):
    """(Copies never replace a learner's file: tests/test_cli_flags.py, in-process.)"""
    python, lessons, env = wheel_env
    _run([python.parent / "nst-course", "lessons", tmp_path / "student", "--student"], tmp_path, env)
    copies = sorted((tmp_path / "student").glob("*.ipynb"))
    assert [p.name for p in copies] == LESSONS
    for path in copies:
        nb = nbformat.read(str(path), as_version=4)
        assert not [c for c in nb.cells if "solution" in c.metadata.get("tags", [])], path.name


# --- the setup cell of every lesson, where nst_course is missing --------------------------------

def _imports_nst_course(node) -> bool:
    return any(isinstance(n, ast.Import | ast.ImportFrom) and "nst_course" in ast.unparse(n)
               for n in ast.walk(node))


def _setup_guard(path: Path) -> str | None:
    """The ``try: import nst_course ... except ModuleNotFoundError`` before the lesson's first use of it."""
    for tree in _code_cells(path):
        for node in tree.body:
            if isinstance(node, ast.Try) and _imports_nst_course(node):
                return ast.unparse(node)
            if _imports_nst_course(node):
                return None  # used before any guard
    return None


@pytest.mark.parametrize("name", LESSONS)
def test_setup_cell_says_how_to_install_nst_course(name, tmp_path):
    guard = _setup_guard(ROOT / "notebooks" / name)
    assert guard, f"{name}: the setup cell does not start with the `try: import nst_course` guard"
    # a Python without site-packages (-S) stands for a kernel where the course is not installed
    p = subprocess.run([sys.executable, "-I", "-S", "-c", guard], cwd=tmp_path, capture_output=True,
                       text=True, timeout=60)
    assert p.returncode != 0 and "Traceback" not in p.stderr, p.stderr
    assert "pip install" in p.stderr and "Colab" in p.stderr, p.stderr


# --- environment.yml in step with pyproject.toml -------------------------------------------------

CONDA_NAMES = {"pytorch": "torch"}  # conda-forge name -> PyPI name


def _pyproject():
    import tomllib

    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def _environment():
    yaml = pytest.importorskip("yaml")
    return yaml.safe_load((ROOT / "environment.yml").read_text())


def _requirement(text: str, conda: bool):
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    if conda and "=" in text and not any(op in text for op in ("==", ">=", "<=", "!=")):
        text = text.replace("=", "==", 1) + ".*"  # conda's python=3.11 means 3.11.*
    req = Requirement(text)
    name = CONDA_NAMES.get(req.name, req.name) if conda else req.name
    return canonicalize_name(name), str(req.specifier)


def test_environment_yml_has_the_same_dependencies_as_pyproject():
    wanted = dict(_requirement(d, conda=False) for d in _pyproject()["dependencies"])
    deps = _environment()["dependencies"]
    conda = [d for d in deps if isinstance(d, str)]
    pip = next(d["pip"] for d in deps if isinstance(d, dict))
    assert "-e .[dev]" in pip, "environment.yml must install the course itself with its [dev] tools"
    have = dict(_requirement(d, conda=True) for d in conda if d.split("=")[0] not in ("python", "pip"))
    have.update(_requirement(d, conda=False) for d in pip if not d.startswith("-"))
    assert have == wanted, (f"only in pyproject.toml: {sorted(set(wanted.items()) - set(have.items()))}; "
                            f"only in environment.yml: {sorted(set(have.items()) - set(wanted.items()))}")


def test_environment_yml_python_is_one_pyproject_allows():
    from packaging.specifiers import SpecifierSet
    from packaging.version import Version

    (python,) = [d for d in _environment()["dependencies"] if isinstance(d, str) and d.startswith("python")]
    version = Version(python.split("=")[-1])
    assert version in SpecifierSet(_pyproject()["requires-python"]), (python, _pyproject()["requires-python"])
