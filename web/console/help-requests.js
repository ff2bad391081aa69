// The console's Help requests page: the queue follows the devices live.
//
// The server sends on /ws/help-requests (server/help_requests.py) each open
// request ({kind: "open", request}) and each one that closes ({kind:
// "closed", id, reason, device, technician}): taken, cancelled by the
// person, or ended because the device went offline. An open request gets a
// row with a Take button; a closed one loses its row, and a line above the
// table says why. "How long ago" is refreshed every 15 seconds.

import { postButton } from "./forms.js";
import { formatLocale } from "./times.js";

const table = /** @type {HTMLTableElement | null} */ (document.getElementById("help-requests"));
const notices = document.getElementById("help-notices");
const none = document.getElementById("no-help-requests");
const locale = formatLocale(document.documentElement.lang, navigator.languages ?? []);

/**
 * "3 minutes ago" in the page's language.
 * @param {string} iso  ISO 8601 with an offset
 * @param {number} now  milliseconds since the epoch
 * @param {string} lang
 * @returns {string}
 */
export function ago(iso, now, lang) {
    const seconds = Math.max(0, Math.round((now - new Date(iso).getTime()) / 1000));
    const words = new Intl.RelativeTimeFormat(lang, { numeric: "auto" });
    if (seconds < 60) return words.format(-seconds, "second");
    if (seconds < 3600) return words.format(-Math.floor(seconds / 60), "minute");
    if (seconds < 86400) return words.format(-Math.floor(seconds / 3600), "hour");
    return words.format(-Math.floor(seconds / 86400), "day");
}

function refreshAgo() {
    for (const node of document.querySelectorAll("time[data-ago]")) {
        node.textContent = ago(node.getAttribute("datetime") ?? "", Date.now(), locale);
    }
}

function showEmpty() {
    if (none && table) none.hidden = table.tBodies[0].rows.length > 0;
}

/**
 * @param {HTMLTableRowElement} row
 * @param {string} name
 * @returns {HTMLTableCellElement}
 */
function cell(row, name) {
    const found = document.createElement("td");
    found.className = name;
    row.append(found);
    return found;
}

/**
 * Adds a request's row, once.
 * @param {{id: string, device_id: string, device: string, user: string, words: string,
 *          created_at: string}} request
 */
function add(request) {
    if (!table || table.querySelector(`tr[data-request-id="${CSS.escape(request.id)}"]`)) return;
    const row = document.createElement("tr");
    row.dataset.requestId = request.id;
    const link = document.createElement("a");
    link.href = `/devices/${request.device_id}`;
    link.textContent = request.device;
    cell(row, "device").append(link);
    cell(row, "user").textContent = request.user;
    const words = cell(row, "words");
    if (request.words) {
        words.textContent = request.words;
    } else {
        const hint = document.createElement("span");
        hint.className = "hint";
        hint.textContent = table.dataset.noWords ?? "";
        words.append(hint);
    }
    const time = document.createElement("time");
    time.setAttribute("datetime", request.created_at);
    time.dataset.ago = "";
    time.textContent = ago(request.created_at, Date.now(), locale);
    cell(row, "asked").append(time);
    const form = postButton(`/help-requests/${request.id}/take`, table.dataset.csrf ?? "",
        table.dataset.take ?? "", "primary take");
    cell(row, "actions").append(form);
    table.tBodies[0].append(row);
    showEmpty();
}

/**
 * Removes a request's row and says why it closed.
 * @param {{id: string, reason: string, device: string, technician: string}} closed
 */
function close(closed) {
    const row = table?.querySelector(`tr[data-request-id="${CSS.escape(closed.id)}"]`);
    if (!row) return;
    row.remove();
    showEmpty();
    const templates = {
        person: notices?.dataset.cancelled, device_offline: notices?.dataset.offline,
        taken: notices?.dataset.taken, replaced: notices?.dataset.replaced,
    };
    const template = templates[/** @type {keyof typeof templates} */ (closed.reason)];
    if (!notices || !template) return;
    const line = document.createElement("li");
    line.dataset.reason = closed.reason;
    line.textContent = template.replace("{device}", closed.device)
        .replace("{technician}", closed.technician);
    notices.prepend(line);
}

let wait = 1000;

function listen() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const socket = new WebSocket(`${scheme}//${location.host}/ws/help-requests`);
    socket.addEventListener("open", () => { wait = 1000; });
    socket.addEventListener("message", (event) => {
        const message = JSON.parse(event.data);
        if (message.kind === "open") add(message.request);
        else if (message.kind === "closed") close(message);
    });
    socket.addEventListener("close", () => {
        setTimeout(listen, wait);
        wait = Math.min(wait * 2, 30000);
    });
}

if (table) {
    refreshAgo();
    setInterval(refreshAgo, 15000);
    listen();
}
