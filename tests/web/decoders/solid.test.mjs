import assert from "node:assert/strict";
import { test } from "node:test";

import { decoderFor } from "../../../web/viewer/decoders/index.js";
import SolidDecoder from "../../../web/viewer/decoders/solid.js";
import { Encoding } from "../../../web/viewer/encodings.js";
import { parseFrame } from "../../../web/viewer/protocol.js";
import { fixture } from "../fixtures.mjs";

test("solid.bin decodes to its colour over its rect", async () => {
    const { data, expected } = fixture("solid");
    const [rect] = parseFrame(data).rects;
    const decoded = await new SolidDecoder().decodeRect(rect);
    assert.deepEqual(decoded, { x: 0, y: 0, width: 32, height: 16, fill: [31, 95, 191] });
    assert.equal(expected.rgb_rows[0].slice(0, 6), "1f5fbf");
});

test("a solid payload of another length is refused", async () => {
    const rect = { x: 0, y: 0, width: 1, height: 1, encoding: 0, payload: new Uint8Array(4) };
    await assert.rejects(new SolidDecoder().decodeRect(rect), {
        message: "solid rect payload must be 3 bytes, not 4",
    });
});

test("the decoder table has one decoder per encoding, and names unknown ones", () => {
    for (const id of Object.values(Encoding)) {
        assert.equal(typeof decoderFor(id).decodeRect, "function");
    }
    assert.throws(() => decoderFor(7), { message: "encoding 7 is not supported by this viewer" });
});
