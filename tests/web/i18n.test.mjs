import assert from "node:assert/strict";
import { test } from "node:test";

import { createTranslator, format, loadCatalog } from "../../web/viewer/i18n.js";

test("placeholders are {name}, as on the Python side", () => {
    assert.equal(format("{user} on {host}", { user: "alice", host: "pc-42" }), "alice on pc-42");
    assert.equal(format("reason {code}", { code: 4041 }), "reason 4041");
    assert.equal(format("left {alone}", {}), "left {alone}");
});

test("a missing key comes back as itself", () => {
    const t = createTranslator({ "a.b": "Hello {name}" });
    assert.equal(t("a.b", { name: "Ada" }), "Hello Ada");
    assert.equal(t("no.such.key"), "no.such.key");
    assert.equal(t("toString"), "toString");
});

test("the catalog is fetched from the server, and a failure is said", async () => {
    const ok = async () => ({ ok: true, status: 200, json: async () => ({ k: "v" }) });
    assert.deepEqual(await loadCatalog("/i18n/viewer/en.json", ok), { k: "v" });
    const missing = async () => ({ ok: false, status: 404, json: async () => ({}) });
    await assert.rejects(loadCatalog("/i18n/viewer/xx.json", missing), {
        message: "the viewer's messages at /i18n/viewer/xx.json answered 404",
    });
});
