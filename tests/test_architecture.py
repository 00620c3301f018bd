"""The shape of the code: one-way data flow, read from the imports with ast."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "pipeline"


def imports(path: Path) -> set[str]:
    """Every module a file imports, at any level of its code, but for `if TYPE_CHECKING:`
    blocks (read by type checkers only, never run)."""
    tree = ast.parse(path.read_text())
    typing_only = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If)
                   and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"
                   for stmt in node.body for n in ast.walk(stmt)}
    names: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names |= {f"{node.module}.{a.name}" for a in node.names}
    return names


def module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    return ".".join(parts)


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}


def _pipeline_imports(name: str) -> set[str]:
    """The pipeline modules a module imports, at any level of its code (imports inside
    functions count: they run too)."""
    out = set()
    for n in imports(MODULES[name]):
        while n and n not in MODULES:
            n = n.rpartition(".")[0]
        if n and n != name:
            out.add(n)
    return out


def reaches(name: str) -> set[str]:
    """Every pipeline module `name` imports, directly or through others."""
    seen, todo = set(), [name]
    while todo:
        for n in _pipeline_imports(todo.pop()):
            if n not in seen:
                seen.add(n)
                todo.append(n)
    return seen


def _external(names: set[str]) -> set[str]:
    return {n.split(".")[0] for m in names for n in imports(MODULES[m])}


def _in(package: str) -> list[str]:
    return [m for m in MODULES if m == package or m.startswith(package + ".")]


def test_the_two_editions_never_reach_each_other() -> None:
    """Transitively: nothing the EPUB's modules import leads to the print edition's, to
    WeasyPrint or to the build; nor the other way round (ebooklib)."""
    assert _in("pipeline.render.epub") and _in("pipeline.render.pdf")
    for name in _in("pipeline.render.epub"):
        reached = reaches(name) | {name}
        assert not any(r.startswith(("pipeline.render.pdf", "pipeline.render.cover", "pipeline.build", "pipeline.web"))
                       for r in reached), (name, sorted(reached))
        assert "weasyprint" not in _external(reached), name
    for name in _in("pipeline.render.pdf"):
        reached = reaches(name) | {name}
        assert not any(r.startswith(("pipeline.render.epub", "pipeline.build", "pipeline.web")) for r in reached), (
            name, sorted(reached))
        assert "ebooklib" not in _external(reached), name


def test_the_front_half_never_reaches_the_back() -> None:
    """Sources, parsing, the model and its normalisation, transitively, import no renderer,
    no build orchestration and no web code: data flows one way."""
    front = [*_in("pipeline.read"), "pipeline.model", "pipeline.walk", "pipeline.load", *_in("pipeline.normalise")]
    for name in front:
        reached = reaches(name) | {name}
        assert not any(r.startswith(("pipeline.render", "pipeline.build", "pipeline.web", "pipeline.cli", "pipeline.check"))
                       for r in reached), (name, sorted(reached))
        assert not {"weasyprint", "ebooklib"} & _external(reached), name


def test_the_renderers_reach_no_build_web_or_cli() -> None:
    for name in _in("pipeline.render"):
        reached = reaches(name)
        assert not any(r.startswith(("pipeline.build", "pipeline.web", "pipeline.cli", "pipeline.load", "pipeline.check"))
                       for r in reached), (name, sorted(reached))


def test_the_checks_read_what_was_built_and_never_build() -> None:
    for name in _in("pipeline.check"):
        reached = reaches(name)
        assert not any(r.startswith(("pipeline.build", "pipeline.web", "pipeline.cli", "pipeline.load")) for r in reached), (
            name, sorted(reached))


def test_only_parse_imports_markdown() -> None:
    """parse.py sets Python-Markdown up and turns its tree into the model; parse_extensions.py
    holds the inline and block processors it registers. Nothing else knows Markdown."""
    users = {p.relative_to(PACKAGE).as_posix() for p in PACKAGE.rglob("*.py")
             if any(n == "markdown" or n.startswith("markdown.") for n in imports(p))}
    assert users == {"read/parse.py", "read/parse_extensions.py"}


def test_modules_stay_small() -> None:
    for path in PACKAGE.rglob("*.py"):
        assert len(path.read_text().splitlines()) <= 400, path
