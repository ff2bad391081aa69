import assert from "node:assert/strict";
import { test } from "node:test";

import { offerAgent, systemOf } from "../../../web/console/join-agent.js";

const UA = {
    ubuntuFirefox: "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
    linuxChrome: "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
        + "Chrome/131.0.0.0 Safari/537.36",
    windowsEdge: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        + "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
    macSafari: "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 "
        + "(KHTML, like Gecko) Version/17.5 Safari/605.1.15",
    chromebook: "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) "
        + "Chrome/131.0.0.0 Safari/537.36",
    android: "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
        + "Chrome/131.0.0.0 Mobile Safari/537.36",
    iphone: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
        + "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
};

test("the system comes from the user agent string", () => {
    assert.equal(systemOf({ userAgent: UA.ubuntuFirefox }), "linux");
    assert.equal(systemOf({ userAgent: UA.linuxChrome }), "linux");
    assert.equal(systemOf({ userAgent: UA.windowsEdge }), "windows");
    assert.equal(systemOf({ userAgent: UA.macSafari }), "mac");
    assert.equal(systemOf({ userAgent: UA.chromebook }), "chromeos");
    assert.equal(systemOf({ userAgent: UA.android }), "android");
    assert.equal(systemOf({ userAgent: UA.iphone }), "ios");
    assert.equal(systemOf({}), "other");
});

test("userAgentData's platform wins over the user agent string", () => {
    assert.equal(systemOf({ userAgent: UA.linuxChrome, userAgentData: { platform: "Chrome OS" } }),
        "chromeos");
    assert.equal(systemOf({ userAgent: UA.windowsEdge, userAgentData: { platform: "Windows" } }),
        "windows");
    assert.equal(systemOf({ userAgent: UA.linuxChrome, userAgentData: { platform: "Linux" } }),
        "linux");
    assert.equal(systemOf({ userAgent: UA.linuxChrome, userAgentData: { platform: "" } }), "linux");
});

/** A page with the agent's section and its sentence for other systems. */
function page() {
    const section = { hidden: false };
    const elsewhere = { hidden: true };
    const nodes = { agent: section, "agent-elsewhere": elsewhere };
    return { section, elsewhere, doc: { getElementById: (id) => nodes[id], body: { dataset: {} } } };
}

test("on Linux the download stays; elsewhere a sentence says why it is not offered", () => {
    const linux = page();
    offerAgent(linux.doc, "linux");
    assert.deepEqual([linux.section.hidden, linux.elsewhere.hidden], [false, true]);
    const windows = page();
    offerAgent(windows.doc, "windows");
    assert.deepEqual([windows.section.hidden, windows.elsewhere.hidden], [true, false]);
    assert.equal(windows.doc.body.dataset.system, "windows");
});
