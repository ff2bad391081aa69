import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import { Encoding, ENCODING_NAMES, encodingName } from "../../web/viewer/encodings.js";

test("the ids and names are protocol/encodings.py's", () => {
    const python = readFileSync(new URL("../../src/coupdemain/protocol/encodings.py", import.meta.url), "utf-8");
    const ids = Object.fromEntries(
        [...python.matchAll(/^ {4}([A-Z][A-Z0-9_]*) = (\d+)/gm)].map(([, name, id]) => [name, Number(id)]),
    );
    assert.deepEqual({ ...Encoding }, ids);
    assert.deepEqual({ ...ENCODING_NAMES }, { 0: "solid", 1: "png", 2: "jpeg", 3: "h264", 4: "copy" });
});

test("an unknown id fails with its number", () => {
    assert.equal(encodingName(2), "jpeg");
    assert.throws(() => encodingName(7), { message: "encoding 7 is not supported by this viewer" });
});
