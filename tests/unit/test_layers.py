"""The apps import one way only: clinic ← assessments ← rehab ← records; nobody imports config.

Read statically from every module's syntax tree, so an import hidden inside a function (the
usual way round an import cycle) counts as much as one at the top of the file.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Each app may import the apps before it, never the ones after it.
LAYERS = ("clinic", "assessments", "rehab", "records")
PROJECT_PACKAGE = "config"  # settings, urls, wsgi, admin site: only Django imports it


def imported_packages(source: str) -> set[str]:
    """The top-level package of every absolute import in ``source``."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def forbidden_imports(app: str, source: str) -> set[str]:
    above = set(LAYERS[LAYERS.index(app) + 1 :]) | {PROJECT_PACKAGE}
    return imported_packages(source) & above


def modules_of(app: str) -> list[Path]:
    return sorted((ROOT / app).rglob("*.py"))


@pytest.mark.parametrize("app", LAYERS)
def test_no_app_imports_an_app_above_it_or_the_project_package(app):
    wrong = {
        str(path.relative_to(ROOT)): sorted(found)
        for path in modules_of(app)
        if (found := forbidden_imports(app, path.read_text(encoding="utf-8")))
    }
    assert wrong == {}, f"{app} may import only {LAYERS[: LAYERS.index(app)]}: {wrong}"


def test_the_check_sees_an_upward_import_at_the_top_and_inside_a_function():
    top = "from rehab import models\n"
    inside = "def f():\n    import records.views\n    from assessments.models import Assessment\n"
    assert forbidden_imports("clinic", top) == {"rehab"}
    assert forbidden_imports("clinic", inside) == {"records", "assessments"}
    assert forbidden_imports("rehab", inside) == {"records"}
    assert forbidden_imports("records", inside) == set()
    assert forbidden_imports("records", "from config import settings\n") == {"config"}


def test_every_app_package_is_in_a_layer():
    apps = {
        path.parent.name for path in ROOT.glob("*/apps.py") if path.parent.name != PROJECT_PACKAGE
    }
    assert apps == set(LAYERS)
