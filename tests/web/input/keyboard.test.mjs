import assert from "node:assert/strict";
import { test } from "node:test";

import { HeldKeys, keyCodeOf, KeyboardInput } from "../../../web/viewer/input/keyboard.js";

test("a key goes down and up with its code and its character", () => {
    const keys = new HeldKeys();
    assert.deepEqual(keys.press("KeyA", "a"), { type: "key", code: "KeyA", key: "a", down: true });
    assert.deepEqual(keys.release("KeyA", "a"), { type: "key", code: "KeyA", key: "a", down: false });
    assert.equal(keys.size, 0);
});

test("a key never sent down is not sent up", () => {
    assert.equal(new HeldKeys().release("Enter", "Enter"), null);
});

test("releaseAll lets go of every held key, in the order pressed, once", () => {
    const keys = new HeldKeys();
    keys.press("ControlLeft", "Control");
    keys.press("KeyA", "a");
    keys.press("ControlLeft", "Control"); // auto-repeat
    assert.deepEqual(keys.releaseAll().map((m) => [m.code, m.down]),
        [["ControlLeft", false], ["KeyA", false]]);
    assert.deepEqual(keys.releaseAll(), []);
});

test("a key without a code is known by its character", () => {
    assert.equal(keyCodeOf({ code: "", key: "é" }), "é");
    assert.equal(keyCodeOf({ code: "Digit2", key: "é" }), "Digit2");
});

/** A fake key event that records preventDefault. */
function keyEvent(code, key) {
    return { code, key, isComposing: false, prevented: false, preventDefault() { this.prevented = true; } };
}

test("keys are sent and kept from the page only while input is allowed", () => {
    const sent = [];
    let active = false;
    const input = new KeyboardInput(null, { send: (m) => sent.push(m), isActive: () => active });

    const viewOnly = keyEvent("Tab", "Tab");
    input.onKeyDown(viewOnly);
    assert.equal(viewOnly.prevented, false);
    assert.deepEqual(sent, []);

    active = true;
    const selectAll = keyEvent("KeyA", "a");
    input.onKeyDown(keyEvent("ControlLeft", "Control"));
    input.onKeyDown(selectAll);
    assert.equal(selectAll.prevented, true);
    input.onKeyUp(keyEvent("KeyA", "a"));
    input.releaseAll(); // the canvas lost focus with Ctrl still down
    assert.deepEqual(sent.map((m) => `${m.code}${m.down ? "↓" : "↑"}`),
        ["ControlLeft↓", "KeyA↓", "KeyA↑", "ControlLeft↑"]);
});

test("AltGr and dead keys travel as the browser reports them", () => {
    const sent = [];
    const input = new KeyboardInput(null, { send: (m) => sent.push(m), isActive: () => true });
    // "@" then "ô" on a French keyboard under Windows.
    for (const [code, key] of [["ControlLeft", "Control"], ["AltRight", "AltGraph"], ["Digit0", "@"]]) {
        input.onKeyDown(keyEvent(code, key));
    }
    for (const [code, key] of [["Digit0", "@"], ["ControlLeft", "Control"], ["AltRight", "AltGraph"]]) {
        input.onKeyUp(keyEvent(code, key));
    }
    input.onKeyDown(keyEvent("BracketLeft", "Dead"));
    input.onKeyUp(keyEvent("BracketLeft", "Dead"));
    input.onKeyDown(keyEvent("KeyO", "ô"));
    assert.deepEqual(sent.map((m) => `${m.code}:${m.key}${m.down ? "↓" : "↑"}`), [
        "ControlLeft:Control↓", "AltRight:AltGraph↓", "Digit0:@↓",
        "Digit0:@↑", "ControlLeft:Control↑", "AltRight:AltGraph↑",
        "BracketLeft:Dead↓", "BracketLeft:Dead↑", "KeyO:ô↓",
    ]);
});
