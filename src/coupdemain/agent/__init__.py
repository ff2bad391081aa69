"""The agent: everything that runs on the assisted computer.

It captures and encodes the screen (``capture/``, ``changes.py``,
``encode/``, ``pipeline.py``), injects the technician's input once the
person allowed it (``inject/``), shows the person what happens (``ui/``),
and talks to the server (``connection.py``). ``app.py`` ties them together
for ``coupdemain get-help``.
"""
