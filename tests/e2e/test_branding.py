"""Branding: an admin sets the organisation's colour and logo in the console; the
person sees them on the agent's windows and on the join page, the technicians in
the console; what cannot be used is refused with a sentence."""

from __future__ import annotations

import io
import os
from pathlib import Path

from PIL import Image
from playwright.sync_api import Browser, Page

from coupdemain.demo.xvfb import VirtualScreen
from tests.agent.ui.screens import screenshot
from tests.e2e import test_scams
from tests.e2e.conftest import Technician, sign_in, start_agent
from tests.e2e.harness import Agent, close_to, hex_rgb, wait_for
from tests.support.server import ServerProcess

PLUM = "#6b2a7a"          # dark enough for white text: contrast 8.9:1
LOGO_COLOUR = (230, 120, 20)
SHOTS = os.environ.get("COUPDEMAIN_SHOTS", "")  # where to save the pages' pictures, if set
# The scam tests' server: technician alice and admin rose, of Entraide Numérique.
server = test_scams.server


def logo_file(tmp_path: Path) -> Path:
    """A logo an admin would upload: an orange JPEG, larger than it will be shown."""
    image = Image.new("RGB", (600, 200), LOGO_COLOUR)
    path = tmp_path / "logo.jpg"
    image.save(path, format="JPEG", quality=95)
    return path


def admin_page(browser: Browser, server: ServerProcess, language: str = "en-US") -> Page:
    page = browser.new_context(viewport={"width": 1024, "height": 768}, locale=language).new_page()
    sign_in(page, server, "rose")
    return page


def set_branding(page: Page, server: ServerProcess, colour: str, logo: Path | None) -> None:
    page.goto(server.url + "/organisation/branding")
    page.fill("#colour", colour)
    if logo is not None:
        page.set_input_files("#logo", str(logo))
    page.click("#save-branding")


def test_the_admin_brands_the_console_and_a_wrong_colour_is_refused_in_words(
    browser: Browser, server: ServerProcess, tmp_path: Path,
) -> None:
    page = admin_page(browser, server)
    set_branding(page, server, "#ffeeaa", logo_file(tmp_path))
    assert page.locator("#branding-error").inner_text() == (
        "This colour is too light for white text on it (contrast 1.2:1; at least 4.5:1 is "
        "needed). Choose a darker colour.")
    assert page.locator("#colour").input_value() == "#ffeeaa"  # kept, to be corrected
    not_an_image = tmp_path / "logo.png"
    not_an_image.write_text("this is no picture")
    set_branding(page, server, PLUM, not_an_image)
    assert page.locator("#branding-error").inner_text() == "The logo must be a PNG or JPEG image."

    set_branding(page, server, PLUM, logo_file(tmp_path))
    page.locator("#branding-saved").wait_for()
    if SHOTS:
        page.screenshot(path=str(Path(SHOTS) / "console-branding-en.png"))
    # The header: the logo at its stored size, and a stripe of the colour above it.
    logo = page.locator("#brand-logo")
    assert logo.evaluate("img => [img.naturalWidth, img.naturalHeight]") == [192, 64]
    top = page.locator("header.top").evaluate(
        "h => getComputedStyle(h).borderTopColor")
    assert top == "rgb(107, 42, 122)"


def test_a_technician_may_not_change_the_branding(
    technician: Technician, server: ServerProcess,
) -> None:
    response = technician.page.goto(server.url + "/organisation/branding")
    assert response is not None and response.status == 403
    assert "#nav-branding" not in technician.page.content()
    assert technician.page.locator("#nav-branding").count() == 0


def test_the_person_sees_the_organisations_colour_and_logo_on_the_agent_and_the_join_page(
    browser: Browser, server: ServerProcess, technician: Technician, agents: list[Agent],
    screen: VirtualScreen, tmp_path: Path,
) -> None:
    set_branding(admin_page(browser, server), server, PLUM, logo_file(tmp_path))

    code = technician.help_someone()
    agent = start_agent(agents, screen, server, tmp_path, code=code.replace(" ", ""))
    consent = agent.window_saying("consent", "Alice Martin, Entraide Numérique,")
    brand = consent["brand"]
    assert (brand["organisation"], brand["colour"], brand["logo"]) == (
        "Entraide Numérique", PLUM, True)
    # What the person sees: the stripe in the colour, then the orange logo under it.
    def shows_brand() -> Image.Image | None:
        shot = screenshot(screen.display)
        stripe = shot.getpixel((brand["x"] + brand["width"] // 2, brand["y"] + 2))
        return shot if close_to(stripe, hex_rgb(PLUM)) else None

    shot = wait_for(shows_brand, "the consent window's stripe in the organisation's colour", 20)
    logo_pixels = [shot.getpixel((brand["x"] + 16 + dx, brand["y"] + 20 + dy))
                   for dx in range(0, 150, 10) for dy in range(0, 40, 10)]
    assert sum(close_to(pixel, LOGO_COLOUR, 30) for pixel in logo_pixels) > len(logo_pixels) // 2
    assert "brand" not in agent.windows().get("banner", {})

    # The join page, once a code is accepted: the logo beside the name, the frame in the colour.
    person = browser.new_context(viewport={"width": 1024, "height": 768},
                                 locale="fr-FR").new_page()
    person.goto(server.url + "/join")
    person.fill("#share-code", technician.help_someone())
    person.click("#share-continue")
    person.locator("#share-brand", has_text="Entraide Numérique").wait_for()
    assert person.locator("#share-brand img").evaluate("img => img.naturalHeight") == 64
    assert person.locator("#browser-share").evaluate(
        "s => getComputedStyle(s).borderTopColor") == "rgb(107, 42, 122)"
    if SHOTS:
        person.screenshot(path=str(Path(SHOTS) / "join-branded-fr-1024x768.png"))


def test_a_logo_is_stored_small_whatever_was_uploaded(tmp_path: Path) -> None:
    from coupdemain.server.branding import checked_logo

    big = io.BytesIO()
    Image.new("RGB", (3000, 1000), LOGO_COLOUR).save(big, format="PNG")
    stored = Image.open(io.BytesIO(checked_logo(big.getvalue())))
    assert (stored.format, stored.size) == ("PNG", (192, 64))
