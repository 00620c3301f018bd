"""The book on the web: its page (cover, downloads, PDF preview), a local server with live
preview, and a static site. Reads only what a build wrote; builds through pipeline.build.build."""
