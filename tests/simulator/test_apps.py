"""The simulated TikTok and Instagram, driven only through the phone's input methods."""

from __future__ import annotations

import pytest

from orchestrator.simulator._app import Intent
from orchestrator.simulator._phone import Phone
from orchestrator.simulator._ui import Node, hierarchy_xml
from orchestrator.simulator.apps import INSTAGRAM, TIKTOK, SocialApp, default_apps, load_spec

VIEW = "android.intent.action.VIEW"
SEND = "android.intent.action.SEND"
NASTY = "'\"; $(rm -rf /) 🎉\nline two"


def tt(name: str) -> str:
    return f"{TIKTOK}:id/{name}"


def ig(name: str) -> str:
    return f"{INSTAGRAM}:id/{name}"


@pytest.fixture
def phone() -> Phone:
    return Phone("sim-1", apps=default_apps())


def app(phone: Phone, package: str = TIKTOK) -> SocialApp:
    found = phone.apps[package]
    assert isinstance(found, SocialApp)
    return found


def node(phone: Phone, resource_id: str | None = None, text: str | None = None) -> Node:
    found = phone.screen().find(resource_id=resource_id, text=text)
    assert found is not None, f"{resource_id or text} not in {hierarchy_xml(phone.screen())}"
    return found


def tap(phone: Phone, resource_id: str | None = None, text: str | None = None) -> None:
    phone.tap(*node(phone, resource_id, text).bounds.center)


def view(phone: Phone, url: str, package: str | None = None) -> None:
    phone.start_activity(Intent(action=VIEW, data=url, package=package))


def test_feed_renders_and_swipes(phone: Phone) -> None:
    """Launching shows the For You feed; a swipe up shows another video."""
    phone.launch(TIKTOK)
    first = node(phone, tt("video_view")).content_desc
    for label in ("Home", "Discover", "Create", "Inbox", "Profile"):
        assert phone.screen().find(content_desc=label) is not None
    phone.swipe(540, 1800, 540, 600)
    assert node(phone, tt("video_view")).content_desc != first
    assert phone.current_focus() == f"{TIKTOK}/com.ss.android.ugc.aweme.main.MainActivity"
    assert "<hierarchy" in hierarchy_xml(phone.screen())


def test_follow_by_url_then_unfollow_directly(phone: Phone) -> None:
    """TikTok: Follow becomes Following; tapping Following unfollows at once."""
    view(phone, "https://www.tiktok.com/@alice_dance")
    assert node(phone, tt("follow_btn")).text == "Follow"
    tap(phone, tt("follow_btn"))
    assert app(phone).accounts[0].follows("alice_dance")
    assert node(phone, tt("follow_btn")).text == "Following"
    tap(phone, tt("follow_btn"))
    assert app(phone).accounts[0].following == set()
    assert node(phone, tt("follow_btn")).text == "Follow"


def test_follow_by_search(phone: Phone) -> None:
    """Search icon, typed name, Search, tap the row, Follow."""
    phone.launch(TIKTOK)
    tap(phone, tt("tab_discover"))
    tap(phone, tt("search_edit_text"))
    phone.type_text("@bob.cooks")
    tap(phone, tt("search_btn"))
    tap(phone, tt("user_item_unique_id"), text="bob.cooks")
    assert node(phone, tt("title")).text == "bob.cooks"
    tap(phone, tt("follow_btn"))
    assert app(phone).accounts[0].following == {"bob.cooks"}


def test_instagram_unfollow_needs_confirmation(phone: Phone) -> None:
    """Instagram: Following opens a sheet; Cancel keeps, Unfollow removes."""
    view(phone, "https://www.instagram.com/carol.pics/")
    tap(phone, ig("profile_header_follow_button"))
    tap(phone, ig("profile_header_follow_button"))
    tap(phone, ig("follow_sheet_cancel"))
    me = app(phone, INSTAGRAM).accounts[0]
    assert me.follows("carol.pics")
    tap(phone, ig("profile_header_follow_button"))
    tap(phone, ig("follow_sheet_unfollow_row"))
    assert not me.follows("carol.pics")


def test_missing_user_and_post(phone: Phone) -> None:
    """Removed users and posts show the not-found screen, and cannot be followed."""
    app(phone).world.remove_user("ghost_user")
    view(phone, "https://www.tiktok.com/@ghost_user")
    assert node(phone, tt("empty_title")).text == "Couldn't find this account"
    assert phone.screen().find(resource_id=tt("follow_btn")) is None
    app(phone).world.remove_post("1234567890123")
    view(phone, "https://www.tiktok.com/@someone/video/1234567890123")
    assert node(phone, tt("empty_title")).text == "Video currently unavailable"
    phone.key(4)
    assert node(phone, tt("empty_title")).text == "Couldn't find this account"
    phone.key(4)
    assert node(phone, tt("video_view")) is not None


def test_comment_on_post(phone: Phone) -> None:
    """Comment sheet: typed text lands literally in the field; Post posts it."""
    url = "https://www.tiktok.com/@dave/video/7312345678901234567"
    view(phone, url)
    tap(phone, tt("digg_container"))
    tap(phone, tt("comment_container"))
    before = len(phone.screen().find(resource_id=tt("comment_list")).children)  # type: ignore[union-attr]
    phone.type_text("lost: no focus yet")
    tap(phone, tt("comment_edit_text"))
    phone.type_text(NASTY)
    assert node(phone, tt("comment_edit_text")).text == NASTY
    tap(phone, tt("comment_send"))
    me = app(phone).accounts[0]
    assert me.comments == {url: [NASTY]}
    assert me.liked == {url}
    assert node(phone, tt("comment_content"), text=NASTY)
    assert len(node(phone, tt("comment_list")).children) == before + 1


def test_post_video_via_create_flow(phone: Phone) -> None:
    """+ -> gallery (newest first) -> pick -> Next -> caption -> Post."""
    phone.fs.write("/sdcard/DCIM/old.mp4", b"old", mtime=100)
    phone.fs.write("/sdcard/Movies/clip.mp4", b"new", mtime=200)
    phone.fs.write("/sdcard/Download/notes.txt", b"not media", mtime=300)
    phone.launch(TIKTOK)
    tap(phone, tt("tab_publish"))
    items = [n for n in phone.screen().walk() if n.resource_id == tt("media_item")]
    assert [n.content_desc for n in items] == ["clip.mp4", "old.mp4"]
    assert not node(phone, tt("media_next_btn")).enabled
    phone.tap(*items[0].bounds.center)
    tap(phone, tt("media_next_btn"))
    tap(phone, tt("publish_desc_edit"))
    phone.type_text("first post #sim")
    tap(phone, tt("publish_btn"))
    (posted,) = app(phone).accounts[0].posts
    assert (posted.caption, posted.media, posted.kind) == (
        "first post #sim", ("/sdcard/Movies/clip.mp4",), "video")
    assert node(phone, tt("toast_text")).text == "Your video has been uploaded"
    assert node(phone, tt("video_view")) is not None


def test_post_via_send_intent_with_nasty_caption(phone: Phone) -> None:
    """A share-sheet SEND lands on the caption screen for that file."""
    phone.fs.write("/sdcard/Download/share me.mp4", b"v")
    phone.start_activity(Intent(action=SEND, mime_type="video/*", package=TIKTOK, extras={
        "android.intent.extra.STREAM": "file:///sdcard/Download/share%20me.mp4"}))
    assert node(phone, tt("publish_cover")).content_desc == "share me.mp4"
    tap(phone, tt("publish_desc_edit"))
    phone.type_text(NASTY)
    tap(phone, tt("publish_btn"))
    (posted,) = app(phone).accounts[0].posts
    assert posted.caption == NASTY
    assert posted.media == ("/sdcard/Download/share me.mp4",)


def test_send_with_missing_file_fails_visibly(phone: Phone) -> None:
    """Posting a file that is not there shows an error dialog; nothing is posted."""
    phone.start_activity(Intent(action=SEND, package=TIKTOK, extras={
        "android.intent.extra.STREAM": "/sdcard/DCIM/nope.mp4"}))
    tap(phone, tt("publish_btn"))
    assert "nope.mp4" in node(phone, tt("dialog_message")).text
    tap(phone, tt("publish_btn"))  # the dialog blocks the screen below
    tap(phone, tt("dialog_positive"))
    assert phone.screen().find(resource_id=tt("dialog_panel")) is None
    assert app(phone).accounts[0].posts == []


@pytest.mark.parametrize("placement", ["reel", "story"])
def test_instagram_reel_or_story(phone: Phone, placement: str) -> None:
    """The caption screen's Reel/Story tabs decide where the upload goes."""
    phone.fs.write("/sdcard/DCIM/a.jpg", b"i")
    phone.start_activity(Intent(action=SEND, package=INSTAGRAM, extras={
        "android.intent.extra.STREAM": "/sdcard/DCIM/a.jpg"}))
    assert node(phone, ig("cam_dest_clips")).selected
    tap(phone, ig(f"cam_dest_{'clips' if placement == 'reel' else 'story'}"))
    tap(phone, ig("share_footer_button"))
    (posted,) = app(phone, INSTAGRAM).accounts[0].posts
    assert (posted.placement, posted.kind) == (placement, "images")


def test_switch_account(phone: Phone) -> None:
    """Profile tab -> username header -> account list -> tap one."""
    tiktok = app(phone)
    tiktok.add_account("tt_logged_out", logged_in=False)
    phone.launch(TIKTOK)
    tap(phone, tt("tab_profile"))
    assert node(phone, tt("profile_username_switcher")).text == "tt_sim_main"
    tap(phone, tt("profile_username_switcher"))
    names = [n.text for n in phone.screen().walk() if n.resource_id == tt("account_item_name")]
    assert names == ["tt_sim_main", "tt_sim_alt", "tt_logged_out"]
    tap(phone, tt("account_item_name"), text="tt_logged_out")
    assert tiktok.current is tiktok.accounts[0]
    tap(phone, tt("account_item_name"), text="tt_sim_alt")
    assert tiktok.current is tiktok.accounts[1]
    assert node(phone, tt("profile_username_switcher")).text == "tt_sim_alt"
    view(phone, "https://www.tiktok.com/@erin")
    tap(phone, tt("follow_btn"))
    assert tiktok.accounts[1].following == {"erin"}
    assert tiktok.accounts[0].following == set()


def test_crash_mid_flow(phone: Phone) -> None:
    """A crash drops the half-written caption; reopening starts at the feed; state stays."""
    view(phone, "https://www.tiktok.com/@frank")
    tap(phone, tt("follow_btn"))
    phone.fs.write("/sdcard/DCIM/v.mp4", b"v")
    phone.start_activity(Intent(action=SEND, package=TIKTOK, extras={
        "android.intent.extra.STREAM": "/sdcard/DCIM/v.mp4"}))
    tap(phone, tt("publish_desc_edit"))
    phone.type_text("half")
    phone.crash_app(TIKTOK)
    assert not app(phone).running
    assert phone.screen().find(resource_id=tt("publish_btn")) is None
    phone.launch(TIKTOK)
    assert node(phone, tt("video_view")) is not None
    assert app(phone).accounts[0].posts == []
    assert app(phone).accounts[0].following == {"frank"}


def test_instagram_post_urls(phone: Phone) -> None:
    """/p/ and /reel/ URLs open the same post; implicit intents resolve by URL."""
    view(phone, "https://www.instagram.com/reel/Cabc123XYZ/")
    assert phone.foreground is app(phone, INSTAGRAM)
    tap(phone, ig("like_button"))
    assert app(phone, INSTAGRAM).accounts[0].liked == {"https://www.instagram.com/p/Cabc123XYZ/"}
    view(phone, "https://www.instagram.com/p/Cabc123XYZ/?igsh=x")
    assert node(phone, ig("like_button")).selected


def test_message_from_profile(phone: Phone) -> None:
    """Profile -> Message -> typed text -> Send records the message for that user."""
    view(phone, "https://www.instagram.com/Gina.Art/", package=INSTAGRAM)
    tap(phone, ig("profile_header_message_button"))
    phone.type_text(NASTY)
    phone.key(67)  # DEL removes the last character
    tap(phone, ig("row_thread_composer_send_button_container"))
    assert app(phone, INSTAGRAM).accounts[0].messages == {"gina.art": [NASTY[:-1]]}
    assert node(phone, ig("direct_text_message_text_view")).text == NASTY[:-1]


def test_specs_define_the_same_views() -> None:
    """Both data files name every logical view and text the engine draws."""
    tiktok, instagram = load_spec("tiktok"), load_spec("instagram")
    assert tiktok.texts.keys() == instagram.texts.keys()
    assert tiktok.activities.keys() == instagram.activities.keys()
    placement_ids = {f"placement_{p}" for p in instagram.placements}
    assert tiktok.ids.keys() == instagram.ids.keys() - placement_ids


@pytest.mark.parametrize("package", [TIKTOK, INSTAGRAM])
def test_every_screen_renders_on_a_small_phone(package: str) -> None:
    """A tour of all screens on 720x1280: every node stays on screen."""
    small = Phone("sim-2", apps=default_apps(), width=720, height=1280)
    small.fs.write("/sdcard/DCIM/x.mp4", b"x")
    social = app(small, package)
    rid = social.spec.rid
    social.world.remove_user("nobody")
    small.launch(package)
    for step in ("comment_button", "sheet_scrim", "tab_search", "search_submit", "back",
                 "tab_inbox", "tab_profile", "account_switcher", "sheet_scrim", "tab_create",
                 "gallery_item", "gallery_next", "publish", "dialog_ok", "back", "back",
                 "author_avatar",
                 "message_button"):
        assert hierarchy_xml(small.screen()).endswith("</hierarchy>")
        if step == "publish":
            small.fs.remove("/sdcard/DCIM/x.mp4")
        tap(small, rid(step))
        for view_node in small.screen().walk():
            assert view_node.bounds.right <= 720
            assert view_node.bounds.bottom <= 1280
    view(small, f"https://{'www.tiktok.com/@' if package == TIKTOK else 'instagram.com/'}nobody")
    assert node(small, rid("not_found")).text == social.spec.texts["user_not_found"]


def test_url_without_action_or_package_resolves(phone: Phone) -> None:
    """`am start -d URL` finds the app whose URL patterns match."""
    phone.start_activity(Intent(data="https://www.tiktok.com/@henry/video/7000000000000000001"))
    assert node(phone, tt("author_name")).text == "@henry"
    assert phone.current_focus().endswith("DetailActivity")


def test_world_is_deterministic_across_phones() -> None:
    """Two phones see the same profile, posts and followers of a name."""
    first, second = (app(Phone(f"sim-{i}", apps=default_apps())).world for i in (1, 2))
    assert first.profile("ivy") == second.profile("ivy")
    profile = first.profile("ivy")
    assert profile is not None
    assert profile.follower_names(5) == second.profile("ivy").follower_names(5)  # type: ignore[union-attr]
    assert len(profile.follower_names(5)) == min(5, profile.followers)
    assert first.profile("has space") is None
