"""The benchmark: coupdemain against x11vnc + websockify + noVNC (docs/topics/benchmark.md)."""
