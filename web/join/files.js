// Files both ways through the join page: the page plays the agent's part.
//
// The protocol is the agent's (docs/reference/protocol.md, "File transfer"):
// a file from the technician arrives as a file_offer; the person accepts or
// declines (file_answer); once accepted and on the server, a file_ticket
// gives the bytes' token, and the page downloads them with it, checks their
// SHA-256, then hands them to the browser's own download (nothing is written
// before the person's click on Accept) and says file_result. A file the
// person picks is hashed, offered with its SHA-256 (file_offer), and
// uploaded with its ticket in pieces at the offsets the server confirms.
//
// PageFiles holds the state and talks to the network (send, fetch, the
// hash and the save are injected: node tests drive it with fakes);
// share.js paints it.

import { formatSize, newTransferId, UPLOAD_PIECE_BYTES } from "../viewer/files.js";
import { MessageType } from "../viewer/wire.js";

export { formatSize };
const FINAL = new Set(["delivered", "refused", "cancelled", "failed"]);
const REASONS = new Set(["declined", "direction", "too_large", "too_many", "duplicate",
    "name_empty", "name_path", "name_reserved", "name_characters", "name_long", "checksum",
    "disk_full", "write_error", "read_error", "network", "session_ended"]);
const PROGRESS_EVERY_MS = 250;

/**
 * @typedef {{
 *   id: string, name: string, size: number, incoming: boolean, sender: string,
 *   state: string, by: string, reason: string, done: number,
 *   file: Blob | null,
 * }} PageTransfer
 */

/**
 * SHA-256 of some bytes, as 64 hex digits (the browser's Web Crypto).
 * @param {ArrayBuffer} bytes
 * @returns {Promise<string>}
 */
export async function sha256Hex(bytes) {
    const digest = await globalThis.crypto.subtle.digest("SHA-256", bytes);
    return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * What the person reads of one transfer: its key and its parameters.
 * @param {PageTransfer} transfer
 * @returns {{key: string, params?: Record<string, string>}}
 */
export function describe(transfer) {
    const reason = REASONS.has(transfer.reason) ? transfer.reason : "";
    switch (transfer.state) {
        case "offered": return { key: "files.question" };
        case "accepted": return { key: "files.waiting" };
        case "hashing": return { key: "files.preparing" };
        case "sending": return { key: transfer.incoming ? "files.receiving" : "files.sending" };
        case "ready": return { key: "files.sent" };
        case "delivered": return { key: "files.saved" };
        case "refused":
            if (transfer.by === "person") return { key: "files.declined" };
            return reason ? { key: "files.refused", params: { reason } } : { key: "files.stopped" };
        case "failed":
            return reason ? { key: "files.failed", params: { reason } } : { key: "files.stopped" };
        case "cancelled":
            return { key: transfer.by === "technician" ? "files.cancelled_technician" : "files.stopped" };
    }
    return { key: "files.waiting" };
}

/** The page's transfers, as the agent would hold them. */
export class PageFiles {
    /**
     * @param {{
     *   send: (message: {type: string, [field: string]: unknown}) => boolean,
     *   save: (blob: Blob, name: string) => void,
     *   fetch?: typeof fetch,
     *   hash?: (bytes: ArrayBuffer) => Promise<string>,
     *   now?: () => number,
     *   onChange?: () => void,
     * }} options  save: the browser's download of the checked bytes
     */
    constructor(options) {
        this.send = options.send;
        this.save = options.save;
        this.fetch = options.fetch ?? ((...args) => globalThis.fetch(...args));
        this.hash = options.hash ?? sha256Hex;
        this.now = options.now ?? Date.now;
        this.onChange = options.onChange ?? (() => {});
        this.sessionId = "";
        /** @type {Map<string, PageTransfer>} */
        this.transfers = new Map();
    }

    /**
     * @param {string} id
     * @param {string} [tail]
     */
    url(id, tail = "") {
        return `/api/sessions/${encodeURIComponent(this.sessionId)}/files/${id}${tail}`;
    }

    /**
     * file_offer, file_ticket or file_status from the server; others are not for this.
     * @param {{type: string, [field: string]: any}} message
     * @returns {Promise<void> | undefined}  a ticket's download or upload, until it ends
     */
    receive(message) {
        const transfer = this.transfers.get(String(message.id));
        switch (message.type) {
            case MessageType.FILE_OFFER:
                if (transfer !== undefined || message.direction !== "to_person") return;
                this.transfers.set(String(message.id), { id: String(message.id), name: String(message.name),
                    size: Number(message.size), incoming: true, sender: String(message.sender), state: "offered",
                    by: "", reason: "", done: 0, file: null });
                break;
            case MessageType.FILE_TICKET:
                if (transfer === undefined || FINAL.has(transfer.state)) return;
                transfer.state = "sending";
                this.onChange();
                return transfer.incoming ? this.download(transfer, String(message.token), String(message.sha256))
                    : this.upload(transfer, String(message.token));
            case MessageType.FILE_STATUS:
                if (transfer === undefined || FINAL.has(transfer.state)) return;
                // "accepted" and "sending" are what this page said or does already.
                if (message.state === "accepted" || message.state === "sending") return;
                Object.assign(transfer, { state: String(message.state), by: String(message.by ?? ""),
                    reason: String(message.reason ?? "") });
                if (FINAL.has(transfer.state)) transfer.file = null;
                break;
            default:
                return;
        }
        this.onChange();
    }

    /**
     * The person's answer to a file from the technician.
     * @param {string} id
     * @param {boolean} accept
     */
    answer(id, accept) {
        const transfer = this.transfers.get(id);
        if (transfer === undefined || transfer.state !== "offered") return;
        if (!this.send(accept ? { type: MessageType.FILE_ANSWER, id, accept: true }
            : { type: MessageType.FILE_ANSWER, id, accept: false, reason: "declined" })) return;
        Object.assign(transfer, accept ? { state: "accepted" } : { state: "refused", by: "person", reason: "declined" });
        this.onChange();
    }

    /**
     * The person picked a file to send: hashed, then offered with its SHA-256.
     * @param {Blob & {name: string}} file
     * @returns {Promise<PageTransfer>}
     */
    async offer(file) {
        const id = newTransferId();
        /** @type {PageTransfer} */
        const transfer = { id, name: String(file.name), size: file.size, incoming: false, sender: "",
            state: "hashing", by: "", reason: "", done: 0, file };
        this.transfers.set(id, transfer);
        this.onChange();
        let sha256;
        try {
            sha256 = await this.hash(await file.arrayBuffer());
        } catch {
            Object.assign(transfer, { state: "failed", by: "person", reason: "read_error", file: null });
            this.onChange();
            return transfer;
        }
        if (FINAL.has(transfer.state)) return transfer;
        if (!this.send({ type: MessageType.FILE_OFFER, id, name: transfer.name, size: transfer.size, sha256 })) {
            Object.assign(transfer, { state: "failed", by: "person", reason: "network", file: null });
        }
        this.onChange();
        return transfer;
    }

    /**
     * Stops a transfer not over yet; the server tells both sides.
     * @param {string} id
     */
    cancel(id) {
        const transfer = this.transfers.get(id);
        if (transfer === undefined || FINAL.has(transfer.state)) return;
        this.send({ type: MessageType.FILE_CANCEL, id });
        Object.assign(transfer, { state: "cancelled", by: "person", file: null });
        this.onChange();
    }

    /**
     * @param {PageTransfer} transfer
     * @param {number} done
     * @param {{at: number}} last  when progress was last said
     */
    progress(transfer, done, last) {
        transfer.done = done;
        const now = this.now();
        if (done === transfer.size || now - last.at >= PROGRESS_EVERY_MS) {
            last.at = now;
            this.send({ type: MessageType.FILE_PROGRESS, id: transfer.id, done });
            this.onChange();
        }
    }

    /**
     * The bytes from the server, checked, then to the browser's download.
     * @param {PageTransfer} transfer
     * @param {string} token
     * @param {string} sha256  what the bytes must hash to
     */
    async download(transfer, token, sha256) {
        const last = { at: -Infinity };
        /** @type {Uint8Array[]} */
        const pieces = [];
        let done = 0;
        try {
            const response = await this.fetch(this.url(transfer.id), { headers: { Authorization: `Bearer ${token}` },
                cache: "no-store" });
            if (!response.ok || response.body === null) throw new Error(`HTTP ${response.status}`);
            const reader = response.body.getReader();
            for (;;) {
                const { done: over, value } = await reader.read();
                if (over) break;
                if (FINAL.has(transfer.state)) {
                    await reader.cancel();
                    return;
                }
                pieces.push(value);
                this.progress(transfer, done += value.length, last);
            }
        } catch {
            this.fail(transfer, "network");
            return;
        }
        if (FINAL.has(transfer.state)) return;
        const blob = new Blob(pieces);
        const actual = await this.hash(await blob.arrayBuffer());
        if (actual !== sha256 || done !== transfer.size) {
            this.fail(transfer, "checksum");
            return;
        }
        this.save(blob, transfer.name);
        this.send({ type: MessageType.FILE_RESULT, id: transfer.id, ok: true, sha256: actual });
    }

    /**
     * The person's file to the server, in pieces at the offsets it confirms.
     * @param {PageTransfer} transfer
     * @param {string} token
     */
    async upload(transfer, token) {
        const file = transfer.file;
        if (file === null) return;
        const last = { at: -Infinity };
        const headers = { Authorization: `Bearer ${token}` };
        let offset = 0;
        let failures = 0;
        while (offset < transfer.size || transfer.size === 0) {
            if (FINAL.has(transfer.state)) return;
            const piece = file.slice(offset, Math.min(transfer.size, offset + UPLOAD_PIECE_BYTES));
            let response;
            try {
                response = await this.fetch(`${this.url(transfer.id)}?offset=${offset}`,
                    { method: "PUT", headers, body: piece });
            } catch {
                response = null;
            }
            if (response !== null && response.ok) {
                offset = Number((await response.json()).received);
                failures = 0;
                this.progress(transfer, offset, last);
                if (transfer.size === 0) return;
                continue;
            }
            if (response !== null && response.status === 409) {
                const body = await response.json().catch(() => ({}));
                if (typeof body.received === "number") {
                    offset = body.received;  // the server holds more or less: resume from there
                    continue;
                }
                return;  // the transfer ended on the server; its file_status says why
            }
            failures += 1;
            if (failures >= 3 || (response !== null && response.status !== 409)) {
                this.fail(transfer, "network");
                return;
            }
        }
    }

    /**
     * @param {PageTransfer} transfer
     * @param {string} reason
     */
    fail(transfer, reason) {
        if (FINAL.has(transfer.state)) return;
        if (transfer.incoming) this.send({ type: MessageType.FILE_RESULT, id: transfer.id, ok: false, reason });
        else this.send({ type: MessageType.FILE_CANCEL, id: transfer.id });
        Object.assign(transfer, { state: "failed", by: "person", reason, file: null });
        this.onChange();
    }
}
