import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import { createTranslator } from "../../web/viewer/i18n.js";
import {
    closeSentence, endedSentence, formatCode, formatCountdown, monitorChoices, present, secondsLeft,
    statusKey,
} from "../../web/viewer/view.js";

const catalog = (lang) => JSON.parse(readFileSync(
    new URL(`../../src/coupdemain/i18n/locales/${lang}/viewer.json`, import.meta.url), "utf-8"));
const en = createTranslator(catalog("en"));
const fr = createTranslator(catalog("fr"));

const base = {
    connection: "open", state: null, paused: false, personHostname: "", personUser: "",
    codeExpiresAt: 0, ended: null, closeCode: null,
};
const view = (changes) => ({ ...base, ...changes });
const page = { hasCode: true };

test("one status sentence per state, word for word", () => {
    const cases = [
        [{ state: "waiting_for_person" }, "Give the person this code. It works once, for 10 minutes."],
        [{ state: "waiting_for_consent" }, "Waiting for the person to allow viewing…"],
        [{ state: "viewing" }, "View only"],
        [{ state: "control_requested" }, "Waiting for the person to allow control…"],
        [{ state: "controlling" }, "You have control"],
        [{ state: "controlling", paused: true }, "The person paused screen sharing."],
        [{ state: "viewing", connection: "reconnecting" }, "Connection to the server lost. Reconnecting…"],
        [{ state: null, connection: "connecting" }, "Connecting to the server…"],
    ];
    for (const [changes, sentence] of cases) {
        assert.equal(present(view(changes), en, page).status, sentence, JSON.stringify(changes));
    }
});

test("every status has a sentence in English and in French", () => {
    const states = ["waiting_for_person", "waiting_for_consent", "viewing", "control_requested",
        "controlling", "ended"];
    const connections = ["connecting", "open", "reconnecting", "closed", "gave_up"];
    for (const t of [en, fr]) {
        for (const state of [null, ...states]) {
            for (const connection of connections) {
                for (const paused of [false, true]) {
                    const key = statusKey(view({ state, connection, paused }));
                    assert.notEqual(t(key), key, `${key} is missing`);
                }
            }
        }
        assert.notEqual(t("status.disconnected"), "status.disconnected");
    }
});

test("endings in words", () => {
    const cases = [
        [{ by: "person", reason: 4002 }, "The person declined."],
        [{ by: "person", reason: 4003 }, "The person reported a problem and ended the session "
            + "before sharing anything. Your organisation's administrators will see the report."],
        [{ by: "person", reason: 4001 }, "The person ended the session."],
        [{ by: "technician", reason: 4000 }, "You ended the session."],
        [{ by: "server", reason: 4040 }, "The person's computer disconnected. The session has ended."],
        [{ by: "server", reason: 4011 }, "The code expired before the person used it."],
        [{ by: "server", reason: 4041 }, "The server ended the session (reason 4041)."],
        [{ by: "server", reason: 4042 }, "The server ended the session (reason 4042)."],
        [{ by: "server", reason: 4500 }, "The server ended the session (reason 4500)."],
        [{ by: "person", reason: 4999 }, "The person's side ended the session (reason 4999)."],
        [{ by: "someone", reason: 1000 }, "The server ended the session (reason 1000)."],
    ];
    for (const [ended, sentence] of cases) {
        assert.equal(endedSentence(ended, en), sentence);
    }
    assert.equal(endedSentence({ by: "person", reason: 4002 }, fr), "La personne a refusé.");
});

test("closes in words", () => {
    assert.equal(closeSentence(4032, en), "This session was opened in another tab.");
    assert.equal(closeSentence(4030, en),
        "You are no longer signed in. Sign in again, then open the session from the console.");
    assert.equal(closeSentence(4031, en), "This session does not exist, or you may not open it.");
    assert.equal(closeSentence(4023, en), "The server closed the connection (code 4023).");
});

test("a technician replaced by another is told who, in both languages", () => {
    assert.equal(closeSentence(4033, en, ["Bob Durand"]),
        "Bob Durand opened this session from their console. They see the person's screen now; " +
        "you no longer do.");
    assert.equal(closeSentence(4033, fr, ["Bob Durand"]),
        "Bob Durand a ouvert cette session depuis sa console. Cette personne voit maintenant " +
        "l'écran ; vous ne le voyez plus.");
    assert.equal(closeSentence(4033, en),
        "Another technician opened this session from their console. You no longer see the " +
        "person's screen.");
    const shown = present(view({ state: "controlling", closeCode: 4033, watching: ["Bob Durand"] }),
        en, page);
    assert.equal(shown.finalSentence.startsWith("Bob Durand opened this session"), true);
    assert.equal(shown.canReleaseControl, false);
});

test("the buttons are offered only when they mean something", () => {
    const offered = (changes) => {
        const shown = present(view(changes), en, page);
        return [shown.canRequestControl, shown.canReleaseControl, shown.canEnd]
            .map((on, i) => (on ? ["request", "release", "end"][i] : "")).filter(Boolean).join(" ");
    };
    assert.equal(offered({ state: "waiting_for_person" }), "end");
    assert.equal(offered({ state: "waiting_for_consent" }), "end");
    assert.equal(offered({ state: "viewing" }), "request end");
    assert.equal(offered({ state: "viewing", paused: true }), "end");
    assert.equal(offered({ state: "control_requested" }), "end");
    assert.equal(offered({ state: "controlling" }), "release end");
    assert.equal(offered({ state: "controlling", connection: "reconnecting" }), "");
    assert.equal(offered({ state: "ended", ended: { by: "person", reason: 4001 } }), "");
    assert.equal(offered({ state: "viewing", closeCode: 4032, connection: "closed" }), "");
});

test("the code shows while waiting for the person, the screen while sharing", () => {
    assert.equal(present(view({ state: null, connection: "connecting" }), en, page).showCode, true);
    assert.equal(present(view({ state: null, connection: "connecting" }), en, { hasCode: false }).showCode, false);
    assert.equal(present(view({ state: "waiting_for_person" }), en, { hasCode: false }).showCode, true);
    assert.equal(present(view({ state: "waiting_for_consent" }), en, page).showCode, false);
    assert.equal(present(view({ state: "viewing" }), en, page).showScreen, true);
    assert.equal(present(view({ state: "waiting_for_consent" }), en, page).showScreen, false);
});

test("the ending is shown with a title and its sentence", () => {
    const ended = present(view({ state: "ended", ended: { by: "technician", reason: 4000 } }), en, page);
    assert.deepEqual([ended.status, ended.finalTitle, ended.finalSentence],
        ["The session has ended.", "Session ended", "You ended the session."]);
    const replaced = present(view({ state: "viewing", closeCode: 4032 }), en, page);
    assert.deepEqual([replaced.finalTitle, replaced.finalSentence],
        ["Disconnected", "This session was opened in another tab."]);
});

test("who is being helped", () => {
    const shown = present(view({ state: "viewing", personUser: "alice", personHostname: "pc-42" }), en, page);
    assert.equal(shown.person, "alice on pc-42");
    assert.equal(present(view({ state: "viewing", personHostname: "pc-42" }), fr, page).person, "pc-42");
});

test("the countdown reads mm:ss and stops at zero", () => {
    assert.equal(formatCountdown(600), "10:00");
    assert.equal(formatCountdown(594), "09:54");
    assert.equal(formatCountdown(5.9), "00:05");
    assert.equal(formatCountdown(-3), "00:00");
    assert.equal(secondsLeft(1000.5, 400_000), 601);
    assert.equal(secondsLeft(1000, 2_000_000), 0);
    assert.equal(secondsLeft(0, 1), null);
});

test("the code reads in three groups", () => {
    assert.equal(formatCode("482913705"), "482 913 705");
    assert.equal(formatCode("482 913 705"), "482 913 705");
    assert.equal(formatCode(""), "");
});

test("the monitor picker: one button per monitor and All, the one shown pressed", () => {
    const monitors = [
        { x: 0, y: 0, width: 1280, height: 800, name: "LEFT", primary: true },
        { x: 1280, y: 0, width: 1024, height: 768, name: "RIGHT", primary: false },
    ];
    assert.deepEqual(monitorChoices(view({ monitors, monitor: 1 }), en), [
        { index: 0, label: "Screen 1", title: "1280 × 800, main screen", pressed: false },
        { index: 1, label: "Screen 2", title: "1024 × 768", pressed: true },
        { index: -1, label: "All screens", title: "", pressed: false },
    ]);
    assert.deepEqual(monitorChoices(view({ monitors, monitor: -1 }), fr).map((c) => [c.label, c.pressed]),
        [["Écran 1", false], ["Écran 2", false], ["Tous les écrans", true]]);
    assert.deepEqual(monitorChoices(view({ monitors: monitors.slice(0, 1), monitor: -1 }), en), []);
});

test("while the person's computer reconnects: said in words, and control cannot be asked", () => {
    const reconnecting = view({ state: "viewing", agentConnected: false });
    const shown = present(reconnecting, en, page);
    assert.equal(shown.status,
        "The person's computer is reconnecting… The picture comes back when it does.");
    assert.equal(shown.canRequestControl, false);
    assert.equal(shown.canEnd, true);
    assert.equal(present(reconnecting, fr, page).status,
        "L'ordinateur de la personne se reconnecte… L'image revient dès qu'il est là.");
    assert.equal(present(view({ state: "viewing", agentConnected: true }), en, page)
        .canRequestControl, true);
    assert.equal(endedSentence({ by: "server", reason: 4043 }, en),
        "The server restarted and the person's computer did not come back. The session has ended.");
});
