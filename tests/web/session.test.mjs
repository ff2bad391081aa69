import assert from "node:assert/strict";
import { test } from "node:test";

import {
    MAX_RECONNECT_ATTEMPTS, reconnectDelay, ViewerSession, webSocketUrl,
} from "../../web/viewer/session.js";
import { fixture } from "./fixtures.mjs";

/** A WebSocket that records what the session sends; the test plays the server. */
class FakeSocket {
    constructor(url) {
        this.url = url;
        this.readyState = 0;
        this.sent = [];
        this.closedWith = null;
        this.onopen = this.onmessage = this.onclose = this.onerror = null;
    }
    send(text) { this.sent.push(JSON.parse(text)); }
    close(code) { this.closedWith = code; this.readyState = 3; }
    // --- the server's side ---
    open() { this.readyState = 1; this.onopen?.({}); }
    say(message) { this.onmessage?.({ data: JSON.stringify(message) }); }
    frame(data) { this.onmessage?.({ data }); }
    drop(code) { this.readyState = 3; this.onclose?.({ code }); }
    types() { return this.sent.map((m) => m.type); }
}

/** Timers the test runs by hand. */
class FakeTimers {
    constructor() { this.waiting = []; }
    setTimeout = (callback, delay) => { this.waiting.push({ callback, delay }); return this.waiting.length; };
    clearTimeout = () => { this.waiting = []; };
    runNext() { const next = this.waiting.shift(); next.callback(); return next.delay; }
}

/** A display that paints at once and remembers. */
class FakeDisplay {
    constructor() { this.width = 0; this.height = 0; this.frames = []; this.fail = false; }
    resize(width, height) {
        const changed = width !== this.width || height !== this.height;
        this.width = width; this.height = height;
        return changed;
    }
    receiveFrame(frame) {
        this.frames.push(frame.frame_id);
        return this.fail ? Promise.reject(new Error("could not paint")) : Promise.resolve();
    }
}

function started(options = {}) {
    const sockets = [];
    const timers = new FakeTimers();
    const display = new FakeDisplay();
    const views = [];
    const session = new ViewerSession({
        url: "ws://127.0.0.1/ws/viewer/s1", display, timers,
        openSocket: (url) => { const s = new FakeSocket(url); sockets.push(s); return s; },
        onChange: (view) => views.push(view),
        ...options,
    });
    session.start();
    return { session, sockets, timers, display, views, socket: () => sockets.at(-1) };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

test("says hello first, as a viewer of protocol 1", () => {
    const { sockets } = started();
    sockets[0].open();
    assert.deepEqual(sockets[0].sent, [{ type: "hello", protocol: 1, role: "viewer" }]);
});

test("state messages make the view", () => {
    const { session, socket } = started();
    socket().open();
    socket().say({ type: "state", state: "waiting_for_person", code_expires_at: 1700000600.5 });
    assert.equal(session.view.state, "waiting_for_person");
    assert.equal(session.view.connection, "open");
    assert.equal(session.view.codeExpiresAt, 1700000600.5);
    socket().say({ type: "state", state: "viewing", person_hostname: "pc-42", person_user: "alice" });
    assert.deepEqual([session.view.personUser, session.view.personHostname], ["alice", "pc-42"]);
    assert.equal(session.view.codeExpiresAt, 1700000600.5); // 0 means "used", not "unknown"
});

test("every painted frame is acknowledged, after painting", async () => {
    const { socket, display } = started();
    socket().open();
    socket().say({ type: "state", state: "viewing" });
    socket().say({ type: "screen", width: 32, height: 16 });
    socket().frame(fixture("solid").data);
    socket().frame(fixture("multi").data);
    await settle();
    assert.deepEqual(display.frames, [1, 0xFFFFFFFE]);
    assert.deepEqual(socket().sent.filter((m) => m.type === "frame_ack").map((m) => m.frame_id),
        [1, 0xFFFFFFFE]);
});

test("a frame that could not be painted gives its credit back and asks for a keyframe", async () => {
    const { socket, display } = started();
    socket().open();
    socket().say({ type: "screen", width: 32, height: 16 });
    display.fail = true;
    socket().frame(fixture("solid").data);
    await settle();
    assert.deepEqual(socket().types(), ["hello", "keyframe_request", "frame_ack"]);
});

test("a malformed frame is refused and asks for a keyframe, at most once a second", () => {
    let now = 10_000;
    const { socket, display } = started({ now: () => now });
    socket().open();
    socket().frame(fixture("truncated").data);
    socket().frame(fixture("unknown_encoding").data);
    now += 1500;
    socket().frame(fixture("trailing").data);
    assert.deepEqual(display.frames, []);
    assert.deepEqual(socket().types(), ["hello", "keyframe_request", "keyframe_request"]);
});

test("joining while sharing asks for a keyframe, once per connection", () => {
    const { socket } = started();
    socket().open();
    socket().say({ type: "state", state: "viewing" });
    socket().say({ type: "state", state: "control_requested" });
    assert.deepEqual(socket().types(), ["hello", "keyframe_request"]);
});

test("a resize followed by a partial frame asks for a keyframe", async () => {
    const { socket } = started();
    socket().open();
    socket().say({ type: "state", state: "waiting_for_consent" });
    socket().say({ type: "screen", width: 32, height: 16 });
    socket().frame(fixture("solid").data); // a keyframe: nothing to ask
    socket().say({ type: "screen", width: 32, height: 16 }); // same size: nothing
    socket().frame(fixture("multi").data);
    socket().say({ type: "screen", width: 64, height: 16 });
    socket().frame(fixture("multi").data); // not a keyframe after a resize
    await settle();
    assert.deepEqual(socket().types().filter((t) => t !== "frame_ack"), ["hello", "keyframe_request"]);
});

test("without a Screen message, a keyframe sizes the canvas", () => {
    const { socket, display } = started();
    socket().open();
    socket().frame(fixture("png").data);
    assert.deepEqual([display.width, display.height], [32, 16]);
});

test("resuming after a pause asks for a keyframe", () => {
    const { socket } = started();
    socket().open();
    socket().say({ type: "state", state: "viewing" });
    socket().say({ type: "state", state: "viewing", paused: true });
    socket().say({ type: "state", state: "viewing", paused: false });
    assert.deepEqual(socket().types(), ["hello", "keyframe_request", "keyframe_request"]);
});

test("input flows only while controlling and not paused", () => {
    const { session, socket } = started();
    socket().open();
    const key = { type: "key", code: "KeyA", key: "a", down: true };
    for (const [state, paused, flows] of [
        ["waiting_for_consent", false, false], ["viewing", false, false],
        ["control_requested", false, false], ["controlling", true, false],
        ["controlling", false, true],
    ]) {
        socket().say({ type: "state", state, paused });
        assert.equal(session.sendInput(key), flows, `${state} paused=${paused}`);
    }
    assert.equal(socket().sent.filter((m) => m.type === "key").length, 1);
});

test("the technician's buttons send their messages", () => {
    const { session, socket } = started();
    socket().open();
    socket().say({ type: "state", state: "viewing" });
    session.requestControl();
    session.releaseControl();
    session.end();
    assert.deepEqual(socket().types().slice(-3), ["request_control", "release_control", "end"]);
});

test("an ended session says how, and does not reconnect", () => {
    const { session, socket, sockets, timers } = started();
    socket().open();
    socket().say({ type: "state", state: "viewing" });
    socket().say({ type: "ended", by: "person", reason: 4001 });
    socket().drop(1000);
    assert.deepEqual(session.view.ended, { by: "person", reason: 4001 });
    assert.equal(session.view.connection, "closed");
    assert.equal(timers.waiting.length, 0);
    assert.equal(sockets.length, 1);
    assert.equal(session.sendInput({ type: "pointer", x: 1, y: 1, buttons: 0 }), false);
});

test("a close the server means (40xx) is final", () => {
    for (const code of [4030, 4031, 4032, 4500]) {
        const { session, socket, timers } = started();
        socket().open();
        socket().say({ type: "state", state: "viewing" });
        socket().drop(code);
        assert.equal(session.view.closeCode, code);
        assert.equal(session.view.connection, "closed");
        assert.equal(timers.waiting.length, 0, `close ${code}`);
    }
});

test("a viewer another technician replaced learns who, and does not reconnect", () => {
    const { session, socket, timers } = started();
    socket().open();
    socket().say({ type: "state", state: "controlling", controller_id: 7 });
    socket().say({ type: "watching",
        technicians: [{ id: 9, name: "Bob Durand", organisation: "Entraide" }] });
    socket().drop(4033);
    assert.deepEqual(session.view.watching, ["Bob Durand"]);
    assert.equal(session.view.closeCode, 4033);
    assert.equal(session.inputAllowed, false);
    assert.equal(timers.waiting.length, 0);
});

test("an abnormal close reconnects with backoff, bounded", () => {
    const { session, sockets, timers, socket } = started();
    socket().open();
    socket().say({ type: "state", state: "controlling" });
    socket().drop(1006);
    assert.equal(session.view.connection, "reconnecting");
    assert.equal(session.inputAllowed, false);
    const delays = [];
    for (let i = 0; i < MAX_RECONNECT_ATTEMPTS + 5 && timers.waiting.length > 0; i += 1) {
        delays.push(timers.runNext());
        socket().drop(1006); // the server is still unreachable
    }
    assert.deepEqual(delays.slice(0, 6), [1000, 2000, 4000, 8000, 10000, 10000]);
    assert.equal(delays.length, MAX_RECONNECT_ATTEMPTS);
    assert.equal(sockets.length, MAX_RECONNECT_ATTEMPTS + 1);
    assert.equal(session.view.connection, "gave_up");
});

test("back after a drop: hello, keyframe request, and the backoff starts over", async () => {
    const { session, sockets, timers, socket } = started();
    socket().open();
    socket().say({ type: "state", state: "viewing" });
    socket().drop(1006);
    timers.runNext();
    socket().drop(1006);
    timers.runNext();
    socket().open();
    socket().say({ type: "state", state: "viewing" });
    assert.equal(session.view.connection, "open");
    assert.deepEqual(socket().types(), ["hello", "keyframe_request"]);
    socket().drop(1001);
    assert.equal(timers.runNext(), 1000);
    assert.equal(sockets.length, 4);
});

test("a frame painted after its connection dropped is not acknowledged on the next", async () => {
    const { socket, sockets, timers, display } = started();
    socket().open();
    socket().say({ type: "state", state: "viewing" });
    let paint;
    display.receiveFrame = () => new Promise((resolve) => { paint = resolve; });
    socket().frame(fixture("solid").data);
    socket().drop(1006);
    timers.runNext();
    socket().open();
    paint();
    await settle();
    assert.deepEqual(sockets[1].types(), ["hello"]);
});

test("reconnect delays: 1 s, 2 s, 4 s… at most 10 s", () => {
    assert.deepEqual([0, 1, 2, 3, 4, 50].map(reconnectDelay), [1000, 2000, 4000, 8000, 10000, 10000]);
});

test("the page's path becomes a ws:// or wss:// URL", () => {
    assert.equal(webSocketUrl("/ws/viewer/abc", "http://127.0.0.1:8080/sessions/abc"),
        "ws://127.0.0.1:8080/ws/viewer/abc");
    assert.equal(webSocketUrl("/ws/viewer/abc", "https://help.example.org/sessions/abc"),
        "wss://help.example.org/ws/viewer/abc");
});

test("chat lines are sent trimmed and shown once each, in order, across a replay", () => {
    const { session, socket } = started();
    socket().open();
    socket().say({ type: "state", state: "viewing" });
    assert.equal(session.sendChat("   "), false);
    assert.equal(session.sendChat("x".repeat(2001)), false);
    assert.equal(session.sendChat("  Bonjour  "), true);
    assert.deepEqual(socket().sent.at(-1), { type: "chat", text: "Bonjour" });
    const line = (id, author, text) =>
        ({ type: "chat_message", id, at: 1700000000 + id, author, name: "n", text });
    socket().say(line(2, "person", "second"));
    socket().say(line(1, "technician", "Bonjour"));
    socket().say(line(2, "person", "second"));  // a reconnect replays the transcript
    assert.deepEqual(session.view.chat.map((l) => [l.id, l.text]), [[1, "Bonjour"], [2, "second"]]);
});

test("announcements and steps go out trimmed, come back numbered, and the answer is kept", () => {
    const { session, socket } = started();
    socket().open();
    socket().say({ type: "state", state: "viewing" });
    assert.equal(session.announce("restart", "   "), false);
    assert.equal(session.announce("restart", "x".repeat(301)), false);
    assert.equal(session.announce("restart", " I will restart "), true);
    assert.deepEqual(socket().sent.at(-1), { type: "announce", kind: "restart", text: "I will restart" });
    assert.equal(session.sendStep(" Checking "), true);
    assert.deepEqual(socket().sent.at(-1), { type: "step", text: "Checking" });
    const asked = { type: "announcement", id: 1, at: 1700000000, kind: "restart",
        text: "I will restart", name: "Alice", asks: true };
    socket().say({ type: "step_message", id: 2, at: 1700000001, name: "Alice", text: "Checking" });
    socket().say(asked);
    socket().say(asked);  // a reconnect replays the timeline
    socket().say({ type: "action_answer", id: 1, answer: "not_now" });
    assert.deepEqual(session.view.timeline.map((e) => [e.id, e.kind, e.text, e.asks, e.answer]),
        [[1, "restart", "I will restart", true, "not_now"], [2, "step", "Checking", false, ""]]);
});

test("the clipboard crosses only under control, and each copy counts", () => {
    const { session, socket } = started();
    socket().open();
    socket().say({ type: "state", state: "viewing" });
    assert.equal(session.sendClipboard("nope"), false);
    socket().say({ type: "state", state: "controlling" });
    assert.equal(session.sendClipboard("yes"), true);
    assert.deepEqual(socket().sent.at(-1), { type: "clipboard", text: "yes" });
    socket().say({ type: "clipboard", text: "same" });
    socket().say({ type: "clipboard", text: "same" });
    assert.deepEqual(session.view.clipboard, { text: "same", count: 2 });
});

test("the screen's monitors reach the view, and a monitor is chosen by its index", () => {
    const { session, socket } = started();
    socket().open();
    socket().say({ type: "state", state: "viewing" });
    socket().say({ type: "screen", width: 1024, height: 768, monitor: 1, monitors: [
        { x: 0, y: 0, width: 1280, height: 800, name: "LEFT", primary: true },
        { x: 1280, y: 0, width: 1024, height: 768, name: "RIGHT", primary: false },
        { x: "bad", y: 0, width: 1, height: 1 },
    ] });
    assert.deepEqual(session.view.monitors.map((m) => [m.x, m.width, m.name, m.primary]),
        [[0, 1280, "LEFT", true], [1280, 1024, "RIGHT", false]]);
    assert.equal(session.view.monitor, 1);
    assert.equal(session.selectMonitor(0), true);
    assert.equal(session.selectMonitor(-1), true);
    assert.equal(session.selectMonitor(2), false); // no such monitor: nothing leaves
    assert.deepEqual(socket().sent.filter((m) => m.type === "select_monitor"),
        [{ type: "select_monitor", monitor: 0 }, { type: "select_monitor", monitor: -1 }]);
});

test("a screen from an older agent lists no monitors and shows the whole desktop", () => {
    const { session, socket } = started();
    socket().open();
    socket().say({ type: "screen", width: 32, height: 16 });
    assert.deepEqual(session.view.monitors, []);
    assert.equal(session.view.monitor, -1);
});

test("cursor messages go to the cursor, unacknowledged, and a broken one asks nothing", async () => {
    const received = [];
    const { socket } = started({ cursor: { receive: (message) => received.push(message) } });
    socket().open();
    socket().say({ type: "state", state: "viewing" });
    const sentBefore = socket().sent.length;
    socket().frame(new Uint8Array([3, 0, 0, 10, 0, 20]).buffer);
    socket().frame(new Uint8Array([3, 0, 0]).buffer);
    await settle();
    assert.deepEqual(received, [{ kind: "position", x: 10, y: 20 }]);
    assert.equal(socket().sent.length, sentBefore);
});

test("the server restarts: the person's computer reconnects, then its picture comes back", async () => {
    const { session, socket, timers, display } = started();
    socket().open();
    socket().say({ type: "state", state: "controlling" });
    socket().drop(1006); // the server was killed
    timers.runNext();
    socket().open();
    // The restarted server: viewing (control is asked again), the agent not back yet.
    socket().say({ type: "state", state: "viewing" });
    socket().say({ type: "peer", role: "agent", connected: false });
    assert.equal(session.view.agentConnected, false);
    assert.equal(session.view.connection, "open");
    // The agent resumes: its keyframe paints again.
    socket().say({ type: "peer", role: "agent", connected: true });
    socket().say({ type: "state", state: "viewing" });
    socket().say({ type: "screen", width: 8, height: 8 });
    socket().frame(fixture("solid").data);
    await settle();
    assert.equal(session.view.agentConnected, true);
    assert.equal(display.frames.length, 1);
    assert.ok(socket().types().includes("frame_ack"));
});
