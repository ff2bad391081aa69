// The person's pointer, drawn by the viewer.
//
// The agent's pictures never contain the pointer: it sends its shape (a PNG
// with a hotspot) when it changes and its position when it moves
// (protocol.js's parseCursor). Under control, with the technician's own
// pointer over the screen, the shape becomes the browser's cursor there,
// so pointing feels instant: it moves with the technician's hand, not a
// round trip later. Otherwise (viewing only, or the technician's pointer
// elsewhere) an image at the remote position shows where the person points.
//
// The functions and RemoteCursor are pure logic (tested under node);
// CursorOverlay binds them to the DOM.

import { getLogger } from "./log.js";

const logger = getLogger("cursor");

/**
 * @typedef {import("./protocol.js").CursorShape} CursorShape
 * @typedef {import("./protocol.js").CursorPosition} CursorPosition
 * @typedef {{left: number, top: number, width: number, height: number}} Box
 * @typedef {{width: number, height: number}} Size
 * @typedef {{left: number, top: number, width: number, height: number}} Placement
 *   CSS pixels, relative to the canvas element's box
 * @typedef {{cursor: string, overlay: Placement | null, src: string}} CursorView
 *   cursor: the canvas's CSS cursor; overlay: where the pointer's image goes, or null
 */

/**
 * A data: URL of a PNG.
 * @param {Uint8Array} png
 * @returns {string}
 */
export function pngDataUrl(png) {
    let binary = "";
    const chunk = 0x8000;
    for (let i = 0; i < png.length; i += chunk) {
        binary += String.fromCharCode(...png.subarray(i, i + chunk));
    }
    return `data:image/png;base64,${btoa(binary)}`;
}

/**
 * The CSS cursor that shows the remote shape: "none" while the person's
 * pointer is hidden, the default arrow until a shape is known.
 * @param {CursorShape | null} shape
 * @param {string} url  the shape's data: URL
 * @returns {string}
 */
export function cursorCss(shape, url) {
    if (shape === null || url === "" && shape.width > 0) return "default";
    if (shape.width === 0) return "none";
    return `url("${url}") ${shape.hot_x} ${shape.hot_y}, default`;
}

/**
 * Where the pointer's image goes over a canvas scaled to fit (object-fit:
 * contain), as input/pointer.js's mapToRemote maps the other way.
 * @param {CursorPosition} position  the hotspot, in remote pixels
 * @param {CursorShape} shape
 * @param {Box} box  the canvas element's box
 * @param {Size} screen  the remote screen (the canvas's width and height)
 * @returns {Placement | null}  null: nothing to show (hidden, or off the picture)
 */
export function overlayPlacement(position, shape, box, screen) {
    if (shape.width === 0 || screen.width <= 0 || screen.height <= 0 || box.width <= 0 ||
        box.height <= 0) {
        return null;
    }
    if (position.x < 0 || position.y < 0 || position.x >= screen.width ||
        position.y >= screen.height) {
        return null; // on another monitor than the one shared
    }
    const scale = Math.min(box.width / screen.width, box.height / screen.height);
    const left = (box.width - screen.width * scale) / 2;
    const top = (box.height - screen.height * scale) / 2;
    return {
        left: left + (position.x - shape.hot_x) * scale,
        top: top + (position.y - shape.hot_y) * scale,
        width: shape.width * scale,
        height: shape.height * scale,
    };
}

/** The remote pointer's latest shape and position, and how to show them. */
export class RemoteCursor {
    constructor() {
        /** @type {CursorShape | null} */
        this.shape = null;
        this.url = "";
        /** @type {CursorPosition | null} */
        this.position = null;
        this.controlling = false;
        this.pointerOver = false;
    }

    /**
     * Takes one cursor message.
     * @param {CursorShape | CursorPosition} message
     */
    receive(message) {
        if (message.kind === "position") {
            this.position = { kind: "position", x: message.x, y: message.y };
            return;
        }
        if (this.shape !== null && this.shape.serial === message.serial && this.url !== "" &&
            this.shape.width === message.width) {
            return;
        }
        // The message's PNG is a view into the socket's buffer: keep a copy only as a URL.
        this.shape = { ...message, png: new Uint8Array(0) };
        this.url = message.width > 0 ? pngDataUrl(message.png) : "";
    }

    /** Forgets everything (a new connection: the agent sends it again). */
    reset() {
        this.shape = null;
        this.url = "";
        this.position = null;
    }

    /**
     * How to show the pointer now.
     * @param {Box} box  the canvas element's box
     * @param {Size} screen  the remote screen
     * @returns {CursorView}
     */
    view(box, screen) {
        if (this.controlling && this.pointerOver) {
            // The technician's own pointer, in the person's shape.
            return { cursor: cursorCss(this.shape, this.url), overlay: null, src: this.url };
        }
        const overlay = this.shape !== null && this.position !== null
            ? overlayPlacement(this.position, this.shape, box, screen) : null;
        return { cursor: "", overlay, src: this.url };
    }
}

/** Shows the remote pointer over one canvas: its CSS cursor, and an image above it. */
export class CursorOverlay {
    /**
     * @param {HTMLCanvasElement} canvas
     * @param {HTMLImageElement} image  absolutely positioned in the canvas's container
     */
    constructor(canvas, image) {
        this.canvas = canvas;
        this.image = image;
        this.state = new RemoteCursor();
        this.frameRequested = false;
        this.onEnter = () => { this.state.pointerOver = true; this.schedule(); };
        this.onLeave = () => { this.state.pointerOver = false; this.schedule(); };
        this.render = this.render.bind(this);
    }

    /** Starts following the technician's pointer over the canvas. */
    attach() {
        this.canvas.addEventListener("pointerenter", this.onEnter);
        this.canvas.addEventListener("pointerleave", this.onLeave);
        // The canvas's box changes with the window: the image follows.
        window.addEventListener("resize", () => this.schedule());
    }

    /**
     * A cursor message from the session.
     * @param {CursorShape | CursorPosition} message
     */
    receive(message) {
        this.state.receive(message);
        this.schedule();
    }

    /** @param {boolean} controlling  whether the technician's input reaches the computer */
    setControlling(controlling) {
        if (controlling !== this.state.controlling) {
            this.state.controlling = controlling;
            this.schedule();
        }
    }

    /** Forgets the pointer (the connection was replaced). */
    reset() {
        this.state.reset();
        this.schedule();
    }

    /** Repaints at the next animation frame: many moves, one paint. */
    schedule() {
        if (!this.frameRequested) {
            this.frameRequested = true;
            requestAnimationFrame(this.render);
        }
    }

    render() {
        this.frameRequested = false;
        const box = this.canvas.getBoundingClientRect();
        const shown = this.state.view(box, { width: this.canvas.width, height: this.canvas.height });
        if (this.canvas.style.cursor !== shown.cursor) {
            this.canvas.style.cursor = shown.cursor;
        }
        const image = this.image;
        if (shown.overlay === null || shown.src === "") {
            image.hidden = true;
            return;
        }
        if (image.getAttribute("src") !== shown.src) {
            image.setAttribute("src", shown.src);
            logger.debug("pointer shape", this.state.shape?.serial);
        }
        const { left, top, width, height } = shown.overlay;
        image.style.transform = `translate(${left}px, ${top}px)`;
        image.style.width = `${width}px`;
        image.style.height = `${height}px`;
        image.hidden = false;
    }
}
