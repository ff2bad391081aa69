import assert from "node:assert/strict";
import { test } from "node:test";

import {
    buttonsMask, mapToRemote, PointerCoalescer, WheelAccumulator,
} from "../../../web/viewer/input/pointer.js";

const screen = { width: 1280, height: 800 }; // 16:10

test("a canvas exactly the screen's size maps one to one", () => {
    const box = { left: 10, top: 20, width: 1280, height: 800 };
    assert.deepEqual(mapToRemote(10, 20, box, screen), { x: 0, y: 0 });
    assert.deepEqual(mapToRemote(10 + 640.5, 20 + 400.9, box, screen), { x: 640, y: 400 });
});

test("a wider box letterboxes left and right", () => {
    // Box 1000×400: scale = min(1000/1280, 400/800) = 0.5, picture 640×400 centred: margin 180.
    const box = { left: 0, top: 100, width: 1000, height: 400 };
    assert.deepEqual(mapToRemote(180, 100, box, screen), { x: 0, y: 0 });
    assert.deepEqual(mapToRemote(180 + 320, 100 + 200, box, screen), { x: 640, y: 400 });
    assert.deepEqual(mapToRemote(180 + 639.9, 100 + 399.9, box, screen), { x: 1279, y: 799 });
});

test("a taller box letterboxes above and below", () => {
    // Box 640×1000: scale 0.5, picture 640×400, margin (1000 - 400) / 2 = 300 above.
    const box = { left: 0, top: 0, width: 640, height: 1000 };
    assert.deepEqual(mapToRemote(0, 300, box, screen), { x: 0, y: 0 });
    assert.deepEqual(mapToRemote(320.25, 500.25, box, screen), { x: 640, y: 400 });
});

test("points in the margins or outside are clamped to the screen", () => {
    const box = { left: 0, top: 100, width: 1000, height: 400 };
    assert.deepEqual(mapToRemote(5, 0, box, screen), { x: 0, y: 0 });
    assert.deepEqual(mapToRemote(999, 599, box, screen), { x: 1279, y: 799 });
    assert.deepEqual(mapToRemote(-50, 300, box, screen), { x: 0, y: 400 });
});

test("the same mapping as the end-to-end tests' page_point", () => {
    // page_point draws remote (x, y) at left + offset + (x + 0.5) * scale.
    const box = { left: 12, top: 57, width: 1376, height: 880 };
    const scale = Math.min(box.width / screen.width, box.height / screen.height);
    const ox = box.left + (box.width - screen.width * scale) / 2;
    const oy = box.top + (box.height - screen.height * scale) / 2;
    for (const [x, y] of [[0, 0], [1, 1], [333, 222], [1279, 799]]) {
        assert.deepEqual(mapToRemote(ox + (x + 0.5) * scale, oy + (y + 0.5) * scale, box, screen), { x, y });
    }
});

test("there is nothing to point at before the screen is known", () => {
    assert.equal(mapToRemote(1, 1, { left: 0, top: 0, width: 10, height: 10 }, { width: 0, height: 0 }), null);
});

test("the buttons mask keeps left, right and middle", () => {
    assert.equal(buttonsMask(1), 1);
    assert.equal(buttonsMask(2), 2);
    assert.equal(buttonsMask(4), 4);
    assert.equal(buttonsMask(1 | 2 | 8 | 16), 3); // back and forward are not carried
});

test("wheel: deltaY > 0 scrolls down, < 0 up, one notch per event at most", () => {
    const wheel = new WheelAccumulator();
    assert.deepEqual(wheel.add(0, 100, 0), { dx: 0, dy: 1 });
    assert.deepEqual(wheel.add(0, -100, 0), { dx: 0, dy: -1 });
    assert.deepEqual(wheel.add(0, 3, 1), { dx: 0, dy: 1 }); // three lines
    assert.deepEqual(wheel.add(0, 1, 2), { dx: 0, dy: 1 }); // a page
    assert.deepEqual(wheel.add(-120, 0, 0), { dx: -1, dy: 0 });
    assert.deepEqual(wheel.add(0, 5000, 0), { dx: 0, dy: 1 });
});

test("wheel: small touchpad deltas add up to a notch, and a turn back starts over", () => {
    const wheel = new WheelAccumulator();
    assert.deepEqual(wheel.add(0, 20, 0), { dx: 0, dy: 0 });
    assert.deepEqual(wheel.add(0, 20, 0), { dx: 0, dy: 0 });
    assert.deepEqual(wheel.add(0, 20, 0), { dx: 0, dy: 1 });
    assert.deepEqual(wheel.add(0, 40, 0), { dx: 0, dy: 0 });
    assert.deepEqual(wheel.add(0, -40, 0), { dx: 0, dy: 0 });
    assert.deepEqual(wheel.add(0, -10, 0), { dx: 0, dy: -1 });
});

test("moves are coalesced to one per flush, the latest one", () => {
    const pointer = new PointerCoalescer();
    assert.deepEqual(pointer.update({ x: 1, y: 1, buttons: 0 }), { now: null, schedule: true });
    assert.deepEqual(pointer.update({ x: 2, y: 2, buttons: 0 }), { now: null, schedule: false });
    assert.deepEqual(pointer.update({ x: 3, y: 3, buttons: 0 }), { now: null, schedule: false });
    assert.deepEqual(pointer.flush(), { type: "pointer", x: 3, y: 3, buttons: 0 });
    assert.equal(pointer.flush(), null);
    assert.deepEqual(pointer.update({ x: 3, y: 3, buttons: 0 }), { now: null, schedule: false });
});

test("a button change goes at once and is never dropped, even between flushes", () => {
    const pointer = new PointerCoalescer();
    pointer.update({ x: 1, y: 1, buttons: 0 });
    assert.deepEqual(pointer.update({ x: 5, y: 5, buttons: 1 }).now, { type: "pointer", x: 5, y: 5, buttons: 1 });
    assert.deepEqual(pointer.update({ x: 5, y: 5, buttons: 0 }).now, { type: "pointer", x: 5, y: 5, buttons: 0 });
    assert.deepEqual(pointer.update({ x: 5, y: 5, buttons: 2 }).now, { type: "pointer", x: 5, y: 5, buttons: 2 });
    assert.deepEqual(pointer.update({ x: 5, y: 5, buttons: 0 }).now, { type: "pointer", x: 5, y: 5, buttons: 0 });
    assert.equal(pointer.flush(), null); // the move before the press was superseded
});
