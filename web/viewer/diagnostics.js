// What the diagnostics panel shows: the findings as sentences, the sections
// as readable tables. Pure functions of a diagnostics_report and the
// `diagnostics` catalog (served at /i18n/diagnostics/<lang>.json), so that
// node tests them without a DOM; main.js turns their result into elements.
//
// Values are formatted by their field's name, the same on the agent's side
// (src/coupdemain/agent/diagnostics/collect.py): `*_bytes` are sizes,
// `*_percent` percentages, `*_seconds` durations, `*_at` Unix times. Numbers
// are written as the reader's language writes them ("4.5" in English, "4,5"
// in French), by Intl.NumberFormat.

import { format } from "./i18n.js";

/**
 * @typedef {{severity: string, code: string, params: Record<string, unknown>}} Finding
 * @typedef {{code: string, severity: string, text: string}} ShownFinding
 * @typedef {{title: string, columns: string[], rows: string[][]}} Table
 * @typedef {{name: string, title: string, note: string, facts: [string, string][],
 *   tables: Table[]}} ShownSection
 */

/** The sections in the order they are shown; others follow in the report's order. */
export const SECTION_ORDER = Object.freeze(["network", "system", "startup", "processes"]);
const SEVERITIES = new Set(["problem", "warning", "info"]);
// Facts that steer the findings but mean nothing to a reader, or that another
// field already says (a proxy's address is its host and port).
const HIDDEN_FIELDS = new Set(["unavailable", "truncated", "gateway_known", "dns_known", "host", "port"]);
// Fields whose values are catalog keys.
const KEYED_VALUES = { kind: "kind." };
const UNITS = ["unit.bytes", "unit.kib", "unit.mib", "unit.gib", "unit.tib"];
const MAX_ROWS = 50;
// A finding's numeric parameters that name something rather than count it.
const IDENTIFIER_PARAMS = new Set(["pid", "port", "uid", "gid"]);
const NUMERIC = /^-?\d+(?:\.(\d+))?$/;

/**
 * A number as the language writes it, keeping the decimals it was given:
 * "4.5" is "4,5" in French, 1234 is "1,234" in English.
 * @param {number | string} value  a number, or a number's digits as the agent wrote them
 * @param {string} lang
 * @returns {string | null}  null when value is not a number
 */
export function formatNumber(value, lang) {
    const text = typeof value === "number" ? String(value) : value;
    const match = typeof text === "string" ? NUMERIC.exec(text) : null;
    if (match === null || !Number.isFinite(Number(text))) return null;
    const decimals = match[1]?.length ?? 0;
    return new Intl.NumberFormat(lang, { minimumFractionDigits: decimals, maximumFractionDigits: decimals })
        .format(Number(text));
}

/**
 * A translator over the diagnostics catalog that says when a key is missing.
 * @param {Record<string, string>} catalog
 * @returns {(key: string, params?: Record<string, unknown>, fallback?: string) => string}
 */
export function createReader(catalog) {
    return (key, params = {}, fallback = key) => {
        const text = Object.hasOwn(catalog, key) ? catalog[key] : fallback;
        /** @type {Record<string, string>} */
        const strings = {};
        for (const [name, value] of Object.entries(params ?? {})) strings[name] = String(value);
        return format(text, strings);
    };
}

/**
 * One finding as a sentence; an unknown code still says something.
 * @param {Finding} finding
 * @param {Record<string, string>} catalog
 * @param {string} [lang]  for numbers
 * @returns {string}
 */
export function findingSentence(finding, catalog, lang = "en") {
    const read = createReader(catalog);
    const code = String(finding?.code ?? "");
    const given = finding?.params !== null && typeof finding?.params === "object" ? finding.params : {};
    /** @type {Record<string, unknown>} */
    const params = {};
    for (const [name, value] of Object.entries(given)) {
        params[name] = IDENTIFIER_PARAMS.has(name) || name.endsWith("_id") ? value
            : formatNumber(/** @type {number | string} */ (value), lang) ?? value;
    }
    const key = `finding.${code}`;
    return Object.hasOwn(catalog, key) ? read(key, params) : read("finding.unknown", { code });
}

/**
 * The findings as the panel lists them: problems first, each with its sentence.
 * @param {unknown[]} findings  as the report carries them (checked here: they come from the agent)
 * @param {Record<string, string>} catalog
 * @param {string} [lang]  for numbers
 * @returns {ShownFinding[]}
 */
export function presentFindings(findings, catalog, lang = "en") {
    const order = { problem: 0, warning: 1, info: 2 };
    return findings
        .filter((f) => f !== null && typeof f === "object" && typeof f.code === "string")
        .map((f) => ({
            code: f.code,
            severity: SEVERITIES.has(f.severity) ? f.severity : "info",
            text: findingSentence(f, catalog, lang),
        }))
        .sort((a, b) => order[a.severity] - order[b.severity]);
}

/**
 * A size in bytes, in the largest unit that keeps it above 1: "3.2 GiB", "3,2 Gio".
 * @param {number} bytes
 * @param {Record<string, string>} catalog
 * @param {string} [lang]
 * @returns {string}
 */
export function formatBytes(bytes, catalog, lang = "en") {
    let value = Math.max(0, Number(bytes) || 0);
    let unit = 0;
    while (value >= 1024 && unit < UNITS.length - 1) {
        value /= 1024;
        unit += 1;
    }
    const shown = formatNumber(unit === 0 ? Math.round(value) : value.toFixed(value < 10 ? 1 : 0), lang);
    return createReader(catalog)(UNITS[unit], { value: shown });
}

/**
 * A duration: "3 d 4 h", "2 h 5 min" or "7 min".
 * @param {number} seconds
 * @param {Record<string, string>} catalog
 * @returns {string}
 */
export function formatDuration(seconds, catalog) {
    const read = createReader(catalog);
    const whole = Math.max(0, Math.floor(Number(seconds) || 0));
    const days = Math.floor(whole / 86400);
    const hours = Math.floor((whole % 86400) / 3600);
    const minutes = Math.floor((whole % 3600) / 60);
    if (days > 0) return read("unit.days_hours", { days, hours });
    if (hours > 0) return read("unit.hours_minutes", { hours, minutes });
    return read("unit.minutes", { minutes });
}

/**
 * One value as text, chosen by its field's name.
 * @param {string} field
 * @param {unknown} value
 * @param {Record<string, string>} catalog
 * @param {string} [lang]  for dates
 * @returns {string}
 */
export function formatValue(field, value, catalog, lang = "en") {
    const read = createReader(catalog);
    if (value === null || value === undefined || value === "") {
        return field === "answers" && value === null ? read("value.not_checked") : read("value.none");
    }
    if (typeof value === "boolean") return read(value ? "value.yes" : "value.no");
    if (typeof value === "number") {
        if (field.endsWith("_bytes")) return formatBytes(value, catalog, lang);
        if (field.endsWith("_percent")) {
            const shown = new Intl.NumberFormat(lang, { maximumFractionDigits: 1 }).format(value);
            return read("unit.percent", { value: shown });
        }
        if (field.endsWith("_seconds")) return formatDuration(value, catalog);
        if (field.endsWith("_at")) return new Date(value * 1000).toLocaleString(lang);
        return String(value);
    }
    if (typeof value === "string") {
        return Object.hasOwn(KEYED_VALUES, field) ? read(`${KEYED_VALUES[field]}${value}`, {}, value) : value;
    }
    if (Array.isArray(value)) {
        if (value.length === 0) return read("value.none");
        return value.slice(0, MAX_ROWS).map((item) => formatValue(field, item, catalog, lang)).join(", ");
    }
    if (typeof value === "object") {
        // An address ({address, interface} or {family, address, netmask}) reads as its address.
        if (typeof value.address === "string") {
            return value.interface ? `${value.address} (${value.interface})` : value.address;
        }
        return Object.entries(value)
            .map(([name, item]) => formatValue(name, item, catalog, lang)).join(" · ");
    }
    return String(value);
}

/**
 * @param {unknown} value
 * @returns {boolean} whether value is a non-empty list of objects (shown as a table)
 */
function isRows(value) {
    return Array.isArray(value) && value.length > 0 &&
        value.every((item) => item !== null && typeof item === "object" && !Array.isArray(item));
}

/**
 * The sections of a report as facts (label, text) and tables.
 * @param {Record<string, unknown>} sections
 * @param {Record<string, string>} catalog
 * @param {string} [lang]
 * @returns {ShownSection[]}
 */
export function presentSections(sections, catalog, lang = "en") {
    const read = createReader(catalog);
    const label = (field) => read(`field.${field}`, {}, field);
    const names = [...SECTION_ORDER.filter((name) => Object.hasOwn(sections, name)),
        ...Object.keys(sections).filter((name) => !SECTION_ORDER.includes(name))];
    return names.map((name) => {
        const facts = sections[name];
        /** @type {ShownSection} */
        const shown = { name, title: read(`section.${name}`, {}, name), note: "", facts: [], tables: [] };
        if (facts === null || typeof facts !== "object" || Array.isArray(facts) || facts.unavailable) {
            shown.note = read("section.unavailable");
            return shown;
        }
        for (const [field, value] of Object.entries(facts)) {
            if (HIDDEN_FIELDS.has(field)) continue;
            if (isRows(value)) {
                const columns = [...new Set(value.flatMap((row) => Object.keys(row)))]
                    .filter((column) => !HIDDEN_FIELDS.has(column));
                shown.tables.push({
                    title: label(field),
                    columns: columns.map(label),
                    rows: value.slice(0, MAX_ROWS).map((row) =>
                        columns.map((column) => formatValue(column, row[column], catalog, lang))),
                });
            } else {
                shown.facts.push([label(field), formatValue(field, value, catalog, lang)]);
            }
        }
        if (facts.truncated === true) shown.note = read("section.truncated");
        else if (shown.facts.length === 0 && shown.tables.length === 0) shown.note = read("section.empty");
        return shown;
    });
}

/**
 * The panel's status sentence's key in the viewer catalog.
 * @param {import("./session.js").Diagnostics} diagnostics
 * @returns {string}
 */
export function diagnosticsStatusKey(diagnostics) {
    switch (diagnostics.status) {
        case "waiting": return "diagnostics.waiting";
        case "declined": return "diagnostics.declined";
        case "done":
            return (diagnostics.report?.findings.length ?? 0) > 0 ? "diagnostics.done" : "diagnostics.nothing_found";
        default: return "";
    }
}
