import assert from "node:assert/strict";
import { test } from "node:test";

import * as protocol from "../../web/viewer/protocol.js";
import { BROKEN, fixture, PICTURES, VIDEO } from "./fixtures.mjs";

for (const name of [...PICTURES, ...VIDEO]) {
    test(`parseFrame reads the headers of ${name}.bin`, () => {
        const { data, expected } = fixture(name);
        const frame = protocol.parseFrame(data);
        assert.equal(frame.frame_id, expected.frame_id);
        assert.equal(frame.keyframe, expected.keyframe);
        assert.deepEqual(
            frame.rects.map(({ x, y, width, height, encoding, payload }) =>
                ({ x, y, width, height, encoding, payload_length: payload.byteLength })),
            expected.rects,
        );
    });
}

for (const name of BROKEN) {
    test(`parseFrame refuses ${name}.bin in words`, () => {
        const { data, expected } = fixture(name);
        assert.throws(() => protocol.parseFrame(data), {
            name: "RemoteProtocolError",
            message: expected.error,
        });
    });
}

test("an unknown encoding fails with its number", () => {
    assert.throws(() => protocol.parseFrame(fixture("unknown_encoding").data), {
        message: "encoding 7 is not supported by this viewer",
    });
});

test("every cut of a frame is refused, never half read", () => {
    const { data } = fixture("multi");
    for (let length = 0; length < data.byteLength; length += 1) {
        assert.throws(() => protocol.parseFrame(data.slice(0, length)), {
            message: "frame update is truncated",
        }, `cut at ${length}`);
    }
});

test("parseFrame reads a Uint8Array view at an offset", () => {
    const { data, expected } = fixture("solid");
    const padded = new Uint8Array(data.byteLength + 5);
    padded.set(new Uint8Array(data), 5);
    const frame = protocol.parseFrame(padded.subarray(5));
    assert.equal(frame.frame_id, expected.frame_id);
    assert.deepEqual([...frame.rects[0].payload], [31, 95, 191]);
});

test("a binary message of another kind is refused", () => {
    const bytes = new Uint8Array([2, 0, 0, 0, 0, 1, 0, 0]);
    assert.throws(() => protocol.parseFrame(bytes), {
        message: "binary message kind 2 is not supported",
    });
});

test("serialize writes the messages a viewer sends", () => {
    assert.deepEqual(JSON.parse(protocol.serialize(protocol.hello())),
        { type: "hello", protocol: 1, role: "viewer" });
    assert.equal(protocol.serialize(protocol.frameAck(7)), '{"type":"frame_ack","frame_id":7}');
    assert.deepEqual(JSON.parse(protocol.serialize(protocol.key("KeyA", "a", true))),
        { type: "key", code: "KeyA", key: "a", down: true });
    assert.deepEqual(JSON.parse(protocol.serialize(protocol.pointer(3, 4, 1))),
        { type: "pointer", x: 3, y: 4, buttons: 1 });
    assert.deepEqual(JSON.parse(protocol.serialize(protocol.wheel(3, 4, 0, -1))),
        { type: "wheel", x: 3, y: 4, dx: 0, dy: -1 });
    for (const make of [protocol.end, protocol.requestControl, protocol.releaseControl,
        protocol.keyframeRequest]) {
        assert.equal(Object.keys(JSON.parse(protocol.serialize(make()))).length, 1);
    }
});

test("serialize refuses a message the viewer may not send", () => {
    assert.throws(() => protocol.serialize({ type: "consent", decision: "allow_view" }), {
        message: "'consent' is not a message a viewer sends",
    });
});

test("parse reads the server's messages, with defaults, ignoring unknown keys", () => {
    assert.deepEqual(protocol.parse('{"type":"state","state":"viewing","later":1}'), {
        type: "state", state: "viewing", paused: false, person_hostname: "", person_user: "",
        code_expires_at: 0, controller_id: 0, kind: "app", recording: false,
    });
    assert.deepEqual(protocol.parse('{"type":"watching","technicians":[{"id":9,"name":"Bob"}]}'),
        { type: "watching", technicians: [{ id: 9, name: "Bob" }] });
    assert.deepEqual(protocol.parse('{"type":"ended","by":"person","reason":4001}'),
        { type: "ended", by: "person", reason: 4001 });
    assert.deepEqual(protocol.parse('{"type":"screen","width":1280,"height":800}'),
        { type: "screen", width: 1280, height: 800, monitors: [], monitor: -1 });
});

test("parse refuses what is not a message, in words", () => {
    const cases = [
        ["not json", "control message is not valid JSON"],
        ["[1]", "control message must be a JSON object"],
        ['{"state":"x"}', "control message has no 'type'"],
        ['{"type":"teleport"}', "unknown message type 'teleport'"],
        ['{"type":"ended","by":"person"}', "message 'ended' lacks field 'reason'"],
        ['{"type":"screen","width":"wide","height":2}', "field 'width' must be integer, not string"],
        ['{"type":"screen","width":1.5,"height":2}', "field 'width' must be integer, not number"],
    ];
    for (const [text, message] of cases) {
        assert.throws(() => protocol.parse(text), { name: "RemoteProtocolError", message }, text);
    }
});
