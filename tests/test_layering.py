"""The core's layering, read from the source (AST), so it holds for every code path:

- nothing under ``advisor/`` imports a plugin package (``advisor_*``): the core reaches plugins
  only through hooks, so a third-party model source, runner or backend can replace a built-in;
- nothing under ``advisor/`` imports torch, transformers, peft or lm_eval: heavy work lives in
  plugins behind typed interfaces (``advisor.components``);
- there is no import cycle among the core's and the built-in plugins' modules, counting the
  imports inside functions too (a lazy import still couples two modules).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEAVY = {"torch", "transformers", "peft", "lm_eval", "accelerate", "gguf", "safetensors"}
# advisor/testing.py serves plugin authors' tests; it may name plugins for its fixtures.
EXEMPT = {"advisor.testing"}


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    roots = [(ROOT, ROOT / "advisor")]
    roots += [(ROOT / "plugins", p) for p in (ROOT / "plugins").glob("advisor_*") if p.is_dir()]
    for base, pkg in roots:
        for path in pkg.rglob("*.py"):
            parts = list(path.relative_to(base).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _imports(path: Path, name: str, modules: dict[str, Path]) -> list[tuple[str, int]]:
    """(module, line) for every import in the file, resolved to a module of ours if it is one."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: list[tuple[str, int]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                out.append((sub if sub in modules else base, node.lineno))
    return out


def _graph() -> dict[str, list[tuple[str, int]]]:
    modules = _modules()
    return {name: _imports(path, name, modules) for name, path in modules.items()}


def test_core_imports_no_plugin_and_no_heavy_library() -> None:
    problems = []
    for name, imports in _graph().items():
        if not name.startswith("advisor") or name.startswith("advisor_") or name in EXEMPT:
            continue
        for target, line in imports:
            top = target.split(".")[0]
            if top.startswith("advisor_") or top in HEAVY:
                problems.append(f"{name}:{line} imports {target}")
    assert not problems, "core layering broken:\n" + "\n".join(sorted(problems))


def test_no_import_cycles() -> None:
    graph = _graph()
    ours = set(graph)
    edges = {m: sorted({t for t, _ in imps if t in ours and t != m}) for m, imps in graph.items()}
    # A package's __init__ re-exporting its submodules is not a cycle with them.
    edges = {
        m: [t for t in ts if not (m.startswith(t + ".") or t.startswith(m + "."))]
        for m, ts in edges.items()
    }
    cycles: list[list[str]] = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in edges[node]:
            if state.get(nxt) == 1:
                cycles.append([*stack[stack.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for module in sorted(edges):
        if module not in state:
            visit(module)
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_the_scan_sees_imports_inside_functions(tmp_path) -> None:
    """The check itself can fail: a lazy plugin import in a function is found."""
    path = tmp_path / "mod.py"
    path.write_text("def f():\n    from advisor_peft.models import load_model\n    import torch\n")
    found = {t for t, _ in _imports(path, "advisor.mod", {})}
    assert {"advisor_peft.models", "torch"} <= found


def test_every_core_package_is_installed() -> None:
    """pyproject lists packages explicitly: a new sub-package missing there would be absent
    from a wheel (and from a fresh non-editable install) while every test here still passes."""
    import tomllib

    listed = set(
        tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    )
    found = {
        ".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "advisor").rglob("__init__.py")
    }
    assert found <= listed, f"add to pyproject's packages: {sorted(found - listed)}"
