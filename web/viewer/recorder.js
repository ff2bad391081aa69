// A browser share's recording, made by the technician's console from the picture it receives.
//
// The person's browser sends its screen by WebRTC: the server never sees it.
// When the person accepted the recording (the server's state says
// `recording` for a browser share), the viewer records the track it receives
// with MediaRecorder (WebM VP8, a piece about every second) and uploads each
// piece as it comes, one after the other, in order
// (POST /api/sessions/{id}/recording/webm?seq=N); the server appends them to
// one sealed file. Only the first piece holds the WebM header: a piece is
// never dropped or sent out of order, and a refused piece stops the recording.

import { getLogger } from "./log.js";

const logger = getLogger("recorder");

export const MIME_TYPE = "video/webm;codecs=vp8";
export const TIMESLICE_MS = 1000;

export class TrackRecorder {
    /**
     * @param {string} sessionId
     * @param {string} csrf  the sign-in's CSRF token, for the upload's header
     * @param {{fetch?: typeof fetch, MediaRecorder?: any}} [env]  stand-ins for tests
     */
    constructor(sessionId, csrf, env = {}) {
        this.url = `/api/sessions/${encodeURIComponent(sessionId)}/recording/webm`;
        this.csrf = csrf;
        this.fetch = env.fetch ?? ((...args) => globalThis.fetch(...args));
        this.MediaRecorder = env.MediaRecorder ?? globalThis.MediaRecorder;
        /** @type {any} */
        this.recorder = null;
        this.seq = 0;
        this.failed = false;
        this.done = false;  // stopped once: a new picture after a pause is not recorded
        /** @type {Promise<void>} the uploads, one after the other */
        this.uploads = Promise.resolve();
    }

    /** @returns {boolean} whether a recording runs */
    get running() {
        return this.recorder !== null;
    }

    /**
     * Starts recording this stream, once; a recording that failed does not start again.
     * @param {MediaStream} stream
     */
    start(stream) {
        if (this.recorder !== null || this.failed || this.done ||
            typeof this.MediaRecorder !== "function") return;
        const recorder = new this.MediaRecorder(stream, { mimeType: MIME_TYPE });
        recorder.ondataavailable = (/** @type {{data: Blob}} */ event) => {
            if (event.data && event.data.size > 0) this.upload(event.data);
        };
        recorder.start(TIMESLICE_MS);
        this.recorder = recorder;
        logger.info("recording the shared screen");
    }

    /** Stops recording; the last piece is still uploaded. */
    stop() {
        const recorder = this.recorder;
        this.recorder = null;
        if (recorder !== null) this.done = true;
        if (recorder !== null && recorder.state !== "inactive") recorder.stop();
    }

    /** @param {Blob} piece */
    upload(piece) {
        const seq = this.seq;
        this.seq += 1;
        this.uploads = this.uploads.then(async () => {
            if (this.failed) return;
            const response = await this.fetch(`${this.url}?seq=${seq}`, {
                method: "POST", body: piece, credentials: "same-origin",
                headers: { "X-CSRF-Token": this.csrf, "Content-Type": "application/octet-stream" },
            });
            if (!response.ok) {
                // The person's choice changed, the session ended, or the disk is full: stop.
                this.failed = true;
                this.stop();
                logger.warn("the recording's piece", seq, "was refused:", response.status);
            }
        }).catch((error) => {
            this.failed = true;
            this.stop();
            logger.warn("the recording's upload failed:", String(error));
        });
    }
}
