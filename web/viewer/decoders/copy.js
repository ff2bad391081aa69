// COPY: pixels the viewer already has, moved (a scroll). The payload is the
// source's top-left corner, u16 x and u16 y, big-endian (agent/encode/copy.py
// writes it); the rect is where they go. The display copies them when the
// rect's turn comes, from the picture as it stands then.

import { Encoding } from "../encodings.js";

/** Decodes COPY rects: where from, no image. */
export default class CopyDecoder {
    static encoding = Encoding.COPY;

    /**
     * Reads the rect's source corner. Pure: needs no DOM.
     * @param {import("../protocol.js").EncodedRect} rect
     * @returns {Promise<import("./solid.js").DecodedRect>}
     * @throws {Error} the payload is not exactly 4 bytes
     */
    async decodeRect(rect) {
        const { x, y, width, height, payload } = rect;
        if (payload.byteLength !== 4) {
            throw new Error(`copy rect payload must be 4 bytes, not ${payload.byteLength}`);
        }
        const view = new DataView(payload.buffer, payload.byteOffset, 4);
        return { x, y, width, height, source: { x: view.getUint16(0), y: view.getUint16(2) } };
    }
}
