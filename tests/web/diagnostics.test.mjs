import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import {
    diagnosticsStatusKey, findingSentence, formatBytes, formatDuration, formatNumber, formatValue,
    presentFindings, presentSections,
} from "../../web/viewer/diagnostics.js";
import * as protocol from "../../web/viewer/protocol.js";

const catalog = (lang) => JSON.parse(readFileSync(
    new URL(`../../src/coupdemain/i18n/locales/${lang}/diagnostics.json`, import.meta.url), "utf-8"));
const en = catalog("en");
const fr = catalog("fr");

const PROXY = { severity: "problem", code: "proxy_unreachable",
    params: { proxy: "127.0.0.1:9", source: "env:http_proxy" } };

test("a finding is a sentence in the reader's language, word for word", () => {
    assert.equal(findingSentence(PROXY, en),
        "A proxy 127.0.0.1:9 is configured but does not answer: web pages will not load.");
    assert.equal(findingSentence(PROXY, fr),
        "Un proxy 127.0.0.1:9 est configuré mais ne répond pas\u00a0: les pages web ne s'afficheront pas.");
});

test("numbers are written as the reader's language writes them", () => {
    const disk = { severity: "warning", code: "disk_almost_full",
        params: { mount: "/", free_gib: "2.9", free_percent: "4.5" } };
    assert.equal(findingSentence(disk, en, "en"),
        "The disk / is almost full: 2.9 GiB free (4.5 %). Programs may fail to save files.");
    assert.equal(findingSentence(disk, fr, "fr"), "Le disque / est presque plein\u00a0: 2,9\u00a0Gio " +
        "libres (4,5\u00a0%). Des programmes risquent de ne plus pouvoir enregistrer.");
    // A process number names a process: it is not written as a quantity.
    const busy = { severity: "warning", code: "high_cpu_process",
        params: { name: "firefox", pid: 12345, cpu_percent: 87.5 } };
    assert.equal(findingSentence(busy, fr, "fr"),
        "Le programme firefox (processus 12345) occupe le processeur\u00a0: 87,5\u00a0% d'un cœur.");
    assert.equal(formatNumber("1234", "en"), "1,234");
    assert.equal(formatNumber("4.0", "fr"), "4,0");
    assert.equal(formatNumber("pc-42", "fr"), null);
    assert.equal(formatValue("used_percent", 95.5, fr, "fr"), "95,5\u00a0%");
    assert.equal(formatBytes(2.9 * 1024 ** 3, fr, "fr"), "2,9\u00a0Gio");
});

test("an unknown code or missing params still say something", () => {
    assert.equal(findingSentence({ code: "from_the_future", params: {} }, en), "Finding from_the_future.");
    assert.equal(findingSentence({ code: "proxy_unreachable" }, en),
        "A proxy {proxy} is configured but does not answer: web pages will not load.");
    assert.equal(findingSentence(PROXY, {}), "finding.unknown");
});

test("findings are listed problems first; junk from the agent is dropped", () => {
    const shown = presentFindings([
        { severity: "info", code: "long_uptime", params: { days: 40 } },
        null, "text", { severity: "fatal", code: "no_dns_servers", params: {} },
        PROXY,
    ], en);
    assert.deepEqual(shown.map((f) => [f.severity, f.code]), [
        ["problem", "proxy_unreachable"], ["info", "long_uptime"], ["info", "no_dns_servers"],
    ]);
    assert.equal(shown[1].text, "The computer has not restarted for 40 days. A restart may help.");
});

test("values are formatted by their field's name", () => {
    assert.equal(formatBytes(512, en), "512 B");
    assert.equal(formatBytes(3.5 * 1024 ** 3, en), "3.5 GiB");
    assert.equal(formatBytes(250 * 1024 ** 3, fr), "250\u00a0Gio");
    assert.equal(formatDuration(3 * 86400 + 4 * 3600 + 60, en), "3 d 4 h");
    assert.equal(formatDuration(2 * 3600 + 5 * 60, en), "2 h 5 min");
    assert.equal(formatValue("used_percent", 23.04, en), "23 %");
    assert.equal(formatValue("answers", false, en), "no");
    assert.equal(formatValue("answers", null, en), "not checked");
    assert.equal(formatValue("kind", "autostart", en), "Autostart entry");
    assert.equal(formatValue("kind", "new_kind", en), "new_kind");
    assert.equal(formatValue("dns_servers", ["192.0.2.53", "192.0.2.54"], en), "192.0.2.53, 192.0.2.54");
    assert.equal(formatValue("dns_servers", [], en), "—");
    assert.equal(formatValue("gateway", { address: "192.0.2.1", interface: "eth0" }, en), "192.0.2.1 (eth0)");
});

test("sections become facts and tables, network first", () => {
    const sections = presentSections({
        system: { hostname: "pc-42", memory_total_bytes: 8 * 1024 ** 3,
            disks: [{ mount: "/", free_bytes: 1024 ** 3, used_percent: 99 }] },
        network: {
            gateway: null, gateway_known: true, dns_servers: [],
            proxies: [{ source: "env:http_proxy", address: "127.0.0.1:9", answers: false }],
        },
        processes: { unavailable: true },
        startup: { items: [], truncated: false },
    }, en);
    assert.deepEqual(sections.map((s) => s.name), ["network", "system", "startup", "processes"]);
    const [network, system, startup, processes] = sections;
    assert.equal(network.title, "Network");
    assert.deepEqual(network.facts, [["Default gateway", "—"], ["DNS servers", "—"]]);
    assert.deepEqual(network.tables, [{ title: "Proxies", columns: ["Set in", "Address", "Answers"],
        rows: [["env:http_proxy", "127.0.0.1:9", "no"]] }]);
    assert.deepEqual(system.facts, [["Computer name", "pc-42"], ["Memory", "8.0 GiB"]]);
    assert.deepEqual(system.tables[0].rows, [["/", "1.0 GiB", "99 %"]]);
    assert.deepEqual(startup.facts, [["Entries", "—"]]);
    assert.equal(processes.note, "Could not be read.");
});

test("the panel's status follows the request", () => {
    assert.equal(diagnosticsStatusKey({ status: "idle", report: null, at: 0 }), "");
    assert.equal(diagnosticsStatusKey({ status: "waiting", report: null, at: 0 }), "diagnostics.waiting");
    assert.equal(diagnosticsStatusKey({ status: "declined", report: null, at: 0 }), "diagnostics.declined");
    assert.equal(diagnosticsStatusKey({ status: "done", report: { sections: {}, findings: [PROXY] }, at: 1 }),
        "diagnostics.done");
    assert.equal(diagnosticsStatusKey({ status: "done", report: { sections: {}, findings: [] }, at: 1 }),
        "diagnostics.nothing_found");
});

test("the protocol reads a report and a refusal, and writes the request", () => {
    const report = protocol.parse(JSON.stringify({ type: "diagnostics_report",
        sections: { network: {} }, findings: [PROXY] }));
    assert.deepEqual(report, { type: "diagnostics_report", sections: { network: {} }, findings: [PROXY] });
    assert.deepEqual(protocol.parse('{"type": "diagnostics_declined"}'), { type: "diagnostics_declined" });
    assert.throws(() => protocol.parse('{"type": "diagnostics_report", "sections": [], "findings": []}'),
        { message: "field 'sections' must be object, not object" });
    assert.throws(() => protocol.parse('{"type": "diagnostics_report", "sections": {}, "findings": {}}'),
        { message: "field 'findings' must be array, not object" });
    assert.equal(protocol.serialize(protocol.diagnosticsRequest()), '{"type":"diagnostics_request"}');
});

test("the session asks, waits, and keeps the report or the refusal", async () => {
    const { ViewerSession } = await import("../../web/viewer/session.js");
    const sent = [];
    const socket = { readyState: 0, send: (text) => sent.push(JSON.parse(text)), close() {} };
    const session = new ViewerSession({
        url: "ws://127.0.0.1/ws/viewer/s1", display: { resize: () => false, receiveFrame: async () => {} },
        openSocket: () => socket, now: () => 1700000000000,
    });
    assert.equal(session.requestDiagnostics(), false); // not connected: nothing changes
    assert.equal(session.view.diagnostics.status, "idle");
    session.start();
    socket.readyState = 1;
    socket.onopen({});
    assert.equal(session.requestDiagnostics(), true);
    assert.deepEqual(sent.at(-1), { type: "diagnostics_request" });
    assert.equal(session.view.diagnostics.status, "waiting");
    socket.onmessage({ data: JSON.stringify({ type: "diagnostics_report", sections: {}, findings: [PROXY] }) });
    assert.deepEqual(session.view.diagnostics,
        { status: "done", at: 1700000000000, report: { sections: {}, findings: [PROXY] } });
    session.requestDiagnostics();
    socket.onmessage({ data: '{"type": "diagnostics_declined"}' });
    assert.equal(session.view.diagnostics.status, "declined");
    assert.deepEqual(session.view.diagnostics.report.findings, [PROXY]); // the last reading stays
});
