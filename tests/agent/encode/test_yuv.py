from __future__ import annotations

import sys

import av
import numpy as np
import pytest

from coupdemain.agent.encode.yuv import ToYuv420, libyuv_available
from tests.agent.images import photo_like

# scripts/setup.sh installs libyuv (Debian's libyuv0): the fast path is the one tested.
needs_libyuv = pytest.mark.skipif(sys.platform != "linux", reason="libyuv is set up on Linux")


def back_to_bgr(frame: av.VideoFrame) -> np.ndarray:
    # The decoder's side: BT.601, limited range, as the stream's SPS says.
    return frame.to_ndarray(format="bgr24")


@needs_libyuv
def test_libyuv_is_installed_and_used() -> None:
    assert libyuv_available()
    assert ToYuv420(32, 32).uses_libyuv


@pytest.mark.parametrize("use_libyuv", [True, False])
# Heights of 4n + 2 rows too: a stream's box is on even pixels, and PyAV
# read a 302-row array as a 300-row frame.
@pytest.mark.parametrize(("width", "height"), [(128, 96), (210, 150), (58, 26)])
def test_a_region_where_it_lies_converts_and_comes_back_close(
    use_libyuv: bool, width: int, height: int,
) -> None:
    screen = photo_like(240, 320, grain=0)
    region = screen[40 : 40 + height, 64 : 64 + width]  # rows a screen's width apart
    converter = ToYuv420(width, height, use_libyuv=use_libyuv)
    frame = converter.convert(region)
    assert (frame.width, frame.height, frame.format.name) == (width, height, "yuv420p")
    error = np.abs(back_to_bgr(frame).astype(int) - region[..., :3].astype(int))
    assert error.mean() < 3


@needs_libyuv
def test_libyuv_and_swscale_agree_on_smooth_pictures() -> None:
    region = photo_like(64, 96, grain=0)
    fast = ToYuv420(96, 64).convert(region).to_ndarray()
    slow = ToYuv420(96, 64, use_libyuv=False).convert(region).to_ndarray()
    luma = np.abs(fast[:64].astype(int) - slow[:64].astype(int))
    assert luma.max() <= 1
    assert np.abs(fast.astype(int) - slow.astype(int)).mean() < 1


@needs_libyuv
def test_pure_colours_land_on_bt601_limited_range() -> None:
    region = np.zeros((16, 16, 4), np.uint8)
    region[:8] = (0, 0, 0, 255)  # black
    region[8:] = (255, 255, 255, 255)  # white
    planes = ToYuv420(16, 16).convert(region).to_ndarray()
    assert abs(int(planes[0, 0]) - 16) <= 1 and abs(int(planes[15, 0]) - 235) <= 1
    assert np.all(np.abs(planes[16:].astype(int) - 128) <= 1)  # no colour: neutral chroma


def test_each_conversion_is_its_own_picture() -> None:
    converter = ToYuv420(32, 32)
    dark = converter.convert(np.full((32, 32, 4), 20, np.uint8))
    dark_luma = int(dark.to_ndarray()[0, 0])
    light = converter.convert(np.full((32, 32, 4), 220, np.uint8))
    assert int(light.to_ndarray()[0, 0]) > dark_luma + 100


def test_wrong_sizes_are_refused() -> None:
    with pytest.raises(ValueError, match="yuv420p needs an even size, not 31x32"):
        ToYuv420(31, 32)
    with pytest.raises(ValueError, match=r"a \(32, 34, 4\) region does not fit a 32x32 converter"):
        ToYuv420(32, 32).convert(np.zeros((32, 34, 4), np.uint8))
