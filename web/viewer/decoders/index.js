// The one table from encoding id to decoder, as agent/encode/base.py's ENCODERS.

import { unsupportedEncoding } from "../encodings.js";
import JpegDecoder from "./jpeg.js";
import PngDecoder from "./png.js";
import SolidDecoder from "./solid.js";

const DECODERS = new Map(
    [SolidDecoder, PngDecoder, JpegDecoder].map((Decoder) => [Decoder.encoding, new Decoder()]),
);

/**
 * The decoder of one encoding id.
 * @param {number} encoding
 * @returns {{decodeRect: (rect: import("../protocol.js").EncodedRect) =>
 *            Promise<import("./solid.js").DecodedRect>}}
 * @throws {Error} "encoding 7 is not supported by this viewer"
 */
export function decoderFor(encoding) {
    const decoder = DECODERS.get(encoding);
    if (decoder === undefined) {
        throw unsupportedEncoding(encoding);
    }
    return decoder;
}
