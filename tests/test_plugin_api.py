"""The plugin API: plugins (the bundled ones and the example) reach the core only through
`app.api`, every name it offers is typed and documented, and the guide teaches only it."""

import ast
import inspect
import re
import textwrap
from pathlib import Path

import app.api

ROOT = Path(__file__).resolve().parent.parent
PLUGIN_TREES = (ROOT / "plugins", ROOT / "examples")
GUIDE = ROOT / "docs" / "plugins.md"


def core_imports(tree):
    """(line, module) of every import of `app` or a module under it, other than `app.api`.
    `from app import x` counts as importing `app.x`; relative imports stay in the plugin."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "app":
                modules = [f"app.{alias.name}" for alias in node.names]
            else:
                modules = [node.module]
        else:
            continue
        for module in modules:
            if (module == "app" or module.startswith("app.")) and module != "app.api":
                found.append((node.lineno, module))
    return found


def plugin_sources():
    for tree in PLUGIN_TREES:
        for path in sorted(tree.rglob("*.py")):
            parts = path.relative_to(ROOT).parts
            if any(p.startswith(".") or p in ("build", "__pycache__") for p in parts):
                continue
            yield path


def test_plugins_import_nothing_of_the_core_but_app_api():
    sources = list(plugin_sources())
    assert any("moderation" in str(p) for p in sources)
    assert any("sala_plugin_example" in str(p) for p in sources)
    offences = [
        f"{path.relative_to(ROOT)}:{line}: imports {module}"
        for path in sources
        for line, module in core_imports(ast.parse(path.read_text(), str(path)))
    ]
    assert offences == [], "plugins may import only app.api:\n" + "\n".join(offences)


def test_the_check_catches_every_way_of_importing_the_core():
    source = (
        "import app.models\n"
        "from app.mail.outbox import enqueue\n"
        "from app import audit, api\n"
        "def later():\n"
        "    from app.ideas import workflow\n"
        "from app.api import db\n"
        "from . import sync\n"
    )
    assert core_imports(ast.parse(source)) == [
        (1, "app.models"),
        (2, "app.mail.outbox"),
        (3, "app.audit"),
        (5, "app.ideas"),
    ]


def test_every_name_of_the_api_exists_once():
    assert len(set(app.api.__all__)) == len(app.api.__all__)
    missing = [name for name in app.api.__all__ if not hasattr(app.api, name)]
    assert missing == []


def test_every_function_of_the_api_is_typed_and_documented():
    undocumented, untyped = [], []
    for name in app.api.__all__:
        obj = getattr(app.api, name)
        if inspect.isclass(obj):
            # A dataclass without a docstring gets its signature as __doc__.
            if not obj.__doc__ or obj.__doc__.startswith(f"{obj.__name__}("):
                undocumented.append(name)
        elif inspect.isfunction(obj):
            if not inspect.getdoc(obj):
                undocumented.append(name)
            signature = inspect.signature(obj)
            if signature.return_annotation is inspect.Signature.empty or any(
                p.annotation is inspect.Parameter.empty for p in signature.parameters.values()
            ):
                untyped.append(name)
    assert undocumented == []
    assert untyped == []


def guide_code():
    return re.findall(r"```python\n(.*?)```", GUIDE.read_text(), flags=re.S)


def test_the_guide_teaches_only_app_api():
    offences = []
    for block in guide_code():
        offences += [module for _line, module in core_imports(ast.parse(textwrap.dedent(block)))]
    assert offences == []
    guide = GUIDE.read_text()
    assert "from app.api import" in guide


def test_the_guide_names_every_part_of_the_api_and_nothing_else():
    guide = GUIDE.read_text()
    unnamed = [name for name in app.api.__all__ if f"`{name}" not in guide]
    assert unnamed == []
    unknown = set(re.findall(r"app\.api\.(\w+)", guide)) - set(app.api.__all__)
    assert unknown == set()
