import assert from "node:assert/strict";
import { test } from "node:test";

import { clock, Player, readRecords } from "../../../web/console/player.js";

/** One record: u32 ms, u32 length, then a frame update of solid rects (protocol/frames.py). */
function record(at, frameId, keyframe, rects) {
    const size = 8 + rects.length * 16;
    const bytes = new Uint8Array(8 + size);
    const view = new DataView(bytes.buffer);
    view.setUint32(0, at);
    view.setUint32(4, size);
    view.setUint8(8, 1);
    view.setUint8(9, keyframe ? 1 : 0);
    view.setUint32(10, frameId);
    view.setUint16(14, rects.length);
    let offset = 16;
    for (const [x, y, w, h, r, g, b] of rects) {
        view.setUint16(offset, x); view.setUint16(offset + 2, y);
        view.setUint16(offset + 4, w); view.setUint16(offset + 6, h);
        view.setUint8(offset + 8, 0); view.setUint32(offset + 9, 3);
        bytes.set([r, g, b], offset + 13);
        offset += 16;
    }
    return bytes;
}

function recording(...records) {
    const total = records.reduce((sum, r) => sum + r.byteLength, 0);
    const all = new Uint8Array(total);
    let offset = 0;
    for (const r of records) { all.set(r, offset); offset += r.byteLength; }
    return all.buffer;
}

function fakeCanvas() {
    const painted = [];
    const context = {
        fillStyle: "",
        fillRect(x, y, w, h) { painted.push([this.fillStyle, x, y, w, h]); },
        drawImage() {},
    };
    return { width: 0, height: 0, painted, getContext: () => context };
}

const RED = [0, 0, 100, 50, 255, 0, 0];
const GREEN = [0, 0, 100, 50, 0, 255, 0];
const BLUE_CORNER = [0, 0, 10, 10, 0, 0, 255];

test("readRecords reads the times and messages, and stops at a record cut short", () => {
    const buffer = recording(record(0, 1, true, [RED]), record(1500, 2, false, [BLUE_CORNER]));
    const records = readRecords(buffer.slice(0, buffer.byteLength - 3));
    assert.deepEqual(records.map((r) => r.at), [0]);
    assert.deepEqual(readRecords(buffer).map((r) => r.at), [0, 1500]);
});

test("a seek paints from the last keyframe up to the instant, at once", async () => {
    const canvas = fakeCanvas();
    const player = new Player(/** @type {any} */ (canvas), readRecords(recording(
        record(0, 1, true, [RED]), record(1000, 2, false, [BLUE_CORNER]),
        record(2000, 3, true, [GREEN]), record(3000, 4, false, [BLUE_CORNER]),
    )));
    assert.equal(player.duration, 3000);
    await player.seek(2500);
    assert.deepEqual(canvas.painted, [["rgb(0, 255, 0)", 0, 0, 100, 50]]);
    assert.deepEqual([canvas.width, canvas.height, player.position], [100, 50, 2500]);
    canvas.painted.length = 0;
    await player.seek(1200);  // backwards: from the first keyframe again
    assert.deepEqual(canvas.painted, [["rgb(255, 0, 0)", 0, 0, 100, 50],
        ["rgb(0, 0, 255)", 0, 0, 10, 10]]);
});

test("the speed is x1, x2 or x4; clock writes minutes and seconds", () => {
    const player = new Player(/** @type {any} */ (fakeCanvas()), []);
    player.setSpeed(4);
    assert.equal(player.speed, 4);
    player.setSpeed(3);
    assert.equal(player.speed, 1);
    assert.equal(clock(65_000), "1:05");
});
