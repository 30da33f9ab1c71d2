"""What an operator does in the console, in a real browser, on the real service with
simulated phones: the wall, one phone taken over, sync control, tasks created, watched
and stopped, and the token prompt."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect

from orchestrator.simulator.apps import TIKTOK

from .conftest import Console, eventually, on_trio, open_console

TOKEN = "console-t0ken"


def _screens_shown(page: Page) -> int:
    return int(page.evaluate("""() => [...document.querySelectorAll('.tile img')]
        .filter((image) => image.complete && image.naturalWidth > 0).length"""))


async def test_the_wall_shows_every_phone_with_its_screen(tmp_path: Path) -> None:
    """5 phones, 5 tiles, each with its serial, model, state and live screen; the text
    filter narrows the wall; tiles off screen read no screen at all."""
    async with open_console(tmp_path, 5) as console:
        def scenario(page: Page) -> None:
            page.goto(console.url + "/")
            expect(page.locator(".tile")).to_have_count(5)
            page.wait_for_function("""() => [...document.querySelectorAll('.tile img')]
                .filter((image) => image.complete && image.naturalWidth > 0).length === 5""")
            first = page.locator(".tile").first
            expect(first).to_contain_text("sim-0001")
            expect(first).to_contain_text("Pixel 7")
            expect(first.locator(".badge")).to_have_text("device")
            page.get_by_label("Find a phone").fill("0003")
            expect(page.locator(".tile")).to_have_count(1)
            expect(page.locator(".tile")).to_contain_text("sim-0003")

        await console.browse(scenario)

        def off_screen(page: Page) -> None:
            asked: list[str] = []
            page.on("request", lambda request: asked.append(request.url))
            page.goto(console.url + "/")
            expect(page.locator(".tile")).to_have_count(5)
            page.wait_for_function("() => document.querySelector('.tile img')?.complete")
            page.wait_for_timeout(2500)  # a visible tile reads its screen again meanwhile
            screens = [url for url in asked if "/screenshot" in url]
            # the page is one tile high: the tiles below never ask for their screen
            assert any("/sim-0001/" in url for url in screens)
            assert not [url for url in screens if "/sim-0005/" in url], screens

        await console.browse(off_screen, viewport=(240, 420))


def _tap_in_picture(page: Page, console: Console, serial: str, x: int, y: int) -> None:
    """Click the big screen where the phone's pixel (x, y) is shown: the picture drawn
    whole and centred in the image's box, measured once the page has laid it out for good
    (the phone's row beside it comes after the picture, and may move it)."""
    image = page.locator(".big-screen img")
    expect(image).to_be_visible()
    page.wait_for_function(
        "() => document.querySelector('.big-screen img')?.naturalWidth > 0")
    expect(page.locator(".phone-view aside p.muted")).not_to_have_text(
        "not seen by any host")
    box, before = image.bounding_box(), None
    for _ in range(100):  # the same over two frames: settled
        if box == before:
            break
        page.evaluate("() => new Promise((done) => requestAnimationFrame("
                      "() => requestAnimationFrame(done)))")
        box, before = image.bounding_box(), box
    assert box is not None
    width, height = on_trio(lambda: (console.farm.phone(serial).width,
                                     console.farm.phone(serial).height))
    scale = min(box["width"] / width, box["height"] / height)
    left = box["x"] + (box["width"] - width * scale) / 2
    top = box["y"] + (box["height"] - height * scale) / 2
    page.mouse.click(left + x * scale, top + y * scale)


def _tiktok_icon(console: Console, serial: str) -> tuple[int, int]:
    phone = console.farm.phone(serial)
    icon = next(node for node in phone.screen().walk() if node.action == f"launch:{TIKTOK}")
    return icon.bounds.center


def _in_front(console: Console, serial: str) -> str | None:
    front = console.farm.phone(serial).foreground
    return None if front is None else front.package


async def test_a_click_on_the_big_screen_is_a_tap_on_the_phone(tmp_path: Path) -> None:
    """A click where the launcher draws TikTok opens TikTok on that phone, and on no
    other; a key goes home; text typed reaches the phone; in a window so narrow that the
    picture is letterboxed, a click on it still lands where it shows."""
    async with open_console(tmp_path, 2) as console:
        def narrow(page: Page) -> None:
            page.goto(console.url + "/#/phone/sim-0002")
            x, y = on_trio(lambda: _tiktok_icon(console, "sim-0002"))
            _tap_in_picture(page, console, "sim-0002", x, y)
            eventually(lambda: _in_front(console, "sim-0002") == TIKTOK,
                       lambda: f"sim-0002 shows {_in_front(console, 'sim-0002')}")
            page.get_by_role("button", name="home").click()
            eventually(lambda: _in_front(console, "sim-0002") is None)

        await console.browse(narrow, viewport=(600, 1400))

        def scenario(page: Page) -> None:
            page.goto(console.url + "/#/phone/sim-0001")
            x, y = on_trio(lambda: _tiktok_icon(console, "sim-0001"))
            _tap_in_picture(page, console, "sim-0001", x, y)
            # the page's word first: if this tap is ever lost, the failure says whether
            # the page sent it (the outcome) or what it showed instead
            expect(page.locator(".outcome")).to_have_text("Sent to 1 phone.")
            eventually(lambda: _in_front(console, "sim-0001") == TIKTOK,
                       lambda: f"sim-0001 shows {_in_front(console, 'sim-0001')}")
            assert on_trio(lambda: _in_front(console, "sim-0002")) is None
            page.get_by_role("button", name="home").click()
            eventually(lambda: _in_front(console, "sim-0001") is None)
            page.get_by_label("Text to type").fill("hello phone")
            page.get_by_role("button", name="Type").click()
            eventually(lambda: console.farm.phone("sim-0001").typed_text_log[-1:]
                       == ["hello phone"])

        await console.browse(scenario)


async def test_sync_control_sends_the_input_to_every_ticked_phone(tmp_path: Path) -> None:
    """With two phones ticked, a click on the first phone's screen taps all three; the
    phone not ticked is left alone."""
    async with open_console(tmp_path, 4) as console:
        def scenario(page: Page) -> None:
            page.goto(console.url + "/#/phone/sim-0001")
            sync = page.locator(".sync")
            sync.get_by_label("sim-0002").check()
            sync.get_by_label("sim-0003").check()
            x, y = on_trio(lambda: _tiktok_icon(console, "sim-0001"))
            _tap_in_picture(page, console, "sim-0001", x, y)
            expect(page.locator(".outcome")).to_have_text("Sent to 3 phones.")
            for serial in ("sim-0001", "sim-0002", "sim-0003"):
                eventually(lambda serial=serial: _in_front(console, serial) == TIKTOK,
                           lambda serial=serial: f"{serial} shows "
                           f"{_in_front(console, serial)} after a tap at {x},{y}")
            assert on_trio(lambda: _in_front(console, "sim-0004")) is None

        await console.browse(scenario)


async def test_a_task_from_the_form_runs_and_completes_on_the_page(tmp_path: Path) -> None:
    """The form shows the API's 40001 at its field; once fixed it creates the task (once,
    clicked twice: the form's Idempotency-Key), and the task table shows it running (its
    page, the steps so far), then completed, from the event stream: the page is never
    loaded again."""
    async with open_console(tmp_path, 2) as console:
        phone = console.farm.phone("sim-0001")
        phone.faults.hang = "uiautomator"  # the task runs until the test lets it go on

        def scenario(page: Page) -> None:
            page.goto(console.url + "/#/create")
            page.get_by_label("script").select_option("follow")
            page.locator(".phones-pick").get_by_label("sim-0001").check()
            page.get_by_role("button", name="Create").click()
            field = page.locator("[data-field='script_config.target_users']")
            expect(field.locator(".field-error")).to_contain_text("required: target_users")

            field.locator("textarea").fill("alice")
            page.get_by_role("button", name="Create").click()
            expect(page.locator(".outcome")).to_contain_text("Created 1 task(s): 1.")
            page.get_by_role("button", name="Create").click()  # again: the same answer
            expect(page.locator(".outcome")).to_contain_text("Created 1 task(s): 1.")
            page.evaluate("window.loadedOnce = true")
            page.get_by_role("link", name="Tasks", exact=True).click()
            row = page.locator("tr[data-task='1']")
            expect(row.locator(".badge")).to_have_text("running")
            row.get_by_role("link", name="1", exact=True).click()  # its steps so far
            expect(page.locator(".log")).to_contain_text(
                "opened https://www.tiktok.com/@alice in com.zhiliaoapp.musically")
            page.get_by_role("link", name="Tasks", exact=True).click()
            expect(row.locator(".badge")).to_have_text("running")
            on_trio(lambda: setattr(phone.faults, "hang", None))
            expect(row.locator(".badge")).to_have_text("completed")
            expect(row.locator(".remark")).to_have_text("followed @alice")
            assert page.evaluate("window.loadedOnce") is True

            row.get_by_role("link", name="1", exact=True).click()
            expect(page.locator(".log li").last).to_contain_text("completed: followed @alice")

        await console.browse(scenario)
        assert phone.apps[TIKTOK].current.follows("alice")  # type: ignore[attr-defined]
        assert (await console.farm.call("GET", "/task/stats"))["total"] == 1


async def test_a_running_task_stopped_from_the_page(tmp_path: Path) -> None:
    """Stop on a running task's row fails it as stopped; the phone is free again; Delete,
    once confirmed, takes the row away."""
    async with open_console(tmp_path, 1) as console:
        phone = console.farm.phone("sim-0001")
        phone.faults.hang = "uiautomator"
        [task_id] = await console.farm.follow("sim-0001", "alice")

        def scenario(page: Page) -> None:
            page.goto(console.url + "/#/tasks")
            row = page.locator(f"tr[data-task='{task_id}']")
            expect(row.locator(".badge")).to_have_text("running")
            row.get_by_role("button", name="Stop").click()
            expect(row.locator(".badge")).to_have_text("failed")
            expect(row.locator(".remark")).to_have_text(re.compile("stopped"))
            expect(row.get_by_role("button", name="Retry")).to_be_visible()
            page.once("dialog", lambda dialog: dialog.accept())  # "Delete task N? ..."
            row.get_by_role("button", name="Delete").click()
            expect(row).to_have_count(0)  # gone from the table when the event came

        await console.browse(scenario)
        devices = await console.farm.call("GET", "/devices/sim-0001")
        assert devices["current_task_id"] is None
        answer = (await console.farm.api.get(f"/api/v1/task/{task_id}")).json()
        assert answer["code"] == 40401


async def test_the_token_is_asked_once(tmp_path: Path) -> None:
    """With a token set, the console asks for it; a wrong one is said so; the right one
    opens the console, kept in a cookie no script can read, across a reload."""
    async with open_console(tmp_path, 2, token=TOKEN) as console:
        def scenario(page: Page) -> None:
            page.goto(console.url + "/")
            expect(page.locator(".tile")).to_have_count(0)
            page.get_by_label(re.compile("needs its token")).fill("wrong")
            page.get_by_role("button", name="Open the console").click()
            expect(page.locator(".error")).to_have_text(
                "That is not the token this server was given.")
            page.get_by_label(re.compile("needs its token")).fill(TOKEN)
            page.get_by_role("button", name="Open the console").click()
            expect(page.locator(".tile")).to_have_count(2)
            assert page.evaluate("document.cookie") == ""
            [cookie] = page.context.cookies()
            assert (cookie["httpOnly"], cookie["sameSite"]) == (True, "Strict")
            assert TOKEN not in cookie["value"]
            page.reload()
            expect(page.locator(".tile")).to_have_count(2)
            page.wait_for_function("""() => [...document.querySelectorAll('.tile img')]
                .filter((image) => image.naturalWidth > 0).length === 2""")

        await console.browse(scenario)


async def test_accounts_added_edited_imported_and_deleted(tmp_path: Path) -> None:
    """The account form from the API's schema: a 40001 at its field, a password typed
    hidden, a number chosen from a list, tags one a line, a field emptied in an edit
    cleared; a CSV import; a delete."""
    async with open_console(tmp_path, 2) as console:
        def scenario(page: Page) -> None:
            page.on("dialog", lambda dialog: dialog.accept())
            page.goto(console.url + "/#/accounts")
            page.get_by_role("button", name="Add").click()
            page.get_by_role("button", name="Save").click()
            expect(page.locator("[data-field='username'] .field-error")).to_be_visible()
            page.locator("[data-field='username'] input").fill("tt_one")
            password = page.locator("[data-field='password'] input")
            assert password.get_attribute("type") == "password"
            password.fill("hunter2")
            page.locator("[data-field='device'] input").fill("sim-0001")
            page.get_by_role("button", name="Save").click()
            row = page.locator("tr[data-account]").filter(has_text="tt_one")
            expect(row).to_contain_text("sim-0001")

            row.get_by_role("button", name="Edit").click()
            page.locator("[data-field='logined'] select").select_option("1")
            page.locator("[data-field='tags'] textarea").fill("vip\nwarm")
            page.get_by_role("button", name="Save").click()
            expect(row).to_contain_text("vip, warm")
            expect(row.locator("td").nth(4)).to_have_text("logged in")
            row.get_by_role("button", name="Edit").click()  # an emptied field is cleared
            page.locator("[data-field='tags'] textarea").fill("")
            page.get_by_role("button", name="Save").click()
            expect(row.locator("td").nth(6)).to_have_text("")

            page.get_by_role("button", name="Import CSV").click()
            page.get_by_label("CSV text").fill(
                "username,platform,device,tags\nig_a,instagram,sim-0002,new|warm\n")
            page.get_by_role("button", name="Import all or none").click()
            expect(page.locator("tr[data-account]")).to_have_count(2)
            row.get_by_role("button", name="Delete").click()
            expect(page.locator("tr[data-account]")).to_have_count(1)
            expect(page.locator("tr[data-account]")).to_contain_text("ig_a")

        await console.browse(scenario)
        accounts = await console.farm.call("GET", "/accounts")
        assert [a["username"] for a in accounts["accounts"]] == ["ig_a"]


async def test_materials_uploaded_moved_and_deleted(tmp_path: Path) -> None:
    """Files uploaded under a tag are listed, moved to another tag, and deleted."""
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(4000))
    async with open_console(tmp_path, 1) as console:
        def scenario(page: Page) -> None:
            page.on("dialog", lambda dialog: dialog.accept(
                "dogs" if dialog.type == "prompt" else None))
            page.goto(console.url + "/#/materials")
            page.get_by_label("Files to upload").set_input_files(str(clip))
            page.locator(".upload").get_by_label("Tag").fill("cats")
            page.get_by_role("button", name="Upload", exact=True).click()
            row = page.locator("table.grid tbody tr")
            expect(row).to_have_count(1)
            expect(row).to_contain_text("clip.mp4")
            expect(row).to_contain_text("cats")
            expect(row).to_contain_text("4 KiB")
            row.get_by_role("button", name="Move").click()
            expect(row).to_contain_text("dogs")
            row.get_by_role("button", name="Delete").click()
            expect(row).to_have_count(0)

        await console.browse(scenario)


async def test_a_group_chosen_in_the_form(tmp_path: Path) -> None:
    """The form lists the groups; a group ticked names its phones, with the phones ticked
    beside it, each once."""
    async with open_console(tmp_path, 3) as console:
        await console.farm.call("POST", "/groups", json={
            "name": "shelf", "serials": ["sim-0002", "sim-0003"]})

        def scenario(page: Page) -> None:
            page.goto(console.url + "/#/create")
            page.locator(".phones-pick").first.get_by_label("sim-0002").check()
            page.locator("[data-field='groups']").get_by_label("shelf (2)").check()
            page.locator("[data-field='script_config.target_users'] textarea").fill("alice")
            page.get_by_role("button", name="Create").click()
            expect(page.locator(".outcome")).to_contain_text("Created 2 task(s): 1 2.")

        await console.browse(scenario)
        serials = [(await console.farm.call("GET", f"/task/{task_id}"))["serial"]
                   for task_id in (1, 2)]
        assert serials == ["sim-0002", "sim-0003"]


async def test_a_schedule_made_edited_switched_and_deleted(tmp_path: Path) -> None:
    """The schedule form: a mistake at its field (the dry run's 40001), days, times, a
    group, the script's config; the list shows the next slot, and a switch turns it
    off; an edit that leaves the config alone keeps it; a delete."""
    async with open_console(tmp_path, 2) as console:
        await console.farm.call("POST", "/groups", json={"name": "shelf",
                                                         "serials": ["sim-0001"]})

        def made(page: Page) -> None:
            page.goto(console.url + "/#/schedules")
            page.get_by_role("button", name="Add").click()
            page.locator("#schedule-name").fill("morning")
            page.locator("#schedule-times").fill("25:00")
            page.get_by_role("button", name="Save").click()
            expect(page.locator("[data-field='times'] .field-error")).to_contain_text(
                "expected HH:MM")
            page.locator("#schedule-times").fill("09:00, 21:30")
            page.locator("[data-field='weekdays']").get_by_label("Sun").uncheck()
            page.locator("[data-field='groups']").get_by_label("shelf (1)").check()
            page.locator("[data-field='script_config.target_users'] textarea").fill("alice")
            page.get_by_role("button", name="Save").click()
            row = page.locator("tr[data-schedule]").filter(has_text="morning")
            expect(row).to_contain_text("Mon Tue Wed Thu Fri Sat")
            expect(row).to_contain_text("09:00 21:30")
            expect(row.locator("td").nth(5)).not_to_have_text("off")
            row.get_by_role("button", name="Switch off").click()
            expect(row.locator("td").nth(5)).to_have_text("off")
            row.get_by_role("button", name="Edit").click()
            page.locator("#schedule-times").fill("07:15")
            page.get_by_role("button", name="Save").click()
            expect(row).to_contain_text("07:15")

        await console.browse(made)
        [schedule] = (await console.farm.call("GET", "/schedules"))["schedules"]
        assert {key: schedule[key] for key in (
            "name", "enabled", "weekdays", "times", "groups", "serials", "script_config")} == {
            "name": "morning", "enabled": False, "weekdays": [1, 2, 3, 4, 5, 6],
            "times": ["07:15"], "groups": ["shelf"], "serials": [],
            "script_config": {"target_users": ["alice"]}}

        def deleted(page: Page) -> None:
            page.on("dialog", lambda dialog: dialog.accept())
            page.goto(console.url + "/#/schedules")
            page.locator("tr[data-schedule]").get_by_role("button", name="Delete").click()
            expect(page.locator("tr[data-schedule]")).to_have_count(0)

        await console.browse(deleted)
        assert (await console.farm.call("GET", "/schedules"))["total"] == 0
