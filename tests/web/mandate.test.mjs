// The mandate in the viewer: session.js keeps what the server last said
// (mandate_state), refuses to ask for a tool outside it and asks for an
// extension; view.js says it in words and tells the page which controls to
// disable.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import { createTranslator } from "../../web/viewer/i18n.js";
import { ViewerSession } from "../../web/viewer/session.js";
import { endedSentence, present, presentMandate } from "../../web/viewer/view.js";

const catalog = (lang) => JSON.parse(readFileSync(
    new URL(`../../src/coupdemain/i18n/locales/${lang}/viewer.json`, import.meta.url), "utf-8"));
const en = createTranslator(catalog("en"));
const fr = createTranslator(catalog("fr"));

/** A WebSocket that records what the session sends; the test plays the server. */
class FakeSocket {
    constructor() {
        this.readyState = 0;
        this.sent = [];
        this.onopen = this.onmessage = this.onclose = this.onerror = null;
    }
    send(text) { this.sent.push(JSON.parse(text)); }
    close() { this.readyState = 3; }
    open() { this.readyState = 1; this.onopen?.({}); }
    say(message) { this.onmessage?.({ data: JSON.stringify(message) }); }
}

function started() {
    const socket = new FakeSocket();
    const session = new ViewerSession({
        url: "ws://127.0.0.1/ws/viewer/s1",
        display: { resize: () => false, receiveFrame: () => Promise.resolve() },
        openSocket: () => socket,
        timers: { setTimeout: () => 0, clearTimeout: () => {} },
    });
    session.start();
    socket.open();
    return { session, socket };
}

const NOW_MS = 1_800_000_000_000;
const NOW = NOW_MS / 1000;
const signed = (changes = {}) => ({ type: "mandate_state", sha256: "a".repeat(64), tools: ["view"],
    ends_at: NOW + 23 * 60, signed_by: "Jeanne Petit", ...changes });
const sent = (socket, type) => socket.sent.filter((m) => m.type === type);

test("no mandate: every tool may be asked for, and the page shows no mandate", () => {
    const { session, socket } = started();
    socket.say({ type: "state", state: "viewing" });
    assert.equal(session.view.mandate, null);
    assert.equal(session.requestControl(), true);
    const shown = presentMandate(session.view, en, NOW_MS);
    assert.equal(shown.shown, false);
    assert.deepEqual(shown.allowed, { control: true, filesToPerson: true, clipboard: true, diagnostics: true });
});

test("mandate_state makes the view's mandate, unsigned first", () => {
    const { session, socket } = started();
    socket.say({ type: "state", state: "waiting_for_consent" });
    socket.say({ type: "mandate_state", sha256: "b".repeat(64), tools: ["view", "control"], ends_at: 0 });
    assert.deepEqual(session.view.mandate, { sha256: "b".repeat(64), tools: ["view", "control"], endsAt: 0,
        signedBy: "", warning: false, extensionRefused: false, extensionAsked: false });
    assert.equal(present(session.view, en, { hasCode: true }).status, "Waiting for the person to sign the mandate");
    assert.equal(present(session.view, fr, { hasCode: true }).status,
        "En attente de la signature du mandat par la personne");
    const shown = presentMandate(session.view, en, NOW_MS);
    assert.equal(shown.heading, "Not signed yet");
    assert.equal(shown.timeLeft, "");
    // Unsigned, nothing is allowed yet, not even what it will allow.
    assert.equal(shown.allowed.control, false);
    assert.equal(shown.canExtend, false);
    assert.equal(session.requestControl(), false);
    assert.equal(session.extendMandate(10, []), false);
    assert.deepEqual(sent(socket, "request_control"), []);
});

test("signed: who, the tools and the minutes left, in words", () => {
    const { session, socket } = started();
    socket.say({ type: "state", state: "viewing" });
    socket.say(signed({ tools: ["view", "control", "diagnostics"] }));
    const shown = presentMandate(session.view, en, NOW_MS);
    assert.equal(shown.heading, "Signed by Jeanne Petit");
    assert.equal(shown.tools, "Allowed: viewing the screen, control, diagnostics");
    assert.equal(shown.timeLeft, "23 min left");
    assert.equal(shown.warning, "");
    assert.deepEqual(shown.addable, ["files_to_person", "files_to_technician", "clipboard", "recording"]);
    assert.deepEqual(shown.allowed, { control: true, filesToPerson: false, clipboard: false, diagnostics: true });
    const french = presentMandate(session.view, fr, NOW_MS);
    assert.equal(french.heading, "Signé par Jeanne Petit");
    assert.equal(french.tools, "Autorisé : voir l'écran, prise en main, diagnostic");
    assert.equal(french.timeLeft, "Reste 23 min");
    // A part of a minute counts as a minute; the last one is said apart.
    assert.equal(presentMandate(session.view, en, NOW_MS + 30_000).timeLeft, "23 min left");
    assert.equal(presentMandate(session.view, en, NOW_MS + (23 * 60 - 20) * 1000).timeLeft,
        "Less than a minute left");
});

test("a tool outside the mandate is not even asked for", () => {
    const { session, socket } = started();
    socket.say({ type: "state", state: "controlling" });
    socket.say(signed({ tools: ["view", "control"] }));
    assert.equal(session.requestDiagnostics(), false);
    assert.equal(session.sendClipboard("secret"), false);
    assert.equal(session.requestControl(), true);
    assert.deepEqual(socket.sent.map((m) => m.type).filter((type) => !["hello", "keyframe_request"].includes(type)),
        ["request_control"]);
    assert.equal(session.view.diagnostics.status, "idle");
});

test("the warning: from the server's flag, or five minutes before the end by the page's clock", () => {
    const { session, socket } = started();
    socket.say({ type: "state", state: "viewing" });
    socket.say(signed({ ends_at: NOW + 20 * 60 }));
    assert.equal(presentMandate(session.view, en, NOW_MS).warning, "");
    socket.say(signed({ ends_at: NOW + 20 * 60, warning: true }));
    assert.equal(presentMandate(session.view, en, NOW_MS).warning,
        "The mandate ends in 5 minutes — extend it or finish");
    assert.equal(presentMandate(session.view, fr, NOW_MS).warning,
        "Le mandat se termine dans 5 minutes — prolongez-le ou terminez");
    socket.say(signed({ ends_at: NOW + 5 * 60 }));
    assert.equal(presentMandate(session.view, en, NOW_MS).warning,
        "The mandate ends in 5 minutes — extend it or finish");
    assert.equal(presentMandate(session.view, en, NOW_MS).timeLeft, "5 min left");
});

test("an extension: asked once, refused in words, kept refused through a later warning", () => {
    const { session, socket } = started();
    socket.say({ type: "state", state: "viewing" });
    socket.say(signed({ tools: ["view"] }));
    // Nothing more to ask, or a tool already there, or one that does not exist: nothing sent.
    assert.equal(session.extendMandate(0, []), false);
    assert.equal(session.extendMandate(0, ["view", "juggling"]), false);
    assert.equal(session.extendMandate(15, ["control", "control", "view"]), true);
    assert.deepEqual(sent(socket, "mandate_extend"), [{ type: "mandate_extend", minutes: 15, tools: ["control"] }]);
    let shown = presentMandate(session.view, en, NOW_MS);
    assert.equal(shown.answer, "Waiting for the person to sign the extension…");
    assert.equal(shown.canExtend, false);
    assert.equal(session.extendMandate(5, []), true, "the technician may ask again; the server decides");

    socket.say(signed({ tools: ["view"], extension_refused: true }));
    shown = presentMandate(session.view, en, NOW_MS);
    assert.equal(shown.answer, "The person did not agree to the extension");
    assert.equal(presentMandate(session.view, fr, NOW_MS).answer, "La personne n'a pas accepté la prolongation");
    assert.equal(shown.canExtend, true);
    assert.equal(shown.allowed.control, false);
    socket.say(signed({ tools: ["view"], warning: true }));
    assert.equal(presentMandate(session.view, en, NOW_MS).answer, "The person did not agree to the extension");

    // Asked again and signed: a new text (sha256), the tool allowed, nothing to say.
    assert.equal(session.extendMandate(10, ["control"]), true);
    assert.equal(presentMandate(session.view, en, NOW_MS).answer, "Waiting for the person to sign the extension…");
    socket.say(signed({ sha256: "c".repeat(64), tools: ["view", "control"], ends_at: NOW + 33 * 60 }));
    shown = presentMandate(session.view, en, NOW_MS);
    assert.equal(shown.answer, "");
    assert.equal(shown.timeLeft, "33 min left");
    assert.equal(shown.allowed.control, true);
});

test("a mandate refused or run out ends the session in words", () => {
    assert.equal(endedSentence({ by: "person", reason: 4004 }, en),
        "The person did not sign the mandate; nothing was shared.");
    assert.equal(endedSentence({ by: "server", reason: 4005 }, en),
        "The mandate's time ran out; the session ended by itself.");
    assert.notEqual(endedSentence({ by: "server", reason: 4005 }, fr), "ended.4005");
    const { session, socket } = started();
    socket.say({ type: "state", state: "viewing" });
    socket.say(signed());
    socket.say({ type: "ended", by: "server", reason: 4005 });
    assert.equal(presentMandate(session.view, en, NOW_MS).shown, false);
});

test("the mandate's end is read on this computer's clock, whatever the server's says", () => {
    const { session, socket } = started();
    socket.say({ type: "state", state: "viewing" });
    // The server's clock is ten minutes ahead of this one: its 30 minutes left stay 30 here.
    const here = Date.now() / 1000;
    socket.say(signed({ now: here + 600, ends_at: here + 600 + 30 * 60 }));
    assert.ok(Math.abs(session.view.mandate.endsAt - (here + 30 * 60)) < 5);
    // A server that does not say its time: the end as it is.
    socket.say(signed({ ends_at: NOW + 60 }));
    assert.equal(session.view.mandate.endsAt, NOW + 60);
});
