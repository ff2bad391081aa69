// The console's Devices page: the list follows the devices live, and filters.
//
// The server sends each change of a device of the organisation on
// /ws/devices (server/device_links.py, device_json); this module updates
// that device's row, or adds one, without reloading the page. The socket
// opens again after a drop (a server restart), with growing waits.

import { postButton } from "./forms.js";
import { formatInstant, formatLocale } from "./times.js";

const table = document.getElementById("devices");
const search = /** @type {HTMLInputElement} */ (document.getElementById("device-search"));
const group = /** @type {HTMLSelectElement} */ (document.getElementById("device-group"));
const onlineOnly = /** @type {HTMLInputElement} */ (document.getElementById("device-online-only"));

/**
 * Whether a row passes the filters: words in its text, its group, online.
 * @param {HTMLTableRowElement} row
 * @returns {boolean}
 */
function shown(row) {
    const words = search.value.trim().toLowerCase();
    if (words && !row.textContent.toLowerCase().includes(words)) return false;
    if (group.value && row.dataset.group !== group.value) return false;
    if (onlineOnly.checked && row.dataset.online !== "yes") return false;
    return true;
}

function filter() {
    for (const row of table.tBodies[0].rows) row.hidden = !shown(row);
}

/**
 * @param {HTMLTableRowElement} row
 * @param {string} name
 * @returns {HTMLTableCellElement}
 */
function cell(row, name) {
    let found = row.querySelector(`td.${name}`);
    if (!found) {
        found = document.createElement("td");
        found.className = name;
        row.append(found);
    }
    return /** @type {HTMLTableCellElement} */ (found);
}

/**
 * A new device's row: its name links to its page, its button starts remote control.
 * @param {string} id
 * @returns {HTMLTableRowElement}
 */
function newRow(id) {
    const row = document.createElement("tr");
    row.dataset.deviceId = id;
    for (const name of ["name", "os", "user", "last-seen", "state", "group", "tags", "summary",
        "actions"]) cell(row, name);
    const link = document.createElement("a");
    link.href = `/devices/${id}`;
    cell(row, "name").append(link);
    const form = postButton(`/devices/${id}/control`, table.dataset.csrf ?? "",
        table.dataset.start ?? "", "start-control");
    cell(row, "actions").append(form);
    table.tBodies[0].append(row);
    document.getElementById("no-devices")?.remove();
    return row;
}

/**
 * Shows one device as the server sent it.
 * @param {{id: string, name: string, os: string, user: string, group: string,
 *          tags: string[], online: boolean, revoked: boolean, last_seen: string,
 *          summary: string, problem: string}} device
 */
function update(device) {
    const row = table.querySelector(`tr[data-device-id="${CSS.escape(device.id)}"]`)
        ?? newRow(device.id);
    const link = cell(row, "name").querySelector("a");
    if (link) link.textContent = device.name;
    cell(row, "os").textContent = device.os;
    cell(row, "user").textContent = device.user;
    const locale = formatLocale(document.documentElement.lang, navigator.languages);
    cell(row, "last-seen").textContent = device.last_seen
        ? (formatInstant(device.last_seen, locale, "second") ?? device.last_seen) : "—";
    const state = device.revoked ? table.dataset.revoked
        : device.online ? table.dataset.online : table.dataset.offline;
    cell(row, "state").textContent = state ?? "";
    cell(row, "group").textContent = device.group;
    cell(row, "tags").textContent = device.tags.join(", ");
    const summary = cell(row, "summary");
    summary.textContent = device.summary;
    if (device.problem) {
        // Why the server refused its service: an agent too old or too new.
        const problem = document.createElement("p");
        problem.className = "problem error";
        problem.textContent = device.problem;
        summary.append(problem);
    }
    row.dataset.group = device.group;
    row.dataset.online = device.online ? "yes" : "no";
    if (device.revoked) cell(row, "actions").replaceChildren();
    row.hidden = !shown(row);
}

let wait = 1000;

function listen() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const socket = new WebSocket(`${scheme}//${location.host}/ws/devices`);
    socket.addEventListener("open", () => { wait = 1000; });
    socket.addEventListener("message", (event) => update(JSON.parse(event.data)));
    socket.addEventListener("close", () => {
        setTimeout(listen, wait);
        wait = Math.min(wait * 2, 30000);
    });
}

if (table) {
    for (const input of [search, group, onlineOnly]) input.addEventListener("input", filter);
    listen();
}
