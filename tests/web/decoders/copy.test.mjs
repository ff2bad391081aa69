import assert from "node:assert/strict";
import { test } from "node:test";

import CopyDecoder from "../../../web/viewer/decoders/copy.js";
import { parseFrame } from "../../../web/viewer/protocol.js";
import { fixture } from "../fixtures.mjs";

test("copy.bin's copies decode to their source corners", async () => {
    const copies = parseFrame(fixture("copy").data).rects.filter((rect) => rect.encoding === 4);
    const decoded = await Promise.all(copies.map((rect) => new CopyDecoder().decodeRect(rect)));
    assert.deepEqual(decoded, [
        { x: 2, y: 2, width: 12, height: 9, source: { x: 2, y: 5 } },
        { x: 18, y: 2, width: 12, height: 12, source: { x: 2, y: 2 } },
    ]);
});

test("a copy payload of another length is refused", async () => {
    const rect = { x: 0, y: 0, width: 1, height: 1, encoding: 4, payload: new Uint8Array(3) };
    await assert.rejects(new CopyDecoder().decodeRect(rect), {
        message: "copy rect payload must be 4 bytes, not 3",
    });
});
