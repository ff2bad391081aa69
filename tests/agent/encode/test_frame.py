"""The frame encoder, driven by a fake clock: scroll → copy, motion → video, rest → lossless."""

from __future__ import annotations

import io

import av
import numpy as np
from PIL import Image

from coupdemain.agent.capture.changes import dirty_tiles
from coupdemain.agent.encode.copy import unpack_payload as unpack_copy
from coupdemain.agent.encode.frame import MAX_REFRESH_TILES, REFRESH_AFTER_SECONDS, FrameEncoder
from coupdemain.agent.encode.h264 import unpack_payload
from coupdemain.agent.encode.motion import REST_SECONDS
from coupdemain.agent.rate import QUALITY_LEVELS, QualityController
from coupdemain.agent.tiles import TILE, all_tiles
from coupdemain.protocol.encodings import Encoding
from coupdemain.protocol.frames import EncodedRect
from tests.agent.images import bgra, photo_like, terminal_text, text_like

FPS = 30
STEP = 1 / FPS


class Canvas:
    """What a viewer paints: each rect decoded, one H.264 decoder per stream."""

    def __init__(self, height: int, width: int) -> None:
        self.rgb = np.zeros((height, width, 3), np.uint8)
        self.decoders: dict[int, av.CodecContext] = {}

    def paint(self, rects: list[EncodedRect]) -> None:
        for rect in rects:
            if rect.encoding is Encoding.SOLID:
                pixels = np.empty((rect.height, rect.width, 3), np.uint8)
                pixels[:, :] = tuple(rect.payload)
            elif rect.encoding is Encoding.COPY:
                sx, sy = unpack_copy(rect.payload)
                pixels = self.rgb[sy : sy + rect.height, sx : sx + rect.width].copy()
            elif rect.encoding is Encoding.H264:
                stream_id, keyframe, access_unit = unpack_payload(rect.payload)
                if keyframe:
                    self.decoders[stream_id] = av.CodecContext.create("h264", "r")
                (frame,) = self.decoders[stream_id].decode(av.Packet(access_unit))
                pixels = frame.to_ndarray(format="rgb24")
            else:
                with Image.open(io.BytesIO(rect.payload)) as image:
                    pixels = np.asarray(image.convert("RGB"))
            self.rgb[rect.y : rect.y + rect.height, rect.x : rect.x + rect.width] = pixels

    def error(self, bgra_pixels: np.ndarray) -> int:
        return int(np.abs(self.rgb.astype(int) - bgra_pixels[..., 2::-1].astype(int)).max())


def screen_with_video(step: int, height: int = 256, width: int = 512,
                      box: tuple[int, int, int, int] = (192, 0, 320, 192)) -> np.ndarray:
    """Text on the left, a "video" of changing grain in ``box`` (x, y, width, height)."""
    x, y, w, h = box
    pixels = bgra(height, width, (246, 247, 249))
    pixels[0:64, 0:128] = text_like(64, 128)
    rng = np.random.default_rng(step)
    video = photo_like(h, w, grain=0)
    video[..., :3] = np.clip(video[..., :3].astype(int)
                             + rng.integers(-20, 21, (h, w, 3)), 0, 255).astype(np.uint8)
    video[40:80, 10 + 8 * step % 200 : 50 + 8 * step % 200, :3] = (30, 30, 200)
    pixels[y : y + h, x : x + w] = video
    return pixels


def run(encoder: FrameEncoder, canvas: Canvas, frames: list[np.ndarray], start: float,
        previous: np.ndarray | None) -> tuple[list[list[EncodedRect]], float, np.ndarray | None]:
    sent = []
    now = start
    for pixels in frames:
        if previous is None:
            rects = encoder.encode(pixels, all_tiles(pixels.shape[1], pixels.shape[0]), now,
                                   keyframe=True)
        else:
            rects = encoder.encode(pixels, dirty_tiles(previous, pixels), now)
        canvas.paint(rects)
        sent.append(rects)
        previous = pixels
        now += STEP
    return sent, now, previous


def test_a_region_in_sustained_motion_becomes_one_h264_stream() -> None:
    encoder = FrameEncoder()
    encoder.set_encodings([0, 1, 2, 3])
    canvas = Canvas(256, 512)
    frames = [screen_with_video(step) for step in range(20)]
    sent, _, _ = run(encoder, canvas, frames, 100.0, None)
    video = [[r for r in rects if r.encoding is Encoding.H264] for rects in sent]
    first = next(i for i, rects in enumerate(video) if rects)
    assert 4 <= first <= 8, "video starts after a few frames of motion, not at once"
    assert all(len(rects) == 1 for rects in video[first:])
    streams = {unpack_payload(rects[0].payload)[:2] for rects in video[first:]}
    stream_id = unpack_payload(video[first][0].payload)[0]
    assert (stream_id, True) in streams
    assert {sid for sid, _ in streams} == {stream_id}, "one stream, never restarted"
    rect = video[-1][0]
    # The region is the moving area's tiles.
    assert (rect.x, rect.y, rect.width, rect.height) == (192, 0, 320, 192)
    # No still rect overlaps the stream's tiles once it runs.
    for rects in sent[first:]:
        assert all(r.encoding is Encoding.H264 or r.x + r.width <= 192 or r.y >= 192
                   for r in rects)
    assert canvas.error(frames[-1]) < 80  # lossy, but the right picture


def outside_tiles(rect: EncodedRect, tiles: tuple[int, int, int, int] = (192, 0, 320, 192)) -> bool:
    x, y, w, h = tiles
    return (rect.x + rect.width <= x or rect.x >= x + w
            or rect.y + rect.height <= y or rect.y >= y + h)


def shows_the_square(canvas: Canvas, screen: np.ndarray) -> bool:
    """Whether the video's moving square is painted where it is on ``screen``.

    Lossy, but the right picture in the right place: its sharp edges blur
    a little, the grain around it a lot.
    """
    def square(rgb: np.ndarray) -> np.ndarray:
        return np.abs(rgb.astype(int) - (200, 30, 30)).max(axis=2) < 40

    shown, real = square(canvas.rgb), square(screen[..., 2::-1])
    return bool((shown & real).sum() / (shown | real).sum() > 0.8)


def encode_with_h264(
    frames: list[np.ndarray],
) -> tuple[list[list[EncodedRect]], list[EncodedRect], Canvas]:
    """Each frame's rects, the H.264 ones of them all, and the viewer's canvas after."""
    encoder = FrameEncoder()
    encoder.set_encodings([0, 1, 2, 3])
    canvas = Canvas(*frames[0].shape[:2])
    sent, _, _ = run(encoder, canvas, frames, 100.0, None)
    return sent, [r for rects in sent for r in rects if r.encoding is Encoding.H264], canvas


def test_a_video_off_the_tile_grid_streams_its_own_pixels_only() -> None:
    box = (201, 11, 290, 170)  # within the tiles 192,0 320x192, on none of their edges
    frames = [screen_with_video(step, box=box) for step in range(20)]
    sent, video, canvas = encode_with_h264(frames)
    assert video, "the moving area became video"
    assert {unpack_payload(r.payload)[0] for r in video} == {unpack_payload(video[0].payload)[0]}
    # The box on even pixels (yuv420p), not the region's tiles.
    assert {(r.x, r.y, r.width, r.height) for r in video} == {(200, 10, 292, 172)}
    first = next(i for i, rects in enumerate(sent) if any(r in video for r in rects))
    for rects in sent[first:]:
        assert all(r.encoding is Encoding.H264 or outside_tiles(r) for r in rects), (
            "the rest of the region's tiles did not change: nothing is sent there")
    assert shows_the_square(canvas, frames[-1])


def test_a_frame_caught_half_drawn_does_not_shrink_the_stream() -> None:
    frames = [screen_with_video(step, box=(201, 11, 290, 170)) for step in range(20)]
    # The first frame of the stream, captured while the application drew
    # it: only the picture's top rows are new.
    frames[4][150:] = frames[3][150:]
    _, video, _ = encode_with_h264(frames)
    assert {(r.x, r.y, r.width, r.height) for r in video} == {(200, 10, 292, 172)}
    assert len({unpack_payload(r.payload)[0] for r in video}) == 1


def test_a_video_whose_lower_part_starts_late_streams_its_own_box() -> None:
    box = (201, 11, 290, 300)
    frames = [screen_with_video(step, height=384, box=box) for step in range(16)]
    for step in range(1, 4):
        # At first only the picture's top rows move: the region forms on
        # them, then grows when the rows below have moved long enough.
        frames[step][131:] = frames[0][131:]
    _, video, _ = encode_with_h264(frames)
    assert (video[-1].x, video[-1].y, video[-1].width, video[-1].height) == (200, 10, 292, 302)


def drawn_in_parts(pictures: list[np.ndarray], top: int, height: int,
                   cuts: list[float]) -> list[np.ndarray]:
    """The screens a capture takes of pictures drawn in strips from the top.

    Screen ``i`` (from 1) holds picture ``i`` down to its cut (a share of
    the video's ``height`` under ``top``) and what was there before below
    it; the pictures after the cuts are whole.
    """
    screens = [pictures[0]]
    for step, cut in enumerate(cuts, start=1):
        screen = screens[-1].copy()
        rows = top + int(height * cut)
        screen[:rows] = pictures[step][:rows]
        screens.append(screen)
    return screens + pictures[len(screens):]


def test_a_stream_started_on_whole_tiles_moves_to_its_picture_s_box_once() -> None:
    box = (201, 11, 290, 170)
    pictures = [screen_with_video(step, box=box) for step in range(30)]
    # Each picture caught at another stage of its drawing: none, nor most,
    # fill the box the video's changes span, when its stream starts.
    frames = drawn_in_parts(pictures, 11, 170, [0.5, 1.0, 0.3, 0.9, 0.6, 1.0, 0.4, 0.8, 0.5, 0.7])
    _, video, canvas = encode_with_h264(frames)
    rects = [(r.x, r.y, r.width, r.height) for r in video]
    assert rects[0] == (192, 0, 320, 192)
    assert rects[-1] == (200, 10, 292, 172), "the stream moved to the picture's box"
    streams = [unpack_payload(r.payload)[0] for r in video]
    assert len(set(streams)) == 2 and streams.count(streams[-1]) > len(streams) // 2
    assert shows_the_square(canvas, frames[-1])


def test_a_video_whose_region_formed_while_it_was_drawn_streams_its_own_box() -> None:
    box = (201, 11, 420, 300)
    pictures = [screen_with_video(step, height=384, width=640, box=box) for step in range(40)]
    # At first the capture catches each picture with only its top third
    # drawn: the region forms on the top rows of tiles, its stream takes the
    # third's box, then the whole tiles when the rows below change, before
    # the region grows to the whole picture.
    frames = drawn_in_parts(
        pictures, 11, 300, [0.25, 0.38, 0.3, 0.2, 0.35, 0.28, 0.33, 0.22, 0.37, 0.26, 0.31, 0.36])
    _, video, canvas = encode_with_h264(frames)
    last = video[-1]
    assert (last.x, last.y, last.width, last.height) == (200, 10, 422, 302)
    assert sum(r.width * r.height == 422 * 302 for r in video) >= 20
    assert shows_the_square(canvas, frames[-1])


def test_shapes_moving_over_a_picture_stream_the_region_s_tiles() -> None:
    background = bgra(256, 512, (246, 247, 249))
    background[0:192, 192:512] = photo_like(192, 320)
    frames = []
    for step in range(20):
        pixels = background.copy()
        for i in range(6):  # each square goes its own way, bouncing off the area's edges
            x = 192 + (37 * i + 11 * step * (i + 1)) % 280
            y = (23 * i + 7 * step * (6 - i)) % 152
            pixels[y : y + 40, x : x + 40, :3] = (40 * i, 200 - 30 * i, 90)
        frames.append(pixels)
    _, video, _ = encode_with_h264(frames)
    assert video, "the shapes became video"
    assert {(r.x, r.y, r.width, r.height) for r in video} == {(192, 0, 320, 192)}
    assert len({unpack_payload(r.payload)[0] for r in video}) == 1


def test_a_change_beside_the_video_widens_its_stream_to_the_tiles_once() -> None:
    frames = [screen_with_video(step, box=(200, 10, 290, 170)) for step in range(20)]
    for step in range(12, 20):
        # A progress bar under the video, in the same tiles, grows.
        frames[step][182:186, 200 : 210 + 8 * step, :3] = (200, 60, 30)
    sent, _, canvas = encode_with_h264(frames)
    video = [r for rects in sent[12:] for r in rects if r.encoding is Encoding.H264]
    assert (video[0].x, video[0].y, video[0].width, video[0].height) == (192, 0, 320, 192)
    assert unpack_payload(video[0].payload)[1], "a new stream starts with a keyframe"
    assert len({unpack_payload(r.payload)[0] for r in video}) == 1, "and is not restarted"
    assert all(r.encoding is Encoding.H264 or outside_tiles(r)
               for rects in sent[12:] for r in rects)
    assert canvas.error(frames[-1]) < 80


def test_a_frame_that_answers_input_goes_without_the_video_s_change() -> None:
    encoder = FrameEncoder()
    encoder.set_encodings([0, 1, 2, 3])
    canvas = Canvas(256, 512)
    # Long enough for the text's refresh to be over: only the video changes.
    _, now, previous = run(encoder, canvas, [screen_with_video(s) for s in range(20)], 100.0, None)
    assert previous is not None
    # A video's change alone answers no input: it goes as usual.
    playing = screen_with_video(20)
    rects = encoder.encode(playing, dirty_tiles(previous, playing), now, input_first=True)
    canvas.paint(rects)
    assert [r.encoding for r in rects] == [Encoding.H264] and not encoder.answered_input
    # A key's echo lands in the text beside the video, which plays on.
    typed = screen_with_video(21)
    typed[100:113, 20:28, :3] = 20
    rects = encoder.encode(typed, dirty_tiles(playing, typed), now + STEP, input_first=True)
    canvas.paint(rects)
    assert encoder.answered_input
    assert rects and all(r.encoding is not Encoding.H264 and outside_tiles(r) for r in rects)
    assert encoder.refresh_due(now + STEP) and encoder.seconds_until_due(now + STEP) == 0
    # The next frame carries the video's picture, though nothing new changed.
    rects = encoder.encode(typed, np.zeros_like(dirty_tiles(typed, typed)), now + 2 * STEP)
    canvas.paint(rects)
    assert [r.encoding for r in rects] == [Encoding.H264]
    assert shows_the_square(canvas, typed)
    assert not encoder.refresh_due(now + 2 * STEP)


def test_without_h264_the_region_goes_as_jpeg() -> None:
    encoder = FrameEncoder()
    encoder.set_encodings([0, 1, 2, 9])  # 9: unknown, ignored
    assert encoder.encodings == {Encoding.SOLID, Encoding.PNG, Encoding.JPEG}
    canvas = Canvas(256, 512)
    sent, _, _ = run(encoder, canvas, [screen_with_video(s) for s in range(12)], 5.0, None)
    assert all(r.encoding is not Encoding.H264 for rects in sent for r in rects)
    assert any(r.encoding is Encoding.JPEG for r in sent[-1])


def test_a_region_at_rest_is_refreshed_losslessly_and_ends_pixel_exact() -> None:
    encoder = FrameEncoder()
    encoder.set_encodings([0, 1, 2, 3])
    canvas = Canvas(256, 512)
    frames = [screen_with_video(step) for step in range(15)]
    _, now, last = run(encoder, canvas, frames, 0.0, None)
    assert encoder.motion.regions and canvas.error(last) > 0
    # Nothing changes from now on. Before the refresh is due, nothing is sent.
    nothing = np.zeros_like(all_tiles(512, 256))
    assert encoder.encode(last, nothing, now) == []
    due = encoder.seconds_until_due(now)
    assert due is not None and due <= max(REST_SECONDS, REFRESH_AFTER_SECONDS)
    later = now - STEP + max(REST_SECONDS, REFRESH_AFTER_SECONDS)
    assert encoder.refresh_due(later)
    rects = encoder.encode(last, nothing, later)
    assert rects and all(r.encoding in (Encoding.PNG, Encoding.SOLID) for r in rects)
    canvas.paint(rects)
    assert canvas.error(last) == 0, "pixel-exact once at rest"
    assert encoder.motion.regions == []
    assert not encoder.refresh_due(later + 5)
    assert encoder.encode(last, nothing, later + 5) == []
    assert encoder.seconds_until_due(later + 5) is None


def test_a_jpeg_photo_at_rest_becomes_png() -> None:
    encoder = FrameEncoder()
    canvas = Canvas(128, 128)
    first = bgra(128, 128)
    photo = first.copy()
    photo[0:64, 0:64] = photo_like(64, 64)
    rects = encoder.encode(first, all_tiles(128, 128), 0.0, keyframe=True)
    canvas.paint(rects)
    rects = encoder.encode(photo, dirty_tiles(first, photo), 1.0)
    assert [r.encoding for r in rects] == [Encoding.JPEG]
    canvas.paint(rects)
    assert canvas.error(photo) > 0
    nothing = np.zeros((2, 2), np.bool_)
    assert encoder.encode(photo, nothing, 1.0 + REFRESH_AFTER_SECONDS / 2) == []
    rects = encoder.encode(photo, nothing, 1.0 + REFRESH_AFTER_SECONDS)
    assert [(r.encoding, r.x, r.y, r.width, r.height) for r in rects] == [
        (Encoding.PNG, 0, 0, 64, 64)]
    canvas.paint(rects)
    assert canvas.error(photo) == 0


def test_the_jpeg_quality_follows_the_level() -> None:
    quality = QualityController(level=0)
    encoder = FrameEncoder(quality)
    photo = photo_like(64, 64)
    low = encoder.encode(photo, all_tiles(64, 64), 0.0, keyframe=True)[0]
    quality.level = len(QUALITY_LEVELS) - 1
    high = encoder.encode(photo, all_tiles(64, 64), 1.0, keyframe=True)[0]
    assert low.encoding is high.encoding is Encoding.JPEG
    assert len(low.payload) < len(high.payload)


def test_lossy_tiles_wait_for_a_slow_link_s_next_frame_before_their_refresh() -> None:
    quality = QualityController(frames_in_flight=1)
    encoder = FrameEncoder(quality)
    encoder.set_encodings([0, 1, 2, 3])  # no H.264: the photo goes as JPEG
    photo = photo_like(256, 384)
    changed = np.ones((4, 6), np.bool_)
    assert {r.encoding for r in encoder.encode(photo, changed, 1.0)} == {Encoding.JPEG}
    quality.frame_sent(1, 50_000, 1.0)
    quality.frame_acked(1, 2.0)  # one frame a second gets through
    nothing = np.zeros_like(changed)
    # Past the usual wait, but before three frames of this link: not yet.
    assert encoder.encode(photo, nothing, 1.0 + 2 * REFRESH_AFTER_SECONDS) == []
    rects = encoder.encode(photo, nothing, 1.0 + 3.0)
    assert rects and {r.encoding for r in rects} <= {Encoding.PNG, Encoding.SOLID}


def test_text_printed_line_after_line_into_an_empty_window_stays_lossless() -> None:
    lines = terminal_text(20, 832)
    encoder = FrameEncoder()
    encoder.set_encodings([0, 1, 2, 3, 4])
    canvas = Canvas(384, 960)
    frames = []
    for count in range(20):
        pixels = terminal_screen(bgra(320, 832, (30, 30, 30)), 0)
        pixels[32 : 32 + 16 * count, 64:896] = lines[: 16 * count]
        frames.append(pixels)
    sent, _, _ = run(encoder, canvas, frames, 10.0, None)
    assert {r.encoding for rects in sent for r in rects} <= {Encoding.PNG, Encoding.SOLID}
    assert canvas.error(frames[-1]) == 0


def test_a_viewer_that_drops_h264_ends_the_streams_and_gets_jpeg() -> None:
    encoder = FrameEncoder()
    encoder.set_encodings([0, 1, 2, 3])
    canvas = Canvas(256, 512)
    frames = [screen_with_video(step) for step in range(10)]
    sent, now, last = run(encoder, canvas, frames, 0.0, None)
    assert any(r.encoding is Encoding.H264 for r in sent[-1])
    encoder.set_encodings([0, 1, 2])
    sent, _, _ = run(encoder, canvas, [screen_with_video(step) for step in range(10, 13)], now,
                     last)
    assert all(r.encoding is not Encoding.H264 for rects in sent for r in rects)
    assert any(r.encoding is Encoding.JPEG for r in sent[0])
    assert len(encoder.streams) == 0


def test_a_large_refresh_is_spread_over_frames() -> None:
    encoder = FrameEncoder()
    canvas = Canvas(384, 640)
    first = bgra(384, 640)
    photo = photo_like(384, 640)  # 60 tiles of photograph
    canvas.paint(encoder.encode(first, all_tiles(640, 384), 0.0, keyframe=True))
    rects = encoder.encode(photo, dirty_tiles(first, photo), 1.0)
    assert {r.encoding for r in rects} == {Encoding.JPEG}
    canvas.paint(rects)
    nothing = np.zeros((6, 10), np.bool_)
    later = 1.0 + REFRESH_AFTER_SECONDS
    tiles_sent = []
    for _ in range(3):
        rects = encoder.encode(photo, nothing, later)
        canvas.paint(rects)
        tiles_sent.append(sum(r.width * r.height for r in rects) // (TILE * TILE))
        later += STEP
    assert tiles_sent == [MAX_REFRESH_TILES, 60 - MAX_REFRESH_TILES, 0]
    assert canvas.error(photo) == 0
    assert encoder.seconds_until_due(later) is None


def test_a_small_change_is_cropped_to_its_pixels() -> None:
    encoder = FrameEncoder()
    canvas = Canvas(128, 128)
    before = bgra(128, 128)
    canvas.paint(encoder.encode(before, all_tiles(128, 128), 0.0, keyframe=True))
    after = before.copy()
    after[70:83, 10:18, :3] = 20  # a glyph
    rects = encoder.encode(after, dirty_tiles(before, after), 1.0)
    assert [(r.encoding, r.x, r.y, r.width, r.height) for r in rects] == [
        (Encoding.SOLID, 10, 70, 8, 13)]
    canvas.paint(rects)
    assert canvas.error(after) == 0
    # Only the meaningless alpha byte changes: nothing to send.
    alpha = after.copy()
    alpha[0:10, 0:10, 3] = 7
    assert encoder.encode(alpha, dirty_tiles(after, alpha), 2.0) == []


def test_a_wide_band_across_two_rows_of_tiles_is_cropped_too() -> None:
    # The lines a terminal scrolls into view: 50 rows across a tile boundary.
    encoder = FrameEncoder()
    canvas = Canvas(256, 1024)
    before = bgra(256, 1024, (30, 30, 30))
    canvas.paint(encoder.encode(before, all_tiles(1024, 256), 0.0, keyframe=True))
    after = before.copy()
    after[100:150, 40:1000] = text_like(50, 960)
    rects = encoder.encode(after, dirty_tiles(before, after), 1.0)
    assert [(r.encoding, r.y, r.height) for r in rects] == [(Encoding.PNG, 100, 50)]
    assert rects[0].x >= 40 and rects[0].x + rects[0].width <= 1000
    canvas.paint(rects)
    assert canvas.error(after) == 0


def test_a_lossless_crop_in_a_lossy_tile_leaves_the_tile_to_the_refresh() -> None:
    encoder = FrameEncoder()
    canvas = Canvas(64, 64)
    first = bgra(64, 64)
    photo = photo_like(64, 64)
    canvas.paint(encoder.encode(first, all_tiles(64, 64), 0.0, keyframe=True))
    rects = encoder.encode(photo, dirty_tiles(first, photo), 1.0)
    assert [r.encoding for r in rects] == [Encoding.JPEG]
    canvas.paint(rects)
    typed = photo.copy()
    typed[5:10, 5:10, :3] = 0
    rects = encoder.encode(typed, dirty_tiles(photo, typed), 1.1)
    assert [(r.encoding, r.width, r.height) for r in rects] == [(Encoding.SOLID, 5, 5)]
    canvas.paint(rects)
    assert canvas.error(typed) > 0  # the rest of the tile is still the JPEG
    rects = encoder.encode(typed, np.zeros((1, 1), np.bool_), 1.1 + REFRESH_AFTER_SECONDS)
    assert [(r.encoding, r.width, r.height) for r in rects] == [(Encoding.PNG, 64, 64)]
    canvas.paint(rects)
    assert canvas.error(typed) == 0


def terminal_screen(lines: np.ndarray, top: int) -> np.ndarray:
    """A 512x384 screen with a 384x320 terminal at 64,32 showing ``lines`` from row ``top``.

    Wider ``lines`` make a wider screen: the terminal leaves 64 pixels each side.
    """
    width = lines.shape[1]
    pixels = bgra(384, width + 128, (240, 240, 240))
    pixels[32:352, 64 : 64 + width] = lines[top : top + 320]
    return pixels


def test_a_scroll_travels_as_a_copy_and_only_the_new_lines_as_pixels() -> None:
    # 832 pixels wide: the line scrolling in covers 13 tiles every frame,
    # enough motion for video, yet it is text and must stay exact.
    lines = terminal_text(60, 832)
    encoder = FrameEncoder()
    encoder.set_encodings([0, 1, 2, 3, 4])
    canvas = Canvas(384, 960)
    frames = [terminal_screen(lines, 16 * step) for step in range(20)]
    sent, _, _ = run(encoder, canvas, frames, 10.0, None)
    for rects in sent[1:]:
        assert rects[0].encoding is Encoding.COPY
        assert (rects[0].x, rects[0].y, rects[0].width, rects[0].height) == (64, 32, 832, 304)
        assert unpack_copy(rects[0].payload) == (64, 48)
        # The line that scrolled in, and nothing else, goes as pixels.
        assert sum(r.width * r.height for r in rects[1:]) <= 832 * 16
        assert all(r.encoding in (Encoding.PNG, Encoding.SOLID) for r in rects[1:])
    assert canvas.error(frames[-1]) == 0


def scrolled_terminal(width: int) -> tuple[list[list[EncodedRect]], Canvas, np.ndarray]:
    """Three frames of a terminal ``width`` pixels wide scrolling, sent to a viewer with COPY."""
    lines = terminal_text(60, width)
    encoder = FrameEncoder()
    encoder.set_encodings([0, 1, 2, 4])
    canvas = Canvas(384, width + 128)
    frames = [terminal_screen(lines, 16 * step) for step in range(3)]
    sent, _, _ = run(encoder, canvas, frames, 10.0, None)
    return sent, canvas, frames[-1]


def test_a_column_one_tile_wide_is_not_searched_for_a_scroll() -> None:
    sent, canvas, last = scrolled_terminal(64)
    assert all(r.encoding is not Encoding.COPY for rects in sent for r in rects)
    assert canvas.error(last) == 0
    # Two tiles wide, the same scroll is a copy.
    sent, canvas, last = scrolled_terminal(128)
    assert [rects[0].encoding for rects in sent[1:]] == [Encoding.COPY, Encoding.COPY]
    assert canvas.error(last) == 0


def test_a_viewer_without_copy_gets_the_scroll_as_pixels() -> None:
    lines = terminal_text(60, 384)
    encoder = FrameEncoder()
    encoder.set_encodings([0, 1, 2])
    canvas = Canvas(384, 512)
    frames = [terminal_screen(lines, 16 * step) for step in range(3)]
    sent, _, _ = run(encoder, canvas, frames, 10.0, None)
    assert all(r.encoding is not Encoding.COPY for rects in sent for r in rects)
    assert canvas.error(frames[-1]) == 0


def test_a_copy_of_lossy_pixels_is_refreshed_at_rest() -> None:
    encoder = FrameEncoder()
    encoder.set_encodings([0, 1, 2, 4])
    canvas = Canvas(384, 512)
    page = bgra(640, 384, (250, 250, 250))
    page[:, :, :3][terminal_text(40, 384)[:640, :, 0] > 100] = 10
    with_photo = page.copy()
    with_photo[200:328, 64:320] = photo_like(128, 256)  # a photograph shows up, then scrolls
    frames = [terminal_screen(page, 0), terminal_screen(with_photo, 0),
              terminal_screen(with_photo, 100)]
    sent, now, _ = run(encoder, canvas, frames[:1], 10.0, None)
    later = now + REFRESH_AFTER_SECONDS
    for _ in range(10):  # the keyframe made exact, MAX_REFRESH_TILES at a time
        canvas.paint(encoder.encode(frames[0], np.zeros((6, 8), np.bool_), later))
        later += STEP
    assert canvas.error(frames[0]) == 0
    sent, now, _ = run(encoder, canvas, frames[1:], later, frames[0])
    assert [r.encoding for r in sent[0]] == [Encoding.JPEG]
    assert sent[1][0].encoding is Encoding.COPY
    assert canvas.error(frames[-1]) > 0  # the copy moved the photograph's JPEG
    later = now + REFRESH_AFTER_SECONDS
    for _ in range(10):
        rects = encoder.encode(frames[-1], np.zeros((6, 8), np.bool_), later)
        canvas.paint(rects)
        assert all(r.encoding in (Encoding.PNG, Encoding.SOLID) for r in rects)
        if encoder.seconds_until_due(later) is None:
            break
        later += STEP
    assert canvas.error(frames[-1]) == 0
