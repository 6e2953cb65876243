"""The code's shape, checked: tests stay out of the product, no import cycles, forms
on the rasa-sdk contract.

Imports are read from the source with ``ast``, so an import inside a function or
under ``TYPE_CHECKING`` counts as much as one at the top: a cycle "held off" by a
local import is still a cycle.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
from pathlib import Path

import pytest
from rasa_sdk.forms import FormValidationAction

from assistant.settings import PROJECT_ROOT

# The product: every top-level package of the repository but the tests.
PRODUCT = sorted(
    p.name
    for p in PROJECT_ROOT.iterdir()
    if (p / "__init__.py").is_file() and p.name != "tests"
)


def _modules(package: str) -> dict[str, Path]:
    """Dotted module name → file, for every module of ``package``."""
    found: dict[str, Path] = {}
    for path in sorted((PROJECT_ROOT / package).rglob("*.py")):
        parts = list(path.relative_to(PROJECT_ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


MODULES = {name: path for pkg in PRODUCT for name, path in _modules(pkg).items()}


def imported_names(name: str, path: Path) -> set[str]:
    """Every module name ``path`` imports, wherever the import statement stands."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            names.update(f"{base}.{alias.name}" for alias in node.names)
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", ""))
            == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            names.add(node.args[0].value)
    return names


def _product_module(name: str) -> str | None:
    """The product module ``name`` refers to (a module, or the one defining a name)."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def import_graph() -> dict[str, set[str]]:
    """Product module → the product modules it imports."""
    graph: dict[str, set[str]] = {}
    for name, path in MODULES.items():
        targets = {_product_module(n) for n in imported_names(name, path)}
        graph[name] = {t for t in targets if t and t != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = [stack.pop()]
            while component[-1] != v:
                component.append(stack.pop())
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_product_is_every_package_but_tests() -> None:
    assert {"actions", "assistant", "bench", "connectors", "knowledge", "voice"} <= set(
        PRODUCT
    )
    assert "tests" not in PRODUCT
    assert "connectors.telephone.flow" in MODULES


def test_no_module_outside_tests_imports_tests() -> None:
    offenders = {
        name: sorted(
            n for n in imported_names(name, path) if n.split(".")[0] == "tests"
        )
        for name, path in MODULES.items()
    }
    assert {name: found for name, found in offenders.items() if found} == {}


def test_no_import_cycle_among_product_modules() -> None:
    assert cycles(import_graph()) == []


def test_the_cycle_check_sees_imports_inside_functions(tmp_path: Path) -> None:
    """The checker itself: a cycle closed only by a function-local import is found."""
    a = tmp_path / "a.py"
    a.write_text("import b\n", encoding="utf-8")
    b = tmp_path / "b.py"
    b.write_text("def late():\n    from a import thing\n", encoding="utf-8")
    assert imported_names("b", b) == {"a.thing"}
    assert cycles({"a": {"b"}, "b": {"a"}, "c": {"a"}}) == [["a", "b"]]


def _form_validators() -> list[type[FormValidationAction]]:
    import actions

    for info in pkgutil.walk_packages(actions.__path__, "actions."):
        importlib.import_module(info.name)
    return [
        cls
        for cls in _subclasses(FormValidationAction)
        if cls.__module__.startswith("actions.") and not inspect.isabstract(cls)
    ]


def _subclasses(cls: type) -> set[type]:
    direct = set(cls.__subclasses__())
    return direct.union(*(_subclasses(c) for c in direct))


def test_there_are_form_validators() -> None:
    names = {cls().name() for cls in _form_validators()}
    assert {
        "validate_meal_form",
        "validate_cancel_form",
        "validate_fraud_form",
    } <= names


@pytest.mark.parametrize("form", _form_validators(), ids=lambda cls: cls.__name__)
def test_form_validators_use_validate_methods(form: type[FormValidationAction]) -> None:
    """Every slot a form extracts is checked by its ``validate_<slot>`` method, and
    ``run`` is rasa-sdk's, wrapped only by the shared interruption check."""
    members = dict(inspect.getmembers(form))
    extracted = {
        n.removeprefix("extract_") for n in members if n.startswith("extract_")
    }
    validated = {
        n.removeprefix("validate_")
        for n in members
        if n.startswith("validate_") and callable(members[n])
    }
    assert validated, f"{form.__name__} defines no validate_ method"
    assert extracted <= validated
    from actions.forms import InterruptibleForm

    run_owner = next(c for c in form.__mro__ if "run" in vars(c))
    assert run_owner in (InterruptibleForm, FormValidationAction)
