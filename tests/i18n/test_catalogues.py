"""The catalogues hold every string the code marks, and every marked string is translated.

`manage.py makemessages` only extracts the calls it knows (`_`, `gettext`, `gettext_lazy`, ...): a
string marked through another alias (`gettext_lazy as _l`) silently never reaches the catalogues, and
its form label stays English on Kazakh pages. Both checks read the sources and the shipped catalogues.
"""

from __future__ import annotations

import ast
import gettext
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted(p for p in (ROOT / "bilim").rglob("*.py") if "migrations" not in p.parts)
# the names Django's makemessages passes to xgettext as keywords (plus `_`, xgettext's own)
EXTRACTED = {"_", "gettext", "gettext_lazy", "gettext_noop", "ngettext", "ngettext_lazy", "pgettext",
             "pgettext_lazy", "npgettext", "npgettext_lazy"}


def _translation_aliases(path: Path) -> list[tuple[int, str, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [(node.lineno, a.name, a.asname) for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module == "django.utils.translation"
            for a in node.names if a.asname and a.asname not in EXTRACTED]


def test_translation_functions_are_imported_under_names_makemessages_extracts():
    found = [f"{p.relative_to(ROOT)}:{line}: {name} as {alias}" for p in SOURCES
             for line, name, alias in _translation_aliases(p)]
    assert found == []


def _literal_calls(path: Path, names: set[str]) -> set[str]:
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in names \
                and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
            out.add(node.args[0].value)
    return out


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_every_string_marked_in_forms_and_views_is_translated(lang):
    with open(ROOT / "bilim" / "locale" / lang / "LC_MESSAGES" / "django.mo", "rb") as f:
        catalogue = gettext.GNUTranslations(f)._catalog  # compiled: no empty or fuzzy entries
    marked = set().union(*(_literal_calls(p, {"_", "gettext_lazy", "gettext"}) for p in SOURCES
                           if p.name in ("forms.py", "views.py", "views_writes.py")))
    missing = sorted(m for m in marked if m not in catalogue)
    assert missing == []
