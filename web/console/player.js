// The history page's player: a session's recording, painted with the viewer's own decoders.
//
// The server serves the recording opened (server/recording/routes.py): records of
// u32 milliseconds since the start | u32 length | one binary message as the relay
// copied it from the agent (protocol/frames.py). Frames go to the viewer's Display
// (display.js, decoders/) on a canvas; the pointer's messages are skipped (the
// viewer draws the pointer apart, over the picture).
//
// Seeking paints, without waiting, every frame from the last keyframe at or before
// the instant sought (a keyframe covers the whole screen) up to it. Playing paints
// the frames as their time comes, at ×1, ×2 or ×4. The timeline's events are marks
// on the seek bar (…/recording/info).

import { Display, frameBounds } from "../viewer/display.js";
import { binaryKind, parseFrame } from "../viewer/protocol.js";

const FRAME_KIND_UPDATE = 1;
const RECORD_HEADER_BYTES = 8;
const TICK_MS = 40;

/**
 * The records of a recording of frames.
 * @param {ArrayBuffer} buffer
 * @returns {{at: number, data: Uint8Array}[]}
 */
export function readRecords(buffer) {
    const view = new DataView(buffer);
    const records = [];
    let offset = 0;
    while (offset + RECORD_HEADER_BYTES <= buffer.byteLength) {
        const at = view.getUint32(offset);
        const length = view.getUint32(offset + 4);
        offset += RECORD_HEADER_BYTES;
        if (offset + length > buffer.byteLength) break;
        records.push({ at, data: new Uint8Array(buffer, offset, length) });
        offset += length;
    }
    return records;
}

/**
 * "1:05" for 65 000 ms.
 * @param {number} ms
 */
export function clock(ms) {
    const seconds = Math.floor(ms / 1000);
    return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
}

/** Plays one recording of frames on a canvas. */
export class Player {
    /**
     * @param {HTMLCanvasElement} canvas
     * @param {{at: number, data: Uint8Array}[]} records
     * @param {(position: number) => void} onPosition  told as the position moves
     */
    constructor(canvas, records, onPosition = () => {}) {
        this.canvas = canvas;
        this.display = new Display(canvas);
        this.frames = records.filter((r) => binaryKind(r.data) === FRAME_KIND_UPDATE)
            .map((r) => ({ at: r.at, frame: parseFrame(r.data) }));
        this.duration = records.length > 0 ? records[records.length - 1].at : 0;
        this.onPosition = onPosition;
        this.position = 0;   // milliseconds into the recording
        this.next = 0;       // the index of the next frame to paint
        this.speed = 1;
        this.playing = false;
        this.generation = 0; // a seek or a pause stops the loop that runs
        this.sized = false;
        /** @type {Promise<void>} */
        this.busy = Promise.resolve();
    }

    /**
     * Paints frame `index`; a keyframe first sizes the canvas to the screen it covers.
     * @param {number} index
     */
    async paint(index) {
        const { frame } = this.frames[index];
        if (frame.keyframe && frame.rects.length > 0) {
            const { width, height } = frameBounds(frame);
            this.display.resize(width, height);
            this.sized = true;
        }
        if (!this.sized) return; // before the first keyframe: no screen to paint on yet
        try {
            await this.display.receiveFrame(frame);
        } catch {
            // A rect that does not paint (a codec this browser lacks): the others are painted.
        }
    }

    /**
     * Shows the recording as it was at `ms`, painting what leads there at once.
     * @param {number} ms
     */
    seek(ms) {
        const generation = ++this.generation;
        const target = Math.max(0, Math.min(ms, this.duration));
        this.busy = this.busy.then(async () => {
            if (generation !== this.generation) return;
            let start = 0;
            for (let i = 0; i < this.frames.length && this.frames[i].at <= target; i += 1) {
                if (this.frames[i].frame.keyframe) start = i;
            }
            if (target < this.position || start > this.next) {
                this.next = start;
            }
            while (this.next < this.frames.length && this.frames[this.next].at <= target) {
                await this.paint(this.next);
                this.next += 1;
            }
            this.position = target;
            this.onPosition(target);
        });
        return this.busy;
    }

    play() {
        if (this.playing) return;
        if (this.position >= this.duration) {
            this.position = 0;
            this.next = 0;
        }
        this.playing = true;
        const generation = ++this.generation;
        let last = performance.now();
        const tick = async () => {
            if (generation !== this.generation || !this.playing) return;
            const now = performance.now();
            const target = Math.min(this.duration, this.position + (now - last) * this.speed);
            last = now;
            while (this.next < this.frames.length && this.frames[this.next].at <= target) {
                await this.paint(this.next);
                this.next += 1;
                if (generation !== this.generation) return;
            }
            this.position = target;
            this.onPosition(target);
            if (target >= this.duration) {
                this.playing = false;
                this.onPosition(target);
                return;
            }
            setTimeout(tick, TICK_MS);
        };
        this.busy = this.busy.then(tick);
    }

    pause() {
        this.playing = false;
        this.generation += 1;
        this.onPosition(this.position);
    }

    /** @param {number} speed  1, 2 or 4 */
    setSpeed(speed) {
        this.speed = [1, 2, 4].includes(speed) ? speed : 1;
    }
}

async function start() {
    const root = /** @type {HTMLElement | null} */ (document.getElementById("player"));
    if (root === null || root.dataset.kind !== "frames") return;
    const note = /** @type {HTMLElement} */ (document.getElementById("player-note"));
    const canvas = /** @type {HTMLCanvasElement} */ (document.getElementById("player-canvas"));
    const playButton = /** @type {HTMLButtonElement} */ (document.getElementById("player-play"));
    const seekBar = /** @type {HTMLInputElement} */ (document.getElementById("player-seek"));
    const speedChoice = /** @type {HTMLSelectElement} */ (document.getElementById("player-speed"));
    const timeText = /** @type {HTMLElement} */ (document.getElementById("player-time"));
    const marksBox = /** @type {HTMLElement} */ (document.getElementById("player-marks"));
    const markNames = JSON.parse(root.dataset.tMarks ?? "{}");
    const [info, buffer] = await Promise.all([
        fetch(root.dataset.infoUrl ?? "").then((r) => r.json()),
        fetch(root.dataset.streamUrl ?? "").then((r) => r.arrayBuffer()),
    ]);
    const player = new Player(canvas, readRecords(buffer), (position) => {
        seekBar.value = String(Math.round(position));
        timeText.textContent = `${clock(position)} / ${clock(player.duration)}`;
        playButton.textContent = player.playing ? root.dataset.tPause ?? "" : root.dataset.tPlay ?? "";
        root.dataset.position = String(Math.round(position));
    });
    seekBar.max = String(player.duration);
    if (!info.complete) {
        note.textContent = root.dataset.tCutShort ?? "";
        note.hidden = false;
    }
    for (const mark of info.marks) {
        if (mark.at > player.duration) continue;
        const tick = document.createElement("span");
        tick.className = `player-mark mark-${mark.action}`;
        tick.dataset.action = mark.action;
        tick.dataset.at = String(mark.at);
        tick.style.left = `${player.duration > 0 ? (100 * mark.at) / player.duration : 0}%`;
        const name = markNames[mark.action] ?? mark.action;
        tick.title = mark.text ? `${clock(mark.at)} ${name}: ${mark.text}` : `${clock(mark.at)} ${name}`;
        tick.addEventListener("click", () => { player.pause(); player.seek(mark.at); });
        marksBox.append(tick);
    }
    playButton.addEventListener("click", () => {
        if (player.playing) player.pause(); else player.play();
    });
    seekBar.addEventListener("input", () => {
        const wasPlaying = player.playing;
        player.pause();
        player.seek(Number(seekBar.value)).then(() => { if (wasPlaying) player.play(); });
    });
    speedChoice.addEventListener("change", () => player.setSpeed(Number(speedChoice.value)));
    await player.seek(player.frames.find((f) => f.frame.keyframe)?.at ?? 0);
    // For tests and the curious: the player, and when it has its first picture.
    /** @type {any} */ (window).cdmPlayer = player;
    root.dataset.ready = "true";
}

if (typeof document !== "undefined") {
    start().catch((error) => {
        const note = document.getElementById("player-note");
        const root = document.getElementById("player");
        if (note !== null && root !== null) {
            note.textContent = (root.dataset.tCannotPlay ?? "{reason}").replace("{reason}", String(error));
            note.hidden = false;
        }
    });
}
