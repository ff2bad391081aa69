// ViewerSession: the technician's end of one support session.
//
// Owns the WebSocket to the server: says hello, turns text frames into the
// session's view (state, pause, ending), hands binary frames to the display
// and acknowledges each once painted (credit-based flow control), and sends
// the technician's requests and input. If its own connection drops while
// the session lives, it reconnects with backoff (1 s, 2 s, 4 s… at most
// 10 s, a bounded number of times); a close the server means (4000-4999)
// is final.
//
// It touches no DOM: the socket, the timers and the clock are injected, so
// node tests drive it with fakes.

import { frameBounds } from "./display.js";
import { getLogger } from "./log.js";
import * as protocol from "./protocol.js";
import { ENUMS, MessageType, SessionState, SHARING_STATES } from "./protocol.js";

const logger = getLogger("session");

export const RECONNECT_FIRST_DELAY_MS = 1000;
export const RECONNECT_MAX_DELAY_MS = 10_000;
// About 95 s of trying: past the server's 60 s grace for a lost viewer.
export const MAX_RECONNECT_ATTEMPTS = 12;
// A broken frame asks for the whole screen again, but not more than this often.
export const KEYFRAME_REQUEST_INTERVAL_MS = 1000;

/**
 * @typedef {"connecting" | "open" | "reconnecting" | "closed" | "gave_up"} Connection
 * @typedef {{
 *   connection: Connection,
 *   state: string | null,
 *   paused: boolean,
 *   personHostname: string,
 *   personUser: string,
 *   codeExpiresAt: number,
 *   ended: {by: string, reason: number} | null,
 *   closeCode: number | null,
 *   chat: ChatLine[],
 *   timeline: TimelineEntry[],
 *   clipboard: {text: string, count: number},
 *   diagnostics: Diagnostics,
 *   monitors: Monitor[],
 *   monitor: number,
 *   agentConnected: boolean,
 *   watching: string[],
 *   kind: string,
 *   mandate: Mandate | null,
 *   recording: boolean,
 * }} SessionView
 *
 * `mandate`: what binds the session, as the server last said (a
 * mandate_state); null when no mandate binds it (or none was said yet).
 * `tools`: ENUMS.Tool values; `endsAt`: Unix seconds; `signedBy`: "" while
 * the person has not signed; `warning`: the server's five-minute warning;
 * `extensionRefused`: the person refused the last extension asked;
 * `extensionAsked`: an extension was asked and no answer came yet.
 * @typedef {{sha256: string, tools: string[], endsAt: number, signedBy: string,
 *   warning: boolean, extensionRefused: boolean, extensionAsked: boolean}} Mandate
 *
 * `kind`: "browser" when the person shares from the join page's browser
 * (view only, the picture over WebRTC: rtc.js), "app" for the agent.
 *
 * `watching`: the names of the technicians the server last said see the
 * screen (a Watching message); the one who replaced this viewer, when its
 * connection closes with 4033.
 *
 * One of the person's monitors in desktop pixels; `monitor` in the view is
 * the index of the one shown, or -1 when the whole desktop is.
 * @typedef {{x: number, y: number, width: number, height: number, name: string,
 *   primary: boolean}} Monitor
 *
 * The latest remote diagnosis: "idle" (none asked), "waiting" (the person is
 * asked, or the agent reads), "declined" or "done" (with the report).
 * @typedef {{status: "idle" | "waiting" | "declined" | "done",
 *   report: {sections: Record<string, unknown>, findings: object[]} | null,
 *   at: number}} Diagnostics
 *
 * One line of the session's chat, as the server numbered it.
 * @typedef {{id: number, at: number, author: string, name: string, text: string}} ChatLine
 *
 * An announced action or a step, as the server numbered it. `asks`: the
 * person is asked OK / Not now; `answer` is their answer once given ("ok",
 * "not_now"), "" before. A step has `kind` "step".
 * @typedef {{id: number, at: number, kind: string, text: string, name: string,
 *   asks: boolean, answer: string}} TimelineEntry
 *
 * What the session needs of a WebSocket (the browser's, or a test's fake).
 * @typedef {{binaryType: string, readyState: number, send: (data: string) => void,
 *   close: (code?: number) => void, onopen: ((event: unknown) => void) | null,
 *   onmessage: ((event: {data: string | ArrayBuffer}) => void) | null,
 *   onclose: ((event: {code: number, reason?: string}) => void) | null,
 *   onerror: ((event: unknown) => void) | null}} SocketLike
 *
 * @typedef {{receiveFrame: (frame: protocol.FrameUpdate) => Promise<void>,
 *   resize: (width: number, height: number) => boolean}} DisplayLike
 */

/**
 * The delay before reconnect attempt `attempt` (0 for the first): 1 s, 2 s, 4 s… 10 s.
 * @param {number} attempt
 * @returns {number} milliseconds
 */
export function reconnectDelay(attempt) {
    return Math.min(RECONNECT_FIRST_DELAY_MS * 2 ** Math.min(attempt, 16), RECONNECT_MAX_DELAY_MS);
}

/**
 * The absolute ws:// or wss:// URL of a path given by the page.
 * @param {string} path  e.g. "/ws/viewer/abc"
 * @param {string} pageUrl  location.href
 * @returns {string}
 */
export function webSocketUrl(path, pageUrl) {
    const url = new URL(path, pageUrl);
    if (url.protocol === "http:") url.protocol = "ws:";
    else if (url.protocol === "https:") url.protocol = "wss:";
    return url.href;
}

const OPEN = 1;

/** The technician's end of one support session: one WebSocket at a time, reconnected while the session lives. */
export class ViewerSession {
    /**
     * @param {{
     *   url: string,
     *   display: DisplayLike,
     *   onChange?: (view: SessionView) => void,
     *   onFileMessage?: (message: protocol.Message) => void,
     *   onRtcMessage?: (message: protocol.Message) => void,
     *   codeExpiresAt?: number,
     *   openSocket?: (url: string) => SocketLike,
     *   timers?: {setTimeout: typeof setTimeout, clearTimeout: typeof clearTimeout},
     *   now?: () => number,
     *   maxReconnects?: number,
     *   encodings?: () => Promise<number[]>,
     *   cursor?: {receive: (message: protocol.CursorShape | protocol.CursorPosition) => void},
     * }} options
     *   url: the absolute WebSocket URL; onChange: called after every change of the view;
     *   codeExpiresAt: the code's expiry the page was given (Unix seconds, 0 if unknown);
     *   cursor: gets the person's pointer shape and position (cursor.js)
     */
    constructor(options) {
        this.url = options.url;
        this.display = options.display;
        this.cursor = options.cursor ?? null;
        this.onChange = options.onChange ?? (() => {});
        // file_offer, file_status and file_progress go to files.js's FileTransfers.
        this.onFileMessage = options.onFileMessage ?? (() => {});
        // rtc_config, rtc_offer and rtc_candidate of a browser share go to rtc.js's RtcLink.
        this.onRtcMessage = options.onRtcMessage ?? (() => {});
        this.openSocket = options.openSocket ?? ((url) => new WebSocket(url));
        this.timers = options.timers ?? { setTimeout: globalThis.setTimeout.bind(globalThis),
            clearTimeout: globalThis.clearTimeout.bind(globalThis) };
        this.now = options.now ?? Date.now;
        this.maxReconnects = options.maxReconnects ?? MAX_RECONNECT_ATTEMPTS;
        // What this browser paints, told to the agent once per connection
        // (decoders/index.js's supportedEncodings); none: the agent's baseline.
        this.supportedEncodings = options.encodings ?? null;
        this.announcedEncodings = "";
        /** @type {SessionView} */
        this.view = {
            connection: "connecting", state: null, paused: false, personHostname: "",
            personUser: "", codeExpiresAt: options.codeExpiresAt ?? 0, ended: null, closeCode: null,
            chat: [], timeline: [], clipboard: { text: "", count: 0 },
            diagnostics: { status: "idle", report: null, at: 0 },
            monitors: [], monitor: protocol.ALL_MONITORS, watching: [], kind: ENUMS.AgentKind.APP,
            mandate: null,
            recording: false,
            // False while the person's computer reconnects (server restart, network).
            agentConnected: true,
        };
        /** @type {SocketLike | null} */
        this.socket = null;
        // Which connection a frame came on: acks of an older one are not sent.
        this.generation = 0;
        this.attempts = 0;
        this.reconnectTimer = null;
        this.screenKnown = false;
        this.awaitingKeyframe = false;
        this.keyframeAskedOnConnection = false;
        this.lastKeyframeRequest = -Infinity;
        this.stopped = false;
    }

    /** Opens the connection. */
    start() {
        this.connect();
    }

    /** Closes the connection for good (the page is going away). */
    stop() {
        this.stopped = true;
        this.cancelReconnect();
        if (this.socket !== null) {
            const socket = this.socket;
            this.socket = null;
            socket.close(1000);
        }
    }

    /** @returns {boolean} whether the technician's input may flow now */
    get inputAllowed() {
        return this.view.connection === "open" && this.view.state === SessionState.CONTROLLING &&
            !this.view.paused && this.view.ended === null;
    }

    /** @returns {boolean} whether the session is over, or this viewer is out of it */
    get finished() {
        return this.view.ended !== null || this.view.closeCode !== null ||
            this.view.connection === "gave_up" || this.view.state === SessionState.ENDED;
    }

    /**
     * Whether the mandate allows a tool: always when no mandate binds the session.
     * The server and the agent refuse it anyway; the page does not even ask.
     * @param {string} tool  an ENUMS.Tool value
     * @returns {boolean}
     */
    mayUse(tool) {
        const mandate = this.view.mandate;
        return mandate === null || (mandate.signedBy !== "" && mandate.tools.includes(tool));
    }

    /** The technician asks for control. */
    requestControl() {
        if (!this.mayUse(ENUMS.Tool.CONTROL)) return false;
        return this.send(protocol.requestControl());
    }

    /**
     * Asks the person to sign an extension of the mandate: more minutes, tools to add.
     * @param {number} minutes  0 for no more time
     * @param {string[]} tools  ENUMS.Tool values not yet in the mandate
     * @returns {boolean} whether it was sent
     */
    extendMandate(minutes, tools) {
        const mandate = this.view.mandate;
        if (mandate === null || mandate.signedBy === "") return false;
        const added = [...new Set(tools)].filter((tool) => Object.values(ENUMS.Tool).includes(tool) &&
            !mandate.tools.includes(tool));
        const more = Number.isInteger(minutes) && minutes > 0 ? minutes : 0;
        if (more === 0 && added.length === 0) return false;
        if (!this.send(protocol.mandateExtend(more, added))) return false;
        this.update({ mandate: { ...mandate, extensionAsked: true, extensionRefused: false } });
        return true;
    }

    /** The technician gives control back (release held keys first). */
    releaseControl() {
        this.send(protocol.releaseControl());
    }

    /**
     * Sends a line of chat; the server's chat_message echo shows it.
     * @param {string} text
     * @returns {boolean} whether it was sent
     */
    sendChat(text) {
        const line = text.trim();
        if (line === "" || line.length > protocol.MAX_CHAT_CHARACTERS) return false;
        return this.send(protocol.chat(line));
    }

    /**
     * Announces an action to the person; the server's announcement echo shows it.
     * @param {string} kind  an ENUMS.ActionKind value
     * @param {string} text
     * @returns {boolean} whether it was sent
     */
    announce(kind, text) {
        const line = text.trim();
        if (line === "" || line.length > protocol.MAX_STEP_CHARACTERS) return false;
        return this.send(protocol.announce(kind, line));
    }

    /**
     * Writes a step on the person's banner; the server's step_message echo shows it.
     * @param {string} text
     * @returns {boolean} whether it was sent
     */
    sendStep(text) {
        const line = text.trim();
        if (line === "" || line.length > protocol.MAX_STEP_CHARACTERS) return false;
        return this.send(protocol.step(line));
    }

    /**
     * Sends text for the person's clipboard; only while in control, as input is.
     * @param {string} text
     * @returns {boolean} whether it was sent
     */
    sendClipboard(text) {
        if (!this.mayUse(ENUMS.Tool.CLIPBOARD)) return false;
        return this.sendInput(protocol.clipboard(text));
    }

    /**
     * Asks to read the computer's settings; the person is asked first.
     * @returns {boolean} whether it was sent
     */
    /**
     * Shows one of the person's monitors, or all of them; the agent answers with a new screen.
     * @param {number} index  into view.monitors, or protocol.ALL_MONITORS
     * @returns {boolean} whether the request left
     */
    selectMonitor(index) {
        if (index !== protocol.ALL_MONITORS && !(index >= 0 && index < this.view.monitors.length)) {
            return false;
        }
        return this.send(protocol.selectMonitor(index));
    }

    requestDiagnostics() {
        if (!this.mayUse(ENUMS.Tool.DIAGNOSTICS)) return false;
        if (!this.send(protocol.diagnosticsRequest())) return false;
        this.update({ diagnostics: { ...this.view.diagnostics, status: "waiting" } });
        return true;
    }

    /** The technician ends the session. */
    end() {
        this.send(protocol.end());
    }

    /**
     * Sends one key, pointer or wheel message, only while in control; else drops it.
     * @param {protocol.Message} message
     * @returns {boolean} whether it was sent
     */
    sendInput(message) {
        if (!this.inputAllowed) {
            return false;
        }
        return this.send(message);
    }

    /**
     * @param {protocol.Message} message
     * @returns {boolean} whether it was sent
     */
    send(message) {
        const socket = this.socket;
        if (socket === null || socket.readyState !== OPEN) {
            logger.debug("not connected; dropped", message.type);
            return false;
        }
        logger.debug(">", message.type);
        socket.send(protocol.serialize(message));
        return true;
    }

    // --- the connection ----------------------------------------------------

    connect() {
        this.reconnectTimer = null;
        if (this.stopped || this.finished) {
            return;
        }
        this.generation += 1;
        const generation = this.generation;
        let socket;
        try {
            socket = this.openSocket(this.url);
        } catch (error) {
            logger.error("could not open the connection:", error);
            this.connectionLost(1006);
            return;
        }
        socket.binaryType = "arraybuffer";
        this.socket = socket;
        this.keyframeAskedOnConnection = false;
        this.announcedEncodings = "";
        socket.onopen = () => {
            if (this.generation !== generation) return;
            this.send(protocol.hello());
        };
        socket.onmessage = (event) => {
            if (this.generation !== generation) return;
            if (typeof event.data === "string") {
                this.receiveText(event.data);
            } else {
                this.receiveFrame(event.data, generation);
            }
        };
        socket.onerror = () => {
            logger.debug("socket error (its close follows)");
        };
        socket.onclose = (event) => {
            if (this.generation !== generation || this.socket !== socket) return;
            this.socket = null;
            this.connectionLost(event.code);
        };
    }

    /** @param {number} code  the WebSocket close code */
    connectionLost(code) {
        if (this.stopped) {
            return;
        }
        if (this.finished) {
            this.update({ connection: "closed" });
            return;
        }
        if (code >= 4000 && code <= 4999) {
            logger.info("the server closed the connection with", code);
            this.update({ connection: "closed", closeCode: code });
            return;
        }
        if (this.attempts >= this.maxReconnects) {
            logger.warn(`gave up reconnecting after ${this.attempts} attempts`);
            this.update({ connection: "gave_up" });
            return;
        }
        const delay = reconnectDelay(this.attempts);
        this.attempts += 1;
        logger.info(`connection lost (${code}); reconnecting in ${delay} ms`);
        this.update({ connection: "reconnecting" });
        this.reconnectTimer = this.timers.setTimeout(() => this.connect(), delay);
    }

    cancelReconnect() {
        if (this.reconnectTimer !== null) {
            this.timers.clearTimeout(this.reconnectTimer);
            this.reconnectTimer = null;
        }
    }

    // --- what the server says -------------------------------------------------

    /** @param {string} text */
    receiveText(text) {
        let message;
        try {
            message = protocol.parse(text);
        } catch (error) {
            logger.error("ignored a message from the server:", error.message);
            return;
        }
        logger.debug("<", message.type);
        switch (message.type) {
            case MessageType.STATE:
                this.receiveState(message);
                break;
            case MessageType.ENDED:
                this.cancelReconnect();
                this.update({ ended: { by: String(message.by), reason: Number(message.reason) },
                    state: SessionState.ENDED });
                break;
            case MessageType.SCREEN:
                this.receiveScreen(Number(message.width), Number(message.height));
                this.update({ monitors: readMonitors(message.monitors), monitor: Number(message.monitor) });
                break;
            case MessageType.WATCHING:
                this.update({ watching: readNames(message.technicians) });
                break;
            case MessageType.PEER:
                // The person's computer dropped and may resume: the page says so;
                // the picture comes back with the agent's keyframe.
                if (message.role === ENUMS.Role.AGENT) {
                    this.update({ agentConnected: Boolean(message.connected) });
                }
                break;
            case MessageType.CHAT_MESSAGE:
                this.receiveChat(message);
                break;
            case MessageType.ANNOUNCEMENT:
            case MessageType.STEP_MESSAGE:
                this.receiveTimeline(message);
                break;
            case MessageType.ACTION_ANSWER:
                this.update({ timeline: this.view.timeline.map((entry) => entry.id === Number(message.id)
                    ? { ...entry, answer: String(message.answer) } : entry) });
                break;
            case MessageType.DIAGNOSTICS_REPORT:
                this.update({ diagnostics: { status: "done", at: this.now(),
                    report: { sections: message.sections, findings: message.findings } } });
                break;
            case MessageType.FILE_OFFER:
            case MessageType.FILE_STATUS:
            case MessageType.FILE_PROGRESS:
                this.onFileMessage(message);
                break;
            case MessageType.RTC_CONFIG:
            case MessageType.RTC_OFFER:
            case MessageType.RTC_CANDIDATE:
                this.onRtcMessage(message);
                break;
            case MessageType.DIAGNOSTICS_DECLINED:
                this.update({ diagnostics: { ...this.view.diagnostics, status: "declined" } });
                break;
            case MessageType.MANDATE_STATE:
                this.receiveMandate(message);
                break;
            case MessageType.CLIPBOARD:
                // count tells the page a new copy arrived, even of the same text.
                this.update({ clipboard: { text: String(message.text),
                    count: this.view.clipboard.count + 1 } });
                break;
        }
    }

    /**
     * Adds a chat line; a reconnect replays the transcript, so known ids are skipped.
     * @param {protocol.Message} message
     */
    receiveChat(message) {
        const id = Number(message.id);
        if (this.view.chat.some((line) => line.id === id)) return;
        const line = { id, at: Number(message.at), author: String(message.author),
            name: String(message.name), text: String(message.text) };
        this.update({ chat: [...this.view.chat, line].sort((a, b) => a.id - b.id) });
    }

    /**
     * Adds an announcement or a step; a reconnect replays the timeline, so known ids are skipped.
     * @param {protocol.Message} message
     */
    receiveTimeline(message) {
        const id = Number(message.id);
        if (this.view.timeline.some((entry) => entry.id === id)) return;
        const step = message.type === MessageType.STEP_MESSAGE;
        const entry = { id, at: Number(message.at), kind: step ? "step" : String(message.kind),
            text: String(message.text), name: String(message.name), asks: !step && Boolean(message.asks),
            answer: "" };
        this.update({ timeline: [...this.view.timeline, entry].sort((a, b) => a.id - b.id) });
    }

    /**
     * What binds the session now. A state that answers an extension (signed or
     * refused) ends the wait for it.
     * @param {protocol.Message} message
     */
    receiveMandate(message) {
        const tools = Array.isArray(message.tools)
            ? message.tools.filter((tool) => typeof tool === "string") : [];
        const before = this.view.mandate;
        const sha256 = String(message.sha256);
        const same = before !== null && before.sha256 === sha256;
        const refused = Boolean(message.extension_refused);
        // The end on this computer's clock: the server says its own time as it sends.
        const skew = Number(message.now) > 0 ? Number(message.now) - Date.now() / 1000 : 0;
        const endsAt = Number(message.ends_at) > 0 ? Number(message.ends_at) - skew : 0;
        this.update({ mandate: {
            sha256, tools, endsAt,
            signedBy: String(message.signed_by), warning: Boolean(message.warning),
            // Said until the next extension is asked or signed (a later warning keeps it).
            extensionRefused: refused || (same && before.extensionRefused),
            extensionAsked: same && before.extensionAsked && !refused,
        } });
    }

    /** @param {protocol.Message} message */
    receiveState(message) {
        const state = String(message.state);
        const wasPaused = this.view.paused;
        // A connection counts as made once the server tells us where we stand.
        this.attempts = 0;
        const changes = {
            connection: /** @type {Connection} */ ("open"),
            state,
            paused: Boolean(message.paused),
            personHostname: String(message.person_hostname),
            personUser: String(message.person_user),
            kind: String(message.kind),
            recording: Boolean(message.recording),
        };
        if (Number(message.code_expires_at) > 0) {
            changes.codeExpiresAt = Number(message.code_expires_at);
        }
        this.update(changes);
        // A browser share sends no frames: its picture comes by WebRTC.
        if (SHARING_STATES.has(state) && !this.view.paused && this.view.kind !== ENUMS.AgentKind.BROWSER) {
            if (!this.keyframeAskedOnConnection) {
                // (Re)connected while sharing: our picture may be stale or empty.
                this.keyframeAskedOnConnection = true;
                this.announceEncodings();
                this.requestKeyframe(true);
            } else if (wasPaused) {
                // Frames were held back while paused.
                this.requestKeyframe(true);
            }
        }
    }

    /**
     * @param {number} width
     * @param {number} height
     */
    receiveScreen(width, height) {
        try {
            if (this.display.resize(width, height)) {
                this.awaitingKeyframe = true;
            }
            this.screenKnown = true;
        } catch (error) {
            logger.error("ignored a screen size:", error.message);
        }
    }

    /**
     * @param {ArrayBuffer} data
     * @param {number} generation  the connection it came on
     */
    receiveFrame(data, generation) {
        if (this.finished) {
            return;
        }
        const kind = protocol.binaryKind(data);
        if (kind === protocol.FRAME_KIND_CURSOR_SHAPE || kind === protocol.FRAME_KIND_CURSOR_POSITION) {
            this.receiveCursor(data);
            return;
        }
        let frame;
        try {
            frame = protocol.parseFrame(data);
        } catch (error) {
            logger.error("refused a frame update:", error.message);
            this.requestKeyframe(false);
            return;
        }
        logger.debug("< frame", frame.frame_id, `${frame.rects.length} rects`);
        if (!this.screenKnown && frame.keyframe && frame.rects.length > 0) {
            // No Screen message yet (a reloaded page): the keyframe covers the screen.
            const { width, height } = frameBounds(frame);
            this.receiveScreen(width, height);
            this.awaitingKeyframe = false;
        }
        if (frame.keyframe) {
            this.awaitingKeyframe = false;
        } else if (this.awaitingKeyframe) {
            // Resized, and this frame does not repaint everything.
            this.awaitingKeyframe = false;
            this.requestKeyframe(true);
        }
        this.display.receiveFrame(frame).then(
            () => this.acknowledge(frame.frame_id, generation),
            (error) => {
                logger.error("could not paint:", error.message);
                // A decoder the browser refused (H.264) is no longer announced.
                this.announceEncodings();
                this.requestKeyframe(false);
                // The credit comes back all the same, or the agent would stall.
                this.acknowledge(frame.frame_id, generation);
            },
        );
    }

    /**
     * The person's pointer: no acknowledgement, no keyframe request if broken
     * (the next shape or position replaces it).
     * @param {ArrayBuffer} data
     */
    receiveCursor(data) {
        let message;
        try {
            message = protocol.parseCursor(data);
        } catch (error) {
            logger.error("refused a cursor message:", error.message);
            return;
        }
        try {
            this.cursor?.receive(message);
        } catch (error) {
            logger.error("could not show the pointer:", error);
        }
    }

    /**
     * @param {number} frameId
     * @param {number} generation
     */
    acknowledge(frameId, generation) {
        if (generation === this.generation && !this.finished) {
            this.send(protocol.frameAck(frameId));
        }
    }

    /**
     * Tells the agent which encodings this browser paints, if that changed
     * since this connection last said (an `encodings` message).
     */
    announceEncodings() {
        if (this.supportedEncodings === null) {
            return;
        }
        const generation = this.generation;
        this.supportedEncodings().then((ids) => {
            const key = ids.join(",");
            if (generation !== this.generation || this.finished || key === this.announcedEncodings) {
                return;
            }
            if (this.send(protocol.encodings(ids))) {
                this.announcedEncodings = key;
            }
        }, (error) => logger.error("could not tell which encodings this browser paints:", error));
    }

    /** @param {boolean} always  false: at most once per KEYFRAME_REQUEST_INTERVAL_MS */
    requestKeyframe(always) {
        const now = this.now();
        if (!always && now - this.lastKeyframeRequest < KEYFRAME_REQUEST_INTERVAL_MS) {
            return;
        }
        if (this.send(protocol.keyframeRequest())) {
            this.lastKeyframeRequest = now;
        }
    }

    /** @param {Partial<SessionView>} changes */
    update(changes) {
        this.view = { ...this.view, ...changes };
        try {
            this.onChange(this.view);
        } catch (error) {
            logger.error("the page failed to show the session's state:", error);
        }
    }
}

/**
 * The names in a Watching message's technicians; entries without one are skipped.
 * @param {unknown} technicians
 * @returns {string[]}
 */
function readNames(technicians) {
    if (!Array.isArray(technicians)) return [];
    return technicians.filter((t) => t !== null && typeof t === "object" && typeof t.name === "string")
        .map((t) => t.name);
}

/**
 * The monitors a Screen message lists, keeping only well-formed rectangles.
 * @param {unknown} monitors
 * @returns {Monitor[]}
 */
export function readMonitors(monitors) {
    if (!Array.isArray(monitors)) return [];
    return monitors
        .filter((m) => m !== null && typeof m === "object" &&
            ["x", "y", "width", "height"].every((k) => Number.isInteger(m[k])))
        .map((m) => ({ x: m.x, y: m.y, width: m.width, height: m.height,
            name: typeof m.name === "string" ? m.name : "", primary: m.primary === true }));
}
