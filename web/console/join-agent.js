// The join page's section for the single-file agent: shown on Linux only.
//
// The page is written with the section visible, so a browser without
// scripts still offers it under its title "On Linux". Here the page learns
// the system from navigator.userAgentData where the browser has it
// (Chromium), else from the user agent string. A page cannot tell X11 from
// Wayland: the section says that the program needs X11, and the agent
// itself says so plainly when it meets Wayland.

/**
 * The person's system, as far as the browser tells it.
 * @param {{userAgent?: string, userAgentData?: {platform?: string}}} nav  navigator
 * @returns {"linux" | "windows" | "mac" | "chromeos" | "android" | "ios" | "other"}
 */
export function systemOf(nav) {
    const platform = (nav.userAgentData?.platform ?? "").toLowerCase();
    const agent = (nav.userAgent ?? "").toLowerCase();
    const said = platform || agent;
    if (/android/.test(said)) return "android";
    if (/\bcros\b|chrome ?os/.test(said)) return "chromeos";
    if (/iphone|ipad|ipod/.test(said)) return "ios";
    if (/windows/.test(said)) return "windows";
    if (/mac/.test(said)) return "mac";
    if (/linux|x11/.test(said)) return "linux";
    return "other";
}

/**
 * Shows the download on Linux; elsewhere, hides it and says why in a sentence.
 * @param {Document} doc
 * @param {ReturnType<typeof systemOf>} system
 */
export function offerAgent(doc, system) {
    const section = doc.getElementById("agent");
    const elsewhere = doc.getElementById("agent-elsewhere");
    if (!section || !elsewhere) return;
    doc.body.dataset.system = system;
    const linux = system === "linux";
    section.hidden = !linux;
    elsewhere.hidden = linux;
}

if (typeof document !== "undefined") {
    const run = () => offerAgent(document, systemOf(navigator));
    if (document.readyState === "loading") {
        document.addEventListener("DOMContentLoaded", run);
    } else {
        run();
    }
}
