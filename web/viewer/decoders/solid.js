// SOLID: a rectangle of one colour, as three bytes R, G, B
// (agent/encode/solid.py writes them).

import { Encoding } from "../encodings.js";

/**
 * What a decoder hands the display: where to paint, and either one colour,
 * a decoded image of exactly width × height pixels, or where on the picture
 * to copy them from.
 * @typedef {{x: number, y: number, width: number, height: number,
 *            fill?: [number, number, number], image?: ImageBitmap,
 *            source?: {x: number, y: number}}} DecodedRect
 */

/** Decodes SOLID rects: one colour, no image. */
export default class SolidDecoder {
    static encoding = Encoding.SOLID;

    /**
     * Reads the rect's colour. Pure: needs no DOM.
     * @param {import("../protocol.js").EncodedRect} rect
     * @returns {Promise<DecodedRect>}
     * @throws {Error} the payload is not exactly 3 bytes
     */
    async decodeRect(rect) {
        const { x, y, width, height, payload } = rect;
        if (payload.byteLength !== 3) {
            throw new Error(`solid rect payload must be 3 bytes, not ${payload.byteLength}`);
        }
        return { x, y, width, height, fill: [payload[0], payload[1], payload[2]] };
    }
}
