// The one table of rectangle encodings, src/coupdemain/protocol/encodings.py's,
// as wire.js (generated from it) has it: same ids, same names.
// Ids are never reused; a retired id is listed in docs/reference/protocol.md.
// SOLID: 3 bytes, R, G, B; PNG and JPEG: an image; H264: one access unit of a
// video stream; COPY: u16 x, u16 y of pixels the viewer already has (a scroll).

import { BASELINE_ENCODINGS, Encoding } from "./wire.js";

export { Encoding };

/** What every viewer paints, as protocol/encodings.py's BASELINE. */
export const BASELINE = BASELINE_ENCODINGS;

/** @type {Readonly<Record<number, string>>} id → lower-case name, as ENCODING_NAMES */
export const ENCODING_NAMES = Object.freeze(
    Object.fromEntries(Object.entries(Encoding).map(([name, id]) => [id, name.toLowerCase()])),
);

/**
 * The error for an encoding id this viewer cannot paint.
 * @param {number} id
 * @returns {Error}
 */
export function unsupportedEncoding(id) {
    return new Error(`encoding ${id} is not supported by this viewer`);
}

/**
 * The name of an encoding id ("solid", "png", "jpeg").
 * @param {number} id
 * @returns {string}
 * @throws {Error} "encoding 7 is not supported by this viewer" for an unknown id
 */
export function encodingName(id) {
    const name = ENCODING_NAMES[id];
    if (name === undefined) {
        throw unsupportedEncoding(id);
    }
    return name;
}
