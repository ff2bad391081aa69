import assert from "node:assert/strict";
import { test } from "node:test";

import { formatInstant, formatLocale } from "../../../web/console/times.js";

// ICU puts narrow no-break spaces in some formats; compare on plain spaces.
const plain = (text) => text.replace(/[\u202f\u00a0]/g, " ");

test("the browser's variant of the page's language wins, else the page's language", () => {
    assert.equal(formatLocale("en", ["fr-FR", "en-GB", "en"]), "en-GB");
    assert.equal(formatLocale("fr", ["en-US"]), "fr");
    assert.equal(formatLocale("fr", ["fr-CA"]), "fr-CA");
    assert.equal(formatLocale("", []), "en");
});

test("an instant is shown in the given time zone and language", () => {
    const iso = "2026-03-02T14:05:09+00:00";
    assert.equal(plain(formatInstant(iso, "fr", "minute", "Europe/Paris")), "2 mars 2026, 15:05");
    assert.equal(plain(formatInstant(iso, "fr", "second", "Europe/Paris")), "2 mars 2026, 15:05:09");
    assert.equal(plain(formatInstant(iso, "en-US", "minute", "America/New_York")), "Mar 2, 2026, 9:05 AM");
});

test("an unreadable instant is left as the server wrote it", () => {
    assert.equal(formatInstant("yesterday", "en", "minute"), null);
});
