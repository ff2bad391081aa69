// The join page's browser share (web/join/share.js): what it reads of the
// code, tells of the browser, and says when the session ends.
import assert from "node:assert/strict";
import { test } from "node:test";

import { brandOf, codeDigits, describeBrowser, endedSentence, pngBase64 } from "../../web/join/share.js";

test("a code has 9 digits; spaces and dashes are allowed", () => {
    assert.equal(codeDigits(" 482 913 705 "), "482913705");
    assert.equal(codeDigits("482-913-705"), "482913705");
    assert.equal(codeDigits("48291370"), null);
    assert.equal(codeDigits("48291370a"), null);
});

test("the technician is told which browser and system", () => {
    assert.deepEqual(describeBrowser("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 " +
        "(KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 Edg/130.0.0.0"), { hostname: "Edge · Windows", os: "Windows" });
    assert.deepEqual(describeBrowser("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15 " +
        "(KHTML, like Gecko) Version/17.0 Safari/605.1.15"), { hostname: "Safari · macOS", os: "macOS" });
    assert.deepEqual(describeBrowser("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"),
        { hostname: "Firefox · Linux", os: "Linux" });
});

test("the ending in words", () => {
    const t = (key, params) => `${key}${params ? JSON.stringify(params) : ""}`;
    assert.equal(endedSentence({ by: "technician", reason: 4000 }, t, "Alice"), 'ended.by_technician{"technician":"Alice"}');
    assert.equal(endedSentence({ by: "person", reason: 4001 }, t, "Alice"), "ended.by_person");
    assert.equal(endedSentence({ by: "person", reason: 4002 }, t, "Alice"), "ended.declined");
    assert.equal(endedSentence({ by: "server", reason: 4040 }, t, "Alice"), "ended.peer_lost");
    assert.equal(endedSentence({ by: "server", reason: 1006 }, t, "Alice"), "ended.connection_lost");
    assert.equal(endedSentence({ by: "server", reason: 4041 }, t, "Alice"), "ended.server");
    assert.equal(endedSentence({ by: "person", reason: 4004 }, t, "Alice"), "ended.mandate_refused");
    assert.equal(endedSentence({ by: "server", reason: 4005 }, t, "Alice"), "ended.mandate_expired");
});

test("the drawn signature goes as the PNG's base64, without the data URL's prefix", () => {
    assert.equal(pngBase64("data:image/png;base64,iVBORw0KGgo="), "iVBORw0KGgo=");
    assert.equal(pngBase64("data:,"), "");
});

test("brandOf keeps a #rrggbb colour and a base64 logo, and leaves anything else out", () => {
    assert.deepEqual(brandOf({ organisation: "Entraide", brand_colour: "#1F5FBF", brand_logo: "iVBORw0KGgo=" }),
        { colour: "#1f5fbf", logo: "data:image/png;base64,iVBORw0KGgo=", organisation: "Entraide" });
    assert.deepEqual(brandOf({ organisation: "Entraide", brand_colour: "red;}body{", brand_logo: "\"><script>" }),
        { colour: "", logo: "", organisation: "Entraide" });
    assert.deepEqual(brandOf({ organisation: "Entraide" }), { colour: "", logo: "", organisation: "Entraide" });
});
