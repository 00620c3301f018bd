"""The print edition, through WeasyPrint: the print HTML (layout.py), laid out a section at a
time (sections.py) and merged (merge.py) for the proof and every printer profile alike, what
printers need added (printer.py) and what links are called (links.py), what the layout is read
back as (facts.py, pages.py), notes kept on their pages (note_pages.py, note_split.py), pages
numbered after layout (renumber.py), and every change to WeasyPrint's code (patches.py).
Reads the model and the HTML core only; never the EPUB's modules."""
