// RtcLink (web/viewer/rtc.js) on a fake RTCPeerConnection: the offer and the
// answer it sends, candidates kept until the remote description, and what
// belongs to an older negotiation dropped.
import assert from "node:assert/strict";
import { test } from "node:test";

import { RtcLink } from "../../web/viewer/rtc.js";

class FakePeerConnection {
    constructor(config) {
        this.config = config;
        this.remoteDescription = null;
        this.localDescription = null;
        this.added = [];
        this.tracks = [];
        this.closed = false;
    }
    addTrack(track) { this.tracks.push(track); }
    async createOffer() { return { type: "offer", sdp: "offer-sdp" }; }
    async createAnswer() { return { type: "answer", sdp: "answer-sdp" }; }
    async setLocalDescription(description) { this.localDescription = description; }
    async setRemoteDescription(description) { this.remoteDescription = description; }
    async addIceCandidate(candidate) { this.added.push(candidate.candidate); }
    close() { this.closed = true; }
}

function link() {
    const sent = [];
    const made = [];
    const rtc = new RtcLink({
        send: (message) => { sent.push(message); return true; },
        createPeerConnection: (config) => { const pc = new FakePeerConnection(config); made.push(pc); return pc; },
    });
    return { rtc, sent, made };
}

const stream = { getVideoTracks: () => ["track"] };

test("the sharer offers its track with the server's ICE servers, numbering each connection", async () => {
    const { rtc, sent, made } = link();
    rtc.configure({ type: "rtc_config", ice_servers: [{ urls: ["turn:127.0.0.1:3478"] }],
        ice_transport_policy: "relay" });
    await rtc.offer(stream);
    await rtc.offer(stream);
    assert.deepEqual(made[0].config, { iceServers: [{ urls: ["turn:127.0.0.1:3478"] }], iceTransportPolicy: "relay" });
    assert.deepEqual(made[0].tracks, ["track"]);
    assert.ok(made[0].closed, "the first connection is closed by the second offer");
    assert.deepEqual(sent, [{ type: "rtc_offer", negotiation: 1, sdp: "offer-sdp" },
        { type: "rtc_offer", negotiation: 2, sdp: "offer-sdp" }]);
});

test("the viewer answers an offer and adds the candidates that came before it was ready", async () => {
    const { rtc, sent, made } = link();
    const answered = rtc.receiveOffer({ type: "rtc_offer", negotiation: 4, sdp: "offer-sdp" });
    await rtc.receiveCandidate({ type: "rtc_candidate", negotiation: 4, candidate: "c1", sdp_mid: "0",
        sdp_m_line_index: 0 });
    await answered;
    await rtc.receiveCandidate({ type: "rtc_candidate", negotiation: 4, candidate: "c2", sdp_mid: "0",
        sdp_m_line_index: 0 });
    assert.deepEqual(sent, [{ type: "rtc_answer", negotiation: 4, sdp: "answer-sdp" }]);
    assert.deepEqual(made[0].added, ["c1", "c2"]);
});

test("what belongs to an older negotiation is dropped", async () => {
    const { rtc, made } = link();
    await rtc.receiveOffer({ type: "rtc_offer", negotiation: 2, sdp: "s" });
    await rtc.receiveCandidate({ type: "rtc_candidate", negotiation: 1, candidate: "old", sdp_mid: "0",
        sdp_m_line_index: 0 });
    assert.deepEqual(made[0].added, []);
    rtc.close();
    await rtc.receiveCandidate({ type: "rtc_candidate", negotiation: 2, candidate: "late", sdp_mid: "0",
        sdp_m_line_index: 0 });
    assert.ok(made[0].closed);
    assert.deepEqual(made[0].added, []);
});
