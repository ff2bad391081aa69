// Paints frame updates onto the canvas, in order.
//
// Each frame's rects start decoding as soon as it arrives (the browser
// decodes images off the main thread, in parallel), but painting follows a
// queue: frame N is painted, every rect in the order it was sent, before
// frame N+1, so that overlapping rects and consecutive frames land as the
// agent meant. The caller acknowledges a frame once its promise resolves.

import { decoderFor } from "./decoders/index.js";
import { getLogger } from "./log.js";

const logger = getLogger("display");

// The agent sends at most 2 frames ahead of our acknowledgements; a queue
// longer than this means a peer ignoring flow control, and we refuse rather
// than grow without bound.
export const MAX_QUEUED_FRAMES = 8;

/**
 * The smallest screen that holds every rect of a frame.
 * @param {import("./protocol.js").FrameUpdate} frame
 * @returns {{width: number, height: number}}
 */
export function frameBounds(frame) {
    let width = 0;
    let height = 0;
    for (const rect of frame.rects) {
        width = Math.max(width, rect.x + rect.width);
        height = Math.max(height, rect.y + rect.height);
    }
    return { width, height };
}

/**
 * Why a rect cannot be painted on a screen of this size, or "" if it can.
 * @param {{x: number, y: number, width: number, height: number}} rect
 * @param {number} screenWidth
 * @param {number} screenHeight
 * @param {string} [what]  how the sentence names the rect
 * @returns {string}
 */
export function rectOutsideScreen(rect, screenWidth, screenHeight, what = "rect") {
    if (rect.x + rect.width <= screenWidth && rect.y + rect.height <= screenHeight) {
        return "";
    }
    return `${what} ${rect.x},${rect.y} ${rect.width}×${rect.height} lies outside ` +
        `the ${screenWidth}×${screenHeight} screen`;
}

/** Paints frame updates on one canvas, in order, and tells when each is painted. */
export class Display {
    /**
     * @param {HTMLCanvasElement} canvas  its width and height are the remote screen's pixels
     * @param {{decoderFor?: typeof decoderFor,
     *          makeCanvas?: (width: number, height: number) => OffscreenCanvas}} [options]
     *     a decoder table and a canvas maker, for tests
     */
    constructor(canvas, options = {}) {
        this.canvas = canvas;
        this.context = canvas.getContext("2d", { alpha: false });
        this.decoderFor = options.decoderFor ?? decoderFor;
        this.makeCanvas = options.makeCanvas ?? ((width, height) => new OffscreenCanvas(width, height));
        /** @type {OffscreenCanvas | null} where copies pass through, grown as needed */
        this.scratch = null;
        /** @type {Promise<void>} the last frame's painting, settled */
        this.tail = Promise.resolve();
        this.queued = 0;
    }

    /** @returns {number} */
    get width() { return this.canvas.width; }

    /** @returns {number} */
    get height() { return this.canvas.height; }

    /**
     * Sets the remote screen's size. Same size: the picture stays.
     * @param {number} width
     * @param {number} height
     * @returns {boolean} whether the size changed (and the picture was cleared)
     * @throws {Error} a size that is not a positive whole number of pixels
     */
    resize(width, height) {
        if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0)) {
            throw new Error(`screen size ${width}×${height} is not a positive size in pixels`);
        }
        if (width === this.canvas.width && height === this.canvas.height) {
            return false;
        }
        this.canvas.width = width;
        this.canvas.height = height;
        logger.debug("screen is now", `${width}×${height}`);
        return true;
    }

    /**
     * Queues one frame update for painting.
     * @param {import("./protocol.js").FrameUpdate} frame
     * @returns {Promise<void>} resolves once every rect is painted; rejects with the
     *     first rect that could not be (the others are painted all the same)
     */
    receiveFrame(frame) {
        if (this.queued >= MAX_QUEUED_FRAMES) {
            return Promise.reject(new Error(
                `frame ${frame.frame_id} refused: ${this.queued} frames already wait to be painted`));
        }
        this.queued += 1;
        // Start every decode now; each settles on its own.
        const decoding = Promise.allSettled(frame.rects.map((rect) => this.decodeRect(rect)));
        const painted = this.tail.then(() => this.paint(frame, decoding))
            .finally(() => { this.queued -= 1; });
        this.tail = painted.then(() => undefined, () => undefined);
        return painted;
    }

    /**
     * @param {import("./protocol.js").EncodedRect} rect
     * @returns {Promise<import("./decoders/solid.js").DecodedRect>}
     */
    async decodeRect(rect) {
        return this.decoderFor(rect.encoding).decodeRect(rect);
    }

    /**
     * @param {import("./protocol.js").FrameUpdate} frame
     * @param {Promise<PromiseSettledResult<import("./decoders/solid.js").DecodedRect>[]>} decoding
     */
    async paint(frame, decoding) {
        const results = await decoding;
        /** @type {Error | null} */
        let failure = null;
        for (const result of results) {
            if (result.status === "rejected") {
                failure ??= result.reason instanceof Error ? result.reason : new Error(String(result.reason));
                continue;
            }
            const rect = result.value;
            const { width, height } = this.canvas;
            const outside = rectOutsideScreen(rect, width, height) || (rect.source
                ? rectOutsideScreen({ ...rect, ...rect.source }, width, height, "copy source")
                : "");
            if (outside) {
                failure ??= new Error(outside);
                rect.image?.close();
                continue;
            }
            this.paintRect(rect);
        }
        if (failure !== null) {
            throw new Error(`frame ${frame.frame_id}: ${failure.message}`);
        }
    }

    /** @param {import("./decoders/solid.js").DecodedRect} rect */
    paintRect(rect) {
        const context = this.context;
        if (rect.fill) {
            const [r, g, b] = rect.fill;
            context.fillStyle = `rgb(${r}, ${g}, ${b})`;
            context.fillRect(rect.x, rect.y, rect.width, rect.height);
        } else if (rect.image) {
            context.drawImage(rect.image, rect.x, rect.y);
            rect.image.close();
        } else if (rect.source) {
            // Through a scratch canvas, not the canvas onto itself: Chromium
            // snapshots the whole canvas for a self-copy (6 ms at 1080p, where
            // the two blits of the rect cost 1.5 ms). Reading it all out
            // first also copies an overlapping source and destination (a
            // scroll) right.
            const { x, y } = rect.source;
            const { width, height } = rect;
            const scratch = this.scratchOf(width, height);
            scratch.getContext("2d").drawImage(this.canvas, x, y, width, height, 0, 0, width, height);
            context.drawImage(scratch, 0, 0, width, height, rect.x, rect.y, width, height);
        }
    }

    /**
     * The scratch canvas, at least this big; its content is not kept.
     * @param {number} width
     * @param {number} height
     * @returns {OffscreenCanvas}
     */
    scratchOf(width, height) {
        if (this.scratch === null || this.scratch.width < width || this.scratch.height < height) {
            // Grown, never shrunk: a scroll area keeps its size from frame to frame.
            this.scratch = this.makeCanvas(Math.max(width, this.scratch?.width ?? 0),
                Math.max(height, this.scratch?.height ?? 0));
        }
        return this.scratch;
    }
}
