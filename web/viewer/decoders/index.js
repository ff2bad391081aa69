// The one table from encoding id to decoder, as agent/encode/base.py's
// ENCODERS and STREAM_ENCODERS (and copy.py's COPY); and which encodings
// this browser paints.

import { BASELINE, Encoding, unsupportedEncoding } from "../encodings.js";
import CopyDecoder from "./copy.js";
import H264Decoder, { h264Supported } from "./h264.js";
import JpegDecoder from "./jpeg.js";
import PngDecoder from "./png.js";
import SolidDecoder from "./solid.js";
import { getLogger } from "../log.js";

const logger = getLogger("decoders");

/** @type {Set<number>} encodings the browser turned out not to paint after all */
const refused = new Set();

const DECODERS = new Map(
    [new SolidDecoder(), new PngDecoder(), new JpegDecoder(), new CopyDecoder(), new H264Decoder({
        onUnsupported: (reason) => {
            logger.warn("this browser cannot decode the agent's H.264:", reason);
            refused.add(Encoding.H264);
        },
    })].map((decoder) => [decoder.constructor.encoding, decoder]),
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

/** @type {Promise<boolean> | null} */
let h264Probe = null;

/**
 * The encodings this browser paints, for the `encodings` message: the
 * baseline ones and COPY always, H.264 when WebCodecs decodes it (and no
 * stream has been refused since).
 * @param {any} [env]  globalThis, or a stand-in for tests
 * @returns {Promise<number[]>}
 */
export async function supportedEncodings(env = globalThis) {
    if (env !== globalThis) {
        return [...BASELINE, Encoding.COPY, ...((await h264Supported(env)) ? [Encoding.H264] : [])];
    }
    h264Probe ??= h264Supported(env);
    const h264 = (await h264Probe) && !refused.has(Encoding.H264);
    return [...BASELINE, Encoding.COPY, ...(h264 ? [Encoding.H264] : [])];
}
