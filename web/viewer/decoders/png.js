// PNG: lossless, for text and flat UI (agent/encode/png.py writes RGB PNGs).

import { Encoding } from "../encodings.js";
import { decodeImageRect } from "./image.js";

/** Decodes PNG rects with the browser's image decoder. */
export default class PngDecoder {
    static encoding = Encoding.PNG;

    /**
     * Decodes the rect's PNG off the main thread.
     * @param {import("../protocol.js").EncodedRect} rect
     * @returns {Promise<import("./solid.js").DecodedRect>}
     */
    decodeRect(rect) {
        return decodeImageRect(rect, "image/png", "png");
    }
}
