"""The print edition, through WeasyPrint: the print HTML and the two ways of laying it out
(layout.py: whole, for printer profiles, or a section at a time, sections.py, merged by
merge.py), what PDF/UA and printers need added (finish.py, printer.py), what the layout is
read back as (facts.py, pages.py), notes kept on their pages (note_pages.py, note_split.py),
pages numbered after layout (renumber.py), and every change to WeasyPrint's code (patches.py).
Reads the model and the HTML core only; never the EPUB's modules."""
