"""coupdemain: self-hostable remote assistance."""

__version__ = "0.1.0"
