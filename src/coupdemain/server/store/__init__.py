"""Persistence: the tables, the engine, and the migrations that build them."""
