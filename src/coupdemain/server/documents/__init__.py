"""The documents the server makes as PDF: the session's report (and, later, the mandate)."""
