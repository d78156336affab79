"""The layers README promises, read from the source's imports.

Kernels are pure array functions with no Django import, and projects knows
nothing of recommendations (its templates load recommendation tags, which
is not an import of Python code).
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(source: str, module: str, is_package: bool = False) -> set[str]:
    """Every module `source` imports, anywhere in it, as an absolute name.

    `module` is the dotted name of the file, needed to resolve relative
    imports; `from a import b` counts as importing both a and a.b, since b
    may be a module.
    """
    package = module.split(".") if is_package else module.split(".")[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            origin = ".".join([*base, *filter(None, [node.module])])
            found.add(origin)
            found.update(f"{origin}.{alias.name}" for alias in node.names)
    return found


def imports_of(path: Path) -> set[str]:
    return imported_modules(
        path.read_text(), module_name(path), path.name == "__init__.py"
    )


def within(modules: set[str], top: str) -> set[str]:
    return {m for m in modules if m == top or m.startswith(f"{top}.")}


@pytest.mark.parametrize(
    "source, module, top, expected",
    [
        ("import django", "recommendations.kernels", "django", {"django"}),
        (
            "import numpy as np\nfrom django.db import models",
            "recommendations.kernels",
            "django",
            {"django.db", "django.db.models"},
        ),
        (
            "def f():\n    from django.conf import settings\n",
            "recommendations.kernels",
            "django",
            {"django.conf", "django.conf.settings"},
        ),
        (
            "from typing import TYPE_CHECKING\n"
            "if TYPE_CHECKING:\n    import recommendations.models\n",
            "projects.views",
            "recommendations",
            {"recommendations.models"},
        ),
        (
            "from ...recommendations import blend",
            "projects.management.commands.demo",
            "projects.recommendations",
            {"projects.recommendations", "projects.recommendations.blend"},
        ),
        (
            "from . import models",
            "projects.views",
            "projects",
            {"projects", "projects.models"},
        ),
        (
            "import numpy\nfrom scipy import sparse",
            "recommendations.kernels",
            "django",
            set(),
        ),
    ],
)
def test_the_import_reader_finds_imports_wherever_they_are(
    source, module, top, expected
):
    assert within(imported_modules(source, module), top) == expected


def test_kernels_import_nothing_from_django():
    kernels = ROOT / "recommendations" / "kernels.py"

    imports = imports_of(kernels)

    assert "numpy" in imports  # the file was read
    assert within(imports, "django") == set()


def test_no_module_of_projects_imports_recommendations():
    paths = sorted((ROOT / "projects").rglob("*.py"))

    offending = {
        str(path.relative_to(ROOT)): sorted(within(imports_of(path), "recommendations"))
        for path in paths
    }

    assert ROOT / "projects" / "models.py" in paths
    assert {path: found for path, found in offending.items() if found} == {}
