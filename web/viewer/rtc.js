// RtcLink: one side of a browser share's WebRTC connection.
//
// The person's page (web/join/share.js) offers the screen's track; the
// technician's viewer answers and shows it. The signalling goes through the
// server as rtc_offer / rtc_answer / rtc_candidate messages
// (docs/reference/protocol.md, "Browser share"), and the ICE servers come
// from the server's rtc_config. Each new peer connection has a new
// negotiation number; what belongs to an older one is dropped.
//
// The RTCPeerConnection is made by an injected function, so that node tests
// drive the link with a fake.

import { getLogger } from "./log.js";

const logger = getLogger("rtc");

/**
 * @typedef {{type: string, [field: string]: unknown}} Message
 * @typedef {{iceServers: object[], iceTransportPolicy: string}} RtcConfiguration
 */

/** One side of the picture's peer connection: the sharer offers, the viewer answers. */
export class RtcLink {
    /**
     * @param {{
     *   send: (message: Message) => boolean,
     *   createPeerConnection?: (config: RtcConfiguration) => RTCPeerConnection,
     *   onTrack?: (stream: MediaStream) => void,
     *   onConnectionState?: (state: string) => void,
     * }} options
     *   send: sends one signalling message to the server; onTrack: the viewer got the picture
     */
    constructor(options) {
        this.sendMessage = options.send;
        this.createPeerConnection = options.createPeerConnection ??
            ((config) => new RTCPeerConnection(config));
        this.onTrack = options.onTrack ?? (() => {});
        this.onConnectionState = options.onConnectionState ?? (() => {});
        /** @type {RtcConfiguration} */
        this.config = { iceServers: [], iceTransportPolicy: "all" };
        /** @type {RTCPeerConnection | null} */
        this.pc = null;
        this.negotiation = 0;
        /** Candidates that came before the remote description. */
        this.pending = [];
    }

    /** @param {Message} message  rtc_config */
    configure(message) {
        this.config = {
            iceServers: Array.isArray(message.ice_servers) ? message.ice_servers : [],
            iceTransportPolicy: message.ice_transport_policy === "relay" ? "relay" : "all",
        };
    }

    /**
     * The sharer: a new peer connection that sends the stream's tracks, and its offer.
     * @param {MediaStream} stream
     * @returns {Promise<void>}
     */
    async offer(stream) {
        const pc = this.open(this.negotiation + 1);
        for (const track of stream.getVideoTracks()) pc.addTrack(track, stream);
        const offer = await pc.createOffer();
        if (this.pc !== pc) return;
        await pc.setLocalDescription(offer);
        if (this.pc !== pc) return;
        this.sendMessage({ type: "rtc_offer", negotiation: this.negotiation, sdp: pc.localDescription.sdp });
    }

    /**
     * The sharer: the viewer's answer to our latest offer.
     * @param {Message} message  rtc_answer
     */
    async receiveAnswer(message) {
        const pc = this.pc;
        if (pc === null || message.negotiation !== this.negotiation) return;
        await pc.setRemoteDescription({ type: "answer", sdp: String(message.sdp) });
        await this.flushCandidates(pc);
    }

    /**
     * The viewer: a new offer replaces the connection we had; we answer it.
     * @param {Message} message  rtc_offer
     */
    async receiveOffer(message) {
        const negotiation = Number(message.negotiation);
        const pc = this.open(negotiation);
        pc.ontrack = (event) => {
            if (this.pc === pc) this.onTrack(event.streams[0] ?? new MediaStream([event.track]));
        };
        await pc.setRemoteDescription({ type: "offer", sdp: String(message.sdp) });
        if (this.pc !== pc) return;
        const answer = await pc.createAnswer();
        if (this.pc !== pc) return;
        await pc.setLocalDescription(answer);
        if (this.pc !== pc) return;
        this.sendMessage({ type: "rtc_answer", negotiation, sdp: pc.localDescription.sdp });
        await this.flushCandidates(pc);
    }

    /**
     * Either side: one of the other side's ICE candidates.
     * @param {Message} message  rtc_candidate
     */
    async receiveCandidate(message) {
        const pc = this.pc;
        if (pc === null || message.negotiation !== this.negotiation) return;
        const candidate = { candidate: String(message.candidate), sdpMid: String(message.sdp_mid),
            sdpMLineIndex: Number(message.sdp_m_line_index) };
        if (pc.remoteDescription === null) {
            this.pending.push(candidate);
            return;
        }
        await this.addCandidate(pc, candidate);
    }

    /** Closes the peer connection, if any; later messages of it are dropped. */
    close() {
        const pc = this.pc;
        this.pc = null;
        this.pending = [];
        if (pc !== null) pc.close();
    }

    /**
     * The selected candidate pair's types, as getStats reports them: "host", "srflx", "relay".
     * @returns {Promise<{local: string, remote: string} | null>}  null before a pair is chosen
     */
    async selectedPath() {
        if (this.pc === null) return null;
        const stats = await this.pc.getStats();
        let pairId = null;
        stats.forEach((report) => {
            if (report.type === "transport" && report.selectedCandidatePairId) pairId = report.selectedCandidatePairId;
        });
        const pair = pairId === null ? null : stats.get(pairId);
        if (!pair || pair.state !== "succeeded") return null;
        return { local: stats.get(pair.localCandidateId)?.candidateType ?? "",
            remote: stats.get(pair.remoteCandidateId)?.candidateType ?? "" };
    }

    // --- internals -------------------------------------------------------

    /** @param {number} negotiation */
    open(negotiation) {
        this.close();
        this.negotiation = negotiation;
        const pc = this.createPeerConnection(this.config);
        this.pc = pc;
        pc.onicecandidate = (event) => {
            if (this.pc !== pc || !event.candidate || !event.candidate.candidate) return;
            this.sendMessage({ type: "rtc_candidate", negotiation, candidate: event.candidate.candidate,
                sdp_mid: event.candidate.sdpMid ?? "", sdp_m_line_index: event.candidate.sdpMLineIndex ?? 0 });
        };
        pc.onconnectionstatechange = () => {
            if (this.pc !== pc) return;
            logger.info("peer connection", negotiation, pc.connectionState);
            this.onConnectionState(pc.connectionState);
        };
        return pc;
    }

    /** @param {RTCPeerConnection} pc */
    async flushCandidates(pc) {
        const pending = this.pending;
        this.pending = [];
        for (const candidate of pending) await this.addCandidate(pc, candidate);
    }

    /**
     * @param {RTCPeerConnection} pc
     * @param {RTCIceCandidateInit} candidate
     */
    async addCandidate(pc, candidate) {
        try {
            await pc.addIceCandidate(candidate);
        } catch (error) {
            logger.warn("ignored an ICE candidate:", error.message);
        }
    }
}
