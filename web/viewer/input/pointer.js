// Pointer input: positions in remote pixels, the buttons held, wheel notches.
//
// The canvas is scaled to fit the page keeping its aspect ratio
// (object-fit: contain), so a CSS position maps to a remote pixel through
// the scale and the letterbox margins. Moves are coalesced to one per
// animation frame; a button change is never dropped and goes at once.
//
// The functions and small classes at the top are pure logic (tested under
// node); PointerInput binds them to the DOM.

import * as protocol from "../protocol.js";

/** MouseEvent.buttons bits that the protocol carries: 1 left, 2 right, 4 middle. */
export const BUTTONS_MASK = 0b111;
/** Pixels of wheel travel that make one notch (Chromium sends 100 per notch, Firefox ~50). */
export const WHEEL_PIXELS_PER_NOTCH = 50;
/** Pixels per line for wheel events in DOM_DELTA_LINE mode. */
export const WHEEL_PIXELS_PER_LINE = 19;

/**
 * @typedef {{left: number, top: number, width: number, height: number}} Box
 * @typedef {{width: number, height: number}} Size
 * @typedef {{x: number, y: number, buttons: number}} PointerState
 */

/**
 * Maps a position on the page to a remote pixel, through the canvas's
 * scaling and letterboxing, clamped to the screen.
 * @param {number} clientX  CSS pixels, as MouseEvent.clientX
 * @param {number} clientY
 * @param {Box} box   the canvas element's box (getBoundingClientRect())
 * @param {Size} screen  the remote screen (the canvas's width and height)
 * @returns {{x: number, y: number} | null}  null while there is no screen to point at
 */
export function mapToRemote(clientX, clientY, box, screen) {
    if (screen.width <= 0 || screen.height <= 0 || box.width <= 0 || box.height <= 0) {
        return null;
    }
    const scale = Math.min(box.width / screen.width, box.height / screen.height);
    const left = box.left + (box.width - screen.width * scale) / 2;
    const top = box.top + (box.height - screen.height * scale) / 2;
    const x = Math.floor((clientX - left) / scale);
    const y = Math.floor((clientY - top) / scale);
    return { x: clamp(x, 0, screen.width - 1), y: clamp(y, 0, screen.height - 1) };
}

/**
 * @param {number} value
 * @param {number} low
 * @param {number} high
 */
function clamp(value, low, high) {
    return Math.min(Math.max(value, low), high);
}

/**
 * The protocol's button mask from MouseEvent.buttons (back and forward dropped).
 * @param {number} buttons
 * @returns {number}
 */
export function buttonsMask(buttons) {
    return buttons & BUTTONS_MASK;
}

/**
 * Turns wheel deltas into notches: dy > 0 scrolls down, dx > 0 right.
 *
 * Small deltas (touchpads) add up until they make a notch; one event makes
 * at most one notch per axis, so a fast flick cannot flood the agent.
 */
export class WheelAccumulator {
    constructor() {
        this.x = 0;
        this.y = 0;
    }

    /**
     * @param {number} deltaX   WheelEvent.deltaX
     * @param {number} deltaY   WheelEvent.deltaY (> 0: down)
     * @param {number} deltaMode  0 pixels, 1 lines, 2 pages
     * @returns {{dx: number, dy: number}}  notches, each -1, 0 or 1
     */
    add(deltaX, deltaY, deltaMode) {
        const perUnit = deltaMode === 1 ? WHEEL_PIXELS_PER_LINE
            : deltaMode === 2 ? WHEEL_PIXELS_PER_NOTCH : 1;
        this.x = this.restart(this.x, deltaX) + deltaX * perUnit;
        this.y = this.restart(this.y, deltaY) + deltaY * perUnit;
        const dx = this.notch(this.x);
        const dy = this.notch(this.y);
        if (dx !== 0) this.x = 0;
        if (dy !== 0) this.y = 0;
        return { dx, dy };
    }

    /**
     * A change of direction starts from zero.
     * @param {number} sum
     * @param {number} delta
     */
    restart(sum, delta) {
        return Math.sign(sum) * Math.sign(delta) < 0 ? 0 : sum;
    }

    /** @param {number} sum */
    notch(sum) {
        return Math.abs(sum) >= WHEEL_PIXELS_PER_NOTCH ? Math.sign(sum) : 0;
    }
}

/**
 * Coalesces pointer moves: at most one per flush (one per animation frame),
 * while a button change goes at once with its position.
 */
export class PointerCoalescer {
    constructor() {
        /** @type {PointerState | null} the last state sent */
        this.sent = null;
        /** @type {PointerState | null} a move waiting for the next flush */
        this.pending = null;
    }

    /**
     * The pointer is now at this state.
     * @param {PointerState} state
     * @returns {{now: protocol.Message | null, schedule: boolean}}
     *     now: a message to send at once (the buttons changed);
     *     schedule: whether a flush must be scheduled for a coalesced move
     */
    update(state) {
        const lastButtons = (this.pending ?? this.sent)?.buttons ?? 0;
        if (state.buttons !== lastButtons) {
            this.pending = null;
            return { now: this.send(state), schedule: false };
        }
        if (this.same(state, this.pending ?? this.sent)) {
            return { now: null, schedule: false };
        }
        const schedule = this.pending === null;
        this.pending = state;
        return { now: null, schedule };
    }

    /**
     * The coalesced move, if one waits (call once per animation frame).
     * @returns {protocol.Message | null}
     */
    flush() {
        const state = this.pending;
        this.pending = null;
        if (state === null || this.same(state, this.sent)) {
            return null;
        }
        return this.send(state);
    }

    /** Forgets what was sent (a new connection, control regained). */
    reset() {
        this.sent = null;
        this.pending = null;
    }

    /** @param {PointerState} state */
    send(state) {
        this.sent = state;
        return protocol.pointer(state.x, state.y, state.buttons);
    }

    /**
     * @param {PointerState} a
     * @param {PointerState | null} b
     */
    same(a, b) {
        return b !== null && a.x === b.x && a.y === b.y && a.buttons === b.buttons;
    }
}

/** Sends the pointer and wheel over one canvas while input is allowed. */
export class PointerInput {
    /**
     * @param {HTMLCanvasElement} canvas
     * @param {{send: (message: protocol.Message) => void, isActive: () => boolean}} sink
     */
    constructor(canvas, sink) {
        this.canvas = canvas;
        this.sink = sink;
        this.coalescer = new PointerCoalescer();
        this.wheel = new WheelAccumulator();
        this.frameRequested = false;
        this.onPointer = this.onPointer.bind(this);
        this.onWheel = this.onWheel.bind(this);
        this.onContextMenu = (event) => event.preventDefault();
        this.flush = this.flush.bind(this);
    }

    /** Starts listening. */
    attach() {
        for (const type of ["pointerdown", "pointermove", "pointerup", "pointercancel"]) {
            this.canvas.addEventListener(type, this.onPointer);
        }
        this.canvas.addEventListener("wheel", this.onWheel, { passive: false });
        this.canvas.addEventListener("contextmenu", this.onContextMenu);
    }

    /** Stops listening. */
    detach() {
        for (const type of ["pointerdown", "pointermove", "pointerup", "pointercancel"]) {
            this.canvas.removeEventListener(type, this.onPointer);
        }
        this.canvas.removeEventListener("wheel", this.onWheel);
        this.canvas.removeEventListener("contextmenu", this.onContextMenu);
    }

    /** Forgets the pointer's state (control ended or regained, reconnected). */
    reset() {
        this.coalescer.reset();
    }

    /**
     * @param {MouseEvent} event
     * @returns {{x: number, y: number} | null}
     */
    position(event) {
        return mapToRemote(event.clientX, event.clientY, this.canvas.getBoundingClientRect(),
            { width: this.canvas.width, height: this.canvas.height });
    }

    /** @param {PointerEvent} event */
    onPointer(event) {
        if (event.type === "pointerdown") {
            // Keys go where the technician clicked.
            this.canvas.focus({ preventScroll: true });
        }
        if (!this.sink.isActive()) {
            return;
        }
        if (event.type === "pointerdown") {
            event.preventDefault(); // no text selection, no drag of the canvas image
            this.canvas.setPointerCapture?.(event.pointerId);
        }
        const at = this.position(event);
        if (at === null) {
            return;
        }
        const buttons = event.type === "pointercancel" ? 0 : buttonsMask(event.buttons);
        const { now, schedule } = this.coalescer.update({ ...at, buttons });
        if (now !== null) {
            this.sink.send(now);
        } else if (schedule && !this.frameRequested) {
            this.frameRequested = true;
            requestAnimationFrame(this.flush);
        }
    }

    flush() {
        this.frameRequested = false;
        const message = this.coalescer.flush();
        if (message !== null && this.sink.isActive()) {
            this.sink.send(message);
        }
    }

    /** @param {WheelEvent} event */
    onWheel(event) {
        if (!this.sink.isActive()) {
            return;
        }
        event.preventDefault(); // the remote screen scrolls, not this page
        const at = this.position(event);
        const { dx, dy } = this.wheel.add(event.deltaX, event.deltaY, event.deltaMode);
        if (at !== null && (dx !== 0 || dy !== 0)) {
            this.sink.send(protocol.wheel(at.x, at.y, dx, dy));
        }
    }
}
