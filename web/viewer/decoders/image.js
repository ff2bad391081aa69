// What PNG and JPEG share: the browser decodes the compressed image with
// createImageBitmap, off the main thread, and we check it has the rect's size.

/**
 * Decodes an image payload of one rect.
 * @param {import("../protocol.js").EncodedRect} rect
 * @param {string} mimeType  "image/png" or "image/jpeg"
 * @param {string} name      the encoding's name, for error sentences
 * @returns {Promise<import("./solid.js").DecodedRect>}
 * @throws {Error} the payload is not a readable image, or its size is not the rect's
 */
export async function decodeImageRect(rect, mimeType, name) {
    const { x, y, width, height, payload } = rect;
    let image;
    try {
        image = await createImageBitmap(new Blob([payload], { type: mimeType }), {
            // The pixels as they were captured: no colour management, no
            // premultiplication round trip.
            colorSpaceConversion: "none",
            premultiplyAlpha: "none",
        });
    } catch (error) {
        throw new Error(`${name} rect at ${x},${y} could not be decoded: ${error.message ?? error}`);
    }
    if (image.width !== width || image.height !== height) {
        const size = `${image.width}×${image.height}`;
        image.close();
        throw new Error(`${name} rect at ${x},${y} is ${width}×${height} but its image is ${size}`);
    }
    return { x, y, width, height, image };
}
