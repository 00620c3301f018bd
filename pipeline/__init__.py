"""Markdown manuscripts with YAML front matter -> EPUB 3 and print PDF."""

__version__ = "0.1.0"
