// H.264: large regions in motion, one video stream per region
// (agent/encode/h264.py), decoded by WebCodecs.
//
// Payload: u16 stream id | u8 flags (bit 0: keyframe) | one access unit,
// Annex B. A keyframe carries its SPS and PPS, so it configures the stream's
// VideoDecoder on its own; the codec string (avc1.PPCCLL) is read from the SPS.
//
// VideoDecoder.decode() is called in the order rects arrive (display.js
// starts every decode synchronously, in order), and a baseline stream has
// no B-frames, so pictures come out in the order they went in: each rect's
// promise takes the next picture of its stream. The display draws the
// VideoFrame at the rect and closes it.

import { Encoding } from "../encodings.js";

export const PAYLOAD_HEADER_BYTES = 3;
const FLAG_KEYFRAME = 0x01;
// What the viewer asks isConfigSupported about before telling the agent it
// paints H.264: constrained baseline, level 4.0 (1080p).
export const PROBE_CONFIG = Object.freeze({
    codec: "avc1.42E028", codedWidth: 1920, codedHeight: 1080, optimizeForLatency: true,
});
// More streams than this at once and the least recently used one is closed.
export const MAX_STREAMS = 4;
// A picture that has not come out of the decoder after this long never will.
export const PICTURE_TIMEOUT_MS = 2000;
// This many streams failing in a row, with no picture between: the browser
// cannot decode the agent's H.264 after all, and says so (onUnsupported).
export const MAX_FAILED_STREAMS = 3;
const FRAME_DURATION_US = 33_333;

/**
 * Reads an H.264 rect's payload.
 * @param {Uint8Array} payload
 * @returns {{streamId: number, keyframe: boolean, accessUnit: Uint8Array}}
 * @throws {Error} the payload is shorter than its header
 */
export function unpackPayload(payload) {
    if (payload.byteLength < PAYLOAD_HEADER_BYTES) {
        throw new Error(`h264 payload of ${payload.byteLength} bytes is shorter than its header`);
    }
    return {
        streamId: (payload[0] << 8) | payload[1],
        keyframe: (payload[2] & FLAG_KEYFRAME) !== 0,
        accessUnit: payload.subarray(PAYLOAD_HEADER_BYTES),
    };
}

/**
 * The codec string of an Annex B access unit, from its first SPS: "avc1.42c01e".
 * @param {Uint8Array} accessUnit
 * @returns {string | null} null when the access unit holds no SPS
 */
export function codecFromAccessUnit(accessUnit) {
    for (let i = 0; i + 6 < accessUnit.byteLength; i += 1) {
        if (accessUnit[i] === 0 && accessUnit[i + 1] === 0 && accessUnit[i + 2] === 1
            && (accessUnit[i + 3] & 0x1f) === 7) {
            const hex = (byte) => byte.toString(16).padStart(2, "0");
            return `avc1.${hex(accessUnit[i + 4])}${hex(accessUnit[i + 5])}${hex(accessUnit[i + 6])}`;
        }
    }
    return null;
}

/**
 * Whether this browser decodes H.264 through WebCodecs.
 * @param {any} [env]  globalThis, or a stand-in for tests
 * @returns {Promise<boolean>}
 */
export async function h264Supported(env = globalThis) {
    if (typeof env.VideoDecoder !== "function" || typeof env.EncodedVideoChunk !== "function") {
        return false;
    }
    try {
        const { supported } = await env.VideoDecoder.isConfigSupported({ ...PROBE_CONFIG });
        return supported === true;
    } catch {
        return false;
    }
}

/**
 * One stream's decoder and the rects waiting for its pictures.
 * @typedef {{id: number, decoder: any, codec: string, width: number, height: number,
 *            timestamp: number, closed: boolean,
 *            pending: {rect: any, resolve: Function, reject: Function, timer: any}[]}} Stream
 */

/** Decodes H.264 rects with one WebCodecs VideoDecoder per stream. */
export default class H264Decoder {
    static encoding = Encoding.H264;

    /**
     * @param {{env?: any, onUnsupported?: (reason: string) => void}} [options]
     *     env: globalThis or a stand-in with VideoDecoder and EncodedVideoChunk;
     *     onUnsupported: called when the browser refuses a stream's configuration
     */
    constructor(options = {}) {
        this.env = options.env ?? globalThis;
        this.onUnsupported = options.onUnsupported ?? (() => {});
        /** @type {Map<number, Stream>} in least recently used order */
        this.streams = new Map();
        this.failedStreams = 0;
    }

    /**
     * Queues the rect's access unit on its stream; resolves with its picture.
     * @param {import("../protocol.js").EncodedRect} rect
     * @returns {Promise<import("./solid.js").DecodedRect>}
     */
    decodeRect(rect) {
        const { x, y, width, height } = rect;
        let unpacked;
        try {
            unpacked = unpackPayload(rect.payload);
        } catch (error) {
            return Promise.reject(error);
        }
        const { streamId, keyframe, accessUnit } = unpacked;
        if (typeof this.env.VideoDecoder !== "function") {
            return Promise.reject(new Error("h264 is not supported by this browser"));
        }
        let stream = this.streams.get(streamId);
        if (keyframe) {
            const codec = codecFromAccessUnit(accessUnit);
            if (codec === null) {
                return Promise.reject(new Error(`h264 keyframe of stream ${streamId} has no SPS`));
            }
            if (!stream || stream.closed || stream.codec !== codec
                || stream.width !== width || stream.height !== height) {
                this.closeStream(streamId, "a new keyframe");
                try {
                    stream = this.openStream(streamId, codec, width, height);
                } catch (error) {
                    this.onUnsupported(String(error.message ?? error));
                    return Promise.reject(new Error(
                        `h264 stream ${streamId} (${codec}, ${width}×${height}) could not be set up: ` +
                        `${error.message ?? error}`));
                }
            }
        } else if (!stream || stream.closed) {
            return Promise.reject(new Error(`h264 stream ${streamId} has no keyframe yet`));
        } else if (stream.width !== width || stream.height !== height) {
            return Promise.reject(new Error(
                `h264 rect at ${x},${y} is ${width}×${height} but stream ${streamId} is ` +
                `${stream.width}×${stream.height}`));
        }
        // Most recently used last.
        this.streams.delete(streamId);
        this.streams.set(streamId, stream);
        const live = stream;
        return new Promise((resolve, reject) => {
            const waiting = { rect, resolve, reject, timer: null };
            waiting.timer = setTimeout(() => {
                this.failStream(live, `h264 stream ${streamId} gave no picture`);
            }, PICTURE_TIMEOUT_MS);
            live.pending.push(waiting);
            try {
                live.decoder.decode(new this.env.EncodedVideoChunk({
                    type: keyframe ? "key" : "delta",
                    timestamp: live.timestamp,
                    data: accessUnit,
                }));
                live.timestamp += FRAME_DURATION_US;
            } catch (error) {
                this.failStream(live, `h264 rect at ${x},${y} could not be decoded: ${error.message ?? error}`);
            }
        });
    }

    /**
     * @param {number} id
     * @param {string} codec
     * @param {number} width
     * @param {number} height
     * @returns {Stream}
     */
    openStream(id, codec, width, height) {
        /** @type {Stream} */
        const stream = {
            id, codec, width, height, timestamp: 0, closed: false, pending: [], decoder: null,
        };
        stream.decoder = new this.env.VideoDecoder({
            output: (frame) => this.receivePicture(stream, frame),
            error: (error) => {
                if (error?.name === "NotSupportedError") {
                    this.onUnsupported(String(error.message ?? error));
                }
                this.failStream(stream, `h264 stream ${id} failed: ${error?.message ?? error}`);
            },
        });
        stream.decoder.configure({ codec, codedWidth: width, codedHeight: height,
            optimizeForLatency: true });
        this.streams.set(id, stream);
        while (this.streams.size > MAX_STREAMS) {
            this.closeStream(this.streams.keys().next().value, "too many streams");
        }
        return stream;
    }

    /**
     * @param {Stream} stream
     * @param {any} frame  a VideoFrame
     */
    receivePicture(stream, frame) {
        const waiting = stream.pending.shift();
        if (waiting === undefined) {
            frame.close();
            return;
        }
        clearTimeout(waiting.timer);
        this.failedStreams = 0;
        const { x, y, width, height } = waiting.rect;
        if (frame.displayWidth !== width || frame.displayHeight !== height) {
            const size = `${frame.displayWidth}×${frame.displayHeight}`;
            frame.close();
            waiting.reject(new Error(`h264 rect at ${x},${y} is ${width}×${height} but its picture is ${size}`));
            return;
        }
        waiting.resolve({ x, y, width, height, image: frame });
    }

    /**
     * Rejects every rect waiting on the stream and closes it: the next
     * picture of that stream must be a keyframe.
     * @param {Stream} stream
     * @param {string} message
     */
    failStream(stream, message) {
        this.failedStreams += 1;
        if (this.failedStreams === MAX_FAILED_STREAMS) {
            this.onUnsupported(`${MAX_FAILED_STREAMS} streams failed in a row; the last: ${message}`);
        }
        const pending = stream.pending.splice(0);
        this.closeStream(stream.id, message, stream);
        for (const waiting of pending) {
            clearTimeout(waiting.timer);
            waiting.reject(new Error(message));
        }
    }

    /**
     * @param {number} id
     * @param {string} why
     * @param {Stream} [only]  close it only if it is still this stream
     */
    closeStream(id, why, only) {
        let stream = this.streams.get(id);
        if (only !== undefined && stream !== only) {
            stream = only; // already replaced in the table: close it alone
        } else if (stream !== undefined) {
            this.streams.delete(id);
        }
        if (stream === undefined) {
            return;
        }
        stream.closed = true;
        for (const waiting of stream.pending.splice(0)) {
            clearTimeout(waiting.timer);
            waiting.reject(new Error(`h264 stream ${id} closed: ${why}`));
        }
        try {
            if (stream.decoder.state !== "closed") stream.decoder.close();
        } catch {
            // Closing a decoder that already failed is harmless.
        }
    }

    /** Closes every stream (the viewer left, or starts over). */
    close() {
        for (const id of [...this.streams.keys()]) {
            this.closeStream(id, "closed");
        }
    }
}
