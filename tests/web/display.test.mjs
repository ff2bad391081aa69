import assert from "node:assert/strict";
import { test } from "node:test";

import { Display, frameBounds, MAX_QUEUED_FRAMES, rectOutsideScreen } from "../../web/viewer/display.js";
import { decoderFor } from "../../web/viewer/decoders/index.js";
import { parseFrame } from "../../web/viewer/protocol.js";
import { fixture } from "./fixtures.mjs";

/** A canvas whose 2D context records what is painted; its scratch canvases record too. */
function recordingCanvas(width = 0, height = 0) {
    const painted = [];
    const scratches = [];
    const name = (image) => (image === canvas ? "canvas" : image.name);
    const context = {
        fillStyle: "",
        fillRect(x, y, w, h) { painted.push(["fill", this.fillStyle, x, y, w, h]); },
        drawImage(image, ...at) { painted.push(["onto canvas", name(image), ...at]); },
    };
    const canvas = {
        width, height, painted, scratches, getContext: () => context,
        makeCanvas(w, h) {
            const scratch = {
                name: "scratch", width: w, height: h,
                getContext: () => ({
                    drawImage(image, ...at) { painted.push(["onto scratch", name(image), ...at]); },
                }),
            };
            scratches.push([w, h]);
            return scratch;
        },
    };
    return canvas;
}

/** Decoders that settle in the order given, not the order asked: paint order must not care. */
function decodersSettlingIn(delays) {
    let call = 0;
    return () => ({
        decodeRect(rect) {
            const delay = delays[call++ % delays.length];
            const image = { name: `rect@${rect.x},${rect.y}`, width: rect.width, height: rect.height,
                close() {} };
            return new Promise((resolve) => setTimeout(
                () => resolve({ x: rect.x, y: rect.y, width: rect.width, height: rect.height, image }),
                delay));
        },
    });
}

test("a frame's rects are painted in the order sent, whatever order they decode in", async () => {
    const canvas = recordingCanvas(32, 16);
    const display = new Display(canvas, { decoderFor: decodersSettlingIn([30, 0, 15, 5]) });
    await display.receiveFrame(parseFrame(fixture("multi").data));
    assert.deepEqual(canvas.painted.map((p) => p[1]),
        ["rect@0,0", "rect@2,2", "rect@16,0", "rect@6,6"]);
});

test("frames are painted one after the other, and each resolves once painted", async () => {
    const canvas = recordingCanvas(32, 16);
    const display = new Display(canvas, { decoderFor: decodersSettlingIn([40, 0]) });
    const first = { frame_id: 1, keyframe: true, rects: [{ x: 1, y: 0, width: 1, height: 1, encoding: 1 }] };
    const second = { frame_id: 2, keyframe: false, rects: [{ x: 2, y: 0, width: 1, height: 1, encoding: 1 }] };
    const done = [];
    await Promise.all([
        display.receiveFrame(first).then(() => done.push([1, canvas.painted.length])),
        display.receiveFrame(second).then(() => done.push([2, canvas.painted.length])),
    ]);
    // Frame 1 resolved first, once painted; frame 2 was painted after it.
    assert.deepEqual(done.map(([id]) => id), [1, 2]);
    assert.ok(done[0][1] >= 1);
    assert.equal(done[1][1], 2);
    assert.deepEqual(canvas.painted.map((p) => p[1]), ["rect@1,0", "rect@2,0"]);
});

test("solid rects are filled with their colour", async () => {
    const canvas = recordingCanvas(32, 16);
    await new Display(canvas).receiveFrame(parseFrame(fixture("solid").data));
    assert.deepEqual(canvas.painted, [["fill", "rgb(31, 95, 191)", 0, 0, 32, 16]]);
});

test("a rect that cannot be decoded fails its frame in words, the others are painted", async () => {
    const canvas = recordingCanvas(8, 8);
    const frame = {
        frame_id: 5, keyframe: false, rects: [
            { x: 0, y: 0, width: 2, height: 2, encoding: 0, payload: new Uint8Array([1, 2]) },
            { x: 2, y: 2, width: 2, height: 2, encoding: 0, payload: new Uint8Array([1, 2, 3]) },
        ],
    };
    await assert.rejects(new Display(canvas).receiveFrame(frame), {
        message: "frame 5: solid rect payload must be 3 bytes, not 2",
    });
    assert.deepEqual(canvas.painted, [["fill", "rgb(1, 2, 3)", 2, 2, 2, 2]]);
});

test("a rect outside the screen is refused, not clipped silently", async () => {
    const canvas = recordingCanvas(16, 8);
    await assert.rejects(new Display(canvas).receiveFrame(parseFrame(fixture("solid").data)), {
        message: "frame 1: rect 0,0 32×16 lies outside the 16×8 screen",
    });
    assert.equal(rectOutsideScreen({ x: 0, y: 0, width: 16, height: 8 }, 16, 8), "");
});

test("a failed frame does not stop the next one", async () => {
    const canvas = recordingCanvas(32, 16);
    const display = new Display(canvas);
    const broken = { frame_id: 1, keyframe: false,
        rects: [{ x: 0, y: 0, width: 1, height: 1, encoding: 9, payload: new Uint8Array() }] };
    await assert.rejects(display.receiveFrame(broken), {
        message: "frame 1: encoding 9 is not supported by this viewer",
    });
    await display.receiveFrame(parseFrame(fixture("solid").data));
    assert.equal(canvas.painted.length, 1);
});

test("the queue is bounded", async () => {
    const canvas = recordingCanvas(32, 16);
    const display = new Display(canvas, { decoderFor: decodersSettlingIn([20]) });
    const frame = (id) => ({ frame_id: id, keyframe: false,
        rects: [{ x: 0, y: 0, width: 1, height: 1, encoding: 1 }] });
    const accepted = [];
    for (let id = 1; id <= MAX_QUEUED_FRAMES; id += 1) accepted.push(display.receiveFrame(frame(id)));
    await assert.rejects(display.receiveFrame(frame(99)), {
        message: `frame 99 refused: ${MAX_QUEUED_FRAMES} frames already wait to be painted`,
    });
    await Promise.all(accepted);
    await display.receiveFrame(frame(100));
});

test("resize keeps the picture when the size is the same", () => {
    const canvas = recordingCanvas(0, 0);
    const display = new Display(canvas);
    assert.equal(display.resize(1280, 800), true);
    assert.equal(display.resize(1280, 800), false);
    assert.deepEqual([canvas.width, canvas.height], [1280, 800]);
    assert.throws(() => display.resize(0, 800), { message: "screen size 0×800 is not a positive size in pixels" });
});

test("frameBounds is the smallest screen holding every rect", () => {
    assert.deepEqual(frameBounds(parseFrame(fixture("multi").data)), { width: 32, height: 16 });
});

test("a copy moves what the canvas shows, in its turn among the frame's rects", async () => {
    const canvas = recordingCanvas(32, 16);
    const images = decodersSettlingIn([0])();
    // Node has no image decoder: the PNG is a stand-in, the rest decode for real.
    const decoders = (encoding) => (encoding === 1 ? images : decoderFor(encoding));
    await new Display(canvas, { decoderFor: decoders, makeCanvas: canvas.makeCanvas })
        .receiveFrame(parseFrame(fixture("copy").data));
    assert.deepEqual(canvas.painted.filter((p) => !p[1].startsWith("rect@")), [
        ["fill", "rgb(246, 247, 249)", 0, 0, 32, 16],
        // Each copy reads its source out whole, then paints it where it goes.
        ["onto scratch", "canvas", 2, 5, 12, 9, 0, 0, 12, 9],
        ["onto canvas", "scratch", 0, 0, 12, 9, 2, 2, 12, 9],
        ["onto scratch", "canvas", 2, 2, 12, 12, 0, 0, 12, 12],
        ["onto canvas", "scratch", 0, 0, 12, 12, 18, 2, 12, 12],
        ["fill", "rgb(31, 95, 191)", 2, 11, 12, 3],
    ]);
    // One scratch canvas, grown once for the taller copy.
    assert.deepEqual(canvas.scratches, [[12, 9], [12, 12]]);
});

test("a copy whose source lies outside the screen is refused in words", async () => {
    const canvas = recordingCanvas(16, 8);
    const frame = {
        frame_id: 9, keyframe: false, rects: [
            { x: 0, y: 0, width: 4, height: 4, encoding: 4, payload: new Uint8Array([0, 14, 0, 0]) },
        ],
    };
    await assert.rejects(new Display(canvas).receiveFrame(frame), {
        message: "frame 9: copy source 14,0 4×4 lies outside the 16×8 screen",
    });
    assert.deepEqual(canvas.painted, []);
});
