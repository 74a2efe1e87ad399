"""Read an Asterisk configuration file the way Asterisk 22 does, to test what a generated
file says to Asterisk rather than what it looks like.

A transliteration of ``config_text_file_load`` and ``process_text_line`` (main/config.c) and,
for extensions.conf, of the ``exten =>`` / ``same =>`` parsing of ``pbx_load_config``
(pbx/pbx_config.c):

- lines are read with ``fgets`` into an 8192-byte buffer: a line of 8191 bytes or more is
  skipped (with a warning);
- ``;`` starts a comment unless escaped as ``\\;`` (the backslash is removed); ``;--`` opens a
  block comment (nested), ``--;`` closes one — and, outside any, makes every later line a
  comment;
- what is left is stripped of blanks (bytes below 33); ``[name]`` or ``[name](options)``
  opens a section (the name is cut to 79 bytes), ``#word argument`` is a directive, anything
  else is ``key = value`` / ``key => value`` / ``key += value`` (split at the first ``=``,
  both sides stripped).

Everything is done on the UTF-8 bytes, as Asterisk does; names and values are decoded back
with ``surrogateescape`` so that a cut inside a character shows.
"""

from __future__ import annotations

from dataclasses import dataclass, field

BUFFER = 8192  # config_text_file_load: char buf[8192]
CATEGORY_NAME = 80  # struct ast_category: char name[80]
MAX_NESTED_COMMENTS = 128
SEMI, DASH, BACKSLASH, NUL = ord(";"), ord("-"), ord("\\"), 0


@dataclass
class Entry:
    key: str
    value: str
    line: int
    arrow: bool = False  # "=>" (Asterisk's "object" flag)
    appended: bool = False  # "+=": value appended to the last entry of that key


@dataclass
class Section:
    name: str
    line: int
    options: list[str] | None = None  # [name](options)
    entries: list[Entry] = field(default_factory=list)

    @property
    def keys(self) -> list[str]:
        return [e.key for e in self.entries]

    def values(self, key: str) -> list[str]:
        return [e.value for e in self.entries if e.key == key]

    def value(self, key: str) -> str:
        (value,) = self.values(key)
        return value


@dataclass
class Directive:
    name: str
    argument: str | None
    line: int


@dataclass
class ConfFile:
    sections: list[Section] = field(default_factory=list)
    directives: list[Directive] = field(default_factory=list)
    comments: dict[int, str] = field(default_factory=dict)  # line → text after its ';'
    skipped: list[int] = field(default_factory=list)  # lines too long: Asterisk skips them
    warnings: list[str] = field(default_factory=list)  # lines Asterisk ignores, with a warning
    invalid: str | None = None  # Asterisk refuses the whole file

    @property
    def section_names(self) -> list[str]:
        return [s.name for s in self.sections]

    def named(self, name: str) -> list[Section]:
        return [s for s in self.sections if s.name == name]

    def section(self, name: str) -> Section:
        (section,) = self.named(name)
        return section


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", "surrogateescape")


def _strip(raw: bytes) -> bytes:
    """ast_strip: blanks are bytes below 33."""
    start, end = 0, len(raw)
    while start < end and raw[start] < 33:
        start += 1
    while end > start and raw[end - 1] < 33:
        end -= 1
    return raw[start:end]


def _cstr(buf: bytearray, at: int) -> bytes:
    """The C string at ``at`` (up to the next NUL)."""
    return bytes(buf[at:buf.index(NUL, at)])


def _physical_lines(data: bytes) -> list[bytes]:
    out, start = [], 0
    while start < len(data):
        end = data.find(b"\n", start)
        end = len(data) if end < 0 else end + 1
        out.append(data[start:end])
        start = end
    return out


def parse(text: str) -> ConfFile:
    conf = ConfFile()
    comment = 0  # block comment nesting (can go below 0: see "--;" below)
    current: Section | None = None
    for lineno, raw in enumerate(_physical_lines(text.encode("utf-8")), start=1):
        if len(raw) >= BUFFER - 1 and raw[BUFFER - 2:BUFFER - 1] != b"\n":
            conf.skipped.append(lineno)
            continue
        if lineno == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        buf = bytearray(raw.split(b"\0", 1)[0]) + b"\0"
        new = 0
        process: int | None = None if comment else 0
        while (p := buf.find(SEMI, new, buf.index(NUL, new))) >= 0:
            if p > new and buf[p - 1] == BACKSLASH:
                # an escaped semicolon: the backslash goes, the semicolon stays
                del buf[p - 1]
                new = p
            elif buf[p + 1] == DASH and buf[p + 2] == DASH and buf[p + 3] != DASH:
                if comment >= MAX_NESTED_COMMENTS:
                    conf.invalid = f"line {lineno}: block comments nested too deep"
                    return conf
                buf[p] = NUL  # ";--": what follows, up to "--;", is a comment
                new = p + 3
                comment += 1
            elif p >= new + 2 and buf[p - 1] == DASH and buf[p - 2] == DASH:
                comment -= 1  # "--;" — outside a block comment too
                new = p + 1
                if not comment:
                    if process is not None:
                        old = process + len(_cstr(buf, process))
                        rest = _cstr(buf, new) + b"\0"
                        buf[old:old + len(rest)] = rest
                        new = old
                    else:
                        process = new
            elif not comment:
                conf.comments[lineno] = _text(_cstr(buf, p + 1).rstrip(b"\r\n"))
                buf[p] = NUL
                new = p
            else:
                new = p + 1
        if process is None:
            continue
        line = _strip(_cstr(buf, process))
        if line:
            current = _line(conf, current, line, lineno)
            if conf.invalid is not None:
                return conf
    return conf


def _line(conf: ConfFile, current: Section | None, cur: bytes, lineno: int) -> Section | None:
    """process_text_line: a section header, a directive or a variable."""
    if cur.startswith(b"["):
        close = cur.find(b"]")
        if close < 0:
            conf.invalid = f"line {lineno}: no closing ']'"
            return current
        name = cur[1:close][:CATEGORY_NAME - 1]
        rest = cur[close + 1:]
        options: list[str] | None = None
        if rest.startswith(b"("):
            end = rest.find(b")")
            if end < 0:
                conf.invalid = f"line {lineno}: no closing ')'"
                return current
            options = [_text(o) for o in rest[1:end].split(b",")]
        section = Section(_text(name), lineno, options)
        conf.sections.append(section)
        return section
    if cur.startswith(b"#"):
        end = 1
        while end < len(cur) and cur[end] > 32:
            end += 1
        argument = _strip(cur[end + 1:]) if end < len(cur) else b""
        conf.directives.append(Directive(_text(cur[1:end]), _text(argument) or None, lineno))
        return current
    if current is None:
        conf.invalid = f"line {lineno}: no category context"
        return current
    escaped = cur.startswith(b"\\")
    if escaped:
        cur = cur[1:]
        if not cur or cur[0] < 33:
            conf.invalid = f"line {lineno}: invalid escape"
            return current
    equal = cur.find(b"=", 1 if escaped else 0)
    if equal < 0:
        conf.warnings.append(f"line {lineno}: no '=' (equal sign)")
        return current
    if equal > int(escaped) and cur[equal - 1:equal] == b"+":
        key = _text(_strip(cur[:equal - 1]))
        previous = [e for e in current.entries if e.key == key]
        if previous:
            previous[-1].value = _text(_strip(previous[-1].value.encode(
                "utf-8", "surrogateescape") + cur[equal + 1:]))
            previous[-1].appended = True
            return current
        value, arrow = cur[equal + 1:], False
    else:
        key = _text(_strip(cur[:equal]))
        value = cur[equal + 1:]
        arrow = value.startswith(b">")
        value = value[1:] if arrow else value
    if not key:
        conf.warnings.append(f"line {lineno}: no variable name")
        return current
    current.entries.append(Entry(key, _text(_strip(value)), lineno, arrow))
    return current


# --- extensions.conf ------------------------------------------------------------------------


@dataclass
class Priority:
    context: str
    exten: str
    priority: str  # as written: "1", "n", …
    label: str | None
    app: str
    data: str
    line: int


def _pbx_strsep(text: str, delim: str) -> tuple[str, str | None]:
    """pbx_config's strsep that keeps [..] character classes and \\-escaped characters."""
    square = 0
    i = 0
    while i < len(text):
        c = text[i]
        if c == "[" and "[" not in delim:
            square += 1
        elif c == "]" and "]" not in delim:
            square = max(square - 1, 0)
        elif c == "\\" and "\\" not in delim:
            i += 1
        elif c in delim and not square:
            return text[:i], text[i + 1:] or None
        i += 1
    return text, None


def dialplan(conf: ConfFile) -> list[Priority]:
    """The priorities pbx_config adds from ``exten =>`` and ``same =>`` lines (contexts are
    all sections but [general] and [globals])."""
    out: list[Priority] = []
    for section in conf.sections:
        if section.name.lower() in ("general", "globals"):
            continue
        last_exten: str | None = None
        for entry in section.entries:
            key = entry.key.lower()
            if key.startswith("same"):
                if last_exten is None:
                    continue
                exten, rest = last_exten, entry.value
            elif key == "exten":
                exten, rest_or_none = _pbx_strsep(entry.value, ",")
                rest = rest_or_none or ""
                last_exten = exten
            else:
                continue
            priority, _, rest = rest.partition(",")
            priority = priority.strip()
            label = None
            if "(" in priority:
                priority, _, label = priority.partition("(")
                label = label.split(")", 1)[0]
            app, data = rest, ""
            if "(" in rest:
                app, _, data = rest.partition("(")
                if "${" in app or "$[" in app:
                    app, data = rest, ""
                elif ")" in data:
                    data = data[:data.rindex(")")]
            out.append(Priority(section.name, exten, priority, label, app.lstrip(), data,
                                entry.line))
    return out
