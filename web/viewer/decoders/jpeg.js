// JPEG: lossy, for photographic regions (agent/encode/jpeg.py writes
// baseline 4:2:0 JPEGs).

import { Encoding } from "../encodings.js";
import { decodeImageRect } from "./image.js";

/** Decodes JPEG rects with the browser's image decoder. */
export default class JpegDecoder {
    static encoding = Encoding.JPEG;

    /**
     * Decodes the rect's JPEG off the main thread.
     * @param {import("../protocol.js").EncodedRect} rect
     * @returns {Promise<import("./solid.js").DecodedRect>}
     */
    decodeRect(rect) {
        return decodeImageRect(rect, "image/jpeg", "jpeg");
    }
}
