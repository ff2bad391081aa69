import assert from "node:assert/strict";
import { test } from "node:test";

import H264Decoder, {
    codecFromAccessUnit, h264Supported, MAX_FAILED_STREAMS, MAX_STREAMS, unpackPayload,
} from "../../../web/viewer/decoders/h264.js";
import { supportedEncodings } from "../../../web/viewer/decoders/index.js";
import { parseFrame } from "../../../web/viewer/protocol.js";
import { fixture } from "../fixtures.mjs";

/** A stand-in for WebCodecs: records what it is given, answers with fake pictures. */
function fakeWebCodecs({ supported = true, failWith = null } = {}) {
    const decoders = [];
    class VideoDecoder {
        static async isConfigSupported(config) { return { supported, config }; }
        constructor({ output, error }) {
            this.output = output; this.error = error; this.chunks = []; this.state = "unconfigured";
            decoders.push(this);
        }
        configure(config) { this.config = config; this.state = "configured"; }
        decode(chunk) {
            this.chunks.push(chunk);
            queueMicrotask(() => {
                if (failWith) {
                    this.state = "closed";
                    this.error(failWith);
                    return;
                }
                const frame = {
                    displayWidth: this.config.codedWidth, displayHeight: this.config.codedHeight,
                    timestamp: chunk.timestamp, closed: false, close() { this.closed = true; },
                };
                this.output(frame);
            });
        }
        close() { this.state = "closed"; }
    }
    class EncodedVideoChunk {
        constructor({ type, timestamp, data }) { this.type = type; this.timestamp = timestamp; this.data = data; }
    }
    return { VideoDecoder, EncodedVideoChunk, decoders };
}

const rectOf = (name) => parseFrame(fixture(name).data).rects[0];

test("the golden keyframe names its stream and its codec", () => {
    const { streamId, keyframe, accessUnit } = unpackPayload(rectOf("h264_key").payload);
    assert.equal(streamId, 5);
    assert.equal(keyframe, true);
    assert.match(codecFromAccessUnit(accessUnit), /^avc1\.42c0[0-9a-f]{2}$/);
    const delta = unpackPayload(rectOf("h264_delta").payload);
    assert.equal(delta.keyframe, false);
    assert.equal(codecFromAccessUnit(delta.accessUnit), null);
});

test("a payload shorter than its header is refused in words", () => {
    assert.throws(() => unpackPayload(new Uint8Array(2)), {
        message: "h264 payload of 2 bytes is shorter than its header",
    });
});

test("a stream is configured by its keyframe and decodes in order", async () => {
    const env = fakeWebCodecs();
    const decoder = new H264Decoder({ env });
    const first = decoder.decodeRect(rectOf("h264_key"));
    const second = decoder.decodeRect(rectOf("h264_delta"));
    const [a, b] = await Promise.all([first, second]);
    assert.equal(env.decoders.length, 1);
    const [video] = env.decoders;
    assert.match(video.config.codec, /^avc1\.42c0/);
    assert.equal(video.config.codedWidth, 64);
    assert.equal(video.config.optimizeForLatency, true);
    assert.deepEqual(video.chunks.map((c) => c.type), ["key", "delta"]);
    assert.ok(video.chunks[0].timestamp < video.chunks[1].timestamp);
    assert.deepEqual([a.x, a.y, a.width, a.height], [0, 0, 64, 32]);
    assert.ok(a.image.timestamp < b.image.timestamp, "pictures come back in order");
});

test("a delta without its keyframe is refused, and so is a missing WebCodecs", async () => {
    await assert.rejects(new H264Decoder({ env: fakeWebCodecs() }).decodeRect(rectOf("h264_delta")), {
        message: "h264 stream 5 has no keyframe yet",
    });
    await assert.rejects(new H264Decoder({ env: {} }).decodeRect(rectOf("h264_key")), {
        message: "h264 is not supported by this browser",
    });
});

test("a refused configuration is reported, and the stream waits for a keyframe", async () => {
    const failWith = Object.assign(new Error("no decoder for this profile"), { name: "NotSupportedError" });
    const reasons = [];
    const decoder = new H264Decoder({
        env: fakeWebCodecs({ failWith }), onUnsupported: (reason) => reasons.push(reason),
    });
    await assert.rejects(decoder.decodeRect(rectOf("h264_key")), {
        message: "h264 stream 5 failed: no decoder for this profile",
    });
    assert.deepEqual(reasons, ["no decoder for this profile"]);
    await assert.rejects(decoder.decodeRect(rectOf("h264_delta")), {
        message: "h264 stream 5 has no keyframe yet",
    });
});

test("a picture of the wrong size is refused and closed", async () => {
    const env = fakeWebCodecs();
    const decoder = new H264Decoder({ env });
    const rect = { ...rectOf("h264_key") };
    const pending = decoder.decodeRect(rect);
    env.decoders[0].config.codedWidth = 62; // the fake's picture comes out 62 wide
    await assert.rejects(pending, { message: "h264 rect at 0,0 is 64×32 but its picture is 62×32" });
});

test("old streams are closed when too many are open", async () => {
    const env = fakeWebCodecs();
    const decoder = new H264Decoder({ env });
    const key = rectOf("h264_key");
    for (let id = 1; id <= MAX_STREAMS + 1; id += 1) {
        const payload = new Uint8Array(key.payload);
        payload[1] = id;
        await decoder.decodeRect({ ...key, payload });
    }
    assert.equal(decoder.streams.size, MAX_STREAMS);
    assert.equal(env.decoders[0].state, "closed");
    assert.ok(!decoder.streams.has(1));
});

test("the viewer tells H.264 apart by what WebCodecs says", async () => {
    assert.equal(await h264Supported({}), false);
    assert.equal(await h264Supported(fakeWebCodecs({ supported: false })), false);
    assert.equal(await h264Supported(fakeWebCodecs()), true);
    assert.deepEqual(await supportedEncodings(fakeWebCodecs()), [0, 1, 2, 4, 3]);
    assert.deepEqual(await supportedEncodings({}), [0, 1, 2, 4]);
});

test("streams that keep failing are reported once, as if refused", async () => {
    const failWith = Object.assign(new Error("bad data"), { name: "EncodingError" });
    const reasons = [];
    const decoder = new H264Decoder({
        env: fakeWebCodecs({ failWith }), onUnsupported: (reason) => reasons.push(reason),
    });
    for (let i = 0; i < MAX_FAILED_STREAMS + 1; i += 1) {
        await assert.rejects(decoder.decodeRect(rectOf("h264_key")), {
            message: "h264 stream 5 failed: bad data",
        });
        assert.equal(reasons.length, i + 1 >= MAX_FAILED_STREAMS ? 1 : 0);
    }
    assert.match(reasons[0], /^3 streams failed in a row; the last: h264 stream 5 failed: bad data$/);
});
