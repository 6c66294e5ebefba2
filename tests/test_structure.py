"""The layout of survey_app keeps its arrows (docs/architecture.md): a small root, no blueprint
importing another, services without Flask's request, one ballot writer, no import cycle."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).parent.parent
APP = ROOT / "survey_app"
BLUEPRINTS = ("respond", "auth", "entry", "admin", "reports", "api")


def modules() -> dict[str, Path]:
    found = {}
    for path in APP.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        found[name.removesuffix(".__init__")] = path
    return found


def imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The survey_app modules ``name`` imports (anywhere in the file, lazy imports included)."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([node.module] if node.module else []))
            for alias in node.names:
                target = f"{base}.{alias.name}"
                out.add(target if target in known else base)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
    return {m for m in out if m in known}


def test_the_root_holds_at_most_ten_modules_and_the_rooms_exist():
    assert len(list(APP.glob("*.py"))) <= 10
    for room in ("web", "services", "outputs", "cli", "demo", "migrations"):
        assert (APP / room).is_dir(), room
    assert {p.name for p in (APP / "web").iterdir() if p.is_dir() and (p / "routes.py").exists()} == set(BLUEPRINTS)


def test_no_blueprint_imports_another_and_services_know_no_request():
    known = set(modules())
    for name, path in modules().items():
        deps = imports(name, path, known)
        parts = name.split(".")
        if parts[:2] == ["survey_app", "web"] and len(parts) > 2 and parts[2] in BLUEPRINTS:
            others = {d for d in deps if d.split(".")[:2] == ["survey_app", "web"] and len(d.split(".")) > 2
                      and d.split(".")[2] in BLUEPRINTS and d.split(".")[2] != parts[2]}
            assert not others, f"{name} imports {others}"
        if parts[:2] == ["survey_app", "services"]:
            text = path.read_text(encoding="utf-8")
            assert "from flask" not in text and "import flask" not in text, name
            assert not any(d.startswith("survey_app.web") for d in deps), name


def test_no_import_cycle():
    known = set(modules())
    graph = {name: {d for d in imports(name, path, known) if not d.startswith(name + ".")}
             for name, path in modules().items()}
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in graph[node]:
            if state.get(nxt) == 1:
                raise AssertionError("import cycle: " + " -> ".join(trail[trail.index(nxt):] + [nxt]))
            if nxt not in state:
                visit(nxt, trail + [nxt])
        state[node] = 2

    for name in graph:
        if name not in state:
            visit(name, [name])


def test_only_the_ballot_writer_builds_ballots_and_answers():
    writers = set()
    for name, path in modules().items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                func = node.func
                called = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
                first = node.args[0] if node.args else None
                if isinstance(first, ast.Attribute) and first.attr == "__table__":  # insert(Ballot.__table__)
                    first = first.value
                inserted = called == "insert" and isinstance(first, ast.Name) and first.id in ("Ballot", "Answer")
                if called in ("Ballot", "Answer") or inserted:
                    writers.add(name)
    assert writers == {"survey_app.services.ballots"}


def test_readme_and_docs_link_only_to_files_in_the_repository():
    import re

    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    assert len(pages) >= 4
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert "../shared" not in text, page
        for target in re.findall(r"\]\(([^)#\s]+)", text):
            if "://" not in target:
                assert (page.parent / target).exists(), f"{page.name} links to {target}"
