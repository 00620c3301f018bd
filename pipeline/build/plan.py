"""What a build is asked to make, as data: the manuscript, the output folder, which outputs, the
print profile, how many processes, whether the cache is used. `build()` takes one; the command
line and the web server each make one."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from pathlib import Path

STYLES_DIR = Path(__file__).resolve().parents[2] / "styles"


class Outputs(enum.Enum):
    """`--only`: both books (the EPUB's page list comes from the PDF's layout), or one."""

    BOTH = ""
    EPUB = "epub"
    PDF = "pdf"


@dataclass(frozen=True)
class BuildPlan:
    manuscript: Path  # a book folder, or a single .md file (pipeline.read.bookless)
    out: Path
    outputs: Outputs = Outputs.BOTH
    profile: str = ""  # a print profile overriding book.yaml's `print:`; "" keeps the book's
    strict: bool = False  # warnings count as errors
    # Processes for parsing a large book's chapters and laying out its PDF's; 0: the PDF of a
    # book large enough for worker processes is laid out in as many as there are cores (at most
    # pipeline.render.pdf.sections.AUTO_JOBS), anything else in one
    jobs: int = 0
    use_cache: bool = True  # False: everything is built afresh, and nothing is stored
    styles_dir: Path = STYLES_DIR

    @property
    def epub(self) -> bool:
        return self.outputs is not Outputs.PDF

    @property
    def pdf(self) -> bool:
        return self.outputs is not Outputs.EPUB

    def settings(self) -> str:
        """What of the plan, beyond the files read, decides the bytes written and the messages
        (a part of the whole-build key). Diagnostics name files relative to the manuscript folder
        (pipeline.diagnostics), so where the shell stands does not count; jobs and use_cache
        change neither."""
        return (f"only={self.outputs.value};profile={self.profile};strict={self.strict};"
                f"root={self.manuscript.resolve()}")
