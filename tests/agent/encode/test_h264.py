from __future__ import annotations

import av
import numpy as np
import pytest

from coupdemain.agent.encode.h264 import (
    H264Encoder,
    pack_payload,
    unpack_payload,
)
from coupdemain.protocol.encodings import Encoding
from tests.agent.images import photo_like


def decode_all(payloads: list[bytes]) -> list[np.ndarray]:
    decoder = av.CodecContext.create("h264", "r")
    pictures = []
    for payload in payloads:
        _, _, access_unit = unpack_payload(payload)
        frames = decoder.decode(av.Packet(access_unit))
        assert len(frames) == 1, "no B-frames: each access unit decodes at once"
        pictures.append(frames[0].to_ndarray(format="bgr24"))
    return pictures


def moving(step: int, height: int = 64, width: int = 96) -> np.ndarray:
    pixels = photo_like(height, width, grain=0)
    pixels[16:32, 4 + 6 * step : 20 + 6 * step, :3] = (30, 38, 179)
    return pixels


def test_round_trip_is_close_and_each_picture_decodes_at_once() -> None:
    encoder = H264Encoder(3, 96, 64, bitrate=2_000_000)
    sources = [moving(step) for step in range(5)]
    payloads = [encoder.encode(pixels) for pixels in sources]
    assert [unpack_payload(p)[:2] for p in payloads] == [(3, True)] + [(3, False)] * 4
    for decoded, source in zip(decode_all(payloads), sources, strict=True):
        assert decoded.shape == (64, 96, 3)
        assert np.abs(decoded.astype(int) - source[..., :3].astype(int)).mean() < 4


def test_annex_b_keyframe_carries_its_parameter_sets() -> None:
    payload = H264Encoder(1, 32, 32, bitrate=500_000).encode(moving(0, 32, 32))
    access_unit = unpack_payload(payload)[2]
    assert access_unit.startswith(b"\x00\x00\x00\x01\x67")  # start code, SPS
    # Constrained baseline: the codec string the viewer derives is avc1.42C0xx.
    assert access_unit[5:7] == b"\x42\xc0"
    assert b"\x00\x00\x00\x01\x68" in access_unit or b"\x00\x00\x01\x68" in access_unit  # PPS


def test_a_keyframe_on_request() -> None:
    encoder = H264Encoder(2, 32, 32, bitrate=500_000)
    flags = [unpack_payload(encoder.encode(moving(0, 32, 32), keyframe=k))[1]
             for k in (False, False, True, False)]
    assert flags == [True, False, True, False]


def test_payload_header_round_trip() -> None:
    assert unpack_payload(pack_payload(0x1234, True, b"abc")) == (0x1234, True, b"abc")
    assert unpack_payload(pack_payload(70000, False, b"")) == (70000 & 0xFFFF, False, b"")
    with pytest.raises(ValueError, match="h264 payload of 2 bytes is shorter than its header"):
        unpack_payload(b"\x00\x01")


def test_odd_sizes_and_wrong_regions_are_refused() -> None:
    with pytest.raises(ValueError, match="an H.264 stream needs an even size, not 33x32"):
        H264Encoder(1, 33, 32, bitrate=500_000)
    encoder = H264Encoder(1, 32, 32, bitrate=500_000)
    with pytest.raises(ValueError, match="a 34x32 region does not fit the 32x32 stream 1"):
        encoder.encode(photo_like(32, 34))


def test_strided_view_is_accepted() -> None:
    frame = photo_like(100, 200)
    payload = H264Encoder(1, 64, 48, bitrate=500_000).encode(frame[10:58, 20:84])
    (decoded,) = decode_all([payload])
    assert decoded.shape == (48, 64, 3)


def test_encoding_id() -> None:
    assert H264Encoder.encoding is Encoding.H264
