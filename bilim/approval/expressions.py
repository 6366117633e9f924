"""Validation-rule expressions: a tiny, safe arithmetic language over data values (never `eval`).

Grammar (whitespace is free)::

    expr    := term (("+" | "-") term)*
    term    := factor (("*" | "/") factor)*
    factor  := NUMBER | ref | "(" expr ")" | "-" factor
    ref     := CODE ["@" ["+" | "-"] INT] ["[" filter ("," filter)* "]"]
    filter  := CATEGORY "=" (OPTION | "$" [("+" | "-") INT])

Examples: ``ENROL``, ``ENROL[SEX=F]``, ``3 * CAPACITY``, ``REPEAT[GRADE=G02]``,
``ENROL@-1[GRADE=G01]`` (the same unit one period earlier) and ``ENROL[SEX=F,GRADE=$]`` where ``$``
is the option the rule is being evaluated for (a rule "for each GRADE"); ``$-1`` is the option
before it in the category's order (G01 for G02).

A reference sums the stored values of the element that match its filters; categories the reference
does not name are totalled (see `selectors.ValueTable.total`). Parsing only checks the syntax;
`check_codes` checks that the codes exist.

A rule "for each" category may be limited to some of its options (`parse_options`)::

    options := item ("," item)*
    item    := OPTION [".." OPTION]

``G01..G10`` is every option from G01 to G10 in the category's order (the grades whose pupils move
on to a next grade of the same school system, without the pre-school class G00), ``F,M`` a list.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Union

MAX_LENGTH = 1000
MAX_DEPTH = 40


class ExpressionError(ValueError):
    """The text is not a valid expression; the message says where and what was expected."""


@dataclass(frozen=True)
class Num:
    value: float


@dataclass(frozen=True)
class OptionRef:
    """``$`` (offset 0) or ``$-1`` in a filter: the current option of the rule's for-each category."""

    offset: int = 0


@dataclass(frozen=True)
class Ref:
    element: str
    period_offset: int = 0
    filters: tuple[tuple[str, str | OptionRef], ...] = ()


@dataclass(frozen=True)
class Neg:
    operand: Node


@dataclass(frozen=True)
class BinOp:
    op: str
    left: Node
    right: Node


Node = Union[Num, Ref, Neg, BinOp]  # noqa: UP007 - used at runtime in isinstance-free code

_TOKEN = re.compile(r"\s*(?:(?P<num>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
                    r"|(?P<op>[-+*/()\[\],=@$]))")


@dataclass(frozen=True)
class Token:
    kind: str  # num, name, op, end
    text: str
    pos: int


def tokenize(text: str) -> list[Token]:
    if not isinstance(text, str):
        raise ExpressionError(f"expression must be text, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"expression is too long ({len(text)} characters, at most {MAX_LENGTH})")
    out: list[Token] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if not m:
            bad = text[pos:].lstrip()[:1]
            at = len(text) - len(text[pos:].lstrip()) + 1
            raise ExpressionError(f"unexpected character {bad!r} at position {at}")
        kind = m.lastgroup or "op"
        out.append(Token(kind, m.group(kind), m.start(kind) + 1))
        pos = m.end()
    out.append(Token("end", "", len(text) + 1))
    return out


class _Parser:
    def __init__(self, text: str):
        self.tokens = tokenize(text)
        self.i = 0
        self.depth = 0

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def _describe(self, t: Token) -> str:
        return "the end of the expression" if t.kind == "end" else f"{t.text!r} at position {t.pos}"

    def expect(self, text: str) -> Token:
        t = self.tok
        if t.kind == "op" and t.text == text:
            self.i += 1
            return t
        raise ExpressionError(f"expected {text!r} but found {self._describe(t)}")

    def accept(self, text: str) -> bool:
        if self.tok.kind == "op" and self.tok.text == text:
            self.i += 1
            return True
        return False

    def parse(self) -> Node:
        if self.tok.kind == "end":
            raise ExpressionError("the expression is empty")
        node = self.expr()
        if self.tok.kind != "end":
            raise ExpressionError(f"unexpected {self._describe(self.tok)}; expected an operator (+ - * /) or the end")
        return node

    def expr(self) -> Node:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExpressionError(f"the expression is nested too deeply (more than {MAX_DEPTH} levels)")
        node = self.term()
        while self.tok.kind == "op" and self.tok.text in "+-":
            op = self.tok.text
            self.i += 1
            node = BinOp(op, node, self.term())
        self.depth -= 1
        return node

    def term(self) -> Node:
        node = self.factor()
        while self.tok.kind == "op" and self.tok.text in ("*", "/"):
            op = self.tok.text
            self.i += 1
            node = BinOp(op, node, self.factor())
        return node

    def factor(self) -> Node:
        t = self.tok
        if t.kind == "num":
            self.i += 1
            value = float(t.text)
            if not math.isfinite(value):
                raise ExpressionError(f"number {t.text} at position {t.pos} is too large")
            return Num(value)
        if t.kind == "name":
            return self.ref()
        if self.accept("("):
            node = self.expr()
            self.expect(")")
            return node
        if self.accept("-"):
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise ExpressionError(f"the expression is nested too deeply (more than {MAX_DEPTH} levels)")
            node = Neg(self.factor())
            self.depth -= 1
            return node
        raise ExpressionError(f"expected a number, a data element code or '(' but found {self._describe(t)}")

    def _int(self, what: str) -> int:
        sign = 1
        if self.accept("-"):
            sign = -1
        else:
            self.accept("+")
        t = self.tok
        if t.kind != "num" or not t.text.isdigit():
            raise ExpressionError(f"expected a whole number {what} but found {self._describe(t)}")
        self.i += 1
        if len(t.text) > 3:
            raise ExpressionError(f"{what} {t.text} is too large")
        return sign * int(t.text)

    def ref(self) -> Ref:
        code = self.tok.text.upper()
        self.i += 1
        offset = 0
        if self.accept("@"):
            offset = self._int("period offset after '@'")
        filters: list[tuple[str, str | OptionRef]] = []
        if self.accept("["):
            while True:
                t = self.tok
                if t.kind != "name":
                    raise ExpressionError(f"expected a category code (e.g. SEX) but found {self._describe(t)}")
                cat = t.text.upper()
                self.i += 1
                self.expect("=")
                t = self.tok
                value: str | OptionRef
                if t.kind == "op" and t.text == "$":
                    self.i += 1
                    shift = 0
                    if self.tok.kind == "op" and self.tok.text in "+-":
                        shift = self._int("option offset after '$'")
                    value = OptionRef(shift)
                elif t.kind in ("name", "num"):
                    self.i += 1
                    value = t.text.upper()
                    # option codes such as G01 or A30P; a number followed by a name (30P) is one code
                    if t.kind == "num" and self.tok.kind == "name" and self.tok.pos == t.pos + len(t.text):
                        value += self.tok.text.upper()
                        self.i += 1
                else:
                    raise ExpressionError(f"expected an option code or '$' after {cat}= but found "
                                          f"{self._describe(t)}")
                if any(c == cat for c, _ in filters):
                    raise ExpressionError(f"category {cat} is filtered twice in {code}[...]")
                filters.append((cat, value))
                if self.accept(","):
                    continue
                self.expect("]")
                break
        return Ref(code, offset, tuple(filters))


def parse(text: str) -> Node:
    """Parse an expression; raise `ExpressionError` with a readable reason on any bad input."""
    try:
        return _Parser(text).parse()
    except RecursionError as e:  # defensive: MAX_DEPTH keeps us far from the interpreter's limit
        raise ExpressionError("the expression is nested too deeply") from e


def refs(node: Node) -> list[Ref]:
    """Every data-value reference in the expression, left to right."""
    if isinstance(node, Ref):
        return [node]
    if isinstance(node, Neg):
        return refs(node.operand)
    if isinstance(node, BinOp):
        return refs(node.left) + refs(node.right)
    return []


def evaluate(node: Node, lookup) -> float | None:
    """Value of the expression; `lookup(ref)` gives a reference's value or None (no data).

    None propagates (so does division by zero): the caller decides whether to skip the rule.
    """
    if isinstance(node, Num):
        return node.value
    if isinstance(node, Ref):
        return lookup(node)
    if isinstance(node, Neg):
        v = evaluate(node.operand, lookup)
        return None if v is None else -v
    left, right = evaluate(node.left, lookup), evaluate(node.right, lookup)
    if left is None or right is None:
        return None
    if node.op == "+":
        return left + right
    if node.op == "-":
        return left - right
    if node.op == "*":
        return left * right
    if right == 0:
        return None
    return left / right


def to_text(node: Node) -> str:
    """Canonical text of an expression (parse(to_text(n)) == n)."""
    if isinstance(node, Num):
        return repr(node.value)
    if isinstance(node, Ref):
        out = node.element
        if node.period_offset:
            out += f"@{node.period_offset:+d}"
        if node.filters:
            parts = []
            for cat, v in node.filters:
                if isinstance(v, OptionRef):
                    parts.append(f"{cat}=$" + (f"{v.offset:+d}" if v.offset else ""))
                else:
                    parts.append(f"{cat}={v}")
            out += "[" + ",".join(parts) + "]"
        return out
    if isinstance(node, Neg):
        return f"-({to_text(node.operand)})"
    return f"({to_text(node.left)} {node.op} {to_text(node.right)})"


def check_codes(node: Node, elements: dict[str, tuple[str, ...]], options: dict[str, tuple[str, ...]],
                for_each: str = "") -> list[str]:
    """Problems with the codes an expression names: unknown elements, categories or options.

    `elements` maps element code -> its categories; `options` maps category -> option codes.
    """
    problems = []
    for r in refs(node):
        if r.element not in elements:
            problems.append(f"unknown data element {r.element}")
            continue
        for cat, v in r.filters:
            if cat not in elements[r.element]:
                problems.append(f"{r.element} is not disaggregated by {cat} "
                                f"(its categories: {', '.join(elements[r.element]) or 'none'})")
            elif isinstance(v, OptionRef):
                if cat != for_each:
                    problems.append(f"{r.element}[{cat}=$] needs the rule to run for each {cat}")
            elif v not in options.get(cat, ()):
                problems.append(f"unknown option {v} for category {cat}")
    return problems


MAX_OPTIONS_LENGTH = 200
_OPTION = re.compile(r"[A-Za-z0-9_]+")


def parse_options(text: str) -> tuple[tuple[str, str], ...]:
    """The option items of a rule's ``for_each_options`` as (first, last) pairs; ``()`` for no text.

    A single code is the pair (code, code). Only the syntax is checked here (`select_options` checks
    the codes against a category), so a rule with a typo is reported, not run on every option.
    """
    if not isinstance(text, str):
        raise ExpressionError(f"options must be text, got {type(text).__name__}")
    if len(text) > MAX_OPTIONS_LENGTH:
        raise ExpressionError(f"the option list is too long ({len(text)} characters, at most {MAX_OPTIONS_LENGTH})")
    if not text.strip():
        return ()
    items = []
    for n, part in enumerate(text.split(","), start=1):
        ends = [e.strip() for e in part.split("..")] if ".." in part else [part.strip()]
        if len(ends) > 2 or not all(_OPTION.fullmatch(e) for e in ends):
            raise ExpressionError(f"option item {n} {part.strip()!r} is not an option code or a range FIRST..LAST")
        items.append((ends[0].upper(), ends[-1].upper()))
    return tuple(items)


def select_options(items: tuple[tuple[str, str], ...], order: list[str]) -> list[str]:
    """The options of ``order`` (a category's options in its order) that ``items`` name, in that order.

    No items: every option. A code the category does not have, or a range that runs backwards, is an
    `ExpressionError`: a rule limited to options that do not exist would silently check nothing.
    """
    if not items:
        return list(order)
    index = {code: i for i, code in enumerate(order)}
    chosen: set[int] = set()
    for first, last in items:
        for code in {first, last}:
            if code not in index:
                raise ExpressionError(f"unknown option {code}")
        if index[first] > index[last]:
            raise ExpressionError(f"the range {first}..{last} runs backwards ({last} comes before {first})")
        chosen.update(range(index[first], index[last] + 1))
    return [order[i] for i in sorted(chosen)]
