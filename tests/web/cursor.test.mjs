import assert from "node:assert/strict";
import { test } from "node:test";

import {
    cursorCss, overlayPlacement, pngDataUrl, RemoteCursor,
} from "../../web/viewer/cursor.js";
import * as protocol from "../../web/viewer/protocol.js";

/** A cursor shape message as the agent writes it (frames.py's serialize_cursor_shape). */
function shapeBytes(serial, width, height, hotX, hotY, png = new Uint8Array(width ? [137, 80] : [])) {
    const bytes = new Uint8Array(14 + png.length);
    const view = new DataView(bytes.buffer);
    view.setUint8(0, 2);
    view.setUint32(2, serial);
    view.setUint16(6, width);
    view.setUint16(8, height);
    view.setUint16(10, hotX);
    view.setUint16(12, hotY);
    bytes.set(png, 14);
    return bytes;
}

function positionBytes(x, y) {
    const bytes = new Uint8Array(6);
    const view = new DataView(bytes.buffer);
    view.setUint8(0, 3);
    view.setInt16(2, x);
    view.setInt16(4, y);
    return bytes;
}

test("parseCursor reads shapes and positions, off the picture too", () => {
    const shape = protocol.parseCursor(shapeBytes(7, 16, 24, 3, 20));
    assert.deepEqual({ ...shape, png: [...shape.png] },
        { kind: "shape", serial: 7, width: 16, height: 24, hot_x: 3, hot_y: 20, png: [137, 80] });
    assert.deepEqual(protocol.parseCursor(shapeBytes(8, 0, 0, 0, 0)).width, 0);
    assert.deepEqual(protocol.parseCursor(positionBytes(-1920, 5)), { kind: "position", x: -1920, y: 5 });
    assert.equal(protocol.binaryKind(positionBytes(1, 1)), protocol.FRAME_KIND_CURSOR_POSITION);
    assert.equal(protocol.binaryKind(new Uint8Array(0)), 0);
});

for (const [name, data, error] of [
    ["empty", new Uint8Array(0), "cursor message is empty"],
    ["a short position", new Uint8Array([3, 0, 0, 1]), "cursor position has 4 bytes, not 6"],
    ["a truncated shape", new Uint8Array([2, 0, 0, 0]), "cursor shape is truncated"],
    ["a frame update", new Uint8Array([1, 0, 0, 0, 0, 1, 0, 0]), "binary message kind 1 is not a cursor"],
    ["a huge shape", shapeBytes(1, 300, 10, 0, 0), "cursor of 300x10 exceeds 256x256"],
    ["a hotspot outside", shapeBytes(1, 10, 10, 10, 0), "cursor of 10x10 with hotspot 10,0 and 2 bytes"],
    ["a hidden shape with an image", shapeBytes(1, 0, 0, 0, 0, new Uint8Array([1])),
        "cursor of 0x0 with 1 bytes of image"],
]) {
    test(`parseCursor refuses ${name} in words`, () => {
        assert.throws(() => protocol.parseCursor(data), { name: "RemoteProtocolError", message: error });
    });
}

test("a PNG becomes a data URL, and the CSS cursor keeps its hotspot", () => {
    const url = pngDataUrl(new Uint8Array([137, 80, 78, 71]));
    assert.equal(url, "data:image/png;base64,iVBORw==");
    const shape = { kind: "shape", serial: 1, width: 16, height: 16, hot_x: 4, hot_y: 5, png: new Uint8Array(0) };
    assert.equal(cursorCss(shape, url), `url("${url}") 4 5, default`);
    assert.equal(cursorCss({ ...shape, width: 0, height: 0 }, ""), "none");
    assert.equal(cursorCss(null, ""), "default");
});

test("the image sits on the remote position, through the scaling and letterboxing", () => {
    const shape = { kind: "shape", serial: 1, width: 20, height: 30, hot_x: 10, hot_y: 0, png: new Uint8Array(0) };
    // A 1000x500 screen in a 500x500 box: scale 0.5, 125 px of margin above and below.
    const box = { left: 40, top: 60, width: 500, height: 500 };
    const screen = { width: 1000, height: 500 };
    assert.deepEqual(overlayPlacement({ x: 100, y: 200 }, shape, box, screen),
        { left: 45, top: 225, width: 10, height: 15 });
    assert.equal(overlayPlacement({ x: -1, y: 200 }, shape, box, screen), null);
    assert.equal(overlayPlacement({ x: 1000, y: 0 }, shape, box, screen), null);
    assert.equal(overlayPlacement({ x: 1, y: 1 }, { ...shape, width: 0 }, box, screen), null);
    assert.equal(overlayPlacement({ x: 1, y: 1 }, shape, box, { width: 0, height: 0 }), null);
});

test("under control with the pointer over the screen, the shape is the local cursor", () => {
    const cursor = new RemoteCursor();
    const box = { left: 0, top: 0, width: 100, height: 100 };
    const screen = { width: 100, height: 100 };
    assert.deepEqual(cursor.view(box, screen), { cursor: "", overlay: null, src: "" });
    cursor.receive(protocol.parseCursor(shapeBytes(3, 8, 8, 1, 2)));
    cursor.receive(protocol.parseCursor(positionBytes(50, 60)));
    const viewing = cursor.view(box, screen);
    assert.equal(viewing.cursor, "");
    assert.deepEqual(viewing.overlay, { left: 49, top: 58, width: 8, height: 8 });
    assert.match(viewing.src, /^data:image\/png;base64,/);
    cursor.controlling = true;
    assert.notEqual(cursor.view(box, screen).overlay, null); // the pointer is elsewhere
    cursor.pointerOver = true;
    const pointing = cursor.view(box, screen);
    assert.equal(pointing.overlay, null);
    assert.equal(pointing.cursor, `url("${viewing.src}") 1 2, default`);
    cursor.reset();
    assert.equal(cursor.view(box, screen).cursor, "default");
});
