"""The EPUB 3 edition, through ebooklib: the book (book.py), its print page list (page_list.py),
its accessibility metadata (accessibility.py) and its zip container (container.py). Reads the
model and the HTML core (render/html.py) only; never the print edition's modules."""
