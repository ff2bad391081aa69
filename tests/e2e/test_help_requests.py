"""Help requests and group rules, end to end: a real server, the real service
(``coupdemain agent run``) with its *Ask for help* window on Xvfb, the console in Chromium."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page

from coupdemain.demo.xvfb import VirtualScreen
from tests.e2e import test_devices
from tests.e2e.conftest import sign_in
from tests.e2e.harness import Agent, canvas_pixel, close_to, wait_for, wait_for_status, xdotool
from tests.e2e.test_devices import (
    ONLINE,
    SQUARE,
    SQUARE_CENTRE,
    SQUARE_RGB,
    Service,
    device_state,
    enroll,
    make_token,
)
from tests.support.server import ServerProcess, csrf_of, signed_in_client

# The devices tests' services: started on this test's screen, stopped after it.
services = test_devices.services

SHOTS = os.environ.get("COUPDEMAIN_SHOTS")  # a folder: the person's windows saved as PNG


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    """Technicians alice and bob and admin root of Entraide Numérique."""
    process = ServerProcess(tmp_path / "server")
    process.create_user("alice", "Alice Martin", "Entraide Numérique")
    process.create_user("bob", "Bob Durand", "Entraide Numérique")
    process.create_user("root", "Rose Admin", "Entraide Numérique", role="admin")
    process.start()
    yield process
    process.stop()


@pytest.fixture
def screen() -> Iterator[VirtualScreen]:
    with VirtualScreen(1024, 768) as screen:
        yield screen


@pytest.fixture
def pages(browser: Browser, server: ServerProcess) -> Iterator[Callable[[str], Page]]:
    """``pages("alice")``: a console signed in as that user."""
    contexts = []

    def open_as(username: str) -> Page:
        context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US")
        contexts.append(context)
        page = context.new_page()
        sign_in(page, server, username)
        return page

    yield open_as
    for context in contexts:
        context.close()


def person_asking(screen: VirtualScreen, server: ServerProcess, service: Service) -> Agent:
    """The Ask for help windows, read from their own trace beside the service's."""
    trace = service.trace_file
    return Agent(screen, server.url, trace.with_name(f"{trace.stem}-ask{trace.suffix}"))


def ask_for_help(screen: VirtualScreen, person: Agent, words: str) -> None:
    """Clicks Ask for help, types the words in the box, clicks Send, as the person would."""
    person.click("ask_button", "ask")
    box = person.window("ask")["text_box"]
    if words:
        xdotool(screen, "mousemove", str(box["x"] + 20), str(box["y"] + 20), "click", "1")
        xdotool(screen, "type", "--delay", "20", words)
        wait_for(lambda: person.window("ask")["text_box"]["text"] == words,
                 "the words in the box")
    person.click("ask", "send")


def shot(screen: VirtualScreen, name: str) -> None:
    if not SHOTS:
        return
    import mss
    import mss.tools

    factory = getattr(mss, "MSS", None) or mss.mss
    with factory(display=screen.display) as grabber:
        picture = grabber.grab(grabber.monitors[0])
    Path(SHOTS).mkdir(parents=True, exist_ok=True)
    mss.tools.to_png(picture.rgb, picture.size, output=str(Path(SHOTS) / f"{name}.png"))


def enrolled(server: ServerProcess, tmp_path: Path, **token: Any) -> Path:
    folder = tmp_path / "device"
    assert enroll(server, make_token(server, **token), folder, "--yes").returncode == 0
    return folder


def test_a_request_sent_from_the_device_is_queued_live_and_taken_without_a_consent_question(
    server: ServerProcess, pages: Callable[[str], Page], services: Callable[..., Service],
    screen: VirtualScreen, run_window: Callable[..., None], tmp_path: Path,
) -> None:
    # No prompt for the group: a help request is attended all the same.
    service = services(enrolled(server, tmp_path, group="Office", policy="no_prompt")).start()
    page = pages("alice")
    page.goto(server.url + "/help-requests")
    assert page.locator("#no-help-requests").inner_text() == (
        "Nobody is asking for help right now.")
    page.evaluate("window.notReloaded = true")

    person = person_asking(screen, server, service)
    person.window("ask_button")
    shot(screen, "ask-button-en")
    person.click("ask_button", "ask")
    ask = person.window("ask")
    assert ask["texts"] == ["Ask for help", "What is wrong? (optional)"]
    assert {k: b["label"] for k, b in ask["buttons"].items()} == {
        "send": "Send", "cancel": "Cancel"}
    shot(screen, "ask-window-en")
    person.click("ask", "cancel")
    wait_for(lambda: "ask" not in person.windows(), "the window to close")
    ask_for_help(screen, person, "The printer says offline")
    sent = person.window_saying("ask_sent", "Your request was sent to Entraide Numérique. "
                                "A technician will connect soon.")
    assert "cancel_request" in sent["buttons"]
    shot(screen, "ask-sent-en")

    row = page.locator("#help-requests tr[data-request-id]")
    row.wait_for(timeout=20_000)
    assert row.locator("td.words").inner_text() == "The printer says offline"
    assert row.locator("td.device").inner_text() != ""
    assert row.locator("td.user").inner_text() != ""
    assert re.search(r"second|now", row.locator("td.asked").inner_text())
    assert page.evaluate("window.notReloaded") is True
    request_id = row.get_attribute("data-request-id")

    run_window(SQUARE)
    page.click("#help-requests .take")
    page.wait_for_url(re.compile(r"/sessions/[0-9a-f]+$"))
    person.window_saying("ask_sent", "Alice Martin of Entraide Numérique took your request "
                         "and is connecting now.")
    wait_for_status(page, "View only", timeout=60)
    wait_for(lambda: close_to(canvas_pixel(page, *SQUARE_CENTRE), SQUARE_RGB),
             "the canvas to show the person's screen", timeout=30)
    device_agent = Agent(screen, server.url, service.trace_file)
    device_agent.window_saying("banner", "Alice Martin")
    # Viewing was allowed by the request: the person was never asked.
    assert "consent" not in device_agent.windows()
    assert "Unattended access" not in " ".join(device_agent.windows()["banner"]["texts"])

    # Bob takes the same request a moment too late: told in a sentence.
    with signed_in_client(server, "bob") as bob:
        late = bob.post(f"/api/help-requests/{request_id}/take",
                        headers={"X-CSRF-Token": csrf_of(bob.get("/").text)})
        assert (late.status_code, late.json()) == (
            409, {"error": "Alice Martin took this request already."})

    device_id = _device_id(server)
    page.goto(f"{server.url}/devices/{device_id}")
    events = page.locator("#device-events tr[data-action]").evaluate_all(
        "rows => rows.map(r => r.dataset.action)")
    assert events == ["device_enrolled", "help_requested", "device_control_started",
                      "help_request_taken"]
    assert "(asked for by the person)" in page.locator(
        "#device-events tr[data-action=device_control_started]").inner_text()


def _device_id(server: ServerProcess) -> str:
    with signed_in_client(server, "root") as client:
        return str(client.get("/api/devices").json()["devices"][0]["id"])


def test_in_french_the_person_cancels_and_a_request_dies_with_the_service(
    server: ServerProcess, pages: Callable[[str], Page], services: Callable[..., Service],
    screen: VirtualScreen, tmp_path: Path,
) -> None:
    service = services(enrolled(server, tmp_path, group="Office"), "--lang", "fr").start()
    page = pages("alice")
    page.goto(server.url + "/help-requests")
    person = person_asking(screen, server, service)
    assert person.window("ask_button")["buttons"]["ask"]["label"] == "Demander de l'aide"
    shot(screen, "ask-button-fr")
    person.click("ask_button", "ask")
    ask = person.window("ask")
    assert ask["texts"] == ["Demander de l'aide", "Qu'est-ce qui ne va pas ? (facultatif)"]
    assert {k: b["label"] for k, b in ask["buttons"].items()} == {
        "send": "Envoyer", "cancel": "Annuler"}
    xdotool(screen, "type", "--delay", "20", "Mon ecran est noir")
    shot(screen, "ask-window-fr")
    person.click("ask", "send")
    person.window_saying("ask_sent", "Votre demande a été envoyée à Entraide Numérique. "
                         "Un technicien va se connecter bientôt.")
    shot(screen, "ask-sent-fr")
    row = page.locator("#help-requests tr[data-request-id]")
    row.wait_for(timeout=20_000)
    assert row.locator("td.words").inner_text() == "Mon ecran est noir"

    # The person cancels: gone from the queue, and the console says why.
    person.click("ask_sent", "cancel_request")
    person.window_saying("ask_sent", "Votre demande a été annulée.")
    shot(screen, "ask-cancelled-fr")
    page.locator("#help-notices li[data-reason=person]").wait_for(timeout=20_000)
    assert page.locator("#help-requests tr[data-request-id]").count() == 0
    assert page.locator("#help-notices li").first.inner_text().startswith("The person on ")

    # Asked again, then the service stops: the request dies, and the console says so.
    wait_for(lambda: "ask_sent" not in person.windows(), "the sentence to go", timeout=20)
    ask_for_help(screen, person, "")
    person.window_saying("ask_sent", "Votre demande a été envoyée")
    page.locator("#help-requests tr[data-request-id]").wait_for(timeout=20_000)
    assert page.locator("#help-requests td.words").inner_text() == "(no words)"
    service.stop()
    page.locator("#help-notices li[data-reason=device_offline]").wait_for(timeout=30_000)
    assert page.locator("#help-notices li[data-reason=device_offline]").inner_text().endswith(
        "ended: the device went offline.")
    assert page.locator("#help-requests tr[data-request-id]").count() == 0
    with signed_in_client(server, "alice") as alice:
        assert alice.get("/api/help-requests").json() == {"requests": []}


def test_a_technician_outside_the_group_is_refused_and_the_device_overrides_its_group(
    server: ServerProcess, pages: Callable[[str], Page], services: Callable[..., Service],
    screen: VirtualScreen, tmp_path: Path,
) -> None:
    service = services(enrolled(server, tmp_path, group="Office")).start()
    admin = pages("root")
    # The admin makes a group reached by Bob alone, with no prompt, and moves the
    # device to it with a policy of its own: ask the person.
    admin.goto(server.url + "/groups")
    admin.fill("#new-group input[name=name]", "Finance")
    admin.select_option("#new-group select[name=policy]", "no_prompt")
    admin.click("#create-group")
    finance = admin.locator("section.group[data-group=Finance]")
    finance.locator("input.all-technicians").uncheck()
    finance.locator("input[data-username=bob]").check()
    finance.locator("button.save-group").click()
    finance = admin.locator("section.group[data-group=Finance]")
    assert not finance.locator("input.all-technicians").is_checked()
    assert finance.locator("input[data-username=bob]").is_checked()
    assert not finance.locator("input[data-username=alice]").is_checked()
    device = admin.locator("#device-settings tr[data-device-id]")
    device_id = str(device.get_attribute("data-device-id"))
    device.locator("select[name=group_id]").select_option(label="Finance")
    device.locator("select[name=policy]").select_option("ask")
    device.locator("input[name=prompt_seconds]").fill("30")
    device.locator("button.save-device").click()
    with signed_in_client(server, "root") as root:
        listed = root.get("/api/devices").json()["devices"][0]
        assert (listed["group"], listed["policy"]) == ("Finance", "ask")

    person = person_asking(screen, server, service)
    ask_for_help(screen, person, "help")
    person.window_saying("ask_sent", "Your request was sent to Entraide Numérique.")

    # Alice is not among Finance's technicians: the device is not there for her.
    alice_page = pages("alice")
    alice_page.goto(server.url + "/devices")
    assert alice_page.locator("#devices tr[data-device-id]").count() == 0
    alice_page.goto(server.url + "/help-requests")
    assert alice_page.locator("#no-help-requests").inner_text() == (
        "Nobody is asking for help right now.")
    answer = alice_page.goto(f"{server.url}/devices/{device_id}")
    assert answer is not None and answer.status == 404
    assert alice_page.locator("main").inner_text().splitlines()[0] == (
        "This page does not exist, or you may not see it.")
    with signed_in_client(server, "alice") as alice, signed_in_client(server, "bob") as bob:
        queued = bob.get("/api/help-requests").json()["requests"]
        assert [r["words"] for r in queued] == ["help"]
        headers = {"X-CSRF-Token": csrf_of(alice.get("/").text)}
        start = alice.post(f"/api/devices/{device_id}/control", headers=headers)
        assert (start.status_code, start.json()) == (404, {"error": "There is no such device."})
        take = alice.post(f"/api/help-requests/{queued[0]['id']}/take", headers=headers)
        assert (take.status_code, take.json()) == (
            404, {"error": "There is no such help request."})
        form = alice.post(f"/devices/{device_id}/control", data={"csrf_token": headers[
            "X-CSRF-Token"]})
        assert form.status_code == 404
        assert "There is no such device." in form.text

    # Bob reaches it; the device's own "ask the person" beats the group's "no prompt".
    bob_page = pages("bob")
    bob_page.goto(server.url + "/devices")
    device_state(bob_page, ONLINE)
    bob_page.click("#devices .start-control")
    bob_page.wait_for_url(re.compile(r"/sessions/[0-9a-f]+$"))
    Agent(screen, server.url, service.trace_file).window_saying("consent", "Bob Durand")


def test_the_console_refuses_a_take_without_the_csrf_token(server: ServerProcess) -> None:
    with signed_in_client(server, "alice") as alice:
        answer = alice.post(f"/api/help-requests/{'0' * 32}/take")
        assert answer.status_code == 403
    assert httpx.get(server.url + "/api/help-requests", timeout=10).status_code == 401
