"""Jayway JsonPath, as Conductor uses it: compile check and null-suppressing read.

Conductor resolves every ``${path}`` with Jayway JsonPath (``ParametersUtils``, conductor.md
§C.1 step 5) and checks at registration that the path *compiles* (§B rule 9b). Two
behaviours matter and no Python JSONPath library has them:

* **What compiles.** Jayway's ``PathCompiler`` is a hand-written scanner with quirks that
  Conductor definitions rely on: ``$.`` is put in front of paths not starting with
  ``$``/``@``; hyphens and most punctuation are fine in dotted names (``a-b.c``);
  ``a['x y']``, ``a[-1]``, ``a[0:2]``, ``a..b``, ``a.length()`` are valid; a trailing ``.``,
  a space in a dotted name, ``${}`` and unbalanced brackets are not. ``python-jsonpath``
  (RFC 9535) and ``jsonpath-ng`` accept and reject different sets, so using them for the
  compile check would produce false B9 errors in both directions.
* **What a read returns** (with ``Option.SUPPRESS_EXCEPTIONS``): ``None`` for anything
  missing on a *definite* path, a list (``[]`` when nothing matched) for an *indefinite*
  one (wildcard, ``..``, filter, slice, several indexes or names), ``None`` for an invalid
  path.

So this module is a port of Jayway 2.x's ``PathCompiler``/``FilterCompiler`` and of its
path-token evaluation, kept in the same shape as the Java code so the two can be compared
line by line. It was checked differentially against the real ``json-path-2.10.0.jar``
(the compile code is unchanged since 2.4.0, the version Conductor ships with).
Known approximations (never produced by agentc, rare in hand-written definitions):
function parameters and ``$..x.fn()`` inversion, regex flag parsing, the ``type`` and
``matches`` filter operators.
"""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Callable

__all__ = ["compile_error", "read", "InvalidPath", "is_definite"]


class InvalidPath(Exception):
    """Jayway's InvalidPathException: the path does not compile."""


class _Abort(Exception):
    """A runtime error inside evaluation; SUPPRESS_EXCEPTIONS turns it into null / []."""


_UNDEFINED = object()


# ----------------------------------------------------------------------------------------
# CharacterIndex (com.jayway.jsonpath.internal.CharacterIndex)
# ----------------------------------------------------------------------------------------


class _Chars:
    """Cursor over the path text with Jayway's helper methods (same names, same bounds)."""

    def __init__(self, text: str) -> None:
        self.s = text
        self.pos = 0
        self.end = len(text) - 1

    # bounds
    def in_bounds(self, i: int | None = None) -> bool:
        i = self.pos if i is None else i
        return 0 <= i <= self.end

    def out(self, i: int) -> bool:
        return not self.in_bounds(i)

    def length(self) -> int:
        return self.end + 1

    def char_at(self, i: int) -> str:
        if i < 0 or i >= len(self.s):
            raise InvalidPath(f"index {i} out of range")
        return self.s[i]

    def cur(self) -> str:
        return self.char_at(self.pos)

    def cur_is(self, c: str) -> bool:
        return self.in_bounds() and self.s[self.pos] == c

    def last_is(self, c: str) -> bool:
        return 0 <= self.end < len(self.s) and self.s[self.end] == c

    def next_is(self, c: str) -> bool:
        return self.in_bounds(self.pos + 1) and self.s[self.pos + 1] == c

    def has_more(self) -> bool:
        return self.in_bounds(self.pos + 1)

    def is_tail(self) -> bool:
        return self.pos >= self.end

    def sub(self, a: int, b: int) -> str:
        if a < 0 or b > len(self.s) or a > b:
            raise InvalidPath("bad subsequence")
        return self.s[a:b]

    # significant chars (skip spaces)
    def next_sig_char(self, start: int | None = None) -> str:
        i = (self.pos if start is None else start) + 1
        while not self.out(i) and self.s[i] == " ":
            i += 1
        return self.s[i] if not self.out(i) else " "

    def next_sig_is(self, c: str, start: int | None = None) -> bool:
        i = (self.pos if start is None else start) + 1
        while not self.out(i) and self.s[i] == " ":
            i += 1
        return not self.out(i) and self.s[i] == c

    def index_of_next_sig(self, c: str, start: int | None = None) -> int:
        i = (self.pos if start is None else start) + 1
        while not self.out(i) and self.s[i] == " ":
            i += 1
        return i if self.char_at(i) == c else -1

    def next_index_of(self, start: int, c: str) -> int:
        i = start
        while not self.out(i):
            if self.s[i] == c:
                return i
            i += 1
        return -1

    def next_index_of_unescaped(self, c: str, start: int | None = None) -> int:
        i = (self.pos if start is None else start) + 1
        esc = False
        while not self.out(i):
            ch = self.s[i]
            if esc:
                esc = False
            elif ch == "\\":
                esc = True
            elif ch == c:
                return i
            i += 1
        return -1

    def prev_sig_index(self) -> int:
        i = self.pos - 1
        while not self.out(i) and self.s[i] == " ":
            i -= 1
        return i if not self.out(i) else -1

    def prev_sig_char(self) -> str:
        i = self.prev_sig_index()
        return self.s[i] if i != -1 else " "

    def closing_bracket(self, start: int, open_c: str, close_c: str, skip_strings: bool,
                        skip_regex: bool) -> int:
        opened = 1
        i = start + 1
        while self.in_bounds(i):
            if skip_strings:
                q = self.s[i]
                if q in "'\"":
                    i = self.next_index_of_unescaped(q, i)
                    if i == -1:
                        raise InvalidPath(f"Could not find matching close quote for {q}")
                    i += 1
            if skip_regex and self.char_at(i) == "/":
                i = self.next_index_of_unescaped("/", i)
                if i == -1:
                    raise InvalidPath("Could not find matching close for / when parsing regex")
                i += 1
            ch = self.char_at(i)
            if ch == open_c:
                opened += 1
            if ch == close_c:
                opened -= 1
                if opened == 0:
                    return i
            i += 1
        return -1

    def skip_blanks(self) -> "_Chars":
        while self.in_bounds() and self.pos < self.end and self.s[self.pos] == " ":
            self.pos += 1
        return self

    def trim(self) -> "_Chars":
        self.skip_blanks()
        while self.in_bounds() and self.pos < self.end and self.last_is(" "):
            self.end -= 1
        return self

    def has_sig_subsequence(self, text: str) -> bool:
        self.skip_blanks()
        if not self.in_bounds(self.pos + len(text) - 1):
            return False
        if self.s[self.pos:self.pos + len(text)] != text:
            return False
        self.pos += len(text)
        return True

    def read_sig_char(self, c: str) -> None:
        if self.skip_blanks().cur() != c:
            raise InvalidPath(f"Expected character: {c}")
        self.pos += 1


# ----------------------------------------------------------------------------------------
# Tokens
# ----------------------------------------------------------------------------------------


@dataclass
class _Prop:
    names: list[str]


@dataclass
class _Index:
    indexes: list[int]


@dataclass
class _Slice:
    op: str  # "from" | "to" | "between"
    frm: int | None
    to: int | None


@dataclass
class _Wildcard:
    pass


@dataclass
class _Scan:
    pass


@dataclass
class _Func:
    name: str
    params: list[tuple[str, Any]] = field(default_factory=list)  # ("json", text) | ("path", tokens)


@dataclass
class _Filter:
    expr: Any


@dataclass
class _Path:
    root: str  # "$" or "@"
    tokens: list[Any]

    @property
    def definite(self) -> bool:
        if self.tokens and isinstance(self.tokens[0], _Scan) and self.is_function:
            return True  # inverted to fn($..x): the function is the whole path
        return all(_token_definite(t, i == len(self.tokens) - 1) for i, t in enumerate(self.tokens))

    @property
    def is_function(self) -> bool:
        return bool(self.tokens) and isinstance(self.tokens[-1], _Func)


def _token_definite(tok: Any, leaf: bool) -> bool:
    if isinstance(tok, _Prop):
        return len(tok.names) == 1 or (leaf and len(tok.names) > 1)
    if isinstance(tok, _Index):
        return len(tok.indexes) == 1
    return isinstance(tok, _Func)


# ----------------------------------------------------------------------------------------
# PathCompiler
# ----------------------------------------------------------------------------------------


class _PathCompiler:
    """Port of com.jayway.jsonpath.internal.path.PathCompiler."""

    def __init__(self, chars: _Chars) -> None:
        self.p = chars
        self.tokens: list[Any] = []

    @classmethod
    def compile(cls, path: str) -> _Path:
        ci = _Chars(path)
        ci.trim()
        first = ci.char_at(0) if path else ""
        if not path:
            raise InvalidPath("Path may not be null empty")
        if first not in ("$", "@"):
            ci = _Chars("$." + path)
            ci.trim()
        if ci.last_is("."):
            raise InvalidPath("Path must not end with a '.' or '..'")
        comp = cls(ci)
        root = comp.read_context_token()
        return _Path(root, comp.tokens)

    def fail(self, msg: str) -> None:
        raise InvalidPath(msg)

    def read_context_token(self) -> str:
        p = self.p
        while p.in_bounds() and p.cur().isspace():
            p.pos += 1
        if p.cur() not in ("$", "@"):
            self.fail("Path must start with '$' or '@'")
        root = p.cur()
        if p.is_tail():
            return root
        p.pos += 1
        if p.cur() not in (".", "["):
            self.fail(f"Illegal character at position {p.pos} expected '.' or '['")
        self.read_next_token()
        return root

    def read_next_token(self) -> bool:
        p = self.p
        c = p.cur()
        if c == "[":
            if not (self.read_bracket_property() or self.read_array() or self.read_wildcard()
                    or self.read_filter() or self.read_placeholder()):
                self.fail(f"Could not parse token starting at position {p.pos}. Expected ?, ', 0-9, * ")
            return True
        if c == ".":
            if not self.read_dot():
                self.fail(f"Could not parse token starting at position {p.pos}")
            return True
        if c == "*":
            if not self.read_wildcard():
                self.fail(f"Could not parse token starting at position {p.pos}")
            return True
        if not self.read_property_or_function():
            self.fail(f"Could not parse token starting at position {p.pos}")
        return True

    def _continue(self) -> bool:
        return self.p.is_tail() or self.read_next_token()

    def read_dot(self) -> bool:
        p = self.p
        if p.cur_is(".") and p.next_is("."):
            self.tokens.append(_Scan())
            p.pos += 2
        elif not p.has_more():
            raise InvalidPath("Path must not end with a '.")
        else:
            p.pos += 1
        if p.cur_is("."):
            raise InvalidPath(f"Character '.' on position {p.pos} is not valid.")
        return self.read_next_token()

    def read_property_or_function(self) -> bool:
        p = self.p
        if p.cur() in "[*. ":
            return False
        start = read = p.pos
        end = 0
        is_function = False
        while p.in_bounds(read):
            c = p.s[read]
            if c == " ":
                raise InvalidPath("Use bracket notion ['my prop'] if your property contains "
                                  f"blank characters. position: {p.pos}")
            if c in ".[":
                end = read
                break
            if c == "(":
                is_function = True
                end = read
                break
            read += 1
        if end == 0:
            end = p.length()
        params: list[tuple[str, Any]] = []
        if is_function:
            depth = 1
            for i in range(read + 1, p.length()):
                if p.s[i] == ")":
                    depth -= 1
                elif p.s[i] == "(":
                    depth += 1
                if depth == 0:
                    break
            if depth != 0:
                raise InvalidPath(f"Arguments to function: '{p.sub(start, end)}' are not closed properly.")
            if p.in_bounds(read + 1):
                if p.s[read + 1] != ")":
                    p.pos = end + 1
                    params = self.parse_function_parameters(p.sub(start, end))
                else:
                    p.pos = read + 1
            else:
                p.pos = read
        else:
            p.pos = end
        name = p.sub(start, end)
        self.tokens.append(_Func(name, params) if is_function else _Prop([name]))
        return self._continue()

    def parse_function_parameters(self, fname: str) -> list[tuple[str, Any]]:
        p = self.p
        ptype: str | None = None
        paren, bracket, brace, quote = 1, 0, 0, 0
        end_of_stream = False
        prior = ""
        params: list[tuple[str, Any]] = []
        buf: list[str] = []
        while p.in_bounds() and not end_of_stream:
            c = p.cur()
            p.pos += 1
            if ptype is None:
                if c.isspace():
                    continue
                if c == "{" or c.isdigit() or c == '"':
                    ptype = "json"
                elif c in "$@":
                    ptype = "path"
            if c == '"':
                if prior != "\\" and quote > 0:
                    quote -= 1
                else:
                    quote += 1
            elif c == "(":
                paren += 1
            elif c == "{":
                brace += 1
            elif c == "[":
                bracket += 1
            elif c == "}":
                if brace == 0:
                    self.fail(f"Unexpected close brace '}}' at character position: {p.pos}")
                brace -= 1
            elif c == "]":
                if bracket == 0:
                    self.fail(f"Unexpected close bracket ']' at character position: {p.pos}")
                bracket -= 1
            if c in "),":
                if c == ")":
                    paren -= 1
                    if paren < 0 or prior == "(":
                        buf.append(c)
                if quote == 0 and brace == 0 and bracket == 0 and (
                        (paren == 0 and c == ")") or paren == 1):
                    end_of_stream = paren == 0
                    if ptype is not None:
                        text = "".join(buf)
                        if ptype == "json":
                            params.append(("json", text))
                        else:
                            params.append(("path", _PathCompiler.compile(text)))
                        buf = []
                        ptype = None
            if ptype is not None and not (c == "," and brace == 0 and bracket == 0 and paren == 1):
                buf.append(c)
            prior = c
        if brace != 0 or paren != 0 or bracket != 0:
            raise InvalidPath(f"Arguments to function: '{fname}' are not closed properly.")
        return params

    def read_placeholder(self) -> bool:
        p = self.p
        if not p.cur_is("["):
            return False
        q = p.index_of_next_sig("?")
        if q == -1:
            return False
        nxt = p.next_sig_char(q)
        if nxt not in "],":
            return False
        b = p.pos + 1
        e = p.next_index_of(b, "]")
        if e == -1:
            return False
        # No predicates are ever supplied by Conductor, so a placeholder never compiles.
        raise InvalidPath(f"Not enough predicates supplied for filter [{p.sub(b, e)}] at position {p.pos}")

    def read_filter(self) -> bool:
        p = self.p
        if not p.cur_is("[") and not p.next_sig_is("?"):
            return False
        open_stmt = p.pos
        q = p.index_of_next_sig("?")
        if q == -1:
            return False
        open_paren = p.index_of_next_sig("(", q)
        if open_paren == -1:
            return False
        close_paren = p.closing_bracket(open_paren, "(", ")", True, True)
        if close_paren == -1:
            return False
        if not p.next_sig_is("]", close_paren):
            return False
        close_stmt = p.index_of_next_sig("]", close_paren)
        criteria = p.sub(open_stmt, close_stmt + 1)
        self.tokens.append(_Filter(_FilterCompiler(criteria).compile()))
        p.pos = close_stmt + 1
        return self._continue()

    def read_wildcard(self) -> bool:
        p = self.p
        in_bracket = p.cur_is("[")
        if in_bracket and not p.next_sig_is("*"):
            return False
        if not p.cur_is("*") and p.out(p.pos + 1):
            return False
        if in_bracket:
            w = p.index_of_next_sig("*")
            if not p.next_sig_is("]", w):
                raise InvalidPath(f"Expected wildcard token to end with ']' on position {w + 1}")
            close = p.index_of_next_sig("]", w)
            p.pos = close + 1
        else:
            p.pos += 1
        self.tokens.append(_Wildcard())
        return self._continue()

    def read_array(self) -> bool:
        p = self.p
        if not p.cur_is("["):
            return False
        nxt = p.next_sig_char()
        if not nxt.isdigit() and nxt not in "-:":
            return False
        b = p.pos + 1
        e = p.next_index_of(b, "]")
        if e == -1:
            return False
        expr = p.sub(b, e).strip()
        if expr == "*":
            return False
        if any(not (c.isdigit() or c in ",-: ") for c in expr):
            return False
        self.tokens.append(_parse_slice(expr) if ":" in expr else _parse_indexes(expr))
        p.pos = e + 1
        return self._continue()

    def read_bracket_property(self) -> bool:
        p = self.p
        if not p.cur_is("["):
            return False
        delim = p.next_sig_char()
        if delim not in ("'", '"'):
            return False
        props: list[str] = []
        start = read = p.pos + 1
        end = 0
        in_prop = in_esc = last_comma = False
        while p.in_bounds(read):
            c = p.s[read]
            if in_esc:
                in_esc = False
            elif c == "\\":
                in_esc = True
            elif c == "]" and not in_prop:
                if last_comma:
                    self.fail(f"Found empty property at index {read}")
                break
            elif c == delim:
                if in_prop:
                    nxt = p.next_sig_char(read)
                    if nxt not in "],":
                        self.fail("Property must be separated by comma or Property must be "
                                  f"terminated close square bracket at index {read}")
                    end = read
                    props.append(_unescape(p.sub(start, end)))
                    in_prop = False
                else:
                    start = read + 1
                    in_prop = True
                    last_comma = False
            elif c == "," and not in_prop:
                if last_comma:
                    self.fail(f"Found empty property at index {read}")
                last_comma = True
            read += 1
        if in_prop:
            self.fail(f"Property has not been closed - missing closing {delim}")
        close = p.index_of_next_sig("]", end)
        if close == -1:
            self.fail("Property has not been closed - missing closing ]")
        p.pos = close + 1
        self.tokens.append(_Prop(props))
        return self._continue()


def _java_int(text: str) -> int:
    """Integer.parseInt: optional sign, digits, 32-bit range."""
    if not re.fullmatch(r"[+-]?\d+", text):
        raise InvalidPath(f"Failed to parse integer: {text!r}")
    value = int(text)
    if not -(2**31) <= value < 2**31:
        raise InvalidPath(f"Failed to parse integer: {text!r}")
    return value


def _parse_indexes(expr: str) -> _Index:
    """ArrayIndexOperation.parse: comma-separated ints (split on \\s*,\\s*, empties kept)."""
    return _Index([_java_int(t) for t in re.split(r"\s*,\s*", expr)])


def _java_split(text: str, sep: str) -> list[str]:
    parts = text.split(sep)
    while parts and parts[-1] == "":
        parts.pop()
    return parts


def _parse_slice(expr: str) -> _Slice:
    """ArraySliceOperation.parse (no spaces allowed, split drops trailing empties)."""
    if any(not (c.isdigit() or c in "-:") for c in expr):
        raise InvalidPath(f"Failed to parse SliceOperation: {expr}")
    parts = _java_split(expr, ":")

    def at(i: int) -> int | None:
        if len(parts) > i:
            return None if parts[i] == "" else _java_int(parts[i])
        return None

    frm, to = at(0), at(1)
    if frm is not None and to is None:
        if expr.index(":") == 0:
            return _Slice("to", None, frm)
        return _Slice("from", frm, None)
    if frm is not None:
        return _Slice("between", frm, to)
    if to is not None:  # ":N"
        return _Slice("to", None, to)
    raise InvalidPath(f"Failed to parse SliceOperation: {expr}")


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "\\": "\\", "'": "'",
            '"': '"', "/": "/"}


def _unescape(text: str) -> str:
    """Utils.unescape: backslash escapes inside quoted names and string literals."""
    out: list[str] = []
    i = 0
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text):
            n = text[i + 1]
            if n == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", text[i + 2:i + 6]):
                out.append(chr(int(text[i + 2:i + 6], 16)))
                i += 6
                continue
            out.append(_ESCAPES.get(n, n))
            i += 2
            continue
        out.append(c)
        i += 1
    return "".join(out)


# ----------------------------------------------------------------------------------------
# FilterCompiler
# ----------------------------------------------------------------------------------------

# value nodes: ("path", _Path, exists_check, should_exist) | ("str", s) | ("num", Decimal)
#              ("bool", b) | ("null",) | ("json", text) | ("pattern", regex, flags)
# expressions: ("or", [..]) | ("and", [..]) | ("not", e) | ("rel", left, op, right)

_REL_OPS = {"==", "!=", "<", "<=", ">", ">=", "=~", "===", "!==", "NIN", "IN", "CONTAINS", "ALL",
            "SIZE", "EXISTS", "TYPE", "MATCHES", "EMPTY", "SUBSETOF", "ANYOF", "NONEOF"}


class _FilterCompiler:
    """Port of com.jayway.jsonpath.internal.filter.FilterCompiler."""

    def __init__(self, text: str) -> None:
        f = self.f = _Chars(text)
        f.trim()
        if not f.cur_is("[") or not f.last_is("]"):
            raise InvalidPath(f"Filter must start with '[' and end with ']'. {text}")
        f.pos += 1
        f.end -= 1
        f.trim()
        if not f.cur_is("?"):
            raise InvalidPath(f"Filter must start with '[?' and end with ']'. {text}")
        f.pos += 1
        f.trim()
        if not f.cur_is("(") or not f.last_is(")"):
            raise InvalidPath(f"Filter must start with '[?(' and end with ')]'. {text}")

    def compile(self) -> Any:
        try:
            result = self.read_or()
            self.f.skip_blanks()
            if self.f.in_bounds():
                raise InvalidPath("Expected end of filter expression instead of: "
                                  + self.f.s[self.f.pos:self.f.end + 1])
            return result
        except InvalidPath:
            raise
        except Exception as exc:  # mirrors the Java catch-all
            raise InvalidPath(f"Failed to parse filter: {exc}") from None

    def read_or(self) -> Any:
        ops = [self.read_and()]
        while True:
            save = self.f.pos
            if self.f.has_sig_subsequence("||"):
                ops.append(self.read_and())
            else:
                self.f.pos = save
                break
        return ops[0] if len(ops) == 1 else ("or", ops)

    def read_and(self) -> Any:
        ops = [self.read_and_operand()]
        while True:
            save = self.f.pos
            if self.f.has_sig_subsequence("&&"):
                ops.append(self.read_and_operand())
            else:
                self.f.pos = save
                break
        return ops[0] if len(ops) == 1 else ("and", ops)

    def read_and_operand(self) -> Any:
        f = self.f
        save = f.skip_blanks().pos
        if f.skip_blanks().cur_is("!"):
            f.read_sig_char("!")
            if f.skip_blanks().cur() in "$@":
                f.pos = save
            else:
                return ("not", self.read_and_operand())
        if f.skip_blanks().cur_is("("):
            f.read_sig_char("(")
            op = self.read_or()
            f.read_sig_char(")")
            return op
        return self.read_expression()

    def read_expression(self) -> Any:
        left = self.read_value()
        save = self.f.pos
        try:
            op = self.read_rel_op()
            right = self.read_value()
            return ("rel", left, op, right)
        except InvalidPath:
            self.f.pos = save
        if left[0] != "path":
            raise InvalidPath("Expected path node")
        should = left[3]
        return ("rel", ("path", left[1], True, should), "EXISTS", ("bool", should))

    def read_rel_op(self) -> str:
        f = self.f
        begin = f.skip_blanks().pos
        if f.cur() in "<>=~!":
            while f.in_bounds() and f.cur() in "<>=~!":
                f.pos += 1
        else:
            while f.in_bounds() and f.cur() != " ":
                f.pos += 1
        op = f.s[begin:f.pos].upper()
        if op not in _REL_OPS:
            raise InvalidPath(f"Filter operator {op} is not supported!")
        return op

    def read_value(self) -> Any:
        f = self.f
        c = f.skip_blanks().cur()
        if c in "$@":
            return self.read_path()
        if c == "!":
            f.pos += 1
            if f.skip_blanks().cur() in "$@":
                return self.read_path()
            raise InvalidPath("Unexpected character: !")
        return self.read_literal()

    def read_literal(self) -> Any:
        f = self.f
        c = f.skip_blanks().cur()
        if c in "'\"":
            begin = f.pos
            close = f.next_index_of_unescaped(c)
            if close == -1:
                raise InvalidPath(f"String literal does not have matching quotes. Expected {c} in {f.s}")
            f.pos = close + 1
            return ("str", _unescape(f.s[begin + 1:close]))
        if c in "tf":
            word = "true" if c == "t" else "false"
            begin = f.pos
            end = begin + len(word) - 1
            if f.in_bounds(end) and f.s[begin:end + 1] == word:
                f.pos = end + 1
                return ("bool", c == "t")
            raise InvalidPath("Expected boolean literal")
        if c == "n":
            begin = f.pos
            if f.in_bounds(begin + 3) and f.s[begin:begin + 4] == "null":
                f.pos = begin + 4
                return ("null",)
            raise InvalidPath("Expected <null> value")
        if c in "{[":
            begin = f.pos
            close = f.closing_bracket(f.pos, c, "}" if c == "{" else "]", True, False)
            if close == -1:
                raise InvalidPath(f"String not closed. Expected ' in {f.s}")
            f.pos = close + 1
            return ("json", f.s[begin:close + 1])
        if c == "/":
            return self.read_pattern()
        begin = f.pos
        while f.in_bounds() and (f.cur().isdigit() or f.cur() in "-.Ee"):
            f.pos += 1
        text = f.s[begin:f.pos]
        try:
            if not re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", text):
                raise InvalidOperation
            return ("num", Decimal(text))
        except InvalidOperation:
            raise InvalidPath(f"Invalid number literal {text!r}") from None

    def read_pattern(self) -> Any:
        f = self.f
        begin = f.pos
        close = f.next_index_of_unescaped("/")
        if close == -1:
            raise InvalidPath(f"Pattern not closed. Expected / in {f.s}")
        flags = ""
        i = close + 1
        while f.in_bounds(i) and f.s[i].isalpha():
            flags += f.s[i]
            i += 1
        f.pos = i
        return ("pattern", f.s[begin + 1:close], flags)

    def read_path(self) -> Any:
        f = self.f
        prev = f.prev_sig_char()
        begin = f.pos
        f.pos += 1
        while f.in_bounds():
            if f.cur() == "[":
                close = f.closing_bracket(f.pos, "[", "]", True, False)
                if close == -1:
                    raise InvalidPath(f"Square brackets does not match in filter {f.s}")
                f.pos = close + 1
            closing_fn = f.in_bounds() and f.cur() == ")" and self._closing_function_bracket(begin)
            closing_logical = f.in_bounds() and f.cur() == ")" and not closing_fn
            if not f.in_bounds() or f.cur() in "<>=~! " or closing_logical:
                break
            f.pos += 1
        should_exist = prev != "!"
        return ("path", _PathCompiler.compile(f.s[begin:f.pos]), False, should_exist)

    def _closing_function_bracket(self, lower: int) -> bool:
        f = self.f
        if f.cur() != ")":
            return False
        idx = f.prev_sig_index()
        if idx == -1 or f.s[idx] != "(":
            return False
        idx -= 1
        while f.in_bounds(idx) and idx > lower:
            if f.s[idx] == ".":
                return True
            idx -= 1
        return False


# ----------------------------------------------------------------------------------------
# Evaluation
# ----------------------------------------------------------------------------------------


class _Ctx:
    def __init__(self, root: Any) -> None:
        self.root = root
        self.results: list[Any] = []


def _is_map(v: Any) -> bool:
    return isinstance(v, dict)


def _is_array(v: Any) -> bool:
    return isinstance(v, list)


def _eval(path: _Path, model: Any, root: Any) -> _Ctx:
    ctx = _Ctx(root)
    tokens = path.tokens
    if tokens and isinstance(tokens[0], _Scan) and path.is_function:
        # CompiledPath.invertScannerFunctionRelationship: $..x.fn() -> fn over $..x
        inner = _Path(path.root, tokens[:-1])
        values = _eval(inner, model, root).results
        if tokens[-1].name in ("length", "size"):
            # Length appends a wildcard to its path parameter: it counts the children.
            values = [c for v in values if _is_array(v) or _is_map(v)
                      for c in (v.values() if _is_map(v) else v)]
        ctx.results.append(_call_function(tokens[-1], values, ctx))
        return ctx
    if not tokens:
        ctx.results.append(model)
        return ctx
    _step(tokens, 0, model, ctx)
    return ctx


def _emit(tokens: list[Any], i: int, value: Any, ctx: _Ctx) -> None:
    """Leaf: add a result; otherwise continue with the next token."""
    if i == len(tokens) - 1:
        ctx.results.append(value)
    else:
        _step(tokens, i + 1, value, ctx)


def _step(tokens: list[Any], i: int, model: Any, ctx: _Ctx) -> None:
    tok = tokens[i]
    _STEPS[type(tok)](tok, tokens, i, model, ctx)


def _step_prop(tok: _Prop, tokens: list[Any], i: int, model: Any, ctx: _Ctx) -> None:
    if not _is_map(model):
        return
    leaf = i == len(tokens) - 1
    if len(tok.names) == 1 or not leaf:
        for name in tok.names:
            if name in model:
                _emit(tokens, i, model[name], ctx)
        return
    ctx.results.append({n: model[n] for n in tok.names if n in model})


def _array_index(tokens: list[Any], i: int, model: list, index: int, ctx: _Ctx) -> None:
    """PathToken.handleArrayIndex: negative counts from the end, out of range is skipped."""
    eff = len(model) + index if index < 0 else index
    if 0 <= eff < len(model):
        _emit(tokens, i, model[eff], ctx)


def _step_index(tok: _Index, tokens: list[Any], i: int, model: Any, ctx: _Ctx) -> None:
    if not _is_array(model):
        return
    for index in tok.indexes:
        _array_index(tokens, i, model, index, ctx)


def _step_slice(tok: _Slice, tokens: list[Any], i: int, model: Any, ctx: _Ctx) -> None:
    if not _is_array(model):
        return
    n = len(model)
    if tok.op == "from":
        frm = tok.frm if tok.frm >= 0 else n + tok.frm
        frm = max(0, frm)
        if n == 0 or frm >= n:
            return
        rng = range(frm, n)
    elif tok.op == "to":
        if n == 0:
            return
        to = tok.to if tok.to >= 0 else n + tok.to
        rng = range(0, min(n, to))
    else:
        to = min(n, tok.to)
        if tok.frm >= to or n == 0:
            return
        rng = range(tok.frm, to)
    for idx in rng:
        _array_index(tokens, i, model, idx, ctx)


def _step_wildcard(tok: _Wildcard, tokens: list[Any], i: int, model: Any, ctx: _Ctx) -> None:
    if _is_map(model):
        for value in list(model.values()):
            _emit(tokens, i, value, ctx)
    elif _is_array(model):
        for idx in range(len(model)):
            _array_index(tokens, i, model, idx, ctx)


def _step_scan(tok: _Scan, tokens: list[Any], i: int, model: Any, ctx: _Ctx) -> None:
    """ScanPathToken.walk: apply the next token at every level that the next token accepts."""
    nxt = tokens[i + 1] if i + 1 < len(tokens) else None
    if nxt is None:
        return

    def matches(node: Any) -> bool:
        if isinstance(nxt, _Prop):
            if not _is_map(node):
                return False
            if not _token_definite(nxt, i + 1 == len(tokens) - 1):
                return True
            return all(n in node for n in nxt.names)
        if isinstance(nxt, (_Index, _Slice)):
            return _is_array(node)
        if isinstance(nxt, _Wildcard):
            return True
        if isinstance(nxt, _Filter):
            return _filter_accept(nxt.expr, node, ctx.root)
        return False

    def walk(node: Any) -> None:
        if _is_map(node):
            if matches(node):
                _step(tokens, i + 1, node, ctx)
            for value in list(node.values()):
                walk(value)
        elif _is_array(node):
            if matches(node):
                if i + 1 == len(tokens) - 1:
                    _step(tokens, i + 1, node, ctx)
                else:
                    for element in node:
                        _step(tokens, i + 2, element, ctx)
            for element in node:
                walk(element)

    walk(model)


def _step_filter(tok: _Filter, tokens: list[Any], i: int, model: Any, ctx: _Ctx) -> None:
    if _is_map(model):
        if _filter_accept(tok.expr, model, ctx.root):
            _emit(tokens, i, model, ctx)
    elif _is_array(model):
        for idx, element in enumerate(model):
            if _filter_accept(tok.expr, element, ctx.root):
                _array_index(tokens, i, model, idx, ctx)


def _step_func(tok: _Func, tokens: list[Any], i: int, model: Any, ctx: _Ctx) -> None:
    result = _call_function(tok, model, ctx)
    ctx.results.append(result)
    if i < len(tokens) - 1:
        _step(tokens, i + 1, result, ctx)


_STEPS: dict[type, Callable[..., None]] = {
    _Prop: _step_prop, _Index: _step_index, _Slice: _step_slice, _Wildcard: _step_wildcard,
    _Scan: _step_scan, _Filter: _step_filter, _Func: _step_func,
}


# ---- functions (com.jayway.jsonpath.internal.function) ----


def _param_values(tok: _Func, ctx: _Ctx) -> list[Any]:
    values: list[Any] = []
    for kind, payload in tok.params:
        if kind == "json":
            try:
                values.append(json.loads(payload))
            except ValueError:
                values.append(payload)
        else:
            values.append(_value_of(payload, ctx.root, ctx.root))
    return values


def _numbers(model: Any, tok: _Func, ctx: _Ctx) -> list[float]:
    nums = [float(v) for v in (model if _is_array(model) else [])
            if isinstance(v, (int, float)) and not isinstance(v, bool)]
    for v in _param_values(tok, ctx):
        for x in (v if isinstance(v, list) else [v]):
            if isinstance(x, (int, float)) and not isinstance(x, bool):
                nums.append(float(x))
    if not nums:
        raise _Abort("Aggregation function attempted to calculate value using empty array")
    return nums


def _stddev(nums: list[float]) -> float:
    mean = sum(nums) / len(nums)
    return math.sqrt(sum(x * x for x in nums) / len(nums) - mean * mean)


_AGGREGATES: dict[str, Callable[[list[float]], float]] = {
    "sum": lambda xs: float(sum(xs)), "avg": lambda xs: sum(xs) / len(xs),
    "min": min, "max": max, "stddev": _stddev,
}


def _call_function(tok: _Func, model: Any, ctx: _Ctx) -> Any:
    name = tok.name
    if name in _AGGREGATES:
        return _AGGREGATES[name](_numbers(model, tok, ctx))
    if name in ("length", "size"):
        return len(model) if _is_array(model) or _is_map(model) else None
    if name == "keys":
        return list(model.keys()) if _is_map(model) else None
    if name == "concat":
        parts = [v for v in model if isinstance(v, str)] if _is_array(model) else []
        parts += [v if isinstance(v, str) else json.dumps(v) for v in _param_values(tok, ctx)]
        return "".join(parts)
    if name == "append":
        return (list(model) if _is_array(model) else []) + _param_values(tok, ctx)
    if name in ("first", "last", "index"):
        if not _is_array(model) or not model:
            return None
        if name == "first":
            return model[0]
        if name == "last":
            return model[-1]
        args = _param_values(tok, ctx)
        idx = int(args[0]) if args and isinstance(args[0], (int, float)) else 0
        idx = idx if idx >= 0 else len(model) + idx
        return model[idx] if 0 <= idx < len(model) else None
    raise _Abort(f"Function with name: {name} does not exist.")


# ---- filter evaluation (com.jayway.jsonpath.internal.filter.EvaluatorFactory) ----


def _filter_accept(expr: Any, item: Any, root: Any) -> bool:
    kind = expr[0]
    if kind == "or":
        return any(_filter_accept(e, item, root) for e in expr[1])
    if kind == "and":
        return all(_filter_accept(e, item, root) for e in expr[1])
    if kind == "not":
        return not _filter_accept(expr[1], item, root)
    _, left, op, right = expr
    return _relation(op, _node(left, item, root), _node(right, item, root))


def _node(value: Any, item: Any, root: Any) -> Any:
    """Evaluate a path node into a value node (ValueNode.PathNode.evaluate)."""
    if value[0] != "path":
        return value
    path, exists_check = value[1], value[2]
    doc = root if path.root == "$" else item
    ctx = _eval(path, doc, root)
    if exists_check:
        return ("bool", bool(ctx.results))
    if not ctx.results:
        # SUPPRESS_EXCEPTIONS reaches the filter's own read: a missing path reads as null.
        return ("null",)
    return _to_node(ctx.results[-1] if path.definite else ctx.results)


def _to_node(v: Any) -> Any:
    if v is None:
        return ("null",)
    if isinstance(v, bool):
        return ("bool", v)
    if isinstance(v, (int, float)):
        return ("num", Decimal(repr(v)) if isinstance(v, float) else Decimal(v))
    if isinstance(v, str):
        return ("str", v)
    return ("jsonv", v)


def _json_value(node: Any) -> Any:
    """The parsed value of a JSON node (json-smart accepts single quotes)."""
    if node[0] == "jsonv":
        return node[1]
    text = node[1]
    for candidate in (text, text.replace("'", '"')):
        try:
            return json.loads(candidate)
        except ValueError:
            continue
    return _UNDEFINED


def _as_list(node: Any) -> list[Any] | None:
    if node[0] in ("json", "jsonv"):
        v = _json_value(node)
        return v if isinstance(v, list) else None
    return None


def _str_of_num(d: Decimal) -> str:
    return str(d)


def _equals(a: Any, b: Any) -> bool:
    """ValueNode.equals: numbers and numeric strings compare by value, JSON by structure."""
    ka, kb = a[0], b[0]
    if ka in ("json", "jsonv") and kb in ("json", "jsonv"):
        va, vb = _json_value(a), _json_value(b)
        return va is not _UNDEFINED and va == vb
    if ka == "num" and kb in ("num", "str"):
        other = b[1] if kb == "num" else _decimal_or_none(b[1])
        return other is not None and a[1].compare(other) == 0
    if ka == "str" and kb in ("str", "num"):
        return a[1] == (b[1] if kb == "str" else _str_of_num(b[1]))
    if ka == "bool" and kb == "bool":
        return a[1] == b[1]
    if ka == "null" and kb == "null":
        return True
    if ka == "pattern" and kb == "pattern":
        return a[1:] == b[1:]
    return False


def _decimal_or_none(text: str) -> Decimal | None:
    try:
        return Decimal(text)
    except (InvalidOperation, ValueError):
        return None


def _compare(a: Any, b: Any) -> int | None:
    if a[0] == "num" and b[0] == "num":
        return (a[1] > b[1]) - (a[1] < b[1])
    if a[0] == "str" and b[0] == "str":
        return (a[1] > b[1]) - (a[1] < b[1])
    return None


def _contains(values: list[Any], node: Any) -> bool:
    return any(_equals(_to_node(v), node) for v in values)


def _regex(a: Any, b: Any) -> bool:
    if (a[0] == "pattern") == (b[0] == "pattern"):
        return False
    pattern, other = (a, b) if a[0] == "pattern" else (b, a)
    if other[0] == "str":
        text = other[1]
    elif other[0] == "num":
        text = _str_of_num(other[1])
    elif other[0] == "bool":
        text = "true" if other[1] else "false"
    elif other[0] == "null":
        text = ""
    else:
        return False
    flags = re.IGNORECASE if "i" in pattern[2] else 0
    try:
        return re.fullmatch(pattern[1], text, flags) is not None
    except re.error:
        return False


def _relation(op: str, a: Any, b: Any) -> bool:
    if op in ("==", "!="):
        return _equals(a, b) == (op == "==")
    if op in ("===", "!=="):
        same = a[0] == b[0] and _equals(a, b)
        return same == (op == "===")
    if op in ("<", "<=", ">", ">="):
        c = _compare(a, b)
        if c is None:
            return False
        return {"<": c < 0, "<=": c <= 0, ">": c > 0, ">=": c >= 0}[op]
    if op == "=~":
        return _regex(a, b)
    if op in ("IN", "NIN"):
        values = _as_list(b)
        if values is None:
            return op == "NIN"
        return _contains(values, a) == (op == "IN")
    if op == "CONTAINS":
        if a[0] == "str" and b[0] == "str":
            return b[1] in a[1]
        values = _as_list(a)
        return values is not None and _contains(values, b)
    if op == "SIZE":
        if b[0] != "num":
            return False
        if a[0] == "str":
            return len(a[1]) == int(b[1])
        v = _json_value(a) if a[0] in ("json", "jsonv") else _UNDEFINED
        return isinstance(v, (list, dict)) and len(v) == int(b[1])
    if op == "EMPTY":
        if b[0] != "bool":
            return False
        if a[0] == "str":
            return (len(a[1]) == 0) == b[1]
        v = _json_value(a) if a[0] in ("json", "jsonv") else _UNDEFINED
        return isinstance(v, (list, dict)) and (len(v) == 0) == b[1]
    if op == "EXISTS":
        return a[0] == "bool" and b[0] == "bool" and a[1] == b[1]
    left, right = _as_list(a), _as_list(b)
    if left is None or right is None:
        return False
    if op == "SUBSETOF":
        return all(_contains(right, _to_node(v)) for v in left)
    if op == "ANYOF":
        return any(_contains(right, _to_node(v)) for v in left)
    if op == "NONEOF":
        return not any(_contains(right, _to_node(v)) for v in left)
    if op == "ALL":
        return all(_contains(left, _to_node(v)) for v in right)
    return False  # TYPE, MATCHES: not emulated


def _value_of(path: _Path, model: Any, root: Any) -> Any:
    """EvaluationContextImpl.getValue: last hit for a definite path, else the hit list."""
    ctx = _eval(path, model, root)
    if path.definite:
        if not ctx.results:
            raise _Abort("No results for path")
        return ctx.results[-1]
    return ctx.results


# ----------------------------------------------------------------------------------------
# Public API
# ----------------------------------------------------------------------------------------


def _compile(path: str) -> _Path:
    try:
        return _PathCompiler.compile(path)
    except InvalidPath:
        raise
    except (IndexError, ValueError, RecursionError) as exc:  # Java wraps any exception
        raise InvalidPath(str(exc)) from None


def compile_error(path: str) -> str | None:
    """Jayway's InvalidPathException message for ``path``, or None when it compiles.

    ``path`` is the text inside ``${…}`` exactly as Conductor hands it to
    ``JsonPath.compile`` (a leading ``$.`` is added when it starts with neither ``$`` nor
    ``@``)."""
    if not isinstance(path, str):
        return "path is not a string"
    try:
        _compile(path)
    except InvalidPath as exc:
        return str(exc) or "invalid path"
    return None


def is_definite(path: str) -> bool | None:
    """True when ``path`` yields a single value (no wildcard, scan, filter, slice or
    several indexes/names), None when it does not compile."""
    try:
        return _compile(path).definite
    except InvalidPath:
        return None


def read(document: Any, path: str) -> Any:
    """``JsonPath.read(document, path)`` with ``Option.SUPPRESS_EXCEPTIONS`` (§C.1 step 5).

    Missing data of any kind → None on a definite path; an indefinite path → a list of
    matches (``[]`` for none); an invalid path → None. Values are returned as stored, not
    copied."""
    try:
        compiled = _compile(path)
    except InvalidPath:
        return None
    try:
        return _value_of(compiled, document, document)
    except (_Abort, RecursionError, TypeError, ValueError, ArithmeticError):
        return None if compiled.definite else []
