"""The shape of the code: one-way data flow, read from the imports with ast."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "pipeline"


def imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names |= {f"{node.module}.{a.name}" for a in node.names}
    return names


def test_renderers_never_import_each_other() -> None:
    epub, pdf = imports(PACKAGE / "render" / "epub.py"), imports(PACKAGE / "render" / "pdf.py")
    assert not any(n.startswith("pipeline.render.pdf") for n in epub)
    assert not any(n.startswith("pipeline.render.epub") for n in pdf)
    assert not any(n.startswith(("weasyprint", "pipeline.build")) for n in epub)
    assert not any(n.startswith(("ebooklib", "pipeline.build")) for n in pdf)


def test_only_parse_imports_markdown() -> None:
    """parse.py sets Python-Markdown up and turns its tree into the model; parse_extensions.py
    holds the inline and block processors it registers. Nothing else knows Markdown."""
    users = {p.relative_to(PACKAGE).as_posix() for p in PACKAGE.rglob("*.py")
             if any(n == "markdown" or n.startswith("markdown.") for n in imports(p))}
    assert users == {"parse.py", "parse_extensions.py"}


def test_model_and_normalisation_do_not_import_renderers() -> None:
    for path in [PACKAGE / "model.py", *(PACKAGE / "normalise").glob("*.py")]:
        assert not any(n.startswith(("pipeline.render", "weasyprint", "ebooklib")) for n in imports(path)), path


def test_modules_stay_small() -> None:
    for path in PACKAGE.rglob("*.py"):
        assert len(path.read_text().splitlines()) <= 400, path
