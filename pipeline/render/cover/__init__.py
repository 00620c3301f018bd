"""The covers: the EPUB's typographic cover image (ebook.py) and the print edition's full wrap,
back, spine and front with bleed (wrap.py)."""
