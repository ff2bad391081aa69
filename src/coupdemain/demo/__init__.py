"""The demo: a server, a virtual screen with a small application, and an agent on it."""
