"""Checking what was built, read back from the files: preflight of the print PDF (preflight.py:
fonts, glyphs, lines, notes, boxes) and of its cover (cover.py), the text-completeness check
(completeness.py, with word_alignment.py and pdf_words.py: the PDF's words through poppler,
poppler.py), and the external validators, epubcheck and DAISY Ace (validate.py)."""
