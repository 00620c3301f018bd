"""Reading a manuscript: its files (sources.py, files.py, bookless.py: a folder with or without
book.yaml, or one .md file), their front matter and metadata (meta.py, dates.py, isbn.py,
yaml_help.py), their Markdown (parse.py, the only module that sets Python-Markdown up, with
parse_extensions.py, parse_notes.py, parse_links.py, parse_raw.py and rawhtml.py: raw HTML
under a safe list; locate.py: positions), their pictures (resources.py, raster.py, svg.py), and
the limits of what is read (nesting.py, chapter_size.py). Reads no renderer."""
