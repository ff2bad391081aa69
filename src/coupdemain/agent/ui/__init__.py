"""The person's windows, in Tk: code prompt, consent, control, banner, session ended.

Tk runs in the main thread; the connection runs in an asyncio thread. They
talk only through the messages of ``events.py``.
"""
