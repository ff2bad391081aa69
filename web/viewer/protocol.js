// The coupdemain wire protocol, version 1, as the viewer speaks it.
// Speaks src/coupdemain/protocol/messages.py and frames.py: control messages are JSON
// text frames whose "type" names the message; frame updates are binary.
// Wire fields are snake_case here too (msg.frame_id).
//
// Readers refuse at the edge with an Error that says what was wrong; they
// never hand on half a message.

import { ENCODING_NAMES, unsupportedEncoding } from "./encodings.js";
import {
    CURSOR_POSITION_BYTES, CURSOR_SHAPE_HEADER_BYTES, ENUMS, FIELDS, FLAG_KEYFRAME,
    FRAME_HEADER_BYTES, FRAME_KIND_CURSOR_POSITION, FRAME_KIND_CURSOR_SHAPE, FRAME_KIND_UPDATE,
    MAX_CONTROL_MESSAGE_BYTES, MAX_CURSOR_SIDE, MAX_FRAME_MESSAGE_BYTES, MessageType,
    PROTOCOL_VERSION, RECT_HEADER_BYTES, VIEWER_RECEIVES, VIEWER_SENDS,
} from "./wire.js";

// The tables come from wire.js, generated from the Python definitions
// (src/coupdemain/protocol/schema.py); the viewer's modules import them from here.
export {
    ALL_MONITORS, CloseReason, CURSOR_POSITION_BYTES, CURSOR_SHAPE_HEADER_BYTES, ENUMS,
    FLAG_KEYFRAME, FRAME_HEADER_BYTES, FRAME_KIND_CURSOR_POSITION, FRAME_KIND_CURSOR_SHAPE,
    FRAME_KIND_UPDATE, MAX_CHAT_CHARACTERS, MAX_CONTROL_MESSAGE_BYTES, MAX_CURSOR_SIDE, MAX_STEP_CHARACTERS,
    MAX_FRAME_MESSAGE_BYTES, MessageType, PROTOCOL_VERSION, RECT_HEADER_BYTES, SHARING_STATES,
} from "./wire.js";

/** The values of State.state (protocol/enums.py's State). */
export const SessionState = ENUMS.State;

/**
 * @typedef {{type: string, [field: string]: unknown}} Message
 * @typedef {{x: number, y: number, width: number, height: number, encoding: number,
 *            payload: Uint8Array}} EncodedRect
 * @typedef {{frame_id: number, keyframe: boolean, rects: EncodedRect[]}} FrameUpdate
 */

/** The peer sent something the protocol does not allow. */
export class RemoteProtocolError extends Error {
    /** @param {string} message */
    constructor(message) {
        super(message);
        this.name = "RemoteProtocolError";
    }
}

/**
 * Reads one control message the server sent the viewer.
 * @param {string} text  the WebSocket text frame
 * @returns {Message}
 * @throws {RemoteProtocolError} not a JSON object, an unknown type, a missing or mistyped field
 */
export function parse(text) {
    if (text.length > MAX_CONTROL_MESSAGE_BYTES) {
        throw new RemoteProtocolError(
            `control message of ${text.length} characters exceeds ${MAX_CONTROL_MESSAGE_BYTES}`);
    }
    let obj;
    try {
        obj = JSON.parse(text);
    } catch {
        throw new RemoteProtocolError("control message is not valid JSON");
    }
    if (obj === null || typeof obj !== "object" || Array.isArray(obj)) {
        throw new RemoteProtocolError("control message must be a JSON object");
    }
    const type = obj.type;
    if (typeof type !== "string") {
        throw new RemoteProtocolError("control message has no 'type'");
    }
    if (!VIEWER_RECEIVES.has(type)) {
        throw new RemoteProtocolError(`unknown message type '${type.slice(0, 40)}'`);
    }
    /** @type {Message} */
    const message = { type };
    for (const [name, field] of Object.entries(FIELDS[type])) {
        if (!Object.hasOwn(obj, name)) {
            if (field.required) {
                throw new RemoteProtocolError(`message '${type}' lacks field '${name}'`);
            }
            message[name] = structuredClone(field.default);
        } else if (!hasKind(obj[name], field.type)) {
            throw new RemoteProtocolError(
                `field '${name}' must be ${field.type}, not ${typeof obj[name]}`);
        } else if (field.enum !== undefined && !inEnum(obj[name], field)) {
            const allowed = [...Object.values(ENUMS[field.enum]), ...(field.empty ? [""] : [])];
            throw new RemoteProtocolError(`field '${name}' may not be '${obj[name].slice(0, 40)}', ` +
                `only ${allowed.map((value) => `'${value}'`).join(", ")}`);
        } else {
            message[name] = obj[name];
        }
    }
    return message;
}

/**
 * @param {string} value
 * @param {{enum: string, empty?: boolean}} field
 */
function inEnum(value, field) {
    return (field.empty === true && value === "") || Object.values(ENUMS[field.enum]).includes(value);
}

/**
 * @param {unknown} value
 * @param {string} kind  "string", "boolean", "number", "integer", "object" or "array"
 */
function hasKind(value, kind) {
    if (kind === "integer") return Number.isInteger(value);
    if (kind === "array") return Array.isArray(value);
    if (kind === "object") return value !== null && typeof value === "object" && !Array.isArray(value);
    if (kind === "number") return typeof value === "number" && Number.isFinite(value);
    return typeof value === kind;
}

/**
 * Writes one control message as the JSON text of a WebSocket frame.
 * @param {Message} message
 * @returns {string}
 * @throws {Error} the message is not one a viewer sends (a bug on our side)
 */
export function serialize(message) {
    if (!VIEWER_SENDS.has(message.type)) {
        throw new Error(`'${message.type}' is not a message a viewer sends`);
    }
    return JSON.stringify(message);
}

// --- the messages a viewer sends, one function each --------------------------

/** @returns {Message} the first message of every connection */
export const hello = () => ({ type: MessageType.HELLO, protocol: PROTOCOL_VERSION, role: ENUMS.Role.VIEWER });
/** @returns {Message} the technician ends the session */
export const end = () => ({ type: MessageType.END });
/** @returns {Message} the technician asks for control */
export const requestControl = () => ({ type: MessageType.REQUEST_CONTROL });
/** @returns {Message} the technician gives control back and keeps viewing */
export const releaseControl = () => ({ type: MessageType.RELEASE_CONTROL });
/**
 * @param {string} text  a line of chat, at most MAX_CHAT_CHARACTERS
 * @returns {Message}
 */
export const chat = (text) => ({ type: MessageType.CHAT, text });
/**
 * @param {string} kind  an ENUMS.ActionKind value
 * @param {string} text  what the technician will do, at most MAX_STEP_CHARACTERS
 * @returns {Message} the technician announces an action
 */
export const announce = (kind, text) => ({ type: MessageType.ANNOUNCE, kind, text });
/**
 * @param {string} text  what the technician is doing now, at most MAX_STEP_CHARACTERS
 * @returns {Message}
 */
export const step = (text) => ({ type: MessageType.STEP, text });
/**
 * @param {string} text  copied on the technician's computer, for the person's clipboard
 * @returns {Message}
 */
export const clipboard = (text) => ({ type: MessageType.CLIPBOARD, text });
/**
 * @param {number} minutes  more time, 0 for none
 * @param {string[]} tools  ENUMS.Tool values to add
 * @returns {Message} the technician asks the person to sign an extension of the mandate
 */
export const mandateExtend = (minutes, tools) => ({ type: MessageType.MANDATE_EXTEND, minutes, tools: [...tools] });
/** @returns {Message} the technician asks to read the computer's settings */
export const diagnosticsRequest = () => ({ type: MessageType.DIAGNOSTICS_REQUEST });
/**
 * @param {string} id  32 hex digits (files.js's newTransferId)
 * @param {string} name  the file's name, without any folder
 * @param {number} size  bytes
 * @returns {Message} a file offered to the person
 */
export const fileOffer = (id, name, size) => ({ type: MessageType.FILE_OFFER, id, name, size });
/**
 * @param {string} id
 * @returns {Message} the technician stops a transfer
 */
export const fileCancel = (id) => ({ type: MessageType.FILE_CANCEL, id });
/**
 * @param {number} monitor  an index into the last Screen's monitors, or ALL_MONITORS
 * @returns {Message}
 */
export const selectMonitor = (monitor) => ({ type: MessageType.SELECT_MONITOR, monitor });
/** @returns {Message} the viewer needs the whole screen again */
export const keyframeRequest = () => ({ type: MessageType.KEYFRAME_REQUEST });
/**
 * @param {number[]} ids  the rect encodings this viewer paints (encodings.js)
 * @returns {Message}
 */
export const encodings = (ids) => ({ type: MessageType.ENCODINGS, encodings: [...ids] });

/**
 * @param {number} frameId  the frame just displayed: one credit back to the agent
 * @returns {Message}
 */
export const frameAck = (frameId) => ({ type: MessageType.FRAME_ACK, frame_id: frameId });

/**
 * @param {string} code  KeyboardEvent.code ("KeyA", "Enter", "ShiftLeft")
 * @param {string} key   KeyboardEvent.key ("a", "A", "Enter", "é")
 * @param {boolean} down
 * @returns {Message}
 */
export const key = (code, key, down) => ({ type: MessageType.KEY, code, key, down });

/**
 * @param {number} x  remote pixels
 * @param {number} y
 * @param {number} buttons  bit mask: 1 left, 2 right, 4 middle
 * @returns {Message}
 */
export const pointer = (x, y, buttons) => ({ type: MessageType.POINTER, x, y, buttons });

/**
 * @param {number} x  remote pixels
 * @param {number} y
 * @param {number} dx  notches, > 0 right
 * @param {number} dy  notches, > 0 down
 * @returns {Message}
 */
export const wheel = (x, y, dx, dy) => ({ type: MessageType.WHEEL, x, y, dx, dy });

// --- binary frame updates -----------------------------------------------------

/**
 * Reads a frame update. Payloads are views into `data`, not copies.
 *
 * A WebSocket message is always whole, so a frame that ends early is
 * malformed rather than waiting for more data.
 *
 * @param {ArrayBuffer | Uint8Array} data  one binary WebSocket message
 * @returns {FrameUpdate}
 * @throws {RemoteProtocolError} too large, truncated, an unknown kind, an unknown
 *     encoding ("encoding 7 is not supported by this viewer") or trailing bytes
 */
export function parseFrame(data) {
    const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
    if (bytes.byteLength > MAX_FRAME_MESSAGE_BYTES) {
        throw new RemoteProtocolError(
            `frame of ${bytes.byteLength} bytes exceeds ${MAX_FRAME_MESSAGE_BYTES}`);
    }
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (bytes.byteLength < FRAME_HEADER_BYTES) {
        throw new RemoteProtocolError("frame update is truncated");
    }
    const kind = view.getUint8(0);
    if (kind !== FRAME_KIND_UPDATE) {
        throw new RemoteProtocolError(`binary message kind ${kind} is not supported`);
    }
    const flags = view.getUint8(1);
    const frameId = view.getUint32(2);
    const count = view.getUint16(6);
    let offset = FRAME_HEADER_BYTES;
    /** @type {EncodedRect[]} */
    const rects = [];
    for (let i = 0; i < count; i += 1) {
        if (offset + RECT_HEADER_BYTES > bytes.byteLength) {
            throw new RemoteProtocolError("frame update is truncated");
        }
        const x = view.getUint16(offset);
        const y = view.getUint16(offset + 2);
        const width = view.getUint16(offset + 4);
        const height = view.getUint16(offset + 6);
        const encoding = view.getUint8(offset + 8);
        const length = view.getUint32(offset + 9);
        offset += RECT_HEADER_BYTES;
        if (offset + length > bytes.byteLength) {
            throw new RemoteProtocolError("frame update is truncated");
        }
        if (ENCODING_NAMES[encoding] === undefined) {
            throw new RemoteProtocolError(unsupportedEncoding(encoding).message);
        }
        rects.push({ x, y, width, height, encoding, payload: bytes.subarray(offset, offset + length) });
        offset += length;
    }
    if (offset !== bytes.byteLength) {
        throw new RemoteProtocolError("frame update has trailing bytes");
    }
    return { frame_id: frameId, keyframe: (flags & FLAG_KEYFRAME) !== 0, rects };
}

// --- binary cursor messages ----------------------------------------------------
//
// The pointer travels apart from the picture (frames.py's CursorShape and
// CursorPosition): its shape when it changes, its position when it moves.
// Neither is acknowledged.

// A shape: u8 kind, u8 flags, u32 serial, u16 w, h, hot_x, hot_y, then the PNG;
// a position: u8 kind, u8 flags, i16 x, i16 y (wire.js has the sizes).

/**
 * @typedef {{kind: "shape", serial: number, width: number, height: number, hot_x: number,
 *            hot_y: number, png: Uint8Array}} CursorShape
 *   width and height 0 (no image): the pointer is hidden
 * @typedef {{kind: "position", x: number, y: number}} CursorPosition
 *   the hotspot, in the shared picture's pixels; may lie outside it
 */

/**
 * The kind byte of a binary message: which reader it goes to (0 if empty).
 * @param {ArrayBuffer | Uint8Array} data
 * @returns {number}
 */
export function binaryKind(data) {
    const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
    return bytes.byteLength > 0 ? bytes[0] : 0;
}

/**
 * Reads a cursor shape or position. The PNG is a view into `data`.
 * @param {ArrayBuffer | Uint8Array} data  one binary WebSocket message
 * @returns {CursorShape | CursorPosition}
 * @throws {RemoteProtocolError} truncated, oversized, a hotspot outside the shape,
 *     trailing bytes after a position, or not a cursor message
 */
export function parseCursor(data) {
    const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
    if (bytes.byteLength === 0) {
        throw new RemoteProtocolError("cursor message is empty");
    }
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const kind = bytes[0];
    if (kind === FRAME_KIND_CURSOR_POSITION) {
        if (bytes.byteLength !== CURSOR_POSITION_BYTES) {
            throw new RemoteProtocolError(`cursor position has ${bytes.byteLength} bytes, not 6`);
        }
        return { kind: "position", x: view.getInt16(2), y: view.getInt16(4) };
    }
    if (kind !== FRAME_KIND_CURSOR_SHAPE) {
        throw new RemoteProtocolError(`binary message kind ${kind} is not a cursor`);
    }
    if (bytes.byteLength < CURSOR_SHAPE_HEADER_BYTES) {
        throw new RemoteProtocolError("cursor shape is truncated");
    }
    const serial = view.getUint32(2);
    const width = view.getUint16(6);
    const height = view.getUint16(8);
    const hotX = view.getUint16(10);
    const hotY = view.getUint16(12);
    const png = bytes.subarray(CURSOR_SHAPE_HEADER_BYTES);
    if (width > MAX_CURSOR_SIDE || height > MAX_CURSOR_SIDE) {
        throw new RemoteProtocolError(
            `cursor of ${width}x${height} exceeds ${MAX_CURSOR_SIDE}x${MAX_CURSOR_SIDE}`);
    }
    if ((width === 0) !== (height === 0) || (width === 0 && png.byteLength > 0)) {
        throw new RemoteProtocolError(
            `cursor of ${width}x${height} with ${png.byteLength} bytes of image`);
    }
    if (width > 0 && (hotX >= width || hotY >= height || png.byteLength === 0)) {
        throw new RemoteProtocolError(
            `cursor of ${width}x${height} with hotspot ${hotX},${hotY} and ${png.byteLength} bytes`);
    }
    return { kind: "shape", serial, width, height, hot_x: hotX, hot_y: hotY, png };
}
