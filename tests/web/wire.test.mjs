// The viewer's protocol tables are wire.js, generated from the Python
// definitions (tests/protocol/test_schema.py checks it is fresh). These tests
// check that the viewer's code uses them whole: every message the server sends
// a viewer is read and handled, and a value outside its closed set is refused.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import * as protocol from "../../web/viewer/protocol.js";
import { ENUMS, FIELDS, MessageType, VIEWER_RECEIVES } from "../../web/viewer/wire.js";

const SAMPLES = { string: "x", integer: 1, number: 1.5, boolean: true, array: [], object: {} };

/** The smallest message of this type: its required fields, each with a valid value. */
function smallest(type) {
    const message = { type };
    for (const [name, field] of Object.entries(FIELDS[type])) {
        if (field.required) {
            message[name] = field.enum ? Object.values(ENUMS[field.enum])[0] : SAMPLES[field.type];
        }
    }
    return message;
}

test("the viewer reads every message the server sends it, filling in the defaults", () => {
    assert.ok(VIEWER_RECEIVES.size > 0);
    for (const type of VIEWER_RECEIVES) {
        const message = protocol.parse(JSON.stringify(smallest(type)));
        assert.deepEqual(Object.keys(message).sort(), ["type", ...Object.keys(FIELDS[type])].sort(), type);
    }
});

test("session.js handles every message the server sends a viewer", () => {
    const source = readFileSync(new URL("../../web/viewer/session.js", import.meta.url), "utf-8");
    const handled = new Set([...source.matchAll(/case MessageType\.([A-Z_]+):/g)].map(([, name]) => name));
    for (const type of VIEWER_RECEIVES) {
        assert.ok(handled.has(type.toUpperCase()), `session.js has no case for '${type}'`);
    }
    for (const name of handled) {
        assert.ok(VIEWER_RECEIVES.has(MessageType[name]), `the server never sends a viewer '${name}'`);
    }
});

test("a value outside its closed set is refused, naming it", () => {
    assert.throws(() => protocol.parse('{"type":"state","state":"dancing"}'), {
        name: "RemoteProtocolError",
        message: "field 'state' may not be 'dancing', only 'waiting_for_person', " +
            "'waiting_for_consent', 'viewing', 'control_requested', 'controlling', 'ended'",
    });
    assert.throws(() => protocol.parse('{"type":"file_status","id":"a","state":"failed","by":"robot"}'), {
        message: "field 'by' may not be 'robot', only 'technician', 'person', 'server', ''",
    });
    assert.equal(protocol.parse('{"type":"file_status","id":"a","state":"failed"}').by, "");
});
