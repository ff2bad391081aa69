// The viewer's logging: the one module that calls console.
//
// Each module takes its own logger, named like the server's
// ("coupdemain.viewer.session"), and marks direction in debug lines:
// "> message" for sent, "< message" for received.

/** @typedef {{debug: (...args: unknown[]) => void, info: (...args: unknown[]) => void,
 *             warn: (...args: unknown[]) => void, error: (...args: unknown[]) => void}} Logger */

let debugEnabled = false;

/**
 * Turns debug lines on or off for every logger (off by default).
 * @param {boolean} enabled
 */
export function setDebug(enabled) {
    debugEnabled = enabled;
}

/**
 * The logger of one component.
 * @param {string} name  the component, e.g. "session"
 * @returns {Logger}
 */
export function getLogger(name) {
    const prefix = `[coupdemain.viewer.${name}]`;
    return {
        debug: (...args) => { if (debugEnabled) console.debug(prefix, ...args); },
        info: (...args) => console.info(prefix, ...args),
        warn: (...args) => console.warn(prefix, ...args),
        error: (...args) => console.error(prefix, ...args),
    };
}
