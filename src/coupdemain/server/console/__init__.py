"""The technician's web console: its pages (``pages.py``) and their templates."""
