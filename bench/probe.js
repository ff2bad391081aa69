// Injected by the bench into the viewer's page, the same for every stack.
// It reads only the picture the person sees, in remote pixels: the viewer's
// <video id="screen-video"> while it plays (the browser share), else
// coupdemain's <canvas id="screen">, else the largest <canvas> on the page
// (noVNC's). The video is copied, at every frame it presents
// (requestVideoFrameCallback), into a canvas of the remote screen's size
// (videoSize, set by the bench), which is then read as the others are.
//
// - Input time: event.timeStamp of the keydown / pointerdown, read in the
//   capture phase on window (before any viewer code runs).
// - Change time: arm(x, y) remembers the colour at (x, y) and polls it in a
//   loop of MessageChannel tasks (a fraction of a millisecond apart, leaving
//   the viewer's own tasks to run in between) until it changes.
//   The answer also holds shownAt: the start of the next animation frame,
//   the first that can put the change on the screen.
// - Frames displayed: every animation frame decodes the application's
//   barcode (16 blocks, white = 1) and logs each new value with its time.
// Times are performance.timeOrigin + performance.now(), milliseconds since
// the epoch in the browser's clock; the bench measures that clock's offset.
(() => {
    if (window.__bench) return;
    const B = {
        lastInput: null,
        frames: [],
        lastFrame: -1,
        animationFrames: 0,
        barcode: null, // [x, y, bits, block]
        videoSize: null, // [width, height] of the remote screen, for the video's copy
        videoCanvas: null,
        videoFrames: 0, // frames the video presented (requestVideoFrameCallback)
    };
    window.__bench = B;
    const now = () => performance.timeOrigin + performance.now();
    B.now = now;

    const markInput = (event) => {
        B.lastInput = performance.timeOrigin + event.timeStamp;
    };
    window.addEventListener("keydown", markInput, true);
    window.addEventListener("pointerdown", markInput, true);
    window.addEventListener("mousedown", (event) => {
        if (B.lastInput === null) markInput(event);
    }, true);

    const copyVideo = (video) => {
        const [w, h] = B.videoSize || [video.videoWidth, video.videoHeight];
        const canvas = document.createElement("canvas");
        canvas.width = w;
        canvas.height = h;
        const ctx = canvas.getContext("2d", { willReadFrequently: true });
        const onFrame = () => {
            // The encoder may send fewer pixels than the screen has: scale back.
            ctx.drawImage(video, 0, 0, w, h);
            B.videoFrames += 1;
            video.requestVideoFrameCallback(onFrame);
        };
        video.requestVideoFrameCallback(onFrame);
        return canvas;
    };
    B.canvas = () => {
        const video = document.querySelector("video#screen-video");
        if (video && !video.hidden && video.videoWidth > 0) {
            if (B.videoCanvas === null) B.videoCanvas = copyVideo(video);
            return B.videoCanvas;
        }
        // coupdemain's picture is #screen (the end-to-end tests read it too); any
        // overlay canvas it may gain must not be taken for it.
        const screen = document.querySelector("canvas#screen");
        if (screen) return screen;
        let best = null;
        for (const canvas of document.querySelectorAll("canvas")) {
            if (canvas.width * canvas.height > (best ? best.width * best.height : 0)) best = canvas;
        }
        return best;
    };
    const context = () => {
        const canvas = B.canvas();
        return canvas ? canvas.getContext("2d") : null;
    };
    B.size = () => {
        const canvas = B.canvas();
        return canvas ? [canvas.width, canvas.height] : [0, 0];
    };
    const pixel = (ctx, x, y) => {
        const d = ctx.getImageData(x, y, 1, 1).data;
        return [d[0], d[1], d[2]];
    };
    B.pixel = (x, y) => pixel(context(), x, y);
    const differs = (a, b) => Math.max(Math.abs(a[0] - b[0]), Math.abs(a[1] - b[1]),
        Math.abs(a[2] - b[2])) > 60;

    /** Starts watching (x, y); B.result resolves when its colour changes, or null. */
    B.arm = (x, y, timeoutMs) => {
        const ctx = context();
        const base = pixel(ctx, x, y);
        B.lastInput = null;
        const armedAt = now();
        B.result = new Promise((resolve) => {
            const channel = new MessageChannel();
            channel.port1.onmessage = () => {
                const seen = pixel(ctx, x, y);
                const t = now();
                if (differs(seen, base)) {
                    channel.port1.close();
                    const inputAt = B.lastInput;
                    // The next animation frame is the first that can show the change.
                    requestAnimationFrame(() => resolve({
                        changedAt: t, shownAt: now(), inputAt, armedAt, colour: seen }));
                } else if (t - armedAt > timeoutMs) {
                    channel.port1.close();
                    resolve(null);
                } else {
                    channel.port2.postMessage(0);
                }
            };
            channel.port2.postMessage(0);
        });
        return base;
    };

    const readBarcode = () => {
        const ctx = context();
        if (!ctx || !B.barcode) return -1;
        const [x, y, bits, block] = B.barcode;
        if (ctx.canvas.width < x + bits * block || ctx.canvas.height < y + block) return -1;
        const d = ctx.getImageData(x, y + (block >> 1), bits * block, 1).data;
        let value = 0;
        for (let i = 0; i < bits; i++) {
            const o = (i * block + (block >> 1)) * 4;
            const light = (d[o] + d[o + 1] + d[o + 2]) / 3;
            value = value * 2 + (light > 128 ? 1 : 0);
        }
        return value;
    };
    const onAnimationFrame = () => {
        B.animationFrames += 1;
        const value = readBarcode();
        if (value !== B.lastFrame && value >= 0) {
            B.lastFrame = value;
            if (B.frames.length < 200000) B.frames.push([now(), value]);
        }
        requestAnimationFrame(onAnimationFrame);
    };
    requestAnimationFrame(onAnimationFrame);

    /** Distinct application frames first displayed in [t0, t1) (epoch ms, browser clock). */
    B.framesBetween = (t0, t1) => {
        const seen = new Set();
        for (const [t, value] of B.frames) if (t >= t0 && t < t1) seen.add(value);
        return seen.size;
    };

    /** The peer connection's transport and inbound-rtp reports, as plain objects ([] if none). */
    B.rtcStats = async () => {
        const pc = window.coupdemainRtc?.pc;
        if (!pc) return [];
        const out = [];
        (await pc.getStats()).forEach((r) => {
            if (r.type === "transport" || r.type === "inbound-rtp") {
                out.push({ type: r.type, kind: r.kind ?? null, bytesReceived: r.bytesReceived ?? 0,
                    bytesSent: r.bytesSent ?? 0, headerBytesReceived: r.headerBytesReceived ?? 0,
                    framesDecoded: r.framesDecoded ?? null });
            }
        });
        return out;
    };

    /** One 32-bit hash per row of a region, over R, G, B: h = h * 31 + v (mod 2^32). */
    B.rowHashes = (x, y, w, h) => {
        const d = context().getImageData(x, y, w, h).data;
        const out = new Array(h);
        for (let r = 0; r < h; r++) {
            let hash = 0;
            let i = r * w * 4;
            for (let c = 0; c < w; c++, i += 4) {
                hash = (Math.imul(hash, 31) + d[i]) >>> 0;
                hash = (Math.imul(hash, 31) + d[i + 1]) >>> 0;
                hash = (Math.imul(hash, 31) + d[i + 2]) >>> 0;
            }
            out[r] = hash;
        }
        return out;
    };

    /** Where remote pixel (x, y) is on the page (the canvas may be scaled to fit). */
    B.pagePoint = (x, y) => {
        const c = B.canvas();
        const r = c.getBoundingClientRect();
        const scale = Math.min(r.width / c.width, r.height / c.height);
        const ox = r.left + (r.width - c.width * scale) / 2;
        const oy = r.top + (r.height - c.height * scale) / 2;
        return [ox + (x + 0.5) * scale, oy + (y + 0.5) * scale];
    };
})();
