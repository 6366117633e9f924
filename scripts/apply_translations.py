"""Fill kk/ru catalogue entries from a JSON file {msgid: {"kk": ..., "ru": ...}} (empty or fuzzy ones only).

    .venv/bin/python scripts/apply_translations.py translations.json

A maintenance helper for translators who work on a list rather than on the .po files (run
`manage.py makemessages` first, `compilemessages` after): only entries that are empty or fuzzy get
the translation, their fuzzy flag and previous-msgid comments are dropped, nothing else is touched.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _unquote(lines: list[str]) -> str:
    return "".join(json.loads(line[line.index('"'):]) for line in lines)


def _quote(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def apply(po: Path, lang: str, table: dict) -> int:
    blocks = po.read_text(encoding="utf-8").split("\n\n")
    changed = 0
    for i, block in enumerate(blocks):
        lines = block.split("\n")
        try:
            mi = next(j for j, line in enumerate(lines) if line.startswith("msgid "))
        except StopIteration:
            continue
        j = mi + 1
        while j < len(lines) and lines[j].startswith('"'):
            j += 1
        msgid = _unquote([lines[mi][6:], *lines[mi + 1:j]])
        if not msgid or msgid not in table or lang not in table[msgid]:
            continue
        fuzzy = any(line.startswith("#,") and "fuzzy" in line for line in lines)
        rest = lines[j:]
        plural = bool(rest) and rest[0].startswith("msgid_plural")
        current = "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', "\n".join(x for x in rest if not x.startswith("msgid_plural"))))
        if current and not fuzzy:
            continue
        value = table[msgid][lang]
        head = [x for x in lines[:mi] if not x.startswith("#|")]
        head = [re.sub(r",\s*fuzzy", "", x) if x.startswith("#,") else x for x in head]
        head = [x for x in head if x.strip() != "#,"]
        body = lines[mi:j]
        if plural:
            k = 1
            while k < len(rest) and rest[k].startswith('"'):
                k += 1
            body += rest[:k]
            forms = value if isinstance(value, list) else [value]
            body += [f"msgstr[{n}] {_quote(f)}" for n, f in enumerate(forms)]
        else:
            body.append(f"msgstr {_quote(value if isinstance(value, str) else value[0])}")
        blocks[i] = "\n".join(head + body)
        changed += 1
    po.write_text("\n\n".join(blocks), encoding="utf-8")
    return changed


def main() -> None:
    table = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    for lang in ("kk", "ru"):
        po = ROOT / "bilim" / "locale" / lang / "LC_MESSAGES" / "django.po"
        print(lang, apply(po, lang, table), "entries filled")


if __name__ == "__main__":
    main()
