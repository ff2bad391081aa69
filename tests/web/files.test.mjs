import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import {
    FileTransfers, formatDuration, formatSize, newTransferId, presentTransfer, progressText,
    UPLOAD_PIECE_BYTES,
} from "../../web/viewer/files.js";
import { createTranslator } from "../../web/viewer/i18n.js";
import * as protocol from "../../web/viewer/protocol.js";

const catalog = (lang) => JSON.parse(readFileSync(
    new URL(`../../src/coupdemain/i18n/locales/${lang}/viewer.json`, import.meta.url), "utf-8"));
const en = createTranslator(catalog("en"));
const fr = createTranslator(catalog("fr"));
const NB = "\u00a0";

test("sizes, durations, speed and time left read naturally in both languages", () => {
    assert.equal(formatSize(999, en), "999 B");
    assert.equal(formatSize(1_500_000, en), "1.5 MB");
    assert.equal(formatSize(1_500_000, fr, "fr"), `1,5${NB}Mo`);
    assert.equal(formatSize(2_000_000_000, en), "2.0 GB");
    assert.equal(formatDuration(0.2, en), "1 s");
    assert.equal(formatDuration(150, en), "3 min");
    assert.equal(formatDuration(5400, en), "1.5 h");
    assert.equal(formatDuration(5400, fr, "fr"), `1,5${NB}h`);
    assert.equal(progressText(2_000_000, 10_000_000, { at: 0, done: 0 }, 2000, en),
        "2.0 MB of 10 MB · 1.0 MB/s · 8 s left");
    assert.equal(progressText(0, 10, null, 0, en), "0 B of 10 B");
});

test("transfer ids are 32 hex digits", () => {
    assert.match(newTransferId(), /^[0-9a-f]{32}$/);
    assert.equal(newTransferId((bytes) => bytes.fill(255)), "f".repeat(32));
});

/** A server that keeps what it is sent, and can drop the connection once. */
function fakeServer({ dropAt = -1 } = {}) {
    const server = { received: 0, calls: [], dropped: false };
    server.fetch = async (url, init = {}) => {
        server.calls.push(`${init.method ?? "GET"} ${url}`);
        if (url.endsWith("/upload")) {
            return { ok: true, status: 200, json: async () => ({ received: server.received }) };
        }
        const offset = Number(new URL(url, "http://x").searchParams.get("offset"));
        if (offset !== server.received) {
            return { ok: false, status: 409, json: async () => ({ error: "offset", received: server.received }) };
        }
        const size = init.body.size;
        if (!server.dropped && dropAt >= 0 && offset + size > dropAt) {
            server.dropped = true;
            server.received = dropAt; // what arrived before the drop
            throw new TypeError("Failed to fetch");
        }
        server.received += size;
        return { ok: true, status: 200, json: async () => ({ received: server.received }) };
    };
    return server;
}

function transfers(server, options = {}) {
    const sent = [];
    const files = new FileTransfers({
        sessionId: "s1", csrf: "tok", send: (message) => { sent.push(message); return true; },
        fetch: server.fetch, sleep: async () => {}, now: () => 0, ...options,
    });
    return { files, sent };
}

test("a file is offered, then uploaded in pieces once the server has the offer", async () => {
    const server = fakeServer();
    const { files, sent } = transfers(server);
    const blob = new Blob([new Uint8Array(UPLOAD_PIECE_BYTES + 10)]);
    blob.name = "notes.bin";
    const transfer = files.offer(Object.assign(blob, { name: "notes.bin" }));
    assert.deepEqual(sent, [protocol.fileOffer(transfer.id, "notes.bin", UPLOAD_PIECE_BYTES + 10)]);
    assert.deepEqual(server.calls, []);
    files.receive({ type: "file_status", id: transfer.id, state: "offered", by: "", reason: "" });
    await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(server.received, UPLOAD_PIECE_BYTES + 10);
    assert.deepEqual(server.calls, [
        `PUT /api/sessions/s1/files/${transfer.id}?offset=0`,
        `PUT /api/sessions/s1/files/${transfer.id}?offset=${UPLOAD_PIECE_BYTES}`,
    ]);
});

test("an upload cut by the network resumes from what the server holds", async () => {
    const server = fakeServer({ dropAt: 3_000_000 });
    const { files } = transfers(server);
    const blob = Object.assign(new Blob([new Uint8Array(UPLOAD_PIECE_BYTES)]), { name: "a.iso" });
    const transfer = files.offer(blob);
    files.receive({ type: "file_status", id: transfer.id, state: "offered", by: "", reason: "" });
    await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(server.received, UPLOAD_PIECE_BYTES);
    assert.deepEqual(server.calls.slice(1), [
        `GET /api/sessions/s1/files/${transfer.id}/upload`,
        `PUT /api/sessions/s1/files/${transfer.id}?offset=3000000`,
    ]);
});

test("a full disk on the server is a sentence, and the transfer is cancelled", async () => {
    const server = { fetch: async () => ({ ok: false, status: 507, json: async () => ({ error: "disk_full" }) }) };
    const { files, sent } = transfers(server);
    const transfer = files.offer(Object.assign(new Blob(["hello"]), { name: "a.txt" }));
    files.receive({ type: "file_status", id: transfer.id, state: "offered", by: "", reason: "" });
    await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(transfer.state, "failed");
    assert.deepEqual(sent.at(-1), protocol.fileCancel(transfer.id));
    const shown = presentTransfer(transfer, 0, en, "en", (id) => id);
    assert.equal(shown.text, "Failed: there is not enough disk space to store it.");
});

test("the settings refuse at once what the server would refuse", () => {
    const { files, sent } = transfers(fakeServer(), { maxBytes: 4, directions: "both" });
    const big = files.offer(Object.assign(new Blob(["hello"]), { name: "a.txt" }));
    assert.equal(sent.length, 0);
    assert.equal(presentTransfer(big, 0, en, "en", (id) => id).text,
        "Not sent: the file is larger than the server allows.");
    const { files: none } = transfers(fakeServer(), { directions: "to_technician" });
    assert.equal(none.offer(Object.assign(new Blob(["x"]), { name: "a" })).reason, "direction");
});

test("what the server says shows as sentences, and a file from the person as a link", () => {
    const { files } = transfers(fakeServer());
    const id = "f".repeat(32);
    files.receive({ type: "file_offer", id, name: "photo.jpg", size: 2_000_000, sha256: "",
        direction: "to_technician", sender: "bob" });
    let shown = presentTransfer(files.transfers.get(id), 0, en, "en", (x) => `/dl/${x}`);
    assert.equal(shown.title, "From bob: photo.jpg (2.0 MB)");
    files.receive({ type: "file_status", id, state: "sending", by: "", reason: "" });
    files.receive({ type: "file_progress", id, done: 500_000 });
    shown = presentTransfer(files.transfers.get(id), 0, en, "en", (x) => `/dl/${x}`);
    assert.equal(shown.fill, 0.25);
    files.receive({ type: "file_status", id, state: "ready", by: "", reason: "" });
    shown = presentTransfer(files.transfers.get(id), 0, fr, "fr", (x) => `/dl/${x}`);
    assert.equal(shown.link, `/dl/${id}`);
    assert.equal(shown.title, `De bob${NB}: photo.jpg (2,0${NB}Mo)`);

    const other = "e".repeat(32);
    files.receive({ type: "file_offer", id: other, name: "x.txt", size: 1, direction: "to_person", sender: "Alice" });
    files.receive({ type: "file_status", id: other, state: "refused", by: "person", reason: "declined" });
    assert.equal(presentTransfer(files.transfers.get(other), 0, en, "en", (x) => x).text,
        "The person refused this file.");
    files.receive({ type: "file_status", id: other, state: "refused", by: "server", reason: "name_path" });
    assert.match(presentTransfer(files.transfers.get(other), 0, en, "en", (x) => x).text,
        /^Not sent: its name contains a folder \(like \.\.\/\)/);
});

test("the viewer reads the file messages and sends its own", () => {
    const offer = protocol.parse(JSON.stringify({ type: "file_offer", id: "a", name: "n", size: 3 }));
    assert.equal(offer.direction, "");
    assert.throws(() => protocol.parse(JSON.stringify({ type: "file_progress", id: "a", done: 1.5 })));
    assert.equal(protocol.serialize(protocol.fileCancel("a")), '{"type":"file_cancel","id":"a"}');
});

test("after a reload, a file the page can no longer upload is cancelled; a complete one is kept", async () => {
    const server = fakeServer();
    server.received = 10;
    const { files, sent } = transfers(server);
    const id = "d".repeat(32);
    files.receive({ type: "file_offer", id, name: "half.bin", size: 20, direction: "to_person", sender: "Alice" });
    files.receive({ type: "file_status", id, state: "offered", by: "", reason: "" });
    await new Promise((resolve) => setTimeout(resolve, 10));
    assert.deepEqual(sent, [protocol.fileCancel(id)]);

    const done = "c".repeat(32);
    server.received = 20;
    files.receive({ type: "file_offer", id: done, name: "whole.bin", size: 20, direction: "to_person", sender: "Alice" });
    files.receive({ type: "file_status", id: done, state: "accepted", by: "", reason: "" });
    await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(sent.length, 1);
});

test("the page holds unsent files from its offer until the server has every byte", async () => {
    const server = fakeServer();
    const { files } = transfers(server);
    assert.equal(files.holdsUnsentFiles(), false);
    const blob = Object.assign(new Blob([new Uint8Array(UPLOAD_PIECE_BYTES + 10)]), { name: "a.bin" });
    const sending = files.offer(blob);
    assert.equal(files.holdsUnsentFiles(), true); // offered, not uploaded yet
    files.receive({ type: "file_status", id: sending.id, state: "offered", by: "", reason: "" });
    await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(server.received, UPLOAD_PIECE_BYTES + 10);
    assert.equal(files.holdsUnsentFiles(), false); // the server has it all, the person may still answer

    const dropped = files.offer(Object.assign(new Blob([new Uint8Array(10)]), { name: "b.bin" }));
    assert.equal(files.holdsUnsentFiles(), true);
    files.cancel(dropped.id);
    assert.equal(files.holdsUnsentFiles(), false);
    // One the server refuses at once holds nothing either.
    const { files: limited } = transfers(fakeServer(), { maxBytes: 5 });
    limited.offer(Object.assign(new Blob([new Uint8Array(10)]), { name: "c.bin" }));
    assert.equal(limited.holdsUnsentFiles(), false);
});
