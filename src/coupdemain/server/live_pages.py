"""The console's live pages (Devices, Help requests): a queue of changes, sent as JSON.

Each page opens a WebSocket and only listens; it sends nothing, so anything
it receives (or its closing) means it left.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from starlette.websockets import WebSocket

logger = logging.getLogger("coupdemain.live_pages")


async def forward(ws: WebSocket, queue: asyncio.Queue[dict[str, Any]], page: str) -> None:
    """Sends each change put in ``queue`` to the page, until the page leaves.

    Args:
        page: which page, for the log ("devices", "help requests").
    """
    receiving = asyncio.create_task(ws.receive())
    try:
        while True:
            getting = asyncio.create_task(queue.get())
            done, _ = await asyncio.wait({getting, receiving},
                                         return_when=asyncio.FIRST_COMPLETED)
            if receiving in done:
                getting.cancel()
                return  # the page left (it sends nothing else)
            await ws.send_text(json.dumps(getting.result()))
    except Exception:  # noqa: BLE001 - the page is gone
        logger.debug("a %s page left", page, exc_info=True)
    finally:
        receiving.cancel()
