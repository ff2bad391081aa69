// Keyboard input: the physical key (KeyboardEvent.code) and the character it
// made (KeyboardEvent.key) travel together; the agent's injector picks the
// one its platform needs. AltGr ("AltGraph"), dead keys ("Dead") and the
// Control a Windows browser sends before AltGr travel as they are: the agent
// types the character that follows on the person's layout (docs/reference/
// protocol.md, "key"). Every key we pressed is released when the canvas
// loses focus, the tab is hidden, or control ends, so that no key stays
// down on the person's computer.
//
// HeldKeys is pure logic (tested under node); KeyboardInput binds it to the DOM.

import * as protocol from "../protocol.js";

/** Which keys are down on the remote side, and the messages that change that. */
export class HeldKeys {
    constructor() {
        /** @type {Map<string, string>} code → the key it produced when pressed */
        this.held = new Map();
    }

    /** @returns {number} how many keys are down */
    get size() { return this.held.size; }

    /**
     * A key went down (or repeats while held).
     * @param {string} code
     * @param {string} key
     * @returns {protocol.Message}
     */
    press(code, key) {
        this.held.set(code, key);
        return protocol.key(code, key, true);
    }

    /**
     * A key went up. Keys we never sent down are not sent up.
     * @param {string} code
     * @param {string} key
     * @returns {protocol.Message | null}
     */
    release(code, key) {
        if (!this.held.delete(code)) {
            return null;
        }
        return protocol.key(code, key, false);
    }

    /**
     * Releases every held key, in the order they were pressed.
     * @returns {protocol.Message[]}
     */
    releaseAll() {
        const messages = [...this.held].map(([code, key]) => protocol.key(code, key, false));
        this.held.clear();
        return messages;
    }
}

/**
 * The code a key event is known by: KeyboardEvent.code, or its key when the
 * browser gives no code (some virtual keyboards).
 * @param {{code: string, key: string}} event
 * @returns {string}
 */
export function keyCodeOf(event) {
    return event.code || event.key;
}

/** Sends the keys typed on one element while input is allowed. */
export class KeyboardInput {
    /**
     * @param {HTMLElement} target  the focused element that receives keys (the canvas)
     * @param {{send: (message: protocol.Message) => void, isActive: () => boolean}} sink
     *     send: sends one message (the session drops input outside control);
     *     isActive: whether input may flow now
     */
    constructor(target, sink) {
        this.target = target;
        this.sink = sink;
        this.keys = new HeldKeys();
        this.onKeyDown = this.onKeyDown.bind(this);
        this.onKeyUp = this.onKeyUp.bind(this);
        this.releaseAll = this.releaseAll.bind(this);
        this.onVisibilityChange = this.onVisibilityChange.bind(this);
    }

    /** Starts listening. */
    attach() {
        this.target.addEventListener("keydown", this.onKeyDown);
        this.target.addEventListener("keyup", this.onKeyUp);
        this.target.addEventListener("blur", this.releaseAll);
        window.addEventListener("blur", this.releaseAll);
        document.addEventListener("visibilitychange", this.onVisibilityChange);
    }

    /** Stops listening, releasing what is held. */
    detach() {
        this.releaseAll();
        this.target.removeEventListener("keydown", this.onKeyDown);
        this.target.removeEventListener("keyup", this.onKeyUp);
        this.target.removeEventListener("blur", this.releaseAll);
        window.removeEventListener("blur", this.releaseAll);
        document.removeEventListener("visibilitychange", this.onVisibilityChange);
    }

    /**
     * Sends key-up for every key held (blur, hidden tab, control ending).
     * Call it before giving control back, so the releases still reach the agent.
     */
    releaseAll() {
        for (const message of this.keys.releaseAll()) this.sink.send(message);
    }

    /** @param {KeyboardEvent} event */
    onKeyDown(event) {
        if (!this.sink.isActive() || event.isComposing) {
            return;
        }
        // Ctrl+A, Backspace, Tab, the arrows… act on the remote screen, not on this page.
        event.preventDefault();
        this.sink.send(this.keys.press(keyCodeOf(event), event.key));
    }

    /** @param {KeyboardEvent} event */
    onKeyUp(event) {
        const message = this.keys.release(keyCodeOf(event), event.key);
        if (message === null) {
            return;
        }
        event.preventDefault();
        this.sink.send(message);
    }

    onVisibilityChange() {
        if (document.visibilityState === "hidden") {
            this.releaseAll();
        }
    }
}
