"""The command-line grammar of the phone's shell: a small, safe subset of POSIX sh.

Supported: words with '...', "..." and backslash quoting; `$?`, `$NAME`, `${NAME}`
and the special parameters; `;`, newline, `&` (run in the foreground), `&&`, `||`,
`|`; redirections `<`, `>`, `>>`, `n>&m` with an optional fd number (`2>/dev/null`).
Never supported, and kept as literal text: `$(...)`, backticks, globs, `(`/`)`.
So text reaching the phone is never evaluated, only passed as arguments.
Unquoted expansions are not field-split (values here never hold blanks).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import attrs

__all__ = ["Command", "Expansion", "Param", "Redirect", "ShellSyntaxError", "Step", "Word",
           "expand", "parse"]

_PLAIN = re.compile(r"[^\s'\"\\$;&|<>#]+")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SPECIAL_PARAMS = frozenset("?$#!*@-0123456789")
_OPERATORS = ("&&", "||", ">>", ">&", "<&", ";", "&", "|", ">", "<", "\n")
_REDIRECTS = frozenset({">", ">>", "<", ">&", "<&"})
_SEPARATORS = {";": ";", "\n": ";", "&": ";", "&&": "&&", "||": "||"}
_DQUOTE_ESCAPES = frozenset('$`"\\')


class ShellSyntaxError(ValueError):
    """The line does not parse; the message is what mksh prints after `sh: `."""


@attrs.frozen
class Param:
    """A `$name` reference, expanded when its command runs (so `$?` sees the last status)."""

    name: str


@attrs.frozen
class Expansion:
    """A word holding parameter references; `quoted` if any part of it was quoted."""

    parts: tuple[str | Param, ...]
    quoted: bool


Word = str | Expansion


@attrs.frozen
class Redirect:
    fd: int
    op: str
    target: Word


@attrs.frozen
class Command:
    words: tuple[Word, ...]
    redirects: tuple[Redirect, ...] = ()


@attrs.frozen
class Step:
    """One pipeline and how it joins the step before it: `;`, `&&` or `||`."""

    connector: str
    pipeline: tuple[Command, ...]


@attrs.frozen
class _Op:
    text: str
    fd: int | None = None


def expand(word: Word, env: Mapping[str, str]) -> str | None:
    """The word's text; None when an unquoted expansion came out empty (the word vanishes)."""
    if isinstance(word, str):
        return word
    text = "".join(p if isinstance(p, str) else env.get(p.name, "") for p in word.parts)
    return text if text or word.quoted else None


class _Lexer:
    """Splits a line into words and operators, undoing quotes as sh does."""

    def __init__(self, line: str) -> None:
        self.line = line
        self.pos = 0
        self.tokens: list[Word | _Op] = []
        self.parts: list[str | Param] = []
        self.buf: list[str] = []
        self.in_word = False
        self.quoted = False

    def run(self) -> list[Word | _Op]:
        line, n = self.line, len(self.line)
        while self.pos < n:
            plain = _PLAIN.match(line, self.pos)
            if plain is not None:
                self._add(plain.group())
                self.pos = plain.end()
                continue
            char = line[self.pos]
            if char in " \t\r":
                self._end_word()
                self.pos += 1
            elif char == "'":
                self._single_quoted()
            elif char == '"':
                self._double_quoted()
            elif char == "\\":
                self._backslash()
            elif char == "$":
                self._dollar()
            elif char == "#" and not self.in_word:
                end = line.find("\n", self.pos)
                self.pos = n if end < 0 else end
            elif char == "#":
                self._add("#")
                self.pos += 1
            else:
                self._operator()
        self._end_word()
        return self.tokens

    def _add(self, text: str, *, quoted: bool = False) -> None:
        self.buf.append(text)
        self.in_word = True
        self.quoted = self.quoted or quoted

    def _flush(self) -> None:
        if self.buf:
            self.parts.append("".join(self.buf))
            self.buf.clear()

    def _end_word(self) -> None:
        if not self.in_word:
            return
        self._flush()
        if all(isinstance(p, str) for p in self.parts):
            self.tokens.append("".join(p for p in self.parts if isinstance(p, str)))
        else:
            self.tokens.append(Expansion(tuple(self.parts), self.quoted))
        self.parts = []
        self.in_word = self.quoted = False

    def _single_quoted(self) -> None:
        end = self.line.find("'", self.pos + 1)
        if end < 0:
            raise ShellSyntaxError("no closing quote")
        self._add(self.line[self.pos + 1:end], quoted=True)
        self.pos = end + 1

    def _double_quoted(self) -> None:
        line, n = self.line, len(self.line)
        self._add("", quoted=True)
        self.pos += 1
        while self.pos < n:
            char = line[self.pos]
            if char == '"':
                self.pos += 1
                return
            if char == "$":
                self._dollar()
            elif char == "\\" and self.pos + 1 < n and line[self.pos + 1] in _DQUOTE_ESCAPES:
                self._add(line[self.pos + 1])
                self.pos += 2
            elif char == "\\" and self.pos + 1 < n and line[self.pos + 1] == "\n":
                self.pos += 2
            else:
                self._add(char)
                self.pos += 1
        raise ShellSyntaxError("no closing quote")

    def _backslash(self) -> None:
        following = self.line[self.pos + 1:self.pos + 2]
        if following != "\n":
            self._add(following or "\\", quoted=True)
        self.pos += 2

    def _dollar(self) -> None:
        line, start = self.line, self.pos + 1
        following = line[start:start + 1]
        if following == "{":
            end = line.find("}", start)
            name = line[start + 1:end] if end > 0 else ""
            if not (_NAME.fullmatch(name) or name in _SPECIAL_PARAMS):
                raise ShellSyntaxError(f"{line[self.pos:end + 1]}: bad substitution")
            self._param(name, end + 1)
        elif following and following in _SPECIAL_PARAMS:
            self._param(following, start + 1)
        elif (found := _NAME.match(line, start)) is not None:
            self._param(found.group(), found.end())
        else:  # `$(`, a lone `$`: literal text, never evaluated
            self._add("$")
            self.pos = start

    def _param(self, name: str, end: int) -> None:
        self._flush()
        self.parts.append(Param(name))
        self.in_word = True
        self.pos = end

    def _operator(self) -> None:
        op = next(o for o in _OPERATORS if self.line.startswith(o, self.pos))
        fd = None
        if op in _REDIRECTS and self.in_word and not self.quoted and not self.parts \
                and "".join(self.buf).isdigit():
            fd = int("".join(self.buf))
            self.buf.clear()
            self.in_word = False
        self._end_word()
        self.tokens.append(_Op(op, fd))
        self.pos += len(op)


def _unexpected(token: Word | _Op | None) -> ShellSyntaxError:
    if token is None or (isinstance(token, _Op) and token.text == "\n"):
        return ShellSyntaxError("syntax error: unexpected EOF")
    text = token.text if isinstance(token, _Op) else str(token)
    return ShellSyntaxError(f"syntax error: '{text}' unexpected")


def parse(line: str) -> tuple[Step, ...]:
    """Parse one `sh -c` line into steps; raises ShellSyntaxError."""
    tokens = _Lexer(line).run()
    steps: list[Step] = []
    pipeline: list[Command] = []
    words: list[Word] = []
    redirects: list[Redirect] = []
    connector = ";"
    index = 0
    while index < len(tokens):
        token = tokens[index]
        index += 1
        if not isinstance(token, _Op):
            words.append(token)
        elif token.text in _REDIRECTS:
            target = tokens[index] if index < len(tokens) else None
            if target is None or isinstance(target, _Op):
                raise _unexpected(target)
            index += 1
            default_fd = 0 if token.text.startswith("<") else 1
            redirects.append(Redirect(default_fd if token.fd is None else token.fd,
                                      token.text, target))
        else:
            has_command = bool(words or redirects)
            if has_command:
                pipeline.append(Command(tuple(words), tuple(redirects)))
                words, redirects = [], []
            if token.text == "|" and has_command:
                continue
            if not has_command:
                if token.text == "\n" and not pipeline:
                    continue
                raise _unexpected(token)
            steps.append(Step(connector, tuple(pipeline)))
            pipeline = []
            connector = _SEPARATORS[token.text]
    if words or redirects:
        pipeline.append(Command(tuple(words), tuple(redirects)))
    elif pipeline or connector != ";":
        raise _unexpected(None)
    if pipeline:
        steps.append(Step(connector, tuple(pipeline)))
    return tuple(steps)
