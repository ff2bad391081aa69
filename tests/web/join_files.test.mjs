// The join page's files (web/join/files.js): the page plays the agent's part.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";

import { describe, PageFiles, sha256Hex } from "../../web/join/files.js";

const ID = "a".repeat(32);
const hex = (bytes) => createHash("sha256").update(bytes).digest("hex");

function page(fetch) {
    const sent = [];
    const saved = [];
    const files = new PageFiles({ send: (message) => { sent.push(message); return true; },
        save: (blob, name) => saved.push({ blob, name }), fetch, now: () => 0 });
    files.sessionId = "s1";
    return { files, sent, saved };
}

function body(bytes) {
    return new Response(bytes).body;
}

test("the hash is SHA-256 in hex", async () => {
    assert.equal(await sha256Hex(new TextEncoder().encode("abc").buffer), hex("abc"));
});

test("a file from the technician is saved only after Accept, checked, and said delivered", async () => {
    const bytes = new TextEncoder().encode("bonjour");
    const calls = [];
    const { files, sent, saved } = page(async (url, init) => {
        calls.push({ url, auth: init.headers.Authorization });
        return { ok: true, status: 200, body: body(bytes) };
    });
    files.receive({ type: "file_offer", id: ID, name: "notes.txt", size: 7, direction: "to_person", sender: "Alice" });
    assert.deepEqual(describe(files.transfers.get(ID)), { key: "files.question" });
    assert.deepEqual(sent, []);
    files.answer(ID, true);
    assert.deepEqual(sent, [{ type: "file_answer", id: ID, accept: true }]);
    files.receive({ type: "file_status", id: ID, state: "accepted" });
    await files.receive({ type: "file_ticket", id: ID, token: "tok", sha256: hex(bytes) });
    assert.deepEqual(calls, [{ url: `/api/sessions/s1/files/${ID}`, auth: "Bearer tok" }]);
    assert.equal(saved.length, 1);
    assert.equal(saved[0].name, "notes.txt");
    assert.equal(await saved[0].blob.text(), "bonjour");
    assert.deepEqual(sent.slice(1), [{ type: "file_progress", id: ID, done: 7 },
        { type: "file_result", id: ID, ok: true, sha256: hex(bytes) }]);
    files.receive({ type: "file_status", id: ID, state: "delivered", by: "person" });
    assert.deepEqual(describe(files.transfers.get(ID)), { key: "files.saved" });
});

test("bytes that do not match their SHA-256 are never saved", async () => {
    const { files, sent, saved } = page(async () => ({ ok: true, status: 200, body: body(new Uint8Array([1, 2])) }));
    files.receive({ type: "file_offer", id: ID, name: "x.bin", size: 2, direction: "to_person", sender: "Alice" });
    files.answer(ID, true);
    await files.receive({ type: "file_ticket", id: ID, token: "tok", sha256: "0".repeat(64) });
    assert.deepEqual(saved, []);
    assert.deepEqual(sent.at(-1), { type: "file_result", id: ID, ok: false, reason: "checksum" });
    assert.deepEqual(describe(files.transfers.get(ID)), { key: "files.failed", params: { reason: "checksum" } });
});

test("declining says so to the server and to the person", () => {
    const { files, sent } = page(async () => assert.fail("nothing is fetched"));
    files.receive({ type: "file_offer", id: ID, name: "x.bin", size: 2, direction: "to_person", sender: "Alice" });
    files.answer(ID, false);
    assert.deepEqual(sent, [{ type: "file_answer", id: ID, accept: false, reason: "declined" }]);
    assert.deepEqual(describe(files.transfers.get(ID)), { key: "files.declined" });
});

test("a file the person picks is offered with its SHA-256, then uploaded at the offsets the server says", async () => {
    const puts = [];
    const { files, sent } = page(async (url, init) => {
        puts.push({ url, method: init.method, auth: init.headers.Authorization, text: await init.body.text() });
        return { ok: true, status: 200, json: async () => ({ received: 5, size: 5 }) };
    });
    const transfer = await files.offer(new File(["hello"], "photo.png"));
    assert.equal(sent[0].type, "file_offer");
    assert.deepEqual({ ...sent[0], id: "" }, { type: "file_offer", id: "", name: "photo.png", size: 5, sha256: hex("hello") });
    files.receive({ type: "file_status", id: transfer.id, state: "sending" });
    await files.receive({ type: "file_ticket", id: transfer.id, token: "tok", sha256: hex("hello") });
    assert.deepEqual(puts, [{ url: `/api/sessions/s1/files/${transfer.id}?offset=0`, method: "PUT",
        auth: "Bearer tok", text: "hello" }]);
    files.receive({ type: "file_status", id: transfer.id, state: "ready" });
    assert.deepEqual(describe(transfer), { key: "files.sent" });
});

test("a refusal by the server is said with its reason", async () => {
    const { files } = page(async () => assert.fail("nothing is sent"));
    const transfer = await files.offer(new File(["x"], "big.iso"));
    files.receive({ type: "file_status", id: transfer.id, state: "refused", by: "server", reason: "too_large" });
    assert.deepEqual(describe(transfer), { key: "files.refused", params: { reason: "too_large" } });
});
