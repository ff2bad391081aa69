// What the page shows for a session's state: the status sentence, which
// controls make sense, the ending in words. Pure functions of the session's
// view (session.js), so that node tests them without a DOM.

import { CloseReason, ENUMS, SessionState, SHARING_STATES } from "./protocol.js";

/**
 * @typedef {import("./session.js").SessionView} SessionView
 * @typedef {(key: string, params?: Record<string, string | number>) => string} Translate
 */

// Ended(reason) values with their own sentence ("ended.<number>" in the catalogs).
const ENDED_SENTENCES = new Set([
    CloseReason.ENDED_BY_TECHNICIAN, CloseReason.ENDED_BY_PERSON, CloseReason.DECLINED,
    CloseReason.REPORTED_BY_PERSON, CloseReason.CODE_EXPIRED, CloseReason.PEER_LOST, CloseReason.SERVER_RESTARTED,
    CloseReason.MANDATE_REFUSED, CloseReason.MANDATE_EXPIRED,
]);
// WebSocket close codes with their own sentence ("close.<number>").
const CLOSE_SENTENCES = new Set([
    CloseReason.UNSUPPORTED_VERSION, CloseReason.UNAUTHORIZED, CloseReason.SESSION_NOT_FOUND,
    CloseReason.REPLACED,
]);
// Another technician opened the session: the sentence names them (session.js's view.watching).
const TAKEN_OVER = CloseReason.TAKEN_OVER;

/**
 * The one status sentence's catalog key.
 * @param {SessionView} view
 * @returns {string}
 */
export function statusKey(view) {
    if (view.ended !== null || view.state === SessionState.ENDED) return "status.ended";
    if (view.closeCode !== null) return "status.disconnected";
    if (view.connection === "gave_up") return "status.gave_up";
    if (view.connection === "reconnecting") return "status.reconnecting";
    if (view.state === null) return "status.connecting";
    if (view.agentConnected === false) return "status.agent_reconnecting";
    if (view.mandate && view.mandate.signedBy === "" && view.state === SessionState.WAITING_FOR_CONSENT) {
        return "status.waiting_for_mandate";
    }
    const browser = view.kind === ENUMS.AgentKind.BROWSER;
    if (view.paused && SHARING_STATES.has(view.state)) return browser ? "status.browser_paused" : "status.paused";
    if (browser && view.state === SessionState.VIEWING) return "status.browser_viewing";
    if (browser && view.state === SessionState.WAITING_FOR_CONSENT) return "status.browser_waiting_for_consent";
    return `status.${view.state}`;
}

/**
 * How the session ended, in words.
 * @param {{by: string, reason: number}} ended
 * @param {Translate} t
 * @returns {string}
 */
export function endedSentence(ended, t) {
    if (ENDED_SENTENCES.has(ended.reason)) {
        return t(`ended.${ended.reason}`);
    }
    const by = Object.values(ENUMS.By).includes(ended.by) ? ended.by : ENUMS.By.SERVER;
    return t(`ended.other.${by}`, { code: ended.reason });
}

/**
 * Why the server closed the viewer's connection, in words.
 * @param {number} code  a WebSocket close code, 4000-4999
 * @param {Translate} t
 * @param {string[]} [watching]  who watches now, as the server last said
 * @returns {string}
 */
export function closeSentence(code, t, watching = []) {
    if (code === TAKEN_OVER) {
        return watching.length > 0 ? t("close.4033", { name: watching.join(", ") })
            : t("close.4033_unnamed");
    }
    return CLOSE_SENTENCES.has(code) ? t(`close.${code}`) : t("close.other", { code });
}

/**
 * Everything the page shows, from the session's view.
 * @param {SessionView} view
 * @param {Translate} t
 * @param {{hasCode: boolean}} page  hasCode: the page was given the code to show
 */
export function present(view, t, page) {
    const open = view.connection === "open";
    const live = view.ended === null && view.closeCode === null && view.state !== SessionState.ENDED;
    const waiting = view.state === SessionState.WAITING_FOR_PERSON ||
        (view.state === null && page.hasCode && live);
    let finalSentence = "";
    let finalTitle = "";
    if (view.ended !== null) {
        finalTitle = t("ended.title");
        finalSentence = endedSentence(view.ended, t);
    } else if (view.closeCode !== null) {
        finalTitle = t("close.title");
        finalSentence = closeSentence(view.closeCode, t, view.watching ?? []);
    } else if (view.state === SessionState.ENDED) {
        finalTitle = t("ended.title");
        finalSentence = t("status.ended");
    }
    return {
        status: t(statusKey(view)),
        person: live && SHARING_STATES.has(view.state ?? "") ? personLabel(view, t) : "",
        showCode: live && waiting,
        canRequestControl: live && open && view.agentConnected !== false &&
            view.state === SessionState.VIEWING && !view.paused && !browserShare(view),
        browserShare: browserShare(view),
        canReleaseControl: live && open && view.state === SessionState.CONTROLLING,
        canEnd: live && open && view.state !== null,
        showScreen: live && SHARING_STATES.has(view.state ?? ""),
        paused: live && view.paused,
        // The server records the session: the mark the person's banner shows too.
        recording: live && Boolean(view.recording),
        finalTitle,
        finalSentence,
    };
}

/**
 * Whether the person shares from the join page's browser: view only, the picture in a <video>.
 * @param {SessionView} view
 * @returns {boolean}
 */
export function browserShare(view) {
    return view.kind === ENUMS.AgentKind.BROWSER;
}

/**
 * Who is being helped: "alice on pc-42", or the computer's name alone.
 * @param {SessionView} view
 * @param {Translate} t
 */
export function personLabel(view, t) {
    if (view.personUser && view.personHostname) {
        return t("person.user_on_host", { user: view.personUser, host: view.personHostname });
    }
    return view.personHostname || view.personUser;
}

/**
 * Seconds left until a Unix time, never negative.
 * @param {number} expiresAt  Unix seconds; 0 when unknown
 * @param {number} nowMs      Date.now()
 * @returns {number | null}   null when unknown
 */
export function secondsLeft(expiresAt, nowMs) {
    if (!(expiresAt > 0)) return null;
    return Math.max(0, Math.ceil(expiresAt - nowMs / 1000));
}

/**
 * A countdown as mm:ss ("09:54").
 * @param {number} seconds
 * @returns {string}
 */
export function formatCountdown(seconds) {
    const whole = Math.max(0, Math.floor(seconds));
    const minutes = Math.floor(whole / 60);
    return `${String(minutes).padStart(2, "0")}:${String(whole % 60).padStart(2, "0")}`;
}

/**
 * The support code as it is read over the phone: "482 913 705".
 * @param {string} code  digits, with or without spaces
 * @returns {string}
 */
export function formatCode(code) {
    const digits = code.replace(/\D/g, "");
    return digits.length === 9 ? digits.replace(/(\d{3})(\d{3})(\d{3})/, "$1 $2 $3") : code.trim();
}

/**
 * The monitor picker's buttons: one per monitor, then "All screens"; none
 * when the person has a single monitor.
 * @param {SessionView} view
 * @param {Translate} t
 * @returns {{index: number, label: string, title: string, pressed: boolean}[]}
 */
export function monitorChoices(view, t) {
    if (view.monitors.length < 2) return [];
    const choices = view.monitors.map((monitor, index) => ({
        index,
        label: t("monitor.one", { number: index + 1 }),
        title: t(monitor.primary ? "monitor.size_primary" : "monitor.size",
            { width: monitor.width, height: monitor.height }),
        pressed: view.monitor === index,
    }));
    choices.push({ index: -1, label: t("monitor.all"), title: "", pressed: view.monitor === -1 });
    return choices;
}

// The tools a technician may ask to add to a mandate (viewing is in every one).
export const EXTENSION_TOOLS = Object.freeze(Object.values(ENUMS.Tool).filter((tool) => tool !== ENUMS.Tool.VIEW));
// protocol/mandate.py's WARNING_SECONDS: the page warns then even if the server's warning is late.
export const MANDATE_WARNING_SECONDS = 5 * 60;

/**
 * The mandate as the technician sees it: who signed, the tools, the time
 * left in minutes, the warning, the answer to an extension, and which of
 * the page's tools it allows.
 * @param {SessionView} view
 * @param {Translate} t
 * @param {number} nowMs  Date.now()
 */
export function presentMandate(view, t, nowMs) {
    const mandate = view.mandate;
    const live = view.ended === null && view.closeCode === null && view.state !== SessionState.ENDED;
    const allows = (/** @type {string} */ tool) =>
        mandate === null || (mandate.signedBy !== "" && mandate.tools.includes(tool));
    const allowed = {
        control: allows(ENUMS.Tool.CONTROL),
        filesToPerson: allows(ENUMS.Tool.FILES_TO_PERSON),
        clipboard: allows(ENUMS.Tool.CLIPBOARD),
        diagnostics: allows(ENUMS.Tool.DIAGNOSTICS),
    };
    if (mandate === null || !live) {
        return { shown: false, signed: false, heading: "", tools: "", timeLeft: "", warning: "", answer: "",
            canExtend: false, addable: [], allowed };
    }
    const signed = mandate.signedBy !== "";
    const known = Object.values(ENUMS.Tool);
    const tools = known.filter((tool) => mandate.tools.includes(tool)).map((tool) => t(`mandate.tool.${tool}`));
    const left = secondsLeft(mandate.endsAt, nowMs);
    let timeLeft = "";
    if (signed && left !== null) {
        timeLeft = left >= 60 ? t("mandate.time_left", { minutes: Math.ceil(left / 60) })
            : left > 0 ? t("mandate.time_left_under_minute") : t("mandate.time_up");
    }
    let answer = "";
    if (mandate.extensionRefused) answer = t("mandate.extension_refused");
    else if (mandate.extensionAsked) answer = t("mandate.extension_asked");
    return {
        shown: true,
        signed,
        heading: signed ? t("mandate.signed_by", { name: mandate.signedBy }) : t("mandate.not_signed"),
        tools: t("mandate.tools", { tools: tools.join(", ") }),
        timeLeft,
        warning: signed && (mandate.warning || (left !== null && left <= MANDATE_WARNING_SECONDS))
            ? t("mandate.warning") : "",
        answer,
        canExtend: signed && view.connection === "open" && !mandate.extensionAsked,
        addable: EXTENSION_TOOLS.filter((tool) => !mandate.tools.includes(tool)),
        allowed,
    };
}
