"""Jayway's ``PathCompiler`` and ``FilterCompiler``, in one module because each calls the other
(a filter holds paths; a path holds filters).
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from .chars import _Chars
from .literals import _parse_indexes, _parse_slice, _unescape
from .tokens import InvalidPath, _Filter, _Func, _Path, _Prop, _Scan, _Wildcard


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
            if not (
                self.read_bracket_property()
                or self.read_array()
                or self.read_wildcard()
                or self.read_filter()
                or self.read_placeholder()
            ):
                self.fail(
                    f"Could not parse token starting at position {p.pos}. Expected ?, ', 0-9, * "
                )
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
                raise InvalidPath(
                    "Use bracket notion ['my prop'] if your property contains "
                    f"blank characters. position: {p.pos}"
                )
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
                raise InvalidPath(
                    f"Arguments to function: '{p.sub(start, end)}' are not closed properly."
                )
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
                if (
                    quote == 0
                    and brace == 0
                    and bracket == 0
                    and ((paren == 0 and c == ")") or paren == 1)
                ):
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
        raise InvalidPath(
            f"Not enough predicates supplied for filter [{p.sub(b, e)}] at position {p.pos}"
        )

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
                        self.fail(
                            "Property must be separated by comma or Property must be "
                            f"terminated close square bracket at index {read}"
                        )
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


# ----------------------------------------------------------------------------------------
# FilterCompiler
# ----------------------------------------------------------------------------------------

# value nodes: ("path", _Path, exists_check, should_exist) | ("str", s) | ("num", Decimal)
#              ("bool", b) | ("null",) | ("json", text) | ("pattern", regex, flags)
# expressions: ("or", [..]) | ("and", [..]) | ("not", e) | ("rel", left, op, right)

_REL_OPS = {
    "==",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "=~",
    "===",
    "!==",
    "NIN",
    "IN",
    "CONTAINS",
    "ALL",
    "SIZE",
    "EXISTS",
    "TYPE",
    "MATCHES",
    "EMPTY",
    "SUBSETOF",
    "ANYOF",
    "NONEOF",
}


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
                raise InvalidPath(
                    "Expected end of filter expression instead of: "
                    + self.f.s[self.f.pos : self.f.end + 1]
                )
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
        op = f.s[begin : f.pos].upper()
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
                raise InvalidPath(
                    f"String literal does not have matching quotes. Expected {c} in {f.s}"
                )
            f.pos = close + 1
            return ("str", _unescape(f.s[begin + 1 : close]))
        if c in "tf":
            word = "true" if c == "t" else "false"
            begin = f.pos
            end = begin + len(word) - 1
            if f.in_bounds(end) and f.s[begin : end + 1] == word:
                f.pos = end + 1
                return ("bool", c == "t")
            raise InvalidPath("Expected boolean literal")
        if c == "n":
            begin = f.pos
            if f.in_bounds(begin + 3) and f.s[begin : begin + 4] == "null":
                f.pos = begin + 4
                return ("null",)
            raise InvalidPath("Expected <null> value")
        if c in "{[":
            begin = f.pos
            close = f.closing_bracket(f.pos, c, "}" if c == "{" else "]", True, False)
            if close == -1:
                raise InvalidPath(f"String not closed. Expected ' in {f.s}")
            f.pos = close + 1
            return ("json", f.s[begin : close + 1])
        if c == "/":
            return self.read_pattern()
        begin = f.pos
        while f.in_bounds() and (f.cur().isdigit() or f.cur() in "-.Ee"):
            f.pos += 1
        text = f.s[begin : f.pos]
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
        return ("pattern", f.s[begin + 1 : close], flags)

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
        return ("path", _PathCompiler.compile(f.s[begin : f.pos]), False, should_exist)

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
