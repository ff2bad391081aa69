"""The sans-I/O core shared by the agent, the server and the tests.

Nothing in this package opens a socket, a file or a window.
"""
