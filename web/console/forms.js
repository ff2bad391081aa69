// What the console's live pages build alike (devices.js, help-requests.js).

/**
 * A one-button form that POSTs to ``action`` with the page's CSRF token, as the
 * server-rendered rows do.
 * @param {string} action
 * @param {string} csrf
 * @param {string} label
 * @param {string} className  the button's
 * @returns {HTMLFormElement}
 */
export function postButton(action, csrf, label, className) {
    const form = document.createElement("form");
    form.method = "post";
    form.action = action;
    form.className = "inline";
    const token = document.createElement("input");
    token.type = "hidden";
    token.name = "csrf_token";
    token.value = csrf;
    const button = document.createElement("button");
    button.type = "submit";
    button.className = className;
    button.textContent = label;
    form.append(token, button);
    return form;
}
