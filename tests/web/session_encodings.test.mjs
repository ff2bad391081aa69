// The viewer tells the agent which encodings it paints (an `encodings`
// message), once per connection, and again when a decoder is refused.

import assert from "node:assert/strict";
import { test } from "node:test";

import * as protocol from "../../web/viewer/protocol.js";
import { ViewerSession } from "../../web/viewer/session.js";
import { fixture } from "./fixtures.mjs";

class FakeSocket {
    constructor() { this.readyState = 0; this.sent = []; }
    send(text) { this.sent.push(JSON.parse(text)); }
    close() { this.readyState = 3; }
    open() { this.readyState = 1; this.onopen?.({}); }
    say(message) { this.onmessage?.({ data: JSON.stringify(message) }); }
    frame(data) { this.onmessage?.({ data }); }
    drop(code) { this.readyState = 3; this.onclose?.({ code }); }
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

function started(encodings) {
    const sockets = [];
    const display = {
        fail: false,
        resize: () => true,
        receiveFrame() { return this.fail ? Promise.reject(new Error("h264 stream 5 failed")) : Promise.resolve(); },
    };
    const session = new ViewerSession({
        url: "ws://127.0.0.1/ws/viewer/s1", display, encodings,
        openSocket: () => { const s = new FakeSocket(); sockets.push(s); return s; },
        timers: { setTimeout: () => 0, clearTimeout: () => {} },
    });
    session.start();
    sockets[0].open();
    return { session, display, sockets };
}

test("the encodings message lists ids", () => {
    assert.deepEqual(protocol.encodings([0, 1, 2, 3]), { type: "encodings", encodings: [0, 1, 2, 3] });
    assert.equal(protocol.serialize(protocol.encodings([0])), '{"type":"encodings","encodings":[0]}');
});

test("the viewer says what it paints once the screen is shared, once per connection", async () => {
    const { sockets } = started(async () => [0, 1, 2, 3]);
    sockets[0].say({ type: "state", state: "waiting_for_consent" });
    await settle();
    assert.deepEqual(sockets[0].sent.map((m) => m.type), ["hello"]);
    sockets[0].say({ type: "state", state: "viewing" });
    sockets[0].say({ type: "state", state: "controlling" });
    await settle();
    assert.deepEqual(sockets[0].sent.filter((m) => m.type === "encodings"),
        [{ type: "encodings", encodings: [0, 1, 2, 3] }]);
});

test("a refused decoder is no longer announced", async () => {
    let ids = [0, 1, 2, 3];
    const { sockets, display } = started(async () => ids);
    sockets[0].say({ type: "state", state: "viewing" });
    await settle();
    ids = [0, 1, 2];
    display.fail = true;
    sockets[0].frame(fixture("h264_key").data);
    await settle();
    await settle();
    const told = sockets[0].sent.filter((m) => m.type === "encodings").map((m) => m.encodings);
    assert.deepEqual(told, [[0, 1, 2, 3], [0, 1, 2]]);
    assert.ok(sockets[0].sent.some((m) => m.type === "keyframe_request"));
});

test("without a probe the viewer says nothing: the agent keeps to the baseline", async () => {
    const { sockets } = started(undefined);
    sockets[0].say({ type: "state", state: "viewing" });
    await settle();
    assert.deepEqual(sockets[0].sent.map((m) => m.type), ["hello", "keyframe_request"]);
});
