"""Notes in Python-Markdown's tree: the definitions, collected before the walk; each call; the
problems of labels (called and not defined, defined twice, defined and not called).

A mixin of the parser's tree walker (pipeline.read.parse). A note called several times is converted
once: its text, and every problem in it, belongs to the note, not to each call.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as etree
from collections import Counter
from typing import Callable

from pipeline.diagnostics import Collector, SourcePos
from pipeline.read.locate import Locator
from pipeline.model import Block, Note
from pipeline.read.suggest import did_you_mean

_DEFINITION = re.compile(r"^ {0,3}\[\^([^\]]*)\]:", re.MULTILINE)


def collect_definitions(root: etree.Element) -> dict[str, etree.Element]:
    found: dict[str, etree.Element] = {}
    for div in root.iter("div"):
        if "footnote" not in (div.get("class") or "").split():
            continue
        for li in div.iter("li"):
            label = li.get("id", "").split(":", 1)[-1]
            for a in list(li.iter("a")):
                if "footnote-backref" in (a.get("class") or ""):
                    for parent in li.iter():
                        if a in list(parent):
                            parent.remove(a)
            found[label] = li
    return found


class NoteCalls:
    """Needs from the walker: loc, diags, blocks(), and note_text() and told of pipeline.read.nesting."""

    loc: Locator
    diags: Collector
    told: bool
    definitions: dict[str, etree.Element]
    note_text: Callable[[str, SourcePos, Callable[[], tuple[Block, ...]]], tuple[Block, ...]]  # NestingGuard's

    def blocks(self, el: etree.Element) -> tuple[Block, ...]:
        raise NotImplementedError

    def start_notes(self, root: etree.Element) -> None:
        self.definitions = collect_definitions(root)
        self.called: Counter[str] = Counter()
        self.converted: dict[str, tuple[Block, ...]] = {}

    def note_call(self, a: etree.Element) -> Note:
        return self.note_call_of(a.get("href", "").split(":", 1)[-1])

    def note_call_of(self, label: str) -> Note:
        self.called[label] += 1
        pos = self.loc.find(f"[^{label}]")
        definition = self.definitions.get(label)
        if definition is None:
            return Note(label=label, blocks=(), pos=pos)
        if label not in self.converted:  # (a call inside the note's own text finds it open: nesting says so)
            blocks = self.note_text(label, pos, lambda: self.blocks(definition))
            self.converted[label] = blocks
        return Note(label=label, blocks=self.converted.get(label, ()), pos=pos)

    def undefined_note(self, label: str) -> None:
        """A literal '[^x]' left in the text: a call of a note that has no definition."""
        pos = self.loc.find(f"[^{label}]", advance=False)
        hint = did_you_mean(label, self.definitions, "[^{}]")
        self.diags.error(pos, f"footnote [^{label}] has no definition" + (hint or f"; add a line '[^{label}]: text of the note'"))

    def check_labels(self, text: str) -> None:
        """Before the walk: a label defined twice. After it (see uncalled): defined, never called."""
        for label, count in Counter(m.group(1) for m in _DEFINITION.finditer(text)).items():
            if count > 1:
                self.diags.error(self.loc.find(f"[^{label}]:", advance=False),
                                 f"footnote [^{label}] is defined {count} times; keep one definition")

    def uncalled(self) -> None:
        for label in self.definitions:
            if label not in self.called and not self.told:  # (past a limit, notes go uncalled)
                self.diags.warning(self.loc.find(f"[^{label}]:", advance=False),
                                   f"footnote [^{label}] is defined but never called")
