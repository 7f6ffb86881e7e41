"""pyproject.toml declares what the code imports, and nothing else: an import that only works
because another package happens to bring it breaks on that package's next release, and a
declared package nothing imports is installed (and patched) on every server for nothing."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RUNTIME = ("akte", "ingest", "search", "outbox", "records", "migrations")
#: Declared although never imported, and why.
NOT_IMPORTED = {"python-multipart": "FastAPI reads forms and uploads with it"}


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[ ;]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def _imported(folders: tuple[str, ...]) -> set[str]:
    """The distributions whose modules the code under ``folders`` imports."""
    owners = importlib.metadata.packages_distributions()
    found: set[str] = set()
    for folder in folders:
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    modules = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    modules = [node.module]
                else:
                    continue
                for module in modules:
                    found |= {
                        _name(d) for d in owners.get(module.split(".")[0], []) if _name(d) != "akte"
                    }
    return found


def test_runtime_code_imports_exactly_the_declared_runtime_dependencies() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    runtime = {_name(r) for r in project["dependencies"]}
    otel = {_name(r) for r in project["optional-dependencies"]["otel"]}
    imported = _imported(RUNTIME)
    # akte/core/tracing.py imports the otel extra's packages (and what they bring) when set up
    undeclared = {d for d in imported - runtime if not d.startswith("opentelemetry")}
    assert not undeclared, f"imported but not declared in [project] dependencies: {undeclared}"
    assert otel <= imported
    unused = runtime - imported - set(NOT_IMPORTED)
    assert not unused, f"declared runtime dependencies nothing imports: {unused}"
