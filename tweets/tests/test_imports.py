"""Dependency direction inside the tweets app: tasks import feeds and services, never the
reverse, and the models never import the display code (no import cycles)."""

import ast
from pathlib import Path

import pytest

TWEETS = Path(__file__).resolve().parent.parent


def _imported_modules(path: Path) -> set[str]:
    """Every module a file imports (at top level or inside functions), as absolute names."""
    package = "tweets." + ".".join(path.relative_to(TWEETS).with_suffix("").parts)
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level)[0] if node.level else ""
            if path.name == "__init__.py" and node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package.removesuffix(".__init__")
            module = ".".join(part for part in (base, node.module or "") if part)
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


@pytest.mark.parametrize(
    "source",
    [*sorted(str(p.relative_to(TWEETS)) for p in (TWEETS / "feeds").glob("*.py")), "services.py", "selectors.py"],
)
def test_feeds_services_and_selectors_never_import_tasks(source):
    assert "tweets.tasks" not in _imported_modules(TWEETS / source)


def test_models_do_not_import_display_code():
    """Display data is attached where pages are built, not by the models' query sets."""
    imported = _imported_modules(TWEETS / "models.py")
    assert not {"tweets.display", "tweets.hydration", "tweets.visibility", "tweets.selectors"} & imported


def test_no_queryset_private_method_is_overridden():
    from tweets.models import TweetQuerySet

    assert not {"_fetch_all", "_clone"} & set(vars(TweetQuerySet))
