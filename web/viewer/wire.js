// GENERATED from the Python definitions by src/coupdemain/protocol/schema.py:
// do not edit. Regenerate with
//     python -m coupdemain.protocol.schema --js web/viewer/wire.js
// tests/protocol/test_schema.py fails when this file is not a fresh generation.

export const PROTOCOL_VERSION = 1;
export const MAX_CONTROL_MESSAGE_BYTES = 65536;
export const MAX_FRAME_MESSAGE_BYTES = 33554432;
export const MAX_CHAT_CHARACTERS = 2000;
export const MAX_STEP_CHARACTERS = 300;
export const MAX_MONITORS = 16;
export const ALL_MONITORS = -1;
export const MAX_CURSOR_SIDE = 256;
export const FRAME_KIND_UPDATE = 1;
export const FRAME_KIND_CURSOR_SHAPE = 2;
export const FRAME_KIND_CURSOR_POSITION = 3;
export const FLAG_KEYFRAME = 1;
export const FRAME_HEADER_BYTES = 8;
export const RECT_HEADER_BYTES = 13;
export const CURSOR_SHAPE_HEADER_BYTES = 14;
export const CURSOR_POSITION_BYTES = 6;

/** Message type names, as the `type` field carries them. */
export const MessageType = Object.freeze({
    "ACTION_ANSWER": "action_answer",
    "ANNOUNCE": "announce",
    "ANNOUNCEMENT": "announcement",
    "CHAT": "chat",
    "CHAT_MESSAGE": "chat_message",
    "CLIPBOARD": "clipboard",
    "CONSENT": "consent",
    "CONTROL_DECISION": "control_decision",
    "CONTROL_REQUEST": "control_request",
    "CONTROL_REVOKE": "control_revoke",
    "DIAGNOSTICS_DECLINED": "diagnostics_declined",
    "DIAGNOSTICS_REPORT": "diagnostics_report",
    "DIAGNOSTICS_REQUEST": "diagnostics_request",
    "ENCODINGS": "encodings",
    "END": "end",
    "ENDED": "ended",
    "FILE_ANSWER": "file_answer",
    "FILE_CANCEL": "file_cancel",
    "FILE_OFFER": "file_offer",
    "FILE_PROGRESS": "file_progress",
    "FILE_RESULT": "file_result",
    "FILE_STATUS": "file_status",
    "FILE_TICKET": "file_ticket",
    "FRAME_ACK": "frame_ack",
    "HELLO": "hello",
    "KEY": "key",
    "KEYFRAME_REQUEST": "keyframe_request",
    "MANDATE_EXTEND": "mandate_extend",
    "MANDATE_OFFER": "mandate_offer",
    "MANDATE_REFUSE": "mandate_refuse",
    "MANDATE_SIGN": "mandate_sign",
    "MANDATE_STATE": "mandate_state",
    "PAUSE": "pause",
    "PEER": "peer",
    "POINTER": "pointer",
    "RELEASE_CONTROL": "release_control",
    "REPORT": "report",
    "REQUEST_CONTROL": "request_control",
    "RTC_ANSWER": "rtc_answer",
    "RTC_CANDIDATE": "rtc_candidate",
    "RTC_CONFIG": "rtc_config",
    "RTC_OFFER": "rtc_offer",
    "SCREEN": "screen",
    "SELECT_MONITOR": "select_monitor",
    "STATE": "state",
    "STEP": "step",
    "STEP_MESSAGE": "step_message",
    "WATCHING": "watching",
    "WELCOME": "welcome",
    "WHEEL": "wheel"
});

/** Each message's fields: JSON kind, required or its default, the enum of its values
 *  ("empty": "" is allowed too). */
export const FIELDS = Object.freeze({
    "action_answer": {
        "id": {
            "type": "integer",
            "required": true
        },
        "answer": {
            "type": "string",
            "enum": "ActionReply",
            "required": true
        }
    },
    "announce": {
        "kind": {
            "type": "string",
            "enum": "ActionKind",
            "required": true
        },
        "text": {
            "type": "string",
            "required": true
        }
    },
    "announcement": {
        "id": {
            "type": "integer",
            "required": true
        },
        "at": {
            "type": "number",
            "required": true
        },
        "kind": {
            "type": "string",
            "enum": "ActionKind",
            "required": true
        },
        "text": {
            "type": "string",
            "required": true
        },
        "name": {
            "type": "string",
            "required": true
        },
        "asks": {
            "type": "boolean",
            "required": true
        }
    },
    "chat": {
        "text": {
            "type": "string",
            "required": true
        }
    },
    "chat_message": {
        "id": {
            "type": "integer",
            "required": true
        },
        "at": {
            "type": "number",
            "required": true
        },
        "author": {
            "type": "string",
            "enum": "Author",
            "required": true
        },
        "name": {
            "type": "string",
            "required": true
        },
        "text": {
            "type": "string",
            "required": true
        }
    },
    "clipboard": {
        "text": {
            "type": "string",
            "required": true
        }
    },
    "consent": {
        "decision": {
            "type": "string",
            "enum": "ViewAnswer",
            "required": true
        },
        "record": {
            "type": "boolean",
            "default": false
        }
    },
    "control_decision": {
        "decision": {
            "type": "string",
            "enum": "ControlAnswer",
            "required": true
        }
    },
    "control_request": {
        "technician_id": {
            "type": "integer",
            "default": 0
        },
        "technician_name": {
            "type": "string",
            "default": ""
        },
        "organisation": {
            "type": "string",
            "default": ""
        }
    },
    "control_revoke": {},
    "diagnostics_declined": {},
    "diagnostics_report": {
        "sections": {
            "type": "object",
            "required": true
        },
        "findings": {
            "type": "array",
            "required": true
        }
    },
    "diagnostics_request": {},
    "encodings": {
        "encodings": {
            "type": "array",
            "required": true
        }
    },
    "end": {},
    "ended": {
        "by": {
            "type": "string",
            "enum": "By",
            "required": true
        },
        "reason": {
            "type": "integer",
            "required": true
        }
    },
    "file_answer": {
        "id": {
            "type": "string",
            "required": true
        },
        "accept": {
            "type": "boolean",
            "required": true
        },
        "reason": {
            "type": "string",
            "default": ""
        }
    },
    "file_cancel": {
        "id": {
            "type": "string",
            "required": true
        }
    },
    "file_offer": {
        "id": {
            "type": "string",
            "required": true
        },
        "name": {
            "type": "string",
            "required": true
        },
        "size": {
            "type": "integer",
            "required": true
        },
        "sha256": {
            "type": "string",
            "default": ""
        },
        "direction": {
            "type": "string",
            "enum": "Direction",
            "empty": true,
            "default": ""
        },
        "sender": {
            "type": "string",
            "default": ""
        }
    },
    "file_progress": {
        "id": {
            "type": "string",
            "required": true
        },
        "done": {
            "type": "integer",
            "required": true
        }
    },
    "file_result": {
        "id": {
            "type": "string",
            "required": true
        },
        "ok": {
            "type": "boolean",
            "required": true
        },
        "reason": {
            "type": "string",
            "default": ""
        },
        "sha256": {
            "type": "string",
            "default": ""
        }
    },
    "file_status": {
        "id": {
            "type": "string",
            "required": true
        },
        "state": {
            "type": "string",
            "enum": "TransferState",
            "required": true
        },
        "by": {
            "type": "string",
            "enum": "By",
            "empty": true,
            "default": ""
        },
        "reason": {
            "type": "string",
            "default": ""
        },
        "sha256": {
            "type": "string",
            "default": ""
        }
    },
    "file_ticket": {
        "id": {
            "type": "string",
            "required": true
        },
        "token": {
            "type": "string",
            "required": true
        },
        "sha256": {
            "type": "string",
            "default": ""
        }
    },
    "frame_ack": {
        "frame_id": {
            "type": "integer",
            "required": true
        }
    },
    "hello": {
        "protocol": {
            "type": "integer",
            "required": true
        },
        "role": {
            "type": "string",
            "enum": "Role",
            "required": true
        },
        "code": {
            "type": "string",
            "default": ""
        },
        "resume": {
            "type": "string",
            "default": ""
        },
        "hostname": {
            "type": "string",
            "default": ""
        },
        "os": {
            "type": "string",
            "default": ""
        },
        "user": {
            "type": "string",
            "default": ""
        },
        "language": {
            "type": "string",
            "default": ""
        },
        "kind": {
            "type": "string",
            "enum": "AgentKind",
            "default": "app"
        }
    },
    "key": {
        "code": {
            "type": "string",
            "required": true
        },
        "key": {
            "type": "string",
            "required": true
        },
        "down": {
            "type": "boolean",
            "required": true
        }
    },
    "keyframe_request": {},
    "mandate_extend": {
        "minutes": {
            "type": "integer",
            "default": 0
        },
        "tools": {
            "type": "array",
            "default": []
        }
    },
    "mandate_offer": {
        "kind": {
            "empty": true,
            "required": true
        },
        "text": {
            "type": "string",
            "required": true
        },
        "sha256": {
            "type": "string",
            "required": true
        },
        "tools": {
            "type": "array",
            "required": true
        },
        "minutes": {
            "type": "integer",
            "required": true
        },
        "ends_at": {
            "type": "number",
            "default": 0.0
        }
    },
    "mandate_refuse": {
        "sha256": {
            "type": "string",
            "required": true
        }
    },
    "mandate_sign": {
        "sha256": {
            "type": "string",
            "required": true
        },
        "name": {
            "type": "string",
            "required": true
        },
        "drawing": {
            "type": "string",
            "default": ""
        }
    },
    "mandate_state": {
        "sha256": {
            "type": "string",
            "required": true
        },
        "tools": {
            "type": "array",
            "required": true
        },
        "ends_at": {
            "type": "number",
            "required": true
        },
        "signed_by": {
            "type": "string",
            "default": ""
        },
        "warning": {
            "type": "boolean",
            "default": false
        },
        "extension_refused": {
            "type": "boolean",
            "default": false
        },
        "now": {
            "type": "number",
            "default": 0.0
        }
    },
    "pause": {
        "paused": {
            "type": "boolean",
            "required": true
        }
    },
    "peer": {
        "role": {
            "type": "string",
            "enum": "Role",
            "required": true
        },
        "connected": {
            "type": "boolean",
            "required": true
        }
    },
    "pointer": {
        "x": {
            "type": "integer",
            "required": true
        },
        "y": {
            "type": "integer",
            "required": true
        },
        "buttons": {
            "type": "integer",
            "required": true
        }
    },
    "release_control": {},
    "report": {},
    "request_control": {},
    "rtc_answer": {
        "negotiation": {
            "type": "integer",
            "required": true
        },
        "sdp": {
            "type": "string",
            "required": true
        }
    },
    "rtc_candidate": {
        "negotiation": {
            "type": "integer",
            "required": true
        },
        "candidate": {
            "type": "string",
            "required": true
        },
        "sdp_mid": {
            "type": "string",
            "default": ""
        },
        "sdp_m_line_index": {
            "type": "integer",
            "default": 0
        }
    },
    "rtc_config": {
        "ice_servers": {
            "type": "array",
            "required": true
        },
        "ice_transport_policy": {
            "type": "string",
            "enum": "IcePolicy",
            "default": "all"
        }
    },
    "rtc_offer": {
        "negotiation": {
            "type": "integer",
            "required": true
        },
        "sdp": {
            "type": "string",
            "required": true
        }
    },
    "screen": {
        "width": {
            "type": "integer",
            "required": true
        },
        "height": {
            "type": "integer",
            "required": true
        },
        "monitors": {
            "type": "array",
            "default": []
        },
        "monitor": {
            "type": "integer",
            "default": -1
        }
    },
    "select_monitor": {
        "monitor": {
            "type": "integer",
            "required": true
        }
    },
    "state": {
        "state": {
            "type": "string",
            "enum": "State",
            "required": true
        },
        "paused": {
            "type": "boolean",
            "default": false
        },
        "person_hostname": {
            "type": "string",
            "default": ""
        },
        "person_user": {
            "type": "string",
            "default": ""
        },
        "code_expires_at": {
            "type": "number",
            "default": 0.0
        },
        "controller_id": {
            "type": "integer",
            "default": 0
        },
        "kind": {
            "type": "string",
            "enum": "AgentKind",
            "default": "app"
        },
        "recording": {
            "type": "boolean",
            "default": false
        }
    },
    "step": {
        "text": {
            "type": "string",
            "required": true
        }
    },
    "step_message": {
        "id": {
            "type": "integer",
            "required": true
        },
        "at": {
            "type": "number",
            "required": true
        },
        "name": {
            "type": "string",
            "required": true
        },
        "text": {
            "type": "string",
            "required": true
        }
    },
    "watching": {
        "technicians": {
            "type": "array",
            "required": true
        }
    },
    "welcome": {
        "session_id": {
            "type": "string",
            "required": true
        },
        "technician_name": {
            "type": "string",
            "required": true
        },
        "organisation": {
            "type": "string",
            "required": true
        },
        "files_to_technician": {
            "type": "boolean",
            "default": true
        },
        "technician_id": {
            "type": "integer",
            "default": 0
        },
        "mandate": {
            "type": "boolean",
            "default": false
        },
        "brand_colour": {
            "type": "string",
            "default": ""
        },
        "brand_logo": {
            "type": "string",
            "default": ""
        },
        "resume": {
            "type": "string",
            "default": ""
        },
        "recording": {
            "type": "string",
            "enum": "RecordingPolicy",
            "default": "never"
        },
        "recording_days": {
            "type": "integer",
            "default": 0
        }
    },
    "wheel": {
        "x": {
            "type": "integer",
            "required": true
        },
        "y": {
            "type": "integer",
            "required": true
        },
        "dx": {
            "type": "integer",
            "required": true
        },
        "dy": {
            "type": "integer",
            "required": true
        }
    }
});

/** The messages a viewer may send (messages.py's VIEWER_SENDS). */
export const VIEWER_SENDS = Object.freeze(new Set([
    "announce",
    "chat",
    "clipboard",
    "diagnostics_request",
    "encodings",
    "end",
    "file_cancel",
    "file_offer",
    "frame_ack",
    "hello",
    "key",
    "keyframe_request",
    "mandate_extend",
    "pointer",
    "release_control",
    "request_control",
    "rtc_answer",
    "rtc_candidate",
    "select_monitor",
    "step",
    "wheel"
]));

/** The messages the server sends a viewer (messages.py's TO_VIEWER). */
export const VIEWER_RECEIVES = Object.freeze(new Set([
    "action_answer",
    "announcement",
    "chat_message",
    "clipboard",
    "diagnostics_declined",
    "diagnostics_report",
    "ended",
    "file_offer",
    "file_progress",
    "file_status",
    "mandate_state",
    "peer",
    "rtc_candidate",
    "rtc_config",
    "rtc_offer",
    "screen",
    "state",
    "step_message",
    "watching"
]));

/** The closed sets of values (protocol/enums.py), NAME: value. */
export const ENUMS = Object.freeze({
    "State": {
        "WAITING_FOR_PERSON": "waiting_for_person",
        "WAITING_FOR_CONSENT": "waiting_for_consent",
        "VIEWING": "viewing",
        "CONTROL_REQUESTED": "control_requested",
        "CONTROLLING": "controlling",
        "ENDED": "ended"
    },
    "Role": {
        "AGENT": "agent",
        "VIEWER": "viewer"
    },
    "By": {
        "TECHNICIAN": "technician",
        "PERSON": "person",
        "SERVER": "server"
    },
    "Author": {
        "TECHNICIAN": "technician",
        "PERSON": "person"
    },
    "ViewAnswer": {
        "ALLOW_VIEW": "allow_view",
        "DECLINE": "decline"
    },
    "ControlAnswer": {
        "ALLOW_CONTROL": "allow_control",
        "KEEP_VIEW_ONLY": "keep_view_only"
    },
    "Direction": {
        "TO_PERSON": "to_person",
        "TO_TECHNICIAN": "to_technician"
    },
    "TransferState": {
        "OFFERED": "offered",
        "ACCEPTED": "accepted",
        "SENDING": "sending",
        "READY": "ready",
        "DELIVERED": "delivered",
        "REFUSED": "refused",
        "CANCELLED": "cancelled",
        "FAILED": "failed"
    },
    "Severity": {
        "PROBLEM": "problem",
        "WARNING": "warning",
        "INFO": "info"
    },
    "AgentKind": {
        "APP": "app",
        "BROWSER": "browser"
    },
    "IcePolicy": {
        "ALL": "all",
        "RELAY": "relay"
    },
    "ActionKind": {
        "RESTART": "restart",
        "CLOSE_APPLICATION": "close_application",
        "INSTALL_OR_REMOVE": "install_or_remove",
        "ADMINISTRATOR": "administrator",
        "OTHER": "other"
    },
    "ActionReply": {
        "OK": "ok",
        "NOT_NOW": "not_now"
    },
    "Tool": {
        "VIEW": "view",
        "CONTROL": "control",
        "FILES_TO_PERSON": "files_to_person",
        "FILES_TO_TECHNICIAN": "files_to_technician",
        "CLIPBOARD": "clipboard",
        "DIAGNOSTICS": "diagnostics",
        "RECORDING": "recording"
    },
    "PersonRole": {
        "WATCH": "watch",
        "FOLLOW_ALONG": "follow_along",
        "DO_STEPS": "do_steps",
        "LET_TECHNICIAN_WORK": "let_technician_work"
    },
    "RecordingPolicy": {
        "NEVER": "never",
        "ASK": "ask",
        "ALWAYS": "always"
    }
});

/** States in which the person's screen is shared (session.py's SHARING_STATES). */
export const SHARING_STATES = Object.freeze(new Set([
    "viewing",
    "control_requested",
    "controlling"
]));

/** Why a connection or a session ended (protocol/errors.py's CloseReason). */
export const CloseReason = Object.freeze({
    "NORMAL": 1000,
    "MESSAGE_TOO_LARGE": 1009,
    "ENDED_BY_TECHNICIAN": 4000,
    "ENDED_BY_PERSON": 4001,
    "DECLINED": 4002,
    "REPORTED_BY_PERSON": 4003,
    "MANDATE_REFUSED": 4004,
    "MANDATE_EXPIRED": 4005,
    "CODE_INVALID": 4010,
    "CODE_EXPIRED": 4011,
    "CODE_USED": 4012,
    "RATE_LIMITED": 4013,
    "CODE_CHECKS_PAUSED": 4014,
    "MALFORMED_MESSAGE": 4020,
    "UNKNOWN_MESSAGE": 4021,
    "UNSUPPORTED_VERSION": 4022,
    "NOT_ALLOWED": 4023,
    "UNAUTHORIZED": 4030,
    "SESSION_NOT_FOUND": 4031,
    "REPLACED": 4032,
    "TAKEN_OVER": 4033,
    "PEER_LOST": 4040,
    "SERVER_SHUTDOWN": 4041,
    "TIMED_OUT": 4042,
    "SERVER_RESTARTED": 4043,
    "INTERNAL_ERROR": 4500
});

/** The rect encodings (protocol/encodings.py), NAME: id. */
export const Encoding = Object.freeze({
    "SOLID": 0,
    "PNG": 1,
    "JPEG": 2,
    "H264": 3,
    "COPY": 4
});

/** What every viewer paints (encodings.py's BASELINE). */
export const BASELINE_ENCODINGS = Object.freeze([
    0,
    1,
    2
]);
