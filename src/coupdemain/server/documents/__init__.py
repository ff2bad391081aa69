"""Documents the server makes for people to keep: PDFs (``pdf.py`` is their common base)."""
