// Files both ways: the technician's "Files" panel.
//
// The technician drops or chooses files; each is offered on the control
// channel (file_offer), then uploaded to the server over HTTP in pieces that
// each start at the offset the server confirms, so that a dropped
// connection resumes where it stopped and a 1 GiB file is never held in
// memory (Blob.slice reads one piece at a time). The person is asked on
// their side; the server passes on their answer and the agent's progress.
// Files from the person appear with a download link the browser streams
// itself. docs/reference/protocol.md, "File transfer".
//
// FileTransfers holds the state and talks to the network (fetch and the
// session's send are injected, so node tests drive it with fakes);
// FilesPanel paints it.

import { getLogger } from "./log.js";
import * as protocol from "./protocol.js";

const logger = getLogger("files");

export const UPLOAD_PIECE_BYTES = 8 * 1024 * 1024;
export const MAX_UPLOAD_ATTEMPTS = 30; // in a row without progress
const RETRY_FIRST_DELAY_MS = 500;
const RETRY_MAX_DELAY_MS = 5000;
const UNITS = ["B", "kB", "MB", "GB", "TB"];
const FINAL = new Set(["delivered", "refused", "cancelled", "failed"]);
// protocol/transfer.py's REASONS: the catalog has a sentence for each.
const REASONS = new Set(["declined", "direction", "too_large", "too_many", "duplicate",
    "name_empty", "name_path", "name_reserved", "name_characters", "name_long", "checksum",
    "disk_full", "write_error", "read_error", "network", "session_ended"]);

/**
 * @typedef {(key: string, params?: Record<string, string | number>) => string} Translate
 * @typedef {{
 *   id: string, name: string, size: number, direction: string, sender: string,
 *   state: string, by: string, reason: string,
 *   uploaded: number, done: number,
 *   phaseStart: {at: number, done: number} | null,
 *   file: Blob | null, ownOffer: boolean,
 * }} Transfer
 */

/**
 * A size in the reader's units: "1.5 MB", "1,5 Mo".
 * @param {number} bytes
 * @param {Translate} t
 * @param {string} lang
 */
export function formatSize(bytes, t, lang = "en") {
    let size = bytes;
    let unit = 0;
    while (size >= 1000 && unit < UNITS.length - 1) {
        size /= 1000;
        unit += 1;
    }
    const digits = unit > 0 && size < 10 ? 1 : 0;
    const number = size.toLocaleString(lang, { maximumFractionDigits: digits, minimumFractionDigits: digits });
    return t("files.size", { number, unit: t(`files.unit.${UNITS[unit]}`) });
}

/**
 * A time left: "6 s", "3 min", "1.5 h" ("1,5 h" in French).
 * @param {number} seconds
 * @param {Translate} t
 * @param {string} [lang]
 */
export function formatDuration(seconds, t, lang = "en") {
    if (seconds < 60) return t("files.time.seconds", { n: Math.max(1, Math.round(seconds)) });
    if (seconds < 3600) return t("files.time.minutes", { n: Math.round(seconds / 60) });
    return t("files.time.hours", { n: (Math.round(seconds / 360) / 10).toLocaleString(lang) });
}

/**
 * "3.2 MB of 10 MB · 1.1 MB/s · 6 s left".
 * @param {number} done
 * @param {number} total
 * @param {{at: number, done: number} | null} start  when and where this phase began
 * @param {number} now  ms
 * @param {Translate} t
 * @param {string} lang
 */
export function progressText(done, total, start, now, t, lang = "en") {
    let text = t("files.progress", { done: formatSize(done, t, lang), total: formatSize(total, t, lang) });
    const elapsed = start ? (now - start.at) / 1000 : 0;
    const moved = start ? done - start.done : 0;
    if (elapsed > 0.2 && moved > 0) {
        const speed = moved / elapsed;
        text += ` · ${t("files.speed", { speed: formatSize(speed, t, lang) })}`;
        if (done < total) text += ` · ${t("files.left", { time: formatDuration((total - done) / speed, t, lang) })}`;
    }
    return text;
}

/**
 * 32 random hex digits, as the protocol wants a transfer id.
 * @param {(bytes: Uint8Array) => Uint8Array} [fill]
 */
export function newTransferId(fill = (bytes) => globalThis.crypto.getRandomValues(bytes)) {
    return Array.from(fill(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Every transfer of the session, as the technician's side knows it. */
export class FileTransfers {
    /**
     * @param {{
     *   sessionId: string, csrf: string,
     *   send: (message: protocol.Message) => boolean,
     *   fetch?: typeof fetch,
     *   now?: () => number,
     *   sleep?: (ms: number) => Promise<void>,
     *   maxBytes?: number,
     *   directions?: string,
     *   onChange?: () => void,
     * }} options  directions: the server's file_transfer_directions setting
     */
    constructor(options) {
        this.sessionId = options.sessionId;
        this.csrf = options.csrf;
        this.send = options.send;
        this.fetch = options.fetch ?? ((...args) => globalThis.fetch(...args));
        this.now = options.now ?? Date.now;
        this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
        this.maxBytes = options.maxBytes ?? Infinity;
        const directions = options.directions ?? "both";
        this.mayOffer = directions === "both" || directions === "to_person";
        this.mayReceive = directions === "both" || directions === "to_technician";
        this.onChange = options.onChange ?? (() => {});
        /** @type {Map<string, Transfer>} */
        this.transfers = new Map();
        /** @type {Set<string>} */
        this.uploading = new Set();
    }

    /**
     * @param {string} id
     * @param {string} [tail]
     */
    url(id, tail = "") {
        return `/api/sessions/${encodeURIComponent(this.sessionId)}/files/${id}${tail}`;
    }

    /**
     * Offers a file to the person; its upload starts once the server has the offer.
     * @param {Blob & {name: string}} file
     * @returns {Transfer}
     */
    offer(file) {
        const id = newTransferId();
        /** @type {Transfer} */
        const transfer = { id, name: String(file.name), size: file.size, direction: "to_person",
            sender: "", state: "offering", by: "", reason: "", uploaded: 0, done: 0,
            phaseStart: null, file, ownOffer: true };
        this.transfers.set(id, transfer);
        // The server says the same; saying it here spares a round trip and a transfer.
        if (!this.mayOffer) this.refuse(transfer, "direction");
        else if (file.size > this.maxBytes) this.refuse(transfer, "too_large");
        else if (!this.send(protocol.fileOffer(id, transfer.name, file.size))) this.refuse(transfer, "network");
        this.onChange();
        return transfer;
    }

    /**
     * @param {Transfer} transfer
     * @param {string} reason
     */
    refuse(transfer, reason) {
        Object.assign(transfer, { state: "refused", by: "server", reason, file: null });
    }

    /**
     * Whether this page holds files it has not finished sending to the server.
     * Leaving the page (a reload, a closed tab) loses them, and their
     * transfers are cancelled.
     * @returns {boolean}
     */
    holdsUnsentFiles() {
        for (const transfer of this.transfers.values()) {
            if (transfer.ownOffer && transfer.file !== null && !FINAL.has(transfer.state)
                && transfer.uploaded < transfer.size) return true;
        }
        return false;
    }

    /**
     * Stops a transfer: the server tells both sides and deletes its bytes.
     * @param {string} id
     */
    cancel(id) {
        const transfer = this.transfers.get(id);
        if (!transfer || FINAL.has(transfer.state)) return;
        this.send(protocol.fileCancel(id));
        if (transfer.state === "offering") {
            Object.assign(transfer, { state: "cancelled", by: "technician", file: null });
        }
        this.onChange();
    }

    /**
     * file_offer, file_status or file_progress from the server.
     * @param {protocol.Message} message
     */
    receive(message) {
        const id = String(message.id);
        let transfer = this.transfers.get(id);
        switch (message.type) {
            case protocol.MessageType.FILE_OFFER:
                if (transfer === undefined) {
                    transfer = { id, name: String(message.name), size: Number(message.size),
                        direction: String(message.direction), sender: String(message.sender),
                        state: "offered", by: "", reason: "", uploaded: 0, done: 0, phaseStart: null,
                        file: null, ownOffer: false };
                    this.transfers.set(id, transfer);
                }
                break;
            case protocol.MessageType.FILE_STATUS: {
                if (transfer === undefined) return;
                const state = String(message.state);
                if (state === "sending" && transfer.state !== "sending") {
                    transfer.phaseStart = null;
                    transfer.done = 0;
                }
                Object.assign(transfer, { state, by: String(message.by), reason: String(message.reason) });
                if (FINAL.has(state) || state === "ready") transfer.file = null;
                if (state === "offered" && transfer.file !== null && transfer.direction === "to_person") {
                    this.upload(transfer);
                } else if (["offered", "accepted"].includes(state) && transfer.direction === "to_person" &&
                           !transfer.ownOffer && !this.uploading.has(id)) {
                    this.dropIfUnfinished(transfer);
                }
                break;
            }
            case protocol.MessageType.FILE_PROGRESS:
                if (transfer === undefined) return;
                transfer.done = Number(message.done);
                transfer.phaseStart ??= { at: this.now(), done: transfer.done };
                break;
            default:
                return;
        }
        this.onChange();
    }

    /**
     * Sends the file's bytes, piece by piece, resuming from what the server holds.
     * @param {Transfer} transfer
     */
    async upload(transfer) {
        if (this.uploading.has(transfer.id)) return;
        this.uploading.add(transfer.id);
        transfer.phaseStart = { at: this.now(), done: 0 };
        let failures = 0;
        let askWhereItStands = false;
        try {
            while (transfer.file !== null && transfer.uploaded < transfer.size) {
                if (FINAL.has(transfer.state)) return;
                const offset = transfer.uploaded;
                const piece = transfer.file.slice(offset, Math.min(offset + UPLOAD_PIECE_BYTES, transfer.size));
                let response;
                try {
                    if (askWhereItStands) {
                        transfer.uploaded = await this.held(transfer);
                        askWhereItStands = false;
                        if (transfer.uploaded !== offset) continue;
                    }
                    response = await this.fetch(`${this.url(transfer.id)}?offset=${offset}`, {
                        method: "PUT", body: piece, credentials: "same-origin",
                        headers: { "X-CSRF-Token": this.csrf, "Content-Type": "application/octet-stream" },
                    });
                } catch (error) {
                    failures += 1;
                    askWhereItStands = true;
                    if (failures >= MAX_UPLOAD_ATTEMPTS) {
                        this.uploadFailed(transfer, "network");
                        return;
                    }
                    logger.info(`upload of ${transfer.name} interrupted (${error.message}); resuming`);
                    await this.sleep(Math.min(RETRY_FIRST_DELAY_MS * 2 ** (failures - 1), RETRY_MAX_DELAY_MS));
                    continue;
                }
                const body = await response.json().catch(() => ({}));
                if (response.ok || (response.status === 409 && body.error === "offset")) {
                    transfer.uploaded = Number(body.received ?? offset);
                    // Bounded: a server that takes nothing counts as a failure.
                    failures = response.ok && transfer.uploaded > offset ? 0 : failures + 1;
                    if (failures >= MAX_UPLOAD_ATTEMPTS) {
                        this.uploadFailed(transfer, "network");
                        return;
                    }
                    this.onChange();
                    continue;
                }
                // A refusal the server explains (507 disk_full, 413 too_large, a cancel).
                if (!FINAL.has(transfer.state)) this.uploadFailed(transfer, String(body.error || "network"));
                return;
            }
        } finally {
            this.uploading.delete(transfer.id);
        }
    }

    /**
     * A file offered before this page was loaded: the page has lost it, so an
     * upload the server did not finish can never finish; it is cancelled.
     * @param {Transfer} transfer
     */
    async dropIfUnfinished(transfer) {
        this.uploading.add(transfer.id); // asked once per page
        try {
            transfer.uploaded = await this.held(transfer);
        } catch (error) {
            logger.info(`could not ask about ${transfer.name}: ${error.message}`);
            return;
        }
        if (transfer.uploaded < transfer.size && !FINAL.has(transfer.state)) {
            this.send(protocol.fileCancel(transfer.id));
        }
        this.onChange();
    }

    /**
     * How many bytes the server holds of this file.
     * @param {Transfer} transfer
     * @returns {Promise<number>}
     */
    async held(transfer) {
        const response = await this.fetch(this.url(transfer.id, "/upload"), { credentials: "same-origin" });
        if (!response.ok) throw new Error(`the server answered ${response.status}`);
        return Number((await response.json()).received);
    }

    /**
     * @param {Transfer} transfer
     * @param {string} reason
     */
    uploadFailed(transfer, reason) {
        Object.assign(transfer, { state: "failed", by: "server", file: null,
            reason: REASONS.has(reason) ? reason : "network" });
        this.send(protocol.fileCancel(transfer.id));
        this.onChange();
    }
}

/**
 * What one transfer shows: its title, the bar's fill (0-1, or null for none),
 * the sentence under it, whether it can be cancelled, and its download link.
 * @param {Transfer} transfer
 * @param {number} now
 * @param {Translate} t
 * @param {string} lang
 * @param {(id: string) => string} url
 */
export function presentTransfer(transfer, now, t, lang, url) {
    const toPerson = transfer.direction === "to_person";
    const title = t(toPerson ? "files.to_person" : "files.from_person",
        { name: transfer.name, size: formatSize(transfer.size, t, lang), sender: transfer.sender });
    const total = Math.max(1, transfer.size);
    let fill = null;
    let text = "";
    let link = "";
    switch (transfer.state) {
        case "offering":
            text = t("files.offering");
            break;
        case "offered":
        case "accepted":
            if (toPerson) {
                fill = transfer.uploaded / total;
                const waiting = t(transfer.state === "offered" ? "files.waiting_answer" : "files.accepted");
                text = transfer.uploaded < transfer.size
                    ? `${t("files.uploading")} ${progressText(transfer.uploaded, transfer.size, transfer.phaseStart, now, t, lang)} · ${waiting}`
                    : waiting;
            }
            break;
        case "sending":
            fill = transfer.done / total;
            text = `${t(toPerson ? "files.person_receiving" : "files.person_sending")} ${
                progressText(transfer.done, transfer.size, transfer.phaseStart, now, t, lang)}`;
            break;
        case "ready":
            fill = 1;
            text = t("files.ready");
            link = url(transfer.id);
            break;
        case "delivered":
            fill = 1;
            text = t("files.delivered");
            break;
        case "refused":
            text = transfer.reason === "declined"
                ? t("files.declined")
                : t("files.refused", { reason: t(`files.reason.${transfer.reason || "network"}`) });
            break;
        case "cancelled":
            text = t(`files.cancelled.${transfer.by || "technician"}`);
            break;
        case "failed":
            text = t("files.failed", { reason: t(`files.reason.${transfer.reason || "network"}`) });
            break;
        default:
            text = transfer.state;
    }
    const cancellable = !FINAL.has(transfer.state);
    return { title, fill, text, cancellable, link, final: FINAL.has(transfer.state) };
}

/**
 * @param {string} tag
 * @param {Record<string, string>} [attributes]
 * @param {(Node | string)[]} [children]
 * @returns {HTMLElement}
 */
function element(tag, attributes = {}, children = []) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
    node.append(...children);
    return node;
}

/**
 * The "Files" panel: a drop zone with a file chooser, then one line per transfer
 * (li[data-id][data-state]) with its progress bar, its sentence, Cancel, and a
 * download link for files from the person. Ids for tests: #files, #files-drop,
 * #files-input, #files-list, #files-note.
 */
export class FilesPanel {
    /**
     * @param {FileTransfers} files
     * @param {Translate} t
     * @param {string} lang
     */
    constructor(files, t, lang) {
        this.files = files;
        this.t = t;
        this.lang = lang;
        this.available = false;
        this.refused = "";
        this.input = /** @type {HTMLInputElement} */ (element("input",
            { id: "files-input", type: "file", multiple: "", class: "viewer-files-input" }));
        this.choose = element("button", { id: "files-choose", type: "button" }, [t("files.choose")]);
        this.drop = element("div", { id: "files-drop", class: "viewer-files-drop" },
            [t("files.drop"), " ", this.choose, this.input]);
        this.note = element("p", { id: "files-note", class: "viewer-files-note" });
        this.list = element("ul", { id: "files-list", class: "viewer-files-list", "aria-live": "polite" });
        this.root = element("section", { id: "files", class: "viewer-files", hidden: "",
            "aria-label": t("files.title") }, [element("h2", {}, [t("files.title")]),
            ...(files.mayOffer ? [this.drop] : []), this.note, this.list]);
        this.choose.addEventListener("click", () => this.input.click());
        this.input.addEventListener("change", () => {
            this.offer([...(this.input.files ?? [])]);
            this.input.value = "";
        });
        this.drop.addEventListener("dragover", (event) => {
            event.preventDefault();
            this.drop.classList.add("dragging");
        });
        this.drop.addEventListener("dragleave", () => this.drop.classList.remove("dragging"));
        this.drop.addEventListener("drop", (event) => {
            event.preventDefault();
            this.drop.classList.remove("dragging");
            this.offer([...(event.dataTransfer?.files ?? [])]);
        });
        /** @type {Map<string, {item: HTMLElement, bar: HTMLProgressElement, text: HTMLElement,
         *   cancel: HTMLElement, link: HTMLAnchorElement}>} */
        this.items = new Map();
        // Speed and time left move even between two messages.
        this.timer = setInterval(() => this.render(), 1000);
    }

    /**
     * Draws the technician's eye to the chooser (the device page's *Send a file*): a page
     * may not open a file chooser without the technician's own click.
     */
    beckon() {
        this.drop.classList.add("beckoning");
        this.root.scrollIntoView({ block: "nearest" });
        /** @type {HTMLButtonElement} */ (this.choose).focus();
    }

    /**
     * Sending files to the person is outside the mandate (why, in words), or not ("").
     * @param {string} why
     */
    setRefused(why) {
        if (why === this.refused) return;
        this.refused = why;
        /** @type {HTMLButtonElement} */ (this.choose).disabled = why !== "";
        if (why) this.choose.setAttribute("title", why);
        else this.choose.removeAttribute("title");
        this.drop.classList.toggle("viewer-outside-mandate", why !== "");
    }

    /** @param {File[]} chosen */
    offer(chosen) {
        if (!this.available || this.refused) return;
        for (const file of chosen) this.files.offer(file);
    }

    /**
     * The session shares the screen (files may go), or not (the list stays readable).
     * @param {boolean} available
     */
    setAvailable(available) {
        this.available = available;
        const shown = (available && (this.files.mayOffer || this.files.mayReceive)) || this.files.transfers.size > 0;
        this.root.hidden = !shown;
        this.drop.hidden = !available;
        this.note.textContent = available && !this.files.mayOffer && this.files.mayReceive
            ? this.t("files.receive_only") : "";
        this.render();
    }

    render() {
        const now = this.files.now();
        for (const transfer of this.files.transfers.values()) {
            let item = this.items.get(transfer.id);
            if (item === undefined) {
                const bar = /** @type {HTMLProgressElement} */ (element("progress", { max: "1", value: "0" }));
                const text = element("span", { class: "files-text" });
                const cancel = element("button", { type: "button", class: "files-cancel" }, [this.t("files.cancel")]);
                const link = /** @type {HTMLAnchorElement} */ (element("a", { class: "files-download", hidden: "" },
                    [this.t("files.download")]));
                cancel.addEventListener("click", () => this.files.cancel(transfer.id));
                const title = element("span", { class: "files-title" });
                const node = element("li", { "data-id": transfer.id, "data-direction": transfer.direction },
                    [title, bar, text, element("span", { class: "files-actions" }, [link, cancel])]);
                this.list.append(node);
                item = { item: node, bar, text, cancel, link };
                this.items.set(transfer.id, item);
            }
            const shown = presentTransfer(transfer, now, this.t, this.lang, (id) => this.files.url(id));
            item.item.dataset.state = transfer.state;
            item.item.dataset.reason = transfer.reason;
            const title = /** @type {HTMLElement} */ (item.item.firstChild);
            if (title.textContent !== shown.title) title.textContent = shown.title;
            item.bar.hidden = shown.fill === null;
            if (shown.fill !== null) item.bar.value = Math.min(1, shown.fill);
            if (item.text.textContent !== shown.text) item.text.textContent = shown.text;
            item.item.classList.toggle("files-problem", ["refused", "failed"].includes(transfer.state));
            item.cancel.hidden = !shown.cancellable || !this.available;
            // The server keeps a file only while the session lasts.
            item.link.hidden = shown.link === "" || !this.available;
            if (shown.link) {
                item.link.href = shown.link;
                item.link.setAttribute("download", transfer.name);
            }
        }
    }
}
