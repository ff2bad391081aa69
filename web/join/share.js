// The join page's browser share: the person types the code, sees who asks,
// and shares their screen with getDisplayMedia; nothing to install.
//
// This page is the person's side of the session: it speaks to /ws/agent as
// an agent of kind "browser" (docs/reference/protocol.md, "Browser share").
// Its click on Share my screen, with the browser's own picker, is the
// consent to view; control is never offered. The picture goes by WebRTC
// (../viewer/rtc.js) to the technician's viewer; the server passes the
// signalling and gives the ICE servers (TURN credentials it mints).
//
// The server renders (console/templates/join.html):
//   <section id="browser-share" data-ws-url data-catalog-url data-lang></section>
// and this module fills it. End-to-end tests find: #share-code, #share-continue,
// #share-error, #share-asker, #share-start, #share-cancel, #share-ask-error,
// #share-panel (#share-watching, #share-stop, #share-again, #share-end, #share-pip,
// #share-chat-log, #share-chat-input, #share-files, #share-file-input, #share-send-file;
// each file is a #share-files li[data-id] with .file-accept, .file-decline, .file-cancel),
// #share-ended (#share-ended-sentence),
// #share-unsupported; the section's data-step says which step shows.
// The mandate (welcome's mandate: true): #share-mandate (#share-mandate-heading,
// #share-mandate-waiting, #share-mandate-text, #share-mandate-name,
// #share-mandate-pad, #share-mandate-clear, #share-mandate-sign,
// #share-mandate-refuse, #share-mandate-error), step "mandate", before the
// ask step, so before getDisplayMedia; an extension shows the same section
// inside the panel. #share-mandate-done (ask step) and #share-mandate-status,
// #share-mandate-warning (panel) say what was signed.

import { createTranslator, loadCatalog } from "../viewer/i18n.js";
import { describe, formatSize, PageFiles } from "./files.js";
import { getLogger, setDebug } from "../viewer/log.js";
import { RtcLink } from "../viewer/rtc.js";
import { CloseReason, ENUMS, MAX_CHAT_CHARACTERS, MessageType, PROTOCOL_VERSION } from "../viewer/wire.js";

const logger = getLogger("share");
const OPEN = 1;
// Close codes with their own sentence for a code that did not open a session.
const CODE_ERRORS = new Set([CloseReason.CODE_INVALID, CloseReason.CODE_EXPIRED, CloseReason.CODE_USED,
    CloseReason.RATE_LIMITED, CloseReason.CODE_CHECKS_PAUSED]);

/**
 * @param {string} tag
 * @param {Record<string, string>} [attributes]
 * @param {(Node | string)[]} [children]
 * @returns {HTMLElement}
 */
function element(tag, attributes = {}, children = []) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
    node.append(...children);
    return node;
}

/**
 * What the technician is told of this computer: the browser and the system.
 * @param {string} ua  navigator.userAgent
 * @returns {{hostname: string, os: string}}
 */
export function describeBrowser(ua) {
    const browser = /Edg\//.test(ua) ? "Edge" : /Firefox\//.test(ua) ? "Firefox"
        : /Chromium\//.test(ua) ? "Chromium" : /Chrome\//.test(ua) ? "Chrome"
            : /Safari\//.test(ua) ? "Safari" : "Browser";
    const os = /Windows/.test(ua) ? "Windows" : /CrOS/.test(ua) ? "ChromeOS"
        : /Mac OS X/.test(ua) ? "macOS" : /Linux/.test(ua) ? "Linux" : "";
    return { hostname: os ? `${browser} · ${os}` : browser, os };
}

/**
 * The code's digits, or null unless there are exactly 9 (spaces and dashes allowed).
 * @param {string} text
 * @returns {string | null}
 */
export function codeDigits(text) {
    const digits = text.replace(/[\s-]/g, "");
    return /^\d{9}$/.test(digits) ? digits : null;
}

/**
 * The organisation's branding from the welcome, as the page shows it: a
 * stripe of its colour on the share's frame, its logo beside its name. A
 * colour that is not "#rrggbb" or a logo that is not base64 is left out.
 * @param {{[field: string]: any}} welcome
 * @returns {{colour: string, logo: string, organisation: string}}  logo: a data: URL, or ""
 */
export function brandOf(welcome) {
    const colour = String(welcome.brand_colour || "");
    const logo = String(welcome.brand_logo || "");
    return {
        colour: /^#[0-9a-fA-F]{6}$/.test(colour) ? colour.toLowerCase() : "",
        logo: logo.length > 0 && /^[A-Za-z0-9+/]+={0,2}$/.test(logo) ? `data:image/png;base64,${logo}` : "",
        organisation: String(welcome.organisation || ""),
    };
}

async function main() {
    const root = document.getElementById("browser-share");
    if (root === null) return;
    const data = root.dataset;
    setDebug(new URLSearchParams(location.search).has("debug"));
    let catalog = {};
    try {
        catalog = await loadCatalog(data.catalogUrl || "/i18n/join/en.json");
    } catch (error) {
        logger.error("showing message keys:", error.message);
    }
    const t = createTranslator(catalog);

    // --- the session's state ------------------------------------------------------
    /** @type {WebSocket | null} */
    let socket = null;
    let welcomed = false;
    let resumeSecret = "";
    let recordingPolicy = "never";
    let technician = { name: "", organisation: "" };
    let state = "";
    let viewerConnected = false;
    /** @type {{by: string, reason: number} | null} */
    let ended = null;
    /** @type {MediaStream | null} */
    let stream = null;
    /** @type {Window | null} */
    let pipWindow = null;
    // The mandate: the welcome says one binds the session; the offer to sign
    // (mandate_offer), and what the server last said binds it (mandate_state).
    let mandateRequired = false;
    /** @type {{kind: string, text: string, sha256: string, tools: string[]} | null} */
    let mandateOffer = null;
    /** @type {{sha256: string, tools: string[], ends_at: number, signed_by: string, warning: boolean} | null} */
    let mandate = null;
    let mandateSigning = false;
    const chatIds = new Set();
    const timelineIds = new Set();  // announcements and steps, numbered apart from the chat

    // --- the page's parts ------------------------------------------------------
    const ui = {
        codeStep: element("form", { id: "share-code-form", class: "share-step", novalidate: "" }),
        code: element("input", { id: "share-code", name: "code", inputmode: "numeric", autocomplete: "off",
            maxlength: "15", placeholder: "482 913 705", "aria-describedby": "share-code-hint" }),
        continue: element("button", { id: "share-continue", type: "submit", class: "primary" }, [t("share.continue")]),
        error: element("p", { id: "share-error", class: "share-error", role: "alert" }),
        askStep: element("section", { id: "share-ask", class: "share-step", hidden: "" }),
        asker: element("h3", { id: "share-asker" }),
        start: element("button", { id: "share-start", type: "button", class: "primary" }, [t("ask.share")]),
        cancel: element("button", { id: "share-cancel", type: "button" }, [t("ask.cancel")]),
        askError: element("p", { id: "share-ask-error", class: "share-error", role: "alert" }),
        // The organisation's recording policy, said before anything is shared (welcome.recording).
        recordingNote: element("p", { id: "share-recording-note", class: "share-recording-note", hidden: "" }),
        recordChoice: element("label", { id: "share-record-choice", class: "share-record-choice", hidden: "" }),
        record: element("input", { id: "share-record", type: "checkbox" }),
        recordingMark: element("p", { id: "share-recording-mark", class: "share-recording-mark", hidden: "",
            role: "status" }, [t("panel.recording")]),
        panel: element("section", { id: "share-panel", class: "share-panel", hidden: "",
            "aria-label": t("panel.title") }),
        watching: element("p", { id: "share-watching", class: "share-watching", role: "status", "aria-live": "polite" }),
        viewOnly: element("p", { class: "share-view-only" }, [t("panel.view_only")]),
        stop: element("button", { id: "share-stop", type: "button" }, [t("panel.stop")]),
        again: element("button", { id: "share-again", type: "button", class: "primary", hidden: "" },
            [t("panel.share_again")]),
        end: element("button", { id: "share-end", type: "button", class: "danger" }, [t("panel.end")]),
        pip: element("button", { id: "share-pip", type: "button", class: "link", hidden: "" }, [t("panel.keep_on_top")]),
        pipNote: element("p", { id: "share-pip-note", class: "hint", hidden: "" }, [t("panel.in_pip")]),
        chatLog: element("ol", { id: "share-chat-log", class: "share-chat-log", "aria-live": "polite" }),
        files: element("ul", { id: "share-files", class: "share-files", "aria-live": "polite" }),
        fileInput: element("input", { id: "share-file-input", type: "file", class: "share-file-input" }),
        sendFile: element("button", { id: "share-send-file", type: "button" }, [t("files.send")]),
        chatInput: element("input", { id: "share-chat-input", type: "text", autocomplete: "off",
            maxlength: String(MAX_CHAT_CHARACTERS), placeholder: t("chat.placeholder") }),
        mandate: element("section", { id: "share-mandate", class: "share-step share-mandate", hidden: "",
            "aria-labelledby": "share-mandate-heading" }),
        mandateHeading: element("h3", { id: "share-mandate-heading" }),
        mandateWaiting: element("p", { id: "share-mandate-waiting", role: "status" }, [t("mandate.waiting")]),
        mandateText: element("div", { id: "share-mandate-text", class: "share-mandate-text", tabindex: "0" }),
        mandateName: element("input", { id: "share-mandate-name", type: "text", autocomplete: "name",
            required: "", maxlength: "200" }),
        mandatePad: element("canvas", { id: "share-mandate-pad", class: "share-mandate-pad", width: "600",
            height: "180", role: "img", "aria-label": t("mandate.pad_label") }),
        mandateClear: element("button", { id: "share-mandate-clear", type: "button", class: "link" },
            [t("mandate.clear")]),
        mandateSign: element("button", { id: "share-mandate-sign", type: "submit", class: "primary" },
            [t("mandate.sign")]),
        mandateRefuse: element("button", { id: "share-mandate-refuse", type: "button" }, [t("mandate.refuse")]),
        mandateError: element("p", { id: "share-mandate-error", class: "share-error", role: "alert" }),
        mandateStop: element("p", { id: "share-mandate-stop", class: "hint" }),
        mandateDone: element("p", { id: "share-mandate-done", class: "share-mandate-done", hidden: "" }),
        // The signed mandate as a PDF, the same the console downloads: before sharing, and in the panel.
        mandateCopy: element("button", { id: "share-mandate-copy", type: "button", class: "link", hidden: "" },
            [t("mandate.copy")]),
        mandateCopyPanel: element("button", { id: "share-mandate-copy-panel", type: "button", class: "link",
            hidden: "" }, [t("mandate.copy")]),
        mandateCopyNote: element("p", { id: "share-mandate-copy-note", class: "share-error", role: "alert" }),
        mandateStatus: element("p", { id: "share-mandate-status", class: "share-mandate-done", hidden: "" }),
        mandateWarning: element("p", { id: "share-mandate-warning", class: "share-mandate-warning", role: "alert",
            hidden: "" }),
        ended: element("section", { id: "share-ended", class: "share-step share-ended", hidden: "", role: "alert" }),
        endedSentence: element("p", { id: "share-ended-sentence" }),
        unsupported: element("p", { id: "share-unsupported", class: "share-error", hidden: "" }),
        brand: element("p", { id: "share-brand", class: "share-brand", hidden: "" }),
    };
    ui.codeStep.append(
        element("label", { for: "share-code" }, [t("share.code_label")]),
        element("div", { class: "share-code-row" }, [ui.code, ui.continue]),
        element("p", { id: "share-code-hint", class: "hint" }, [t("share.code_hint")]),
        ui.error,
    );
    ui.mandateForm = element("form", { id: "share-mandate-form", novalidate: "" }, [
        ui.mandateText,
        element("label", { for: "share-mandate-name" }, [t("mandate.name_label")]), ui.mandateName,
        element("label", { for: "share-mandate-pad" }, [t("mandate.pad_label")]),
        ui.mandatePad, element("div", {}, [ui.mandateClear]),
        element("div", { class: "share-actions" }, [ui.mandateSign, ui.mandateRefuse]),
        ui.mandateError, ui.mandateStop,
    ]);
    ui.mandate.append(ui.mandateHeading, ui.mandateWaiting, ui.mandateForm);
    ui.askStep.append(ui.mandateDone, ui.mandateCopy, ui.mandateCopyNote, ui.asker,
        element("ul", { class: "share-points" }, [
            element("li", {}, [t("ask.view_only")]), element("li", {}, [t("ask.choose")]),
            element("li", {}, [t("ask.stop")])]),
        ui.recordingNote, ui.recordChoice,
        element("div", { class: "share-actions" }, [ui.start, ui.cancel]), ui.askError);
    ui.recordChoice.append(ui.record, " ", t("ask.record"));
    const chatForm = element("form", { id: "share-chat-form", class: "share-chat-form" },
        [ui.chatInput, element("button", { id: "share-chat-send", type: "submit" }, [t("chat.send")])]);
    ui.panel.append(
        element("p", { class: "share-panel-brand" }, [t("panel.title")]),
        ui.recordingMark, ui.watching, ui.viewOnly, ui.mandateStatus, ui.mandateCopyPanel,
        ui.mandateWarning,
        element("div", { class: "share-actions" }, [ui.stop, ui.again, ui.end]),
        element("h3", {}, [t("chat.title")]), ui.chatLog, chatForm,
        element("h3", {}, [t("files.title")]), ui.files,
        element("div", { class: "share-actions" }, [ui.sendFile, ui.fileInput]), ui.pip,
    );
    ui.ended.append(element("h3", {}, [t("ended.heading")]), ui.endedSentence,
        element("p", {}, [t("ended.nothing_shared")]));
    // Where the panel goes back when its Picture-in-Picture window closes.
    const panelHome = element("div", { class: "share-panel-home" }, [ui.panel]);
    root.replaceChildren(
        ui.brand,
        element("h2", {}, [t("share.title")]),
        element("p", { class: "share-lead" }, [t("share.lead")]),
        ui.unsupported, ui.codeStep, ui.mandate, ui.askStep, ui.pipNote, panelHome, ui.ended,
    );
    // Where the mandate's section goes back from the panel (an extension is signed there).
    const mandateHome = ui.askStep;
    const pad = signaturePad(/** @type {HTMLCanvasElement} */ (ui.mandatePad));

    /** @param {{colour: string, logo: string, organisation: string}} brand */
    function showBrand(brand) {
        if (!brand.colour && !brand.logo) return;
        if (brand.colour) {
            root.style.setProperty("--brand", brand.colour);
            root.classList.add("branded");
        }
        const parts = [];
        if (brand.logo) parts.push(element("img", { src: brand.logo, alt: "", class: "share-brand-logo" }));
        parts.push(element("span", { class: "share-brand-name" }, [brand.organisation]));
        ui.brand.replaceChildren(...parts);
        ui.brand.hidden = false;
    }

    /** @param {"code" | "mandate" | "ask" | "sharing" | "stopped" | "ended" | "unsupported"} name */
    function step(name) {
        root.dataset.step = name;
        ui.codeStep.hidden = name !== "code";
        ui.askStep.hidden = name !== "ask";
        ui.panel.hidden = name !== "sharing" && name !== "stopped";
        ui.ended.hidden = name !== "ended";
        ui.unsupported.hidden = name !== "unsupported";
        ui.stop.hidden = name !== "sharing";
        ui.again.hidden = name !== "stopped";
        ui.pip.hidden = !(name === "sharing" || name === "stopped") || pipWindow !== null ||
            !("documentPictureInPicture" in window);
        ui.pipNote.hidden = pipWindow === null || ui.panel.hidden;
        renderWatching();
        renderMandate();
    }

    /** The mandate to sign (its own step, or an extension in the panel), and what was signed. */
    function renderMandate() {
        const name = root.dataset.step;
        const extension = mandateOffer !== null && mandateOffer.kind === "extension";
        if (extension && ui.mandate.parentElement !== ui.panel) {
            ui.mandateWarning.after(ui.mandate);
        } else if (!extension && ui.mandate.parentElement === ui.panel) {
            mandateHome.before(ui.mandate);
        }
        ui.mandate.hidden = !(name === "mandate" || (extension && (name === "sharing" || name === "stopped")));
        ui.mandate.classList.toggle("share-mandate-extension", extension);
        ui.mandateWaiting.hidden = mandateOffer !== null;
        ui.mandateForm.hidden = mandateOffer === null;
        const heading = extension ? t("mandate.extension_heading", { technician: technician.name })
            : t("mandate.heading", { technician: technician.name, organisation: technician.organisation });
        if (ui.mandateHeading.textContent !== heading) ui.mandateHeading.textContent = heading;
        ui.mandateRefuse.textContent = t(extension ? "mandate.not_now" : "mandate.refuse");
        ui.mandateStop.textContent = t(extension ? "mandate.extension_stop" : "mandate.stop");
        /** @type {HTMLButtonElement} */ (ui.mandateSign).disabled = mandateSigning;
        /** @type {HTMLButtonElement} */ (ui.mandateRefuse).disabled = mandateSigning;
        const signed = mandate !== null && mandate.signed_by !== "";
        const said = signed ? t("mandate.signed", { name: mandate.signed_by, time: clock(mandate.ends_at) }) : "";
        ui.mandateDone.textContent = said;
        ui.mandateDone.hidden = !signed;
        ui.mandateStatus.textContent = said;
        ui.mandateStatus.hidden = !signed;
        ui.mandateCopy.hidden = !signed;
        ui.mandateCopyPanel.hidden = !signed;
        ui.mandateWarning.textContent = signed && mandate.warning ? t("mandate.warning") : "";
        ui.mandateWarning.hidden = !(signed && mandate.warning);
        // Files from this page only where the mandate allows them.
        if (mandate !== null && !mandate.tools.includes(ENUMS.Tool.FILES_TO_TECHNICIAN)) ui.sendFile.hidden = true;
    }

    /**
     * A time of day in the page's language ("14:35").
     * @param {number} at  Unix seconds
     */
    function clock(at) {
        return new Date(at * 1000).toLocaleTimeString(document.documentElement.lang || undefined,
            { hour: "2-digit", minute: "2-digit" });
    }

    if (!navigator.mediaDevices?.getDisplayMedia) {
        ui.unsupported.textContent = t(window.isSecureContext ? "share.unsupported" : "share.insecure");
        step("unsupported");
        return;
    }

    // --- the session ---------------------------------------------------------------

    const rtc = new RtcLink({ send: (message) => send(message) });
    const lang = document.documentElement.lang || data.lang || "en";
    const files = new PageFiles({ send: (message) => send(message), save: saveFile, onChange: renderFiles });
    window.coupdemainFiles = files;
    // For tests and support: which path the picture takes (host, srflx, relay).
    window.coupdemainRtc = rtc;

    /** @param {{type: string, [field: string]: unknown}} message */
    function send(message) {
        if (socket === null || socket.readyState !== OPEN) return false;
        logger.debug(">", message.type);
        socket.send(JSON.stringify(message));
        return true;
    }

    function renderWatching() {
        let text = "";
        if (root.dataset.step === "stopped") {
            text = t("panel.stopped", { technician: technician.name });
        } else if (viewerConnected) {
            text = t("panel.watching", { technician: technician.name, organisation: technician.organisation });
        } else {
            text = t("panel.waiting_viewer", { technician: technician.name });
        }
        if (ui.watching.textContent !== text) ui.watching.textContent = text;
    }

    ui.codeStep.addEventListener("submit", (event) => {
        event.preventDefault();
        const digits = codeDigits(/** @type {HTMLInputElement} */ (ui.code).value);
        if (digits === null) {
            ui.error.textContent = t("error.format");
            return;
        }
        connect(digits);
    });

    /** @param {string} digits */
    function connect(digits) {
        ui.error.textContent = t("share.checking");
        ui.continue.disabled = true;
        const url = new URL(data.wsUrl || "/ws/agent", location.href);
        url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
        const opened = new WebSocket(url.href);
        socket = opened;
        const about = describeBrowser(navigator.userAgent);
        opened.onopen = () => send({ type: MessageType.HELLO, protocol: PROTOCOL_VERSION, role: ENUMS.Role.AGENT,
            kind: ENUMS.AgentKind.BROWSER, code: digits, hostname: about.hostname, os: about.os,
            language: data.lang || "en" });
        opened.onmessage = (event) => {
            if (socket !== opened || typeof event.data !== "string") return;
            let message;
            try {
                message = JSON.parse(event.data);
            } catch {
                logger.error("ignored a message that is not JSON");
                return;
            }
            receive(message);
        };
        opened.onclose = (event) => {
            if (socket !== opened) return;
            socket = null;
            closed(event.code);
        };
    }

    /** @param {{type: string, [field: string]: any}} message */
    function receive(message) {
        logger.debug("<", message.type);
        switch (message.type) {
            case MessageType.WELCOME:
                welcomed = true;
                files.sessionId = String(message.session_id);
                // Opens this session's mandate PDF (and nothing else), as the agent's secret does.
                resumeSecret = String(message.resume ?? "");
                ui.sendFile.hidden = message.files_to_technician === false;
                technician = { name: String(message.technician_name), organisation: String(message.organisation) };
                showBrand(brandOf(message));
                ui.asker.textContent = t("ask.heading", { technician: technician.name,
                    organisation: technician.organisation });
                recordingPolicy = String(message.recording ?? "never");
                ui.recordingNote.hidden = recordingPolicy === "never";
                ui.recordChoice.hidden = recordingPolicy !== "ask";
                /** @type {HTMLInputElement} */ (ui.record).checked = false;
                if (recordingPolicy !== "never") {
                    ui.recordingNote.textContent = t(`ask.recording_${recordingPolicy}`, {
                        organisation: technician.organisation, days: Number(message.recording_days ?? 0) });
                }
                // A mandate binds the session: it is read and signed before anything else.
                mandateRequired = message.mandate === true;
                if (mandateRequired && !mandateSigned()) {
                    step("mandate");
                } else {
                    step("ask");
                    ui.start.focus();
                }
                break;
            case MessageType.MANDATE_OFFER:
                receiveMandateOffer(message);
                break;
            case MessageType.MANDATE_STATE:
                receiveMandateState(message);
                break;
            case MessageType.RTC_CONFIG:
                rtc.configure(message);
                break;
            case MessageType.STATE:
                state = String(message.state);
                ui.recordingMark.hidden = message.recording !== true;
                break;
            case MessageType.WATCHING:
                if (Array.isArray(message.technicians) && message.technicians.length > 0) {
                    technician = { name: String(message.technicians[0].name),
                        organisation: String(message.technicians[0].organisation) };
                    renderWatching();
                }
                break;
            case MessageType.PEER:
                if (message.role !== ENUMS.Role.VIEWER) break;
                viewerConnected = Boolean(message.connected);
                if (viewerConnected && stream !== null && root.dataset.step === "sharing") offer();
                if (!viewerConnected) rtc.close();
                renderWatching();
                break;
            case MessageType.RTC_ANSWER:
                rtc.receiveAnswer(message).catch((error) => logger.error("the answer failed:", error));
                break;
            case MessageType.RTC_CANDIDATE:
                rtc.receiveCandidate(message).catch((error) => logger.error("a candidate failed:", error));
                break;
            case MessageType.FILE_OFFER:
            case MessageType.FILE_TICKET:
            case MessageType.FILE_STATUS:
                files.receive(message);
                break;
            case MessageType.CHAT_MESSAGE:
                receiveChat(message);
                break;
            case MessageType.ANNOUNCEMENT:
            case MessageType.STEP_MESSAGE:
                receiveTimeline(message);
                break;
            case MessageType.ENDED:
                ended = { by: String(message.by), reason: Number(message.reason) };
                finish();
                break;
        }
    }

    /** @returns {boolean} whether the person (or an earlier signature) signed the mandate */
    function mandateSigned() {
        return mandate !== null && mandate.signed_by !== "";
    }

    /** @param {{[field: string]: any}} message */
    function receiveMandateOffer(message) {
        if (typeof message.text !== "string" || typeof message.sha256 !== "string") return;
        const previous = mandateOffer;
        mandateOffer = { kind: message.kind === "extension" ? "extension" : "mandate", text: message.text,
            sha256: message.sha256, tools: Array.isArray(message.tools) ? message.tools.map(String) : [] };
        mandateSigning = false;
        if (previous === null || previous.sha256 !== mandateOffer.sha256) {
            ui.mandateText.textContent = mandateOffer.text;
            /** @type {HTMLInputElement} */ (ui.mandateName).value = mandate?.signed_by ?? "";
            ui.mandateError.textContent = "";
            pad.clear();
        }
        if (mandateOffer.kind === "mandate") {
            step("mandate");
            ui.mandateText.focus();
        } else {
            renderMandate();
        }
    }

    /** @param {{[field: string]: any}} message */
    function receiveMandateState(message) {
        const before = mandate;
        // The end on this computer's clock: the server says its own time as it sends.
        const skew = Number(message.now) > 0 ? Number(message.now) - Date.now() / 1000 : 0;
        mandate = { sha256: String(message.sha256), tools: Array.isArray(message.tools) ? message.tools.map(String) : [],
            ends_at: Number(message.ends_at) > 0 ? Number(message.ends_at) - skew : 0,
            signed_by: String(message.signed_by), warning: message.warning === true };
        // Signed (a new text), or an extension refused: the offer is answered.
        if (mandateOffer !== null && (mandate.sha256 === mandateOffer.sha256 || message.extension_refused === true ||
            (before !== null && before.sha256 !== mandate.sha256))) {
            mandateOffer = null;
            mandateSigning = false;
        }
        if (root.dataset.step === "mandate" && mandateSigned() && mandateOffer === null) {
            step("ask");
            ui.start.focus();
        } else {
            renderMandate();
        }
    }

    ui.mandateForm.addEventListener("submit", (event) => {
        event.preventDefault();
        if (mandateOffer === null || mandateSigning) return;
        const name = /** @type {HTMLInputElement} */ (ui.mandateName).value.trim();
        if (name === "") {
            ui.mandateError.textContent = t("mandate.name_missing");
            ui.mandateName.focus();
            return;
        }
        const drawing = pad.drawn ? pngBase64(/** @type {HTMLCanvasElement} */ (ui.mandatePad).toDataURL("image/png")) : "";
        if (send({ type: MessageType.MANDATE_SIGN, sha256: mandateOffer.sha256, name, drawing })) {
            mandateSigning = true;
            ui.mandateError.textContent = t("mandate.signing");
            renderMandate();
        }
    });
    ui.mandateRefuse.addEventListener("click", () => {
        if (mandateOffer === null) return;
        if (send({ type: MessageType.MANDATE_REFUSE, sha256: mandateOffer.sha256 }) &&
            mandateOffer.kind === "extension") {
            // The mandate stays as it was; the server says so with a new state.
            mandateOffer = null;
            renderMandate();
        }
    });
    ui.mandateClear.addEventListener("click", () => pad.clear());
    /** Downloads the signed mandate: the browser saves it where the person chooses. */
    async function saveMandateCopy() {
        ui.mandateCopyNote.textContent = "";
        try {
            const answer = await fetch("/api/agent/mandate.pdf",
                { headers: { Authorization: `Bearer ${resumeSecret}` } });
            if (!answer.ok) throw new Error(`HTTP ${answer.status}`);
            const url = URL.createObjectURL(await answer.blob());
            const link = element("a", { href: url, download: t("mandate.copy_file") });
            document.body.append(link);
            link.click();
            link.remove();
            setTimeout(() => URL.revokeObjectURL(url), 60_000);
        } catch (error) {
            logger.error("the mandate's copy:", error.message);
            ui.mandateCopyNote.textContent = t("mandate.copy_failed");
        }
    }
    ui.mandateCopy.addEventListener("click", () => { void saveMandateCopy(); });
    ui.mandateCopyPanel.addEventListener("click", () => { void saveMandateCopy(); });
    ui.mandateName.addEventListener("input", () => {
        if (!mandateSigning) ui.mandateError.textContent = "";
    });

    function offer() {
        if (stream === null) return;
        rtc.offer(stream).catch((error) => logger.error("could not offer the screen:", error));
    }

    /** @param {number} code  the WebSocket's close code */
    function closed(code) {
        if (ended !== null) return;
        if (!welcomed) {
            ui.continue.disabled = false;
            ui.error.textContent = CODE_ERRORS.has(code) ? t(`error.${code}`)
                : code === 1006 ? t("error.unreachable") : t("error.other", { code });
            step("code");
            return;
        }
        ended = { by: "server", reason: code };
        finish();
    }

    ui.start.addEventListener("click", () => share());
    ui.again.addEventListener("click", () => share());
    ui.cancel.addEventListener("click", () => {
        send({ type: MessageType.CONSENT, decision: ENUMS.ViewAnswer.DECLINE });
    });
    ui.stop.addEventListener("click", () => stopSharing());
    ui.end.addEventListener("click", () => {
        if (!send({ type: MessageType.END })) {
            ended = { by: "person", reason: CloseReason.ENDED_BY_PERSON };
            finish();
        }
    });
    ui.pip.addEventListener("click", () => openPip());
    ui.sendFile.addEventListener("click", () => /** @type {HTMLInputElement} */ (ui.fileInput).click());
    ui.fileInput.addEventListener("change", () => {
        const input = /** @type {HTMLInputElement} */ (ui.fileInput);
        for (const file of Array.from(input.files ?? [])) files.offer(file);
        input.value = "";
    });
    ui.files.addEventListener("click", (event) => {
        const target = /** @type {HTMLElement} */ (event.target);
        const id = target.closest("li")?.dataset.id;
        if (!id) return;
        if (target.classList.contains("file-accept")) files.answer(id, true);
        else if (target.classList.contains("file-decline")) files.answer(id, false);
        else if (target.classList.contains("file-cancel")) files.cancel(id);
    });

    /**
     * The checked bytes go to the browser's own download, after the person's Accept.
     * @param {Blob} blob
     * @param {string} name
     */
    function saveFile(blob, name) {
        const url = URL.createObjectURL(blob);
        const link = element("a", { href: url, download: name, hidden: "" });
        document.body.append(link);
        link.click();
        link.remove();
        setTimeout(() => URL.revokeObjectURL(url), 60_000);
    }

    /** Paints every file: the question for one offered, then where each stands. */
    function renderFiles() {
        const items = [];
        for (const transfer of files.transfers.values()) {
            const said = describe(transfer);
            const params = said.params?.reason ? { reason: t(`files.reason.${said.params.reason}`) } : undefined;
            const what = t("files.what", { name: transfer.name, size: formatSize(transfer.size, t, lang) });
            const item = element("li", { "data-id": transfer.id, "data-state": transfer.state,
                class: transfer.incoming ? "file-in" : "file-out" });
            if (transfer.state === "offered") {
                item.append(element("p", { class: "file-asks" }, [t("files.asks", { sender: transfer.sender })]),
                    element("p", { class: "file-name" }, [what]),
                    element("p", { class: "hint" }, [t("files.question")]),
                    element("div", { class: "share-actions" }, [
                        element("button", { type: "button", class: "primary file-accept" }, [t("files.accept")]),
                        element("button", { type: "button", class: "file-decline" }, [t("files.decline")])]));
            } else {
                let status = t(said.key, params);
                if (transfer.state === "sending") {
                    status += ` ${t("files.progress", { done: formatSize(transfer.done, t, lang),
                        total: formatSize(transfer.size, t, lang) })}`;
                }
                item.append(element("p", { class: "file-name" }, [what]),
                    element("p", { class: "file-status" }, [status]));
                if (["accepted", "hashing", "sending"].includes(transfer.state)) {
                    item.append(element("button", { type: "button", class: "link file-cancel" }, [t("files.cancel")]));
                }
            }
            items.push(item);
        }
        ui.files.replaceChildren(...items);
    }
    chatForm.addEventListener("submit", (event) => {
        event.preventDefault();
        const input = /** @type {HTMLInputElement} */ (ui.chatInput);
        const text = input.value.trim();
        if (text && text.length <= MAX_CHAT_CHARACTERS && send({ type: MessageType.CHAT, text })) input.value = "";
    });

    /** Asks the browser for the screen: its own picker, the person's choice. */
    async function share() {
        // Nothing is shared before the mandate is signed (the server refuses the consent too).
        if (mandateRequired && !mandateSigned()) return;
        ui.askError.textContent = "";
        let chosen;
        try {
            chosen = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
        } catch (error) {
            const cancelled = error.name === "NotAllowedError" || error.name === "AbortError";
            const sentence = cancelled ? t("ask.picker_cancelled") : t("ask.picker_failed", { error: error.name });
            if (root.dataset.step === "ask") ui.askError.textContent = sentence;
            else ui.watching.textContent = sentence;
            return;
        }
        if (ended !== null) {
            for (const track of chosen.getTracks()) track.stop();
            return;
        }
        stream = chosen;
        for (const track of chosen.getVideoTracks()) {
            // The browser's own "Stop sharing" bar ends the track.
            track.addEventListener("ended", () => {
                if (stream === chosen) stopSharing();
            });
        }
        const first = state === ENUMS.State.WAITING_FOR_CONSENT;
        step("sharing");
        if (first) {
            // The click and the choice are the consent; the server then says whether a viewer is there.
            // The person's word on recording, as this page told them the policy.
            const record = recordingPolicy === "always" ||
                (recordingPolicy === "ask" && /** @type {HTMLInputElement} */ (ui.record).checked);
            send({ type: MessageType.CONSENT, decision: ENUMS.ViewAnswer.ALLOW_VIEW, record });
        } else {
            send({ type: MessageType.PAUSE, paused: false });
            if (viewerConnected) offer();
        }
        openPip();
    }

    function stopSharing() {
        if (stream === null) return;
        const stopping = stream;
        stream = null;
        for (const track of stopping.getTracks()) track.stop();
        rtc.close();
        send({ type: MessageType.PAUSE, paused: true });
        step("stopped");
    }

    function finish() {
        if (stream !== null) {
            for (const track of stream.getTracks()) track.stop();
            stream = null;
        }
        rtc.close();
        if (pipWindow !== null) pipWindow.close();
        if (socket !== null) {
            const closing = socket;
            socket = null;
            closing.close(1000);
        }
        ui.endedSentence.textContent = endedSentence(ended, t, technician.name);
        step("ended");
    }

    /** The panel in its own always-on-top window, where the browser has Document Picture-in-Picture. */
    async function openPip() {
        if (!("documentPictureInPicture" in window) || pipWindow !== null) return;
        let opened;
        try {
            opened = await window.documentPictureInPicture.requestWindow({ width: 360, height: 460 });
        } catch (error) {
            // No user gesture left, or refused: the panel stays in the tab, with its button.
            logger.info("the panel stays in the tab:", error.message);
            step(/** @type {any} */ (root.dataset.step));
            return;
        }
        for (const sheet of document.querySelectorAll('link[rel="stylesheet"]')) {
            opened.document.head.append(sheet.cloneNode());
        }
        opened.document.title = t("panel.title");
        opened.document.documentElement.lang = document.documentElement.lang;
        opened.document.body.classList.add("share-pip");
        pipWindow = opened;
        opened.document.body.append(ui.panel);
        opened.addEventListener("pagehide", () => {
            panelHome.append(ui.panel);
            pipWindow = null;
            step(/** @type {any} */ (root.dataset.step));
        });
        step(/** @type {any} */ (root.dataset.step));
    }

    /** @param {{id: number, author: string, name: string, text: string, at: number}} message */
    function receiveChat(message) {
        if (chatIds.has(message.id)) return;
        chatIds.add(message.id);
        const who = message.author === ENUMS.Author.PERSON ? t("chat.you") : String(message.name);
        const time = new Date(Number(message.at) * 1000).toLocaleTimeString(document.documentElement.lang,
            { hour: "2-digit", minute: "2-digit" });
        ui.chatLog.append(element("li", { class: `chat-${message.author}`, "data-id": String(message.id) }, [
            element("span", { class: "chat-meta" }, [`${time} · ${who}`]),
            element("span", { class: "chat-text" }, [String(message.text)]),
        ]));
        ui.chatLog.scrollTop = ui.chatLog.scrollHeight;
    }

    /**
     * What the technician says they do (a step) or will do (an announcement), in the chat's
     * list: a page cannot ask OK / Not now, so the server asks nothing of it.
     * @param {{type: string, id: number, name: string, text: string, at: number}} message
     */
    function receiveTimeline(message) {
        if (timelineIds.has(message.id)) return;
        timelineIds.add(message.id);
        const key = message.type === MessageType.STEP_MESSAGE ? "inform.step" : "inform.announced";
        const time = new Date(Number(message.at) * 1000).toLocaleTimeString(document.documentElement.lang,
            { hour: "2-digit", minute: "2-digit" });
        ui.chatLog.append(element("li", { class: "chat-technician share-timeline",
            "data-timeline-id": String(message.id) }, [
            element("span", { class: "chat-meta" }, [`${time} · ${t(key, { name: String(message.name) })}`]),
            element("span", { class: "chat-text" }, [String(message.text)]),
        ]));
        ui.chatLog.scrollTop = ui.chatLog.scrollHeight;
    }

    window.addEventListener("pagehide", () => {
        if (socket !== null) socket.close(1000);
    });
    step("code");
    ui.code.focus();
}

/**
 * How the session ended, in the person's words.
 * @param {{by: string, reason: number} | null} ended
 * @param {(key: string, params?: Record<string, string | number>) => string} t
 * @param {string} technician  the technician's name
 * @returns {string}
 */
export function endedSentence(ended, t, technician) {
    if (ended === null) return "";
    switch (ended.reason) {
        case CloseReason.ENDED_BY_PERSON: return t("ended.by_person");
        case CloseReason.ENDED_BY_TECHNICIAN: return t("ended.by_technician", { technician });
        case CloseReason.DECLINED: return t("ended.declined");
        case CloseReason.PEER_LOST: return t("ended.peer_lost");
        case CloseReason.MANDATE_REFUSED: return t("ended.mandate_refused");
        case CloseReason.MANDATE_EXPIRED: return t("ended.mandate_expired");
    }
    return ended.by === "server" && ended.reason < 4000 ? t("ended.connection_lost") : t("ended.server");
}

/**
 * The base64 of a PNG data URL, without its "data:image/png;base64," prefix.
 * @param {string} dataUrl  canvas.toDataURL("image/png")
 * @returns {string}
 */
export function pngBase64(dataUrl) {
    const prefix = "data:image/png;base64,";
    return dataUrl.startsWith(prefix) ? dataUrl.slice(prefix.length) : "";
}

/**
 * A signature drawn on a canvas with the mouse, a pen or a finger (pointer events).
 * @param {HTMLCanvasElement} canvas
 * @returns {{clear: () => void, readonly drawn: boolean}}
 */
function signaturePad(canvas) {
    const context = /** @type {CanvasRenderingContext2D} */ (canvas.getContext("2d"));
    let drawn = false;
    /** @type {[number, number] | null} */
    let last = null;
    /** @param {PointerEvent} event @returns {[number, number]} */
    const at = (event) => {
        const box = canvas.getBoundingClientRect();
        return [(event.clientX - box.left) * canvas.width / box.width,
            (event.clientY - box.top) * canvas.height / box.height];
    };
    const clear = () => {
        // White, not transparent: the picture reads the same in the PDF and the history.
        context.fillStyle = "#fff";
        context.fillRect(0, 0, canvas.width, canvas.height);
        context.strokeStyle = "#14213d";
        context.fillStyle = "#14213d";
        context.lineWidth = 3;
        context.lineCap = "round";
        context.lineJoin = "round";
        drawn = false;
        last = null;
    };
    canvas.addEventListener("pointerdown", (event) => {
        event.preventDefault();
        canvas.setPointerCapture(event.pointerId);
        last = at(event);
        context.beginPath();
        context.arc(last[0], last[1], 1.5, 0, 2 * Math.PI);
        context.fill();
        drawn = true;
    });
    canvas.addEventListener("pointermove", (event) => {
        if (last === null) return;
        const next = at(event);
        context.beginPath();
        context.moveTo(last[0], last[1]);
        context.lineTo(next[0], next[1]);
        context.stroke();
        last = next;
    });
    const lift = () => { last = null; };
    canvas.addEventListener("pointerup", lift);
    canvas.addEventListener("pointercancel", lift);
    clear();
    return { clear, get drawn() { return drawn; } };
}

if (typeof document !== "undefined") {
    main().catch((error) => logger.error("the browser share failed to start:", error));
}
