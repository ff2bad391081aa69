// The one table of rectangle encodings, mirrored from
// src/coupdemain/protocol/encodings.py: same ids, same names.
// Ids are never reused; a retired id is listed in docs/reference/protocol.md.

/** @enum {number} */
export const Encoding = Object.freeze({
    SOLID: 0, // 3 bytes: R, G, B; the whole rectangle is one colour
    PNG: 1,   // a PNG image, lossless: text and flat UI
    JPEG: 2,  // a baseline JPEG image: photographic content
    H264: 3,  // one H.264 access unit of a video stream: a large region in motion
    COPY: 4,  // 4 bytes: u16 x, u16 y of pixels the viewer already has, moved here (a scroll)
});

/** What every viewer paints, as protocol/encodings.py's BASELINE. */
export const BASELINE = Object.freeze([Encoding.SOLID, Encoding.PNG, Encoding.JPEG]);

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
