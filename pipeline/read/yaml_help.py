"""YAML's own messages told as what to do, at the place to do it, and the quiet mistakes that YAML
does not report: a value cut short at ' #', front matter that was never closed.

PyYAML says "mapping values are not allowed here" where an editor wrote `title: Chapter 2: the
end`; the fix is quotes. Each explanation names the fix and, where it can, the line to write.
"""

from __future__ import annotations

import re
from typing import Any

# A line of front matter as an editor writes it: `key: value` (or `- item`), key and value apart.
_KEY_LINE = re.compile(r"""^(?P<lead>\s*(?:-\s+)?)(?P<key>[^\s:#'"][^:#]*?|"[^"]*"|'[^']*')[ \t]*:[ \t]+(?P<value>.*?)\s*$""")
# After a blank line, a line that can still be front matter: a key, a list item, an indented
# line (a block value), a comment, or the end of a list or mapping written over several lines.
_YAML_LOOKING = re.compile(r"""^(?:\s|#|-(?:\s|$)|[\w][\w-]*[ \t]*:(?:\s|$)|["'][^"']*["'][ \t]*:(?:\s|$)|[\]}])""")
_SYNTAX_START = {"*": "an alias", "&": "an anchor", "!": "a tag", "%": "a directive", "@": "reserved",
                 "`": "reserved", "|": "a block of text", ">": "a block of text", "[": "a list", "{": "a mapping",
                 "?": "a key", "-": "a list item"}


def quoted(value: str) -> str:
    """The value in quotes YAML takes as written: single quotes when it holds a double quote or
    a backslash (nothing is an escape there), else double quotes."""
    if '"' in value or "\\" in value:
        return "'" + value.replace("'", "''") + "'"
    return f'"{value}"'


def _in_quotes(line: str) -> str:
    """`key: "value"` for the line as written, or "" if it is not a key line."""
    m = _KEY_LINE.match(line)
    if not (m and m["value"]):
        return ""
    if m["lead"].strip():  # a list item: the whole item is the value
        return f"- {quoted(m['key'] + ': ' + m['value'])}"
    return f"{m['key']}: {quoted(m['value'])}"


def _value_col(line: str, default: int) -> int:
    m = _KEY_LINE.match(line)
    if m and m["lead"].strip():
        return m.start("key")
    return m.start("value") if m and m["value"] else default


def _last_scalar(text: str, loader: type, before: Any) -> Any:
    """The last scalar token YAML read before the mark `before` (its start and end marks, style)."""
    import yaml

    last = None
    try:
        for token in yaml.scan(text, Loader=loader):
            if (token.start_mark.line, token.start_mark.column) >= (before.line, before.column):
                break
            if isinstance(token, yaml.ScalarToken):
                last = token
    except yaml.YAMLError:
        pass
    return last


def explain(exc: Any, text: str, first_line: int, loader: type) -> tuple[int, int, str] | None:
    """(line, column, message), 0-based within `text`, for a YAML error an editor makes; None for
    one not known here (reported as YAML says it). first_line: the file's line of text's first."""
    problem, context = exc.problem or "", exc.context or ""
    pm, cm = exc.problem_mark, exc.context_mark
    lines = text.split("\n")

    def line_at(mark: Any) -> str:
        return lines[mark.line] if mark is not None and mark.line < len(lines) else ""

    if "end of stream" in problem and "quoted scalar" in context and cm is not None:
        q = line_at(cm)[cm.column:cm.column + 1] or '"'
        inside = '\\"' if q == '"' else "''"
        return cm.line, cm.column, (f"the quote opened here is never closed: end the value with {q} "
                                    f"(a {q} inside the value is written {inside})")
    if problem.startswith("found character '\\t'") and pm is not None:
        before = line_at(pm)[:pm.column]
        if not before.strip():
            return pm.line, pm.column, "a tab: indent with spaces, not tabs"
        return pm.line, pm.column, "a tab: YAML takes spaces here, not tabs; put spaces, or put the value in quotes"
    if problem == "mapping values are not allowed here" and pm is not None:
        line = line_at(pm)
        first_colon = line.find(":")
        if 0 <= first_colon < pm.column and (fix := _in_quotes(line)):
            return pm.line, _value_col(line, 0), f"a ': ' inside a value: put the value in quotes: {fix}"
        return pm.line, len(line) - len(line.lstrip()), ("this key is indented, so YAML reads it as part of the value "
                                                          "above: start each key at the beginning of the line")
    if problem == "could not find expected ':'" and cm is not None:
        return cm.line, cm.column, (f"line {first_line + cm.line} is not 'key: value': put ': ' after the key, indent "
                                    "the line if it continues the value above, or, if the text starts here, close "
                                    "the front matter above it with a line '---'")
    if "block end" in problem and "<scalar>" in problem and pm is not None:
        last = _last_scalar(text, loader, pm)
        if last is not None and last.style in ("'", '"') and last.start_mark.line < last.end_mark.line:
            return last.start_mark.line, last.start_mark.column, (
                f"the quote opened here closes only on line {first_line + last.end_mark.line}: "
                f"end the value on this line with {last.style}")
        if last is not None and last.style in ("'", '"') and last.end_mark.line == pm.line:
            line = line_at(pm)
            col = last.start_mark.column
            key = line[:col].rstrip().rstrip(":").strip()
            return pm.line, col, (f"text after the closing quote: put the whole value in single quotes: "
                                  f"{key}: '{line[col:].rstrip()}'" if '"' in line[col:] else
                                  f"text after the closing quote: put the whole value in double quotes: "
                                  f"{key}: \"{line[col:].rstrip()}\"")
    if ("while scanning an alias" in context or "while scanning an anchor" in context
            or problem.startswith("found undefined alias")) or \
            (problem.startswith("found character") and "cannot start any token" in problem):
        mark = cm if cm is not None and "scanning an a" in context else pm
        line = line_at(mark)
        start = line[mark.column:mark.column + 1]
        fix = _in_quotes(line)
        what = _SYNTAX_START.get(start, "YAML syntax")
        return mark.line, mark.column, (f"a value that starts with '{start}' is read as YAML syntax ({what}): "
                                        f"put the value in quotes" + (f": {fix}" if fix else ""))
    if "unknown escape character" in problem and cm is not None:
        line = line_at(cm)
        key = line[:cm.column].rstrip().rstrip(":").strip()
        body = _quoted_body(line, cm.column)
        fix = f"{key}: '{body}'" if key and "'" not in body else ""
        return cm.line, cm.column, ("a backslash inside double quotes starts an escape such as \\n: write \\\\ for "
                                    "a backslash, or put the value in single quotes" + (f": {fix}" if fix else ""))
    if ("flow sequence" in context or "flow mapping" in context) and cm is not None and pm is not None:
        kind, close = ("list", "]") if "sequence" in context else ("mapping", "}")
        if "<stream end>" in problem or pm.line > cm.line:
            return cm.line, cm.column, (f"the {kind} opened here is never closed: end it with '{close}' (an item that "
                                        "holds ',', ':' or ' #' goes in quotes; text that starts with '[' or '{' too)")
        return pm.line, pm.column, f"an item of this {kind} holds ':' or ',': put the item in quotes"
    if problem in ("sequence entries are not allowed here", "mapping keys are not allowed here") \
            or "while scanning a block scalar" in context:
        mark = cm if "block scalar" in context else pm
        fix = _in_quotes(line_at(mark))
        return mark.line, mark.column, "the value starts like YAML syntax: put the value in quotes" + (
            f": {fix}" if fix else "")
    if "block end" in problem and "'-'" in problem and pm is not None:
        return pm.line, pm.column, ("a list item belongs to no key: write the key on the line above ('author:') "
                                    "and indent its items with spaces ('  - Ann Author')")
    if "document start" in problem and pm is not None:
        return pm.line, pm.column, "the keys are not indented alike: start every key at the beginning of the line"
    return None


def _quoted_body(line: str, col: int) -> str:
    end = line.find('"', col + 1)
    return line[col + 1:end] if end > col else line[col + 1:]


def cut_at_comment(key: str, node: Any, lines: list[str], item: bool = False) -> str:
    """A warning if YAML ended this plain text value (of `key`, or with item an item of its list)
    at ' #' (one space: with two or more, or on a line of its own, a comment is meant), else ""."""
    start, end = node.start_mark, node.end_mark
    if node.style is not None or node.tag != "tag:yaml.org,2002:str" or start.line != end.line or end.line >= len(lines):
        return ""
    line = lines[end.line]
    rest = line[end.column:]
    if not re.match(r"[ \t]#", rest):
        return ""
    whole = line[start.column:].rstrip()
    return (f"'{key}' ends at ' #': YAML reads the rest of the line as a comment, so the value is '{node.value}'; "
            f"if '{rest.strip()}' belongs to it, put the value in quotes: {'-' if item else key + ':'} {quoted(whole)}")


def text_starts(lines: list[str], end: int) -> int | None:
    """The index of the line, within lines[1:end], where the chapter's text must start: the first
    that follows a blank line and cannot be front matter. Front matter left open runs on into the
    text, up to a later '---' (a scene break) or the end of the file."""
    for i in range(2, end):
        if not lines[i - 1].strip() and lines[i].strip() and not _YAML_LOOKING.match(lines[i]):
            return i
    return None
