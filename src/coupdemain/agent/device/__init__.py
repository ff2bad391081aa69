"""A managed device: enrolled once (``enroll.py``), reached through its service (``service.py``).

- ``identity.py``: the device's folder, its Ed25519 key (0600) and what it knows of its server;
- ``inventory.py``: what the console shows of the computer (psutil);
- ``enroll.py``: ``coupdemain agent enroll``;
- ``service.py``: ``coupdemain agent run``, the service's loop;
- ``unit.py``: ``coupdemain agent install-service``, the systemd unit;
- ``command.py``: the ``coupdemain agent`` subcommands.
"""
