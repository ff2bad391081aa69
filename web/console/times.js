// The console's times in the reader's own time zone and language.
//
// The server writes each instant as <time datetime="2026-03-01T14:05:09+00:00"
// data-precision="minute|second">, its text in UTC for a browser without
// scripts; this module replaces that text with the instant in the browser's
// time zone, formatted by Intl.DateTimeFormat in the page's language.

/**
 * The locale to format in: the browser's own variant of the page's language
 * ("en-GB" for an English page read in Britain), else the page's language.
 * @param {string} pageLang  <html lang>, e.g. "en"
 * @param {readonly string[]} browserLangs  navigator.languages
 * @returns {string}
 */
export function formatLocale(pageLang, browserLangs) {
    const base = (pageLang || "en").toLowerCase().split("-")[0];
    const variant = browserLangs.find((tag) => tag.toLowerCase().split("-")[0] === base);
    return variant ?? base;
}

/**
 * One instant as the reader's clock shows it: "2 Mar 2026, 15:05".
 * @param {string} iso  ISO 8601 with an offset
 * @param {string} locale
 * @param {"minute" | "second"} precision
 * @param {string} [timeZone]  the browser's own when undefined
 * @returns {string | null}  null when the instant cannot be read
 */
export function formatInstant(iso, locale, precision, timeZone = undefined) {
    const instant = new Date(iso);
    if (Number.isNaN(instant.getTime())) return null;
    return new Intl.DateTimeFormat(locale, {
        dateStyle: "medium",
        timeStyle: precision === "second" ? "medium" : "short",
        ...(timeZone ? { timeZone } : {}),
    }).format(instant);
}

/**
 * Rewrites every <time datetime> under root in the reader's time zone.
 * @param {ParentNode} root
 * @param {string} locale
 */
export function localizeTimes(root, locale) {
    for (const node of root.querySelectorAll("time[datetime]")) {
        const precision = node.dataset.precision === "second" ? "second" : "minute";
        const shown = formatInstant(node.getAttribute("datetime") ?? "", locale, precision);
        if (shown !== null) node.textContent = shown;
    }
}

if (typeof document !== "undefined") {
    localizeTimes(document, formatLocale(document.documentElement.lang, navigator.languages ?? []));
}
