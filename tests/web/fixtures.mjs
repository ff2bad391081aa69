// Reads the golden frame updates of tests/fixtures/encodings (make_fixtures.py).

import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), "..", "fixtures", "encodings");
export const PICTURES = ["solid", "png", "jpeg", "multi", "copy"];
// A video stream: h264_key, then h264_delta painted over it.
export const VIDEO = ["h264_key", "h264_delta"];
export const BROKEN = ["truncated", "unknown_encoding", "trailing"];

/**
 * One fixture: its bytes as an ArrayBuffer, and what it should hold.
 * @param {string} name
 * @returns {{data: ArrayBuffer, expected: Record<string, any>}}
 */
export function fixture(name) {
    const bytes = readFileSync(join(FIXTURES, `${name}.bin`));
    const data = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    const expected = JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), "utf-8"));
    return { data, expected };
}
