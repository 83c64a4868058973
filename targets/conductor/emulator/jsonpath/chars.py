"""Jayway's ``com.jayway.jsonpath.internal.CharacterIndex``: the cursor the path and filter
compilers scan with (see the package docstring for why this is a port).
"""

from __future__ import annotations


from .tokens import InvalidPath


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

    def closing_bracket(
        self, start: int, open_c: str, close_c: str, skip_strings: bool, skip_regex: bool
    ) -> int:
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
        if self.s[self.pos : self.pos + len(text)] != text:
            return False
        self.pos += len(text)
        return True

    def read_sig_char(self, c: str) -> None:
        if self.skip_blanks().cur() != c:
            raise InvalidPath(f"Expected character: {c}")
        self.pos += 1
