// The viewer page's entry: reads the container's data-* attributes, builds
// the session UI inside it, and starts the ViewerSession.
//
// The server renders (console/templates/session.html):
//   <main id="viewer" data-session-id data-ws-url data-lang data-code
//         data-code-expires-at data-join-url data-catalog-url></main>
// and this module fills it with #status, #support-code, #countdown, #join-url,
// #request-control, #release-control, #end-session, #screen and
// #ended-message (end-to-end tests find them by these ids), #screen-video (a
// browser share's picture, over WebRTC: rtc.js, instead of #screen), #monitors
// (one button[data-monitor] per monitor, -1 for all, when there are several), and the
// diagnostics panel: #diagnose, #diagnostics, #diagnostics-status,
// #diagnostics-findings (one li[data-code] per finding), #diagnostics-sections;
// the mandate: #mandate (#mandate-signed, #mandate-tools, #mandate-time,
// #mandate-warning, #mandate-answer, #mandate-extend) and its dialog
// #mandate-extend-dialog (#mandate-extend-minutes, input[name=tool] per tool
// to add, #mandate-extend-send, #mandate-extend-cancel, #mandate-extend-error).
// A control outside the mandate stays in its place, disabled, titled
// "Not in the mandate".

import { CursorOverlay } from "./cursor.js";
import { supportedEncodings } from "./decoders/index.js";
import { Display } from "./display.js";
import { diagnosticsStatusKey, presentFindings, presentSections } from "./diagnostics.js";
import { createTranslator, loadCatalog } from "./i18n.js";
import { KeyboardInput } from "./input/keyboard.js";
import { PointerInput } from "./input/pointer.js";
import { getLogger, setDebug } from "./log.js";
import { ViewerSession, webSocketUrl } from "./session.js";
import { FilesPanel, FileTransfers } from "./files.js";
import { TrackRecorder } from "./recorder.js";
import { RtcLink } from "./rtc.js";
import { ENUMS, MAX_CHAT_CHARACTERS, MAX_STEP_CHARACTERS, SessionState } from "./protocol.js";
import { formatCode, formatCountdown, monitorChoices, present, presentMandate, secondsLeft } from "./view.js";

const logger = getLogger("main");

/**
 * Makes an element with attributes and children.
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
 * Builds the page's elements inside the container.
 * @param {HTMLElement} root
 * @param {(key: string, params?: Record<string, string | number>) => string} t
 * @param {string} code  the formatted support code, or ""
 * @param {string} joinUrl  the join page's address to read out, or ""
 * @param {string} sessionId  the session's id, for the link to its report
 */
function build(root, t, code, joinUrl, sessionId) {
    const ui = {
        status: element("p", { id: "status", class: "viewer-status", role: "status", "aria-live": "polite" }),
        person: element("span", { id: "person", class: "viewer-person" }),
        recording: element("span", { id: "recording-mark", class: "recording-mark", hidden: "" },
            [t("status.recording")]),
        requestControl: element("button", { id: "request-control", type: "button", class: "primary", hidden: "" },
            [t("button.request_control")]),
        releaseControl: element("button", { id: "release-control", type: "button", hidden: "" },
            [t("button.release_control")]),
        endSession: element("button", { id: "end-session", type: "button", class: "danger", hidden: "" },
            [t("button.end_session")]),
        diagnose: element("button", { id: "diagnose", type: "button", hidden: "" }, [t("button.diagnose")]),
        monitors: element("div", { id: "monitors", class: "viewer-monitors", role: "group",
            "aria-label": t("monitor.group"), hidden: "" }),
        diagnostics: element("aside", { id: "diagnostics", class: "viewer-diagnostics", hidden: "",
            "aria-label": t("diagnostics.title") }),
        diagnosticsStatus: element("p", { id: "diagnostics-status", role: "status", "aria-live": "polite" }),
        diagnosticsFindings: element("ul", { id: "diagnostics-findings", class: "viewer-diagnostics-findings" }),
        diagnosticsSections: element("div", { id: "diagnostics-sections" }),
        diagnosticsClose: element("button", { id: "diagnostics-close", type: "button" },
            [t("diagnostics.close")]),
        supportCode: element("p", { id: "support-code", class: code ? "viewer-code" : "viewer-code-missing" },
            [code || t("code.not_shown")]),
        countdownLabel: element("span", { id: "countdown-label" }, [t("code.expires_in")]),
        countdown: element("span", { id: "countdown", class: "viewer-countdown" }),
        expiry: element("p", { class: "viewer-code-expiry", hidden: "" }),
        // Where the person gets the program: this server's join page.
        joinUrl: element("p", { id: "join-url", class: "viewer-join-url" }, [joinUrl]),
        codePanel: element("section", { id: "code-panel", class: "viewer-code-panel", hidden: "" }),
        stage: element("div", { id: "stage", class: "viewer-stage", hidden: "" }),
        screen: element("canvas", { id: "screen", tabindex: "0", width: "0", height: "0",
            "aria-label": t("screen.label") }),
        // A browser share's picture: the WebRTC track, muted (it carries no sound).
        video: element("video", { id: "screen-video", class: "viewer-video", autoplay: "", muted: "",
            playsinline: "", hidden: "", "aria-label": t("screen.label") }),
        pausedNote: element("p", { id: "paused-note", class: "viewer-paused-note", hidden: "" },
            [t("screen.paused_note")]),
        chat: element("aside", { id: "chat", class: "viewer-chat", hidden: "", "aria-label": t("chat.title") }),
        chatLog: element("ol", { id: "chat-log", class: "viewer-chat-log", "aria-live": "polite" }),
        chatInput: element("input", { id: "chat-input", type: "text", autocomplete: "off",
            maxlength: String(MAX_CHAT_CHARACTERS), placeholder: t("chat.placeholder") }),
        chatSend: element("button", { id: "chat-send", type: "submit" }, [t("chat.send")]),
        // Announce an action (a kind and a short text) and write the steps: the person's banner.
        inform: element("section", { id: "inform", class: "viewer-inform", hidden: "" }),
        announceKind: element("select", { id: "announce-kind", "aria-label": t("inform.kind") },
            Object.values(ENUMS.ActionKind).map((kind) =>
                element("option", { value: kind }, [t(`inform.kind.${kind}`)]))),
        announceText: element("input", { id: "announce-text", type: "text", autocomplete: "off",
            maxlength: String(MAX_STEP_CHARACTERS), placeholder: t("inform.announce_placeholder") }),
        announceSend: element("button", { id: "announce-send", type: "submit" }, [t("inform.announce")]),
        stepText: element("input", { id: "step-text", type: "text", autocomplete: "off",
            maxlength: String(MAX_STEP_CHARACTERS), placeholder: t("inform.step_placeholder") }),
        stepSend: element("button", { id: "step-send", type: "submit" }, [t("inform.step")]),
        timelineLog: element("ol", { id: "timeline-log", class: "viewer-chat-log viewer-timeline-log",
            "aria-live": "polite" }),
        clipboard: element("section", { id: "clipboard", class: "viewer-clipboard", hidden: "" }),
        clipboardFromPerson: element("textarea", { id: "clipboard-from-person", rows: "2", readonly: "" }),
        clipboardToPerson: element("textarea", { id: "clipboard-to-person", rows: "2",
            placeholder: t("clipboard.to_person_placeholder") }),
        clipboardSend: element("button", { id: "clipboard-send", type: "button" }, [t("clipboard.send")]),
        clipboardNote: element("p", { id: "clipboard-note", class: "viewer-clipboard-note" }),
        // The mandate that binds the session: who signed, the tools, the time left.
        mandate: element("section", { id: "mandate", class: "viewer-mandate", hidden: "",
            "aria-label": t("mandate.title") }),
        mandateSigned: element("p", { id: "mandate-signed", class: "viewer-mandate-signed" }),
        mandateTools: element("p", { id: "mandate-tools", class: "viewer-mandate-tools" }),
        mandateTime: element("p", { id: "mandate-time", class: "viewer-mandate-time" }),
        mandateWarning: element("p", { id: "mandate-warning", class: "viewer-mandate-warning", role: "alert",
            hidden: "" }),
        mandateAnswer: element("p", { id: "mandate-answer", class: "viewer-mandate-answer", role: "status",
            "aria-live": "polite" }),
        mandateExtend: element("button", { id: "mandate-extend", type: "button" }, [t("mandate.extend")]),
        extendDialog: element("dialog", { id: "mandate-extend-dialog", class: "viewer-mandate-dialog",
            "aria-labelledby": "mandate-extend-title" }),
        extendMinutes: element("input", { id: "mandate-extend-minutes", type: "number", min: "0",
            // protocol/mandate.py's MAX_MINUTES: no mandate lasts longer.
            max: "480", step: "1", value: "15" }),
        extendTools: element("fieldset", { id: "mandate-extend-tools", class: "viewer-mandate-tools-choice" }),
        extendError: element("p", { id: "mandate-extend-error", class: "viewer-mandate-error", role: "alert" }),
        extendSend: element("button", { id: "mandate-extend-send", type: "submit", class: "primary" },
            [t("mandate.extend_send")]),
        extendCancel: element("button", { id: "mandate-extend-cancel", type: "button" },
            [t("mandate.extend_cancel")]),
        ended: element("section", { id: "ended-message", class: "viewer-ended", hidden: "", role: "alert" }),
        endedTitle: element("h2", { id: "ended-title" }),
        endedSentence: element("p", { id: "ended-sentence" }),
    };
    ui.expiry.append(ui.countdownLabel, " ", ui.countdown);
    ui.codePanel.append(
        element("p", { class: "viewer-code-label" }, [t("code.label")]),
        ui.supportCode,
        ui.expiry,
        ...(joinUrl ? [element("p", { class: "viewer-code-label" }, [t("code.join_label")]), ui.joinUrl] : []),
        ...(code ? [element("p", { class: "viewer-code-hint" }, [t(joinUrl ? "code.hint" : "code.hint_no_address")])] : []),
    );
    // The person's pointer, drawn over the screen (cursor.js).
    ui.remoteCursor = element("img", { id: "remote-cursor", class: "viewer-remote-cursor", alt: "",
        hidden: "", draggable: "false" });
    ui.stage.append(ui.screen, ui.video, ui.remoteCursor, ui.pausedNote);
    const chatForm = element("form", { id: "chat-form", class: "viewer-chat-form" },
        [ui.chatInput, ui.chatSend]);
    ui.clipboard.append(
        element("h2", {}, [t("clipboard.title")]),
        element("label", {}, [t("clipboard.from_person"), ui.clipboardFromPerson]),
        element("label", {}, [t("clipboard.to_person"), ui.clipboardToPerson]),
        ui.clipboardSend, ui.clipboardNote,
    );
    ui.inform.append(
        element("h2", {}, [t("inform.title")]),
        element("form", { id: "announce-form", class: "viewer-inform-form" }, [ui.announceKind,
            element("div", { class: "viewer-inform-row" }, [ui.announceText, ui.announceSend])]),
        element("form", { id: "step-form", class: "viewer-inform-form" },
            [element("div", { class: "viewer-inform-row" }, [ui.stepText, ui.stepSend])]),
        ui.timelineLog,
    );
    ui.chat.append(ui.clipboard, ui.inform, element("h2", {}, [t("chat.title")]), ui.chatLog, chatForm);
    ui.diagnostics.append(
        element("header", {}, [element("h2", {}, [t("diagnostics.title")]), ui.diagnosticsClose]),
        ui.diagnosticsStatus, ui.diagnosticsFindings, ui.diagnosticsSections,
    );
    ui.mandate.append(
        element("h2", {}, [t("mandate.title")]), ui.mandateSigned, ui.mandateTools, ui.mandateTime,
        ui.mandateWarning, ui.mandateAnswer, ui.mandateExtend,
    );
    ui.extendDialog.append(element("form", { id: "mandate-extend-form", method: "dialog" }, [
        element("h2", { id: "mandate-extend-title" }, [t("mandate.extend_title")]),
        element("label", {}, [t("mandate.extend_minutes"), " ", ui.extendMinutes]),
        ui.extendTools,
        element("p", { class: "viewer-mandate-hint" }, [t("mandate.extend_hint")]),
        ui.extendError,
        element("div", { class: "viewer-mandate-dialog-actions" }, [ui.extendSend, ui.extendCancel]),
    ]));
    // Once over, the technician writes the report (the recap) for the person.
    const writeReport = sessionId
        ? [element("p", {}, [element("a", { href: `/sessions/${encodeURIComponent(sessionId)}/report`,
            id: "write-report", class: "button primary" }, [t("ended.write_report")])])]
        : [];
    ui.ended.append(ui.endedTitle, ui.endedSentence, ...writeReport,
        element("p", {}, [element("a", { href: "/", id: "back-to-console" }, [t("nav.back")])]));
    const toolbar = element("div", { class: "viewer-toolbar", role: "toolbar" }, [
        element("div", { class: "viewer-status-group" }, [ui.recording, ui.status, ui.person]),
        ui.monitors,
        element("div", { class: "viewer-actions" },
            [ui.requestControl, ui.releaseControl, ui.diagnose, ui.endSession]),
    ]);
    const body = element("div", { class: "viewer-body" }, [ui.stage, ui.diagnostics, ui.chat]);
    // Once over, the ending comes first and the transcript under it (viewer.css, .viewer-over).
    root.replaceChildren(toolbar, ui.mandate, ui.codePanel, ui.ended, body, ui.extendDialog);
    return ui;
}

/**
 * @param {HTMLElement} node
 * @param {boolean} shown
 */
function show(node, shown) {
    node.hidden = !shown;
}

/**
 * A control the mandate does not allow: its title says why (a disabled button's tooltip).
 * @param {HTMLElement} node
 * @param {boolean} refused
 * @param {string} why
 */
function refuse(node, refused, why) {
    if (refused) node.setAttribute("title", why);
    else node.removeAttribute("title");
    node.classList.toggle("viewer-outside-mandate", refused);
}

/**
 * @param {HTMLElement} node
 * @param {string} text
 */
function setText(node, text) {
    if (node.textContent !== text) node.textContent = text;
}

async function main() {
    const root = document.getElementById("viewer");
    if (root === null) {
        logger.error("the page has no #viewer container");
        return;
    }
    const data = root.dataset;
    setDebug(new URLSearchParams(location.search).has("debug"));
    // What the device page asked for (Run diagnostics, Send a file), done once the screen shows.
    let deviceAction = new URLSearchParams(location.search).get("then") ?? "";
    let catalog = {};
    try {
        catalog = await loadCatalog(data.catalogUrl || `/i18n/viewer/${data.lang || "en"}.json`);
    } catch (error) {
        logger.error("showing message keys:", error.message);
    }
    const t = createTranslator(catalog);
    // The findings' sentences, shared with the console's history.
    let diagnosticsCatalog = {};
    let diagnosticsCatalogMissing = false;
    try {
        diagnosticsCatalog = await loadCatalog(`/i18n/diagnostics/${data.lang || "en"}.json`);
    } catch (error) {
        diagnosticsCatalogMissing = true;
        logger.error("showing finding codes:", error.message);
    }
    const code = formatCode(data.code ?? "");
    const ui = build(root, t, code, data.joinUrl ?? "", data.sessionId ?? "");
    const canvas = /** @type {HTMLCanvasElement} */ (ui.screen);

    // A browser share the person accepted to record: this console records what it receives.
    const recorder = new TrackRecorder(data.sessionId ?? "", data.csrf ?? "");
    window.coupdemainRecorder = recorder;
    const display = new Display(canvas);
    const cursor = new CursorOverlay(canvas, /** @type {HTMLImageElement} */ (ui.remoteCursor));
    cursor.attach();
    const session = new ViewerSession({
        url: webSocketUrl(data.wsUrl || `/ws/viewer/${data.sessionId}`, location.href),
        display,
        cursor,
        codeExpiresAt: Number.parseFloat(data.codeExpiresAt ?? "0") || 0,
        encodings: supportedEncodings,
        onChange: render,
        onFileMessage: (message) => files.receive(message),
        onRtcMessage: (message) => receiveRtc(message),
    });
    // A browser share: the person's page offers its screen, we answer and show it.
    const video = /** @type {HTMLVideoElement} */ (ui.video);
    video.muted = true;
    const rtc = new RtcLink({
        send: (message) => session.send(message),
        onTrack: (stream) => {
            video.srcObject = stream;
            followRecording(session.view);
            video.play().catch((error) => logger.debug("the video waits to play:", error.message));
        },
    });
    // For tests and support: which path the picture takes (host, srflx, relay).
    window.coupdemainRtc = rtc;
    /** @param {import("./session.js").SessionView} view */
    function followRecording(view) {
        const shown = present(view, t, { hasCode: code !== "" });
        if (shown.browserShare && shown.recording && shown.showScreen && !shown.paused &&
            video.srcObject instanceof MediaStream) {
            recorder.start(video.srcObject);
        } else if (!shown.recording) {
            recorder.stop();
        }
    }
    /** @param {import("./protocol.js").Message} message */
    function receiveRtc(message) {
        const done = message.type === "rtc_config" ? Promise.resolve(rtc.configure(message))
            : message.type === "rtc_offer" ? rtc.receiveOffer(message) : rtc.receiveCandidate(message);
        done.catch((error) => logger.error("the browser share's connection failed:", error));
    }
    const files = new FileTransfers({
        sessionId: data.sessionId ?? "", csrf: data.csrf ?? "",
        send: (message) => session.send(message),
        maxBytes: data.fileMaxBytes ? Number(data.fileMaxBytes) : Infinity,
        directions: data.fileDirections || "both",
        onChange: () => filesPanel.render(),
    });
    const filesPanel = new FilesPanel(files, t, data.lang || "en");
    // Leaving would cancel an upload this page has not finished: the browser
    // asks first, in its own words (a page cannot choose them).
    window.addEventListener("beforeunload", (event) => {
        if (!files.holdsUnsentFiles()) return;
        event.preventDefault();
        event.returnValue = "";
    });
    ui.clipboard.after(filesPanel.root);
    const sink = { send: (message) => session.sendInput(message), isActive: () => session.inputAllowed };
    const keyboard = new KeyboardInput(canvas, sink);
    const pointer = new PointerInput(canvas, sink);
    keyboard.attach();
    pointer.attach();

    ui.requestControl.addEventListener("click", () => session.requestControl());
    ui.mandateExtend.addEventListener("click", () => {
        const shown = presentMandate(session.view, t, Date.now());
        if (!shown.canExtend) return;
        ui.extendTools.replaceChildren(
            element("legend", {}, [t("mandate.extend_tools")]),
            ...shown.addable.map((tool) => element("label", {}, [
                element("input", { type: "checkbox", name: "tool", value: tool }), " ", t(`mandate.tool.${tool}`)])));
        ui.extendTools.hidden = shown.addable.length === 0;
        setText(ui.extendError, "");
        /** @type {HTMLDialogElement} */ (ui.extendDialog).showModal();
    });
    ui.extendCancel.addEventListener("click", () => /** @type {HTMLDialogElement} */ (ui.extendDialog).close());
    ui.extendSend.form.addEventListener("submit", (event) => {
        event.preventDefault();
        const minutes = Number.parseInt(/** @type {HTMLInputElement} */ (ui.extendMinutes).value, 10);
        const tools = [...ui.extendTools.querySelectorAll("input[name=tool]:checked")]
            .map((box) => /** @type {HTMLInputElement} */ (box).value);
        if (session.extendMandate(Number.isInteger(minutes) ? minutes : 0, tools)) {
            /** @type {HTMLDialogElement} */ (ui.extendDialog).close();
        } else {
            setText(ui.extendError, t("mandate.extend_nothing"));
        }
    });
    ui.releaseControl.addEventListener("click", () => {
        // The releases must reach the agent while we still hold control.
        keyboard.releaseAll();
        pointer.reset();
        session.releaseControl();
    });
    ui.endSession.addEventListener("click", () => {
        keyboard.releaseAll();
        session.end();
    });
    // Closed by the technician: stays closed until the next Diagnose.
    let diagnosticsClosed = false;
    ui.diagnose.addEventListener("click", () => {
        diagnosticsClosed = false;
        session.requestDiagnostics();
    });
    ui.diagnosticsClose.addEventListener("click", () => {
        diagnosticsClosed = true;
        render(session.view);
    });
    ui.announceText.form.addEventListener("submit", (event) => {
        event.preventDefault();
        const input = /** @type {HTMLInputElement} */ (ui.announceText);
        const kind = /** @type {HTMLSelectElement} */ (ui.announceKind).value;
        if (session.announce(kind, input.value)) input.value = "";
    });
    ui.stepText.form.addEventListener("submit", (event) => {
        event.preventDefault();
        const input = /** @type {HTMLInputElement} */ (ui.stepText);
        if (session.sendStep(input.value)) input.value = "";
    });
    ui.chatInput.form.addEventListener("submit", (event) => {
        event.preventDefault();
        const input = /** @type {HTMLInputElement} */ (ui.chatInput);
        if (session.sendChat(input.value)) input.value = "";
    });
    // The clipboard: the browser's own where it lets us (Async Clipboard API),
    // and the two boxes of the panel where it does not.
    // The browser clipboard's text as we last read or wrote it: only a new copy
    // made by the technician is sent on focus.
    let browserClipboard = "";
    let clipboardShown = 0;
    const note = (key) => setText(ui.clipboardNote, key ? t(key) : "");
    async function offerBrowserClipboard() {
        if (!session.inputAllowed || !navigator.clipboard?.readText) return;
        try {
            const text = await navigator.clipboard.readText();
            if (text && text !== browserClipboard && session.sendClipboard(text)) {
                browserClipboard = text;
                note("clipboard.sent");
            }
        } catch {
            note("clipboard.read_blocked");
        }
    }
    canvas.addEventListener("focus", offerBrowserClipboard);
    window.addEventListener("focus", offerBrowserClipboard);
    ui.clipboardSend.addEventListener("click", () => {
        const box = /** @type {HTMLTextAreaElement} */ (ui.clipboardToPerson);
        if (box.value && session.sendClipboard(box.value)) {
            note("clipboard.sent");
            canvas.focus({ preventScroll: true });
        }
    });
    async function receiveClipboard(text) {
        /** @type {HTMLTextAreaElement} */ (ui.clipboardFromPerson).value = text;
        browserClipboard = text;
        try {
            await navigator.clipboard.writeText(text);
            note("clipboard.copied");
        } catch {
            note("clipboard.write_blocked");
        }
    }
    window.addEventListener("pagehide", () => session.stop());

    let wasControlling = false;
    let countdownTimer = null;

    /** @param {import("./session.js").SessionView} view */
    function render(view) {
        const shown = present(view, t, { hasCode: code !== "" });
        setText(ui.status, shown.status);
        setText(ui.person, shown.person);
        show(ui.person, shown.person !== "");
        show(ui.recording, shown.recording);
        show(ui.requestControl, shown.canRequestControl ||
            (view.state === SessionState.CONTROL_REQUESTED && shown.canEnd));
        const mandate = presentMandate(view, t, Date.now());
        const outside = t("mandate.not_in_mandate");
        ui.requestControl.disabled = !shown.canRequestControl || !mandate.allowed.control;
        refuse(ui.requestControl, !mandate.allowed.control, outside);
        show(ui.releaseControl, shown.canReleaseControl);
        show(ui.endSession, shown.canEnd);
        show(ui.codePanel, shown.showCode);
        show(ui.stage, shown.showScreen);
        show(ui.screen, !shown.browserShare);
        show(ui.video, shown.browserShare);
        followRecording(view);
        if (!shown.showScreen || shown.paused) {
            // Sharing stopped, or the session is over: the next offer brings a new picture.
            recorder.stop();
            rtc.close();
            video.srcObject = null;
        }
        show(ui.pausedNote, shown.paused);
        ui.stage.classList.toggle("controlling", view.state === SessionState.CONTROLLING);
        show(ui.ended, shown.finalSentence !== "");
        root.classList.toggle("viewer-over", shown.finalSentence !== "");
        setText(ui.endedTitle, shown.finalTitle);
        setText(ui.endedSentence, shown.finalSentence);
        // Chat opens with sharing and its transcript stays readable after the end.
        show(ui.chat, shown.showScreen || view.chat.length > 0);
        ui.chatInput.disabled = !shown.showScreen;
        ui.chatSend.disabled = !shown.showScreen;
        renderChat(view.chat);
        show(ui.inform, shown.showScreen || view.timeline.length > 0);
        for (const field of [ui.announceKind, ui.announceText, ui.announceSend, ui.stepText, ui.stepSend]) {
            field.disabled = !shown.showScreen;
        }
        renderTimeline(view.timeline, shown.browserShare);
        show(ui.diagnose, shown.showScreen && !shown.browserShare);
        ui.diagnose.disabled = view.diagnostics.status === "waiting" || !mandate.allowed.diagnostics;
        refuse(ui.diagnose, !mandate.allowed.diagnostics, outside);
        show(ui.diagnostics, view.diagnostics.status !== "idle" && !diagnosticsClosed);
        renderDiagnostics(view.diagnostics);
        renderMonitors(shown.showScreen && !shown.browserShare ? monitorChoices(view, t) : []);
        show(ui.clipboard, session.inputAllowed);
        ui.clipboardSend.disabled = !mandate.allowed.clipboard;
        ui.clipboardToPerson.disabled = !mandate.allowed.clipboard;
        refuse(ui.clipboardSend, !mandate.allowed.clipboard, outside);
        filesPanel.setRefused(mandate.allowed.filesToPerson ? "" : outside);
        renderMandate();
        // Files go both ways, through the agent or the join page of a browser share.
        filesPanel.setAvailable(shown.showScreen && view.connection === "open");
        if (deviceAction && shown.showScreen && view.connection === "open") {
            if (deviceAction === "diagnostics" && mandate.allowed.diagnostics) {
                session.requestDiagnostics();
            } else if (deviceAction === "send_file") {
                filesPanel.beckon();
            }
            deviceAction = "";
        }
        if (view.clipboard.count !== clipboardShown) {
            clipboardShown = view.clipboard.count;
            receiveClipboard(view.clipboard.text);
        }

        const controlling = session.inputAllowed;
        cursor.setControlling(controlling);
        if (controlling && !wasControlling) {
            pointer.reset();
            canvas.focus({ preventScroll: true });
        } else if (!controlling && wasControlling) {
            keyboard.releaseAll();
            pointer.reset();
        }
        wasControlling = controlling;

        if (shown.showCode && countdownTimer === null) {
            countdownTimer = setInterval(tick, 1000);
        } else if (!shown.showCode && countdownTimer !== null) {
            clearInterval(countdownTimer);
            countdownTimer = null;
        }
        tick();
    }

    let mandateTimer = null;

    /** The mandate's panel; its time left moves every second while it shows. */
    function renderMandate() {
        const mandate = presentMandate(session.view, t, Date.now());
        show(ui.mandate, mandate.shown);
        ui.mandate.classList.toggle("viewer-mandate-ending", mandate.warning !== "");
        setText(ui.mandateSigned, mandate.heading);
        setText(ui.mandateTools, mandate.tools);
        setText(ui.mandateTime, mandate.timeLeft);
        show(ui.mandateTime, mandate.timeLeft !== "");
        setText(ui.mandateWarning, mandate.warning);
        show(ui.mandateWarning, mandate.warning !== "");
        setText(ui.mandateAnswer, mandate.answer);
        show(ui.mandateExtend, mandate.signed);
        ui.mandateExtend.disabled = !mandate.canExtend;
        if (mandate.shown && mandateTimer === null) {
            mandateTimer = setInterval(renderMandate, 1000);
        } else if (!mandate.shown && mandateTimer !== null) {
            clearInterval(mandateTimer);
            mandateTimer = null;
        }
    }

    let chatShown = 0;

    /** @param {import("./session.js").ChatLine[]} lines  sorted by id, never shortened */
    function renderChat(lines) {
        if (lines.length === chatShown) return;
        ui.chatLog.replaceChildren(...lines.map((line) => {
            const who = line.author === "technician" ? t("chat.you") : line.name;
            const time = new Date(line.at * 1000).toLocaleTimeString(document.documentElement.lang,
                { hour: "2-digit", minute: "2-digit" });
            return element("li", { class: `chat-${line.author}`, "data-id": String(line.id) }, [
                element("span", { class: "chat-meta" }, [`${time} · ${who}`]),
                element("span", { class: "chat-text" }, [line.text]),
            ]);
        }));
        ui.chatLog.scrollTop = ui.chatLog.scrollHeight;
        chatShown = lines.length;
    }

    let timelineShown = "";

    /**
     * What the person was told, and their answer in words.
     * @param {import("./session.js").TimelineEntry[]} entries  sorted by id
     * @param {boolean} browserShare  the person shares from the join page
     */
    function renderTimeline(entries, browserShare) {
        const key = JSON.stringify([browserShare, entries.map((entry) => [entry.id, entry.answer])]);
        if (key === timelineShown) return;
        timelineShown = key;
        ui.timelineLog.replaceChildren(...entries.map((entry) => {
            const time = new Date(entry.at * 1000).toLocaleTimeString(document.documentElement.lang,
                { hour: "2-digit", minute: "2-digit" });
            const what = entry.kind === "step" ? t("inform.step_label") : t(`inform.kind.${entry.kind}`);
            // A browser share's page asks nothing: it shows them beside its chat.
            let answer = t(browserShare ? "inform.shown_page" : "inform.shown");
            if (entry.asks) answer = entry.answer ? t(`inform.answer.${entry.answer}`) : t("inform.waiting");
            return element("li", { class: `timeline-${entry.kind === "step" ? "step" : "announcement"}`,
                "data-id": String(entry.id), "data-answer": entry.answer }, [
                element("span", { class: "chat-meta" }, [`${time} · ${what}`]),
                element("span", { class: "chat-text" }, [entry.text]),
                element("span", { class: "timeline-answer" }, [answer]),
            ]);
        }));
        ui.timelineLog.scrollTop = ui.timelineLog.scrollHeight;
    }

    let monitorsShown = "";

    /** @param {ReturnType<typeof monitorChoices>} choices */
    function renderMonitors(choices) {
        const key = JSON.stringify(choices);
        if (key === monitorsShown) return;
        monitorsShown = key;
        show(ui.monitors, choices.length > 0);
        ui.monitors.replaceChildren(...choices.map((choice) => {
            const button = element("button", { type: "button", "data-monitor": String(choice.index),
                "aria-pressed": String(choice.pressed), ...(choice.title ? { title: choice.title } : {}) },
            [choice.label]);
            button.addEventListener("click", () => {
                if (!choice.pressed) session.selectMonitor(choice.index);
            });
            return button;
        }));
    }

    let diagnosticsShown = null;

    /** @param {import("./session.js").Diagnostics} diagnostics */
    function renderDiagnostics(diagnostics) {
        if (diagnostics === diagnosticsShown) return;
        diagnosticsShown = diagnostics;
        const key = diagnosticsStatusKey(diagnostics);
        const time = new Date(diagnostics.at).toLocaleTimeString(document.documentElement.lang,
            { hour: "2-digit", minute: "2-digit" });
        setText(ui.diagnosticsStatus, key ? t(key, { time }) : "");
        const report = diagnostics.report;
        if (report === null) {
            ui.diagnosticsFindings.replaceChildren();
            ui.diagnosticsSections.replaceChildren();
            return;
        }
        const findings = presentFindings(report.findings, diagnosticsCatalog, document.documentElement.lang || "en");
        ui.diagnosticsFindings.replaceChildren(...findings.map((finding) =>
            element("li", { class: `finding-${finding.severity}`, "data-code": finding.code,
                "data-severity": finding.severity }, [finding.text])));
        const sections = presentSections(report.sections, diagnosticsCatalog,
            document.documentElement.lang || "en");
        ui.diagnosticsSections.replaceChildren(
            ...(diagnosticsCatalogMissing ? [element("p", {}, [t("diagnostics.catalog_missing")])] : []),
            ...sections.map((section) => element("section", { "data-section": section.name }, [
                element("h3", {}, [section.title]),
                ...(section.note ? [element("p", { class: "note" }, [section.note])] : []),
                ...(section.facts.length ? [element("table", { class: "facts" }, section.facts.map(
                    ([label, text]) => element("tr", {}, [element("th", { scope: "row" }, [label]),
                        element("td", {}, [text])])))] : []),
                ...section.tables.map((table) => element("table", { class: "rows" }, [
                    element("caption", {}, [table.title]),
                    element("tr", {}, table.columns.map((c) => element("th", { scope: "col" }, [c]))),
                    ...table.rows.map((row) => element("tr", {}, row.map((cell) => element("td", {}, [cell])))),
                ])),
            ])));
    }

    function tick() {
        const left = secondsLeft(session.view.codeExpiresAt, Date.now());
        show(ui.expiry, left !== null);
        if (left === null) return;
        show(ui.countdownLabel, left > 0);
        setText(ui.countdown, left > 0 ? formatCountdown(left) : t("code.expired"));
        if (left === 0 && countdownTimer !== null) {
            clearInterval(countdownTimer);
            countdownTimer = null;
        }
    }

    render(session.view);
    session.start();
}

main().catch((error) => logger.error("the viewer failed to start:", error));
