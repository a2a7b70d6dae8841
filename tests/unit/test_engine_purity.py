"""The pure engines stay plain Python: none of their modules imports Django, not even lazily.

Their reasoning is tested without a database or settings and benchmarked on its own; one Django
import would tie them to settings. This is the one place that checks it: a new pure package is
one more line in PURE_PACKAGES.
"""

import ast
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Folders (every module below them) or single modules, relative to the project root.
PURE_PACKAGES = (
    "clinic/knowledge",
    "assessments/differential",
    "assessments/vocabulary.py",
    "rehab/engine",
    "rehab/outcomes",
)


def _modules(path: str) -> list[Path]:
    target = ROOT / path
    return sorted(target.rglob("*.py")) if target.is_dir() else [target]


MODULES = [module for path in PURE_PACKAGES for module in _modules(path)]


def _dotted(module: Path) -> str:
    parts = module.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported_names(module: Path, package: str) -> set[str]:
    """Every module an import statement names, anywhere in the file (functions included),
    with relative imports resolved against ``package``."""
    names = set()
    for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"), filename=str(module))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            parts = package.split(".")
            base = parts[: len(parts) - node.level + 1] if node.level else []
            origin = ".".join([*base, *filter(None, [node.module])])
            # ``from clinic import knowledge`` imports the module clinic.knowledge.
            for alias in node.names:
                name = f"{origin}.{alias.name}"
                names.add(name if _is_module(name) else origin)
    return names


def _is_module(name: str) -> bool:
    path = ROOT.joinpath(*name.split("."))
    return path.is_dir() or path.with_suffix(".py").is_file()


PURE_NAMES = {_dotted(module) for module in MODULES}


def _not_pure(name: str) -> bool:
    """Django itself, or a module of the project's apps outside the pure packages (a model
    module, say, which would bring Django along)."""
    if name == "django" or name.startswith("django."):
        return True
    first_party = (ROOT / name.partition(".")[0] / "__init__.py").is_file()
    return first_party and name not in PURE_NAMES


def test_the_check_sees_imports_inside_functions_and_resolves_relative_ones(tmp_path):
    module = tmp_path / "engine.py"
    module.write_text(
        "def late():\n    from django.conf import settings\n\n\nfrom ..models import X\n"
    )
    names = _imported_names(module, "rehab.engine")
    assert names == {"django.conf", "rehab.models"}
    assert all(map(_not_pure, names))


@pytest.mark.parametrize("module", MODULES, ids=lambda m: str(m.relative_to(ROOT)))
def test_no_pure_module_imports_django_or_the_apps_around_it(module):
    package = _dotted(module) if module.name == "__init__.py" else _dotted(module.parent)
    assert not sorted(filter(_not_pure, _imported_names(module, package)))


def test_importing_the_pure_packages_without_settings_leaves_django_unloaded():
    code = (
        "import importlib, sys\n"
        "for name in sys.argv[1:]:\n"
        "    importlib.import_module(name)\n"
        "print(sorted(m for m in sys.modules if m == 'django' or m.startswith('django.')))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    result = subprocess.run(  # noqa: S603 - this interpreter, fixed code
        [sys.executable, "-c", code, *map(_dotted, MODULES)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == "[]"


def test_mypy_checks_exactly_the_pure_packages():
    with open(ROOT / "pyproject.toml", "rb") as handle:
        files = tomllib.load(handle)["tool"]["mypy"]["files"]
    assert sorted(files) == sorted(PURE_PACKAGES)
