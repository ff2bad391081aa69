// Sentences in the technician's language. The server serves the catalog
// (src/coupdemain/i18n/locales/<lang>/viewer.json) at /i18n/viewer/<lang>.json;
// placeholders are {name}, as on the Python side.

/**
 * Fills the {name} placeholders of a sentence; unknown ones stay as written.
 * @param {string} text
 * @param {Record<string, string | number>} [params]
 * @returns {string}
 */
export function format(text, params = {}) {
    return text.replace(/\{(\w+)\}/g, (whole, name) =>
        Object.hasOwn(params, name) ? String(params[name]) : whole);
}

/**
 * A translator over one catalog. A missing key comes back as itself, so a gap
 * shows as a readable key, never as a crash (like i18n.Translator).
 * @param {Record<string, string>} catalog
 * @returns {(key: string, params?: Record<string, string | number>) => string}
 */
export function createTranslator(catalog) {
    return (key, params) => format(Object.hasOwn(catalog, key) ? catalog[key] : key, params);
}

/**
 * Fetches the viewer's catalog.
 * @param {string} url  e.g. "/i18n/viewer/fr.json"
 * @param {typeof fetch} [fetchImpl]
 * @returns {Promise<Record<string, string>>}
 * @throws {Error} the server did not answer with a JSON object
 */
export async function loadCatalog(url, fetchImpl = fetch) {
    const response = await fetchImpl(url, { credentials: "same-origin" });
    if (!response.ok) {
        throw new Error(`the viewer's messages at ${url} answered ${response.status}`);
    }
    const catalog = await response.json();
    if (catalog === null || typeof catalog !== "object" || Array.isArray(catalog)) {
        throw new Error(`the viewer's messages at ${url} are not a JSON object`);
    }
    return catalog;
}
