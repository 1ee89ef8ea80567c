"""Dependency edges from DESIGN.md, checked by parsing imports."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ["intranet", "auth", "groups", "suggestions", "search"]


def imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def test_only_auth_directory_imports_ldap3():
    users = [p.relative_to(ROOT) for pkg in PACKAGES for p in modules(pkg) if "ldap3" in imports(p)]
    assert users == [Path("auth/directory.py")]


def test_intranet_imports_domains_only_in_create_app():
    for path in modules("intranet"):
        if path.name == "__init__.py":
            continue  # create_app registers the blueprints
        assert not imports(path) & {"auth", "groups", "suggestions", "search"}, path


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        ("groups", {"suggestions", "search", "auth"}),
        ("suggestions", {"groups", "search", "auth"}),
        ("auth", {"groups", "suggestions", "search"}),
    ],
)
def test_domains_do_not_import_each_other(package, forbidden):
    for path in modules(package):
        assert not imports(path) & forbidden, path
