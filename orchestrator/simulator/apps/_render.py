"""Screens drawn as UI trees: the views, ids, texts and bounds a script's selectors see.

Layout is in pixels of a 1080x2400 screen, scaled to the phone's size. Clickable
views carry an `action` ("verb" or "verb:argument") that `SocialApp.tap` dispatches.
"""

from __future__ import annotations

import posixpath
from typing import TYPE_CHECKING

from .._ui import Bounds, Node
from . import _screens as s

if TYPE_CHECKING:
    from ._social import SocialApp

__all__ = ["render"]

FRAME = "android.widget.FrameLayout"
LINEAR = "android.widget.LinearLayout"
TEXT = "android.widget.TextView"
IMAGE = "android.widget.ImageView"
BUTTON = "android.widget.Button"
EDIT = "android.widget.EditText"
RECYCLER = "androidx.recyclerview.widget.RecyclerView"
VIEW_GROUP = "android.view.ViewGroup"

_BAR_TOP = 2232
_ROW = 180


def _count(value: int) -> str:
    """Counts as the apps print them: 999, 1.2K, 3.4M."""
    for limit, suffix in ((1_000_000, "M"), (1_000, "K")):
        if value >= limit:
            return f"{value / limit:.1f}".removesuffix(".0") + suffix
    return str(value)


class _Draw:
    """Node factory bound to one app: fills in package, full ids and scaled bounds."""

    def __init__(self, app: SocialApp) -> None:
        self.app = app
        self.spec = app.spec
        self.sx = app.width / 1080
        self.sy = app.height / 2400

    def box(self, left: int, top: int, right: int, bottom: int) -> Bounds:
        return Bounds(round(left * self.sx), round(top * self.sy),
                      round(right * self.sx), round(bottom * self.sy))

    def node(self, cls: str, box: tuple[int, int, int, int], *, rid: str = "",
             action: str | None = None, children: tuple[Node, ...] = (), text: str = "",
             content_desc: str = "", selected: bool = False, enabled: bool = True,
             focused: bool = False, scrollable: bool = False) -> Node:
        clickable = action is not None
        return Node(cls=cls, bounds=self.box(*box), package=self.spec.package,
                    resource_id=self.spec.rid(rid) if rid else "", action=action,
                    clickable=clickable, focusable=clickable or cls == EDIT,
                    long_clickable=cls == EDIT, children=children, text=text,
                    content_desc=content_desc, selected=selected, enabled=enabled,
                    focused=focused, scrollable=scrollable)

    def text(self, key: str) -> str:
        return self.spec.texts[key]

    # --- shared pieces ----------------------------------------------------------------
    def top_bar(self, title: str, *extra: Node) -> Node:
        back = self.node(IMAGE, (0, 84, 140, 240), rid="back", action="back",
                         content_desc=self.text("back"))
        label = self.node(TEXT, (160, 110, 900, 214), rid="title_bar", text=title)
        return self.node(VIEW_GROUP, (0, 84, 1080, 240), rid="top_bar",
                         children=(back, label, *extra))

    def bottom_bar(self, current: str) -> Node:
        width = 1080 // len(self.spec.tabs)
        tabs = tuple(
            self.node(FRAME, (i * width, _BAR_TOP, (i + 1) * width, 2400), rid=f"tab_{t.name}",
                      action=f"tab:{t.name}", content_desc=t.label,
                      selected=t.name == current,
                      children=(self.node(TEXT, (i * width, 2330, (i + 1) * width, 2390),
                                          text=t.label),))
            for i, t in enumerate(self.spec.tabs))
        return self.node(LINEAR, (0, _BAR_TOP, 1080, 2400), rid="bottom_bar", children=tabs)

    def edit(self, box: tuple[int, int, int, int], rid: str, draft: str, focused: bool,
             hint: str) -> Node:
        return self.node(EDIT, box, rid=rid, action="focus", text=draft or hint,
                         focused=focused)

    def post_grid(self, top: int, post_ids: tuple[str, ...]) -> Node:
        cells = []
        for i, post_id in enumerate(post_ids[:9]):
            left, cell_top = (i % 3) * 360, top + (i // 3) * 480
            cells.append(self.node(FRAME, (left, cell_top, left + 360, cell_top + 480),
                                   rid="profile_post", action=f"open_post:{post_id}",
                                   content_desc=post_id))
        return self.node(RECYCLER, (0, top, 1080, _BAR_TOP), rid="profile_posts",
                         scrollable=True, children=tuple(cells))

    def sheet(self, top: int, rid: str, children: tuple[Node, ...]) -> tuple[Node, Node]:
        """A bottom sheet and the dimmed area above it (a tap there closes the sheet)."""
        scrim = self.node(FRAME, (0, 0, 1080, top), rid="sheet_scrim", action="close_sheet")
        return scrim, self.node(LINEAR, (0, top, 1080, 2400), rid=rid, children=children)

    # --- screens ------------------------------------------------------------------------
    def video(self, state: s.Video) -> tuple[Node, ...]:
        post = self.app.world.post(state.post_id, state.author)
        if post is None:
            return self.missing(s.Missing(what="post"))
        me = self.app.current
        url = self.app.world.post_url(post)
        liked = me is not None and url in me.liked
        rail = (
            self.node(IMAGE, (930, 1100, 1070, 1240), rid="author_avatar",
                      action=f"open_user:{post.author}", content_desc=post.author),
            self.node(LINEAR, (930, 1300, 1070, 1460), rid="like_button", action="like",
                      content_desc=self.text("like"), selected=liked,
                      children=(self.node(TEXT, (930, 1400, 1070, 1460), rid="like_count",
                                          text=_count(post.likes + liked)),)),
            self.node(LINEAR, (930, 1500, 1070, 1660), rid="comment_button",
                      action="open_comments", content_desc=self.text("comment"),
                      children=(self.node(TEXT, (930, 1600, 1070, 1660), rid="comment_count",
                                          text=_count(len(post.comments))),)),
            self.node(IMAGE, (930, 1700, 1070, 1840), rid="share_button", action="noop",
                      content_desc=self.text("share")),
        )
        info = (
            self.node(TEXT, (40, 1900, 900, 1960), rid="video_author", text=f"@{post.author}",
                      action=f"open_user:{post.author}"),
            self.node(TEXT, (40, 1970, 900, 2100), rid="video_caption", text=post.caption),
        )
        player = self.node(FRAME, (0, 0, 1080, _BAR_TOP if state.feed_index is not None
                                   else 2400), rid="video_player", content_desc=url,
                           scrollable=state.feed_index is not None,
                           children=(*rail, *info))
        nodes: tuple[Node, ...] = (player,)
        if state.feed_index is not None:
            nodes += (self.bottom_bar("home"),)
        else:
            nodes += (self.top_bar(""),)
        if state.sheet:
            rows = tuple(
                self.node(LINEAR, (0, 900 + i * _ROW, 1080, 900 + (i + 1) * _ROW),
                          rid="comment_item", children=(
                              self.node(TEXT, (40, 910 + i * _ROW, 1040, 960 + i * _ROW),
                                        rid="comment_author", text=c.author),
                              self.node(TEXT, (40, 970 + i * _ROW, 1040, 1070 + i * _ROW),
                                        rid="comment_text", text=c.text)))
                for i, c in enumerate(post.comments[-7:]))
            nodes += self.sheet(800, "comment_sheet", (
                self.node(TEXT, (0, 800, 1080, 900), rid="comment_title",
                          text=f"{len(post.comments)} {self.text('comments')}"),
                self.node(RECYCLER, (0, 900, 1080, 2220), rid="comment_list", scrollable=True,
                          children=rows),
                self.edit((40, 2240, 860, 2360), "comment_input", state.draft, state.focused,
                          self.text("comment_hint")),
                self.node(BUTTON, (880, 2240, 1040, 2360), rid="comment_post",
                          action="post_comment", text=self.text("comment_post"),
                          enabled=bool(state.draft.strip())),
            ))
        return nodes

    def search(self, state: s.Search) -> tuple[Node, ...]:
        bar = self.node(VIEW_GROUP, (0, 84, 1080, 240), rid="top_bar", children=(
            self.node(IMAGE, (0, 84, 120, 240), rid="back", action="back",
                      content_desc=self.text("back")),
            self.edit((120, 100, 860, 224), "search_input", state.draft, state.focused,
                      self.text("search_hint")),
            self.node(TEXT, (880, 84, 1080, 240), rid="search_submit", action="submit_search",
                      text=self.text("search")),
        ))
        if not state.submitted:
            return (bar,)
        rows = []
        for i, name in enumerate(self.app.search_users(state.draft)):
            top = 260 + i * 200
            profile = self.app.world.profile(name)
            rows.append(self.node(LINEAR, (0, top, 1080, top + 200), rid="search_user_row",
                                  action=f"open_user:{name}", children=(
                self.node(IMAGE, (40, top + 30, 180, top + 170), rid="search_user_avatar"),
                self.node(TEXT, (220, top + 30, 1040, top + 100), rid="search_user_name",
                          text=name),
                self.node(TEXT, (220, top + 110, 1040, top + 170), rid="search_user_nickname",
                          text=profile.nickname if profile else ""),
            )))
        if not rows:
            rows.append(self.node(TEXT, (0, 600, 1080, 700), rid="search_empty",
                                  text=self.text("no_results")))
        return bar, self.node(RECYCLER, (0, 260, 1080, 2400), rid="search_results",
                              scrollable=True, children=tuple(rows))

    def profile(self, state: s.Profile) -> tuple[Node, ...]:
        profile = self.app.world.profile(state.username)
        if profile is None:
            return self.missing(s.Missing(what="user"))
        me = self.app.current
        following = me is not None and me.follows(profile.username)
        label = self.text("following" if following else "follow")
        nodes: tuple[Node, ...] = (
            self.top_bar(profile.username),
            self.node(IMAGE, (440, 280, 640, 480), rid="profile_avatar",
                      content_desc=profile.username),
            self.node(TEXT, (140, 500, 940, 560), rid="profile_nickname", text=profile.nickname),
            self.node(TEXT, (60, 600, 360, 720), rid="following_count",
                      text=_count(profile.following)),
            self.node(TEXT, (390, 600, 690, 720), rid="followers_count", action="followers",
                      text=_count(profile.followers + following)),
            self.node(TEXT, (720, 600, 1020, 720), rid="posts_count",
                      text=_count(len(profile.post_ids))),
            self.node(BUTTON, (60, 760, 530, 880), rid="follow_button",
                      action="unfollow" if following else "follow", text=label,
                      content_desc=label, selected=following),
            self.node(BUTTON, (550, 760, 1020, 880), rid="message_button", action="message",
                      text=self.text("message")),
            self.node(TEXT, (60, 900, 1020, 980), rid="profile_bio", text=profile.bio),
            self.post_grid(1000, profile.post_ids),
        )
        if state.confirm_unfollow:
            nodes += self.sheet(1800, "unfollow_sheet", (
                self.node(TEXT, (40, 1840, 1040, 1960), rid="unfollow_title",
                          text=self.text("unfollow_title").format(user=profile.username)),
                self.node(BUTTON, (40, 2000, 1040, 2140), rid="unfollow_confirm",
                          action="confirm_unfollow", text=self.text("unfollow")),
                self.node(BUTTON, (40, 2180, 1040, 2320), rid="unfollow_cancel",
                          action="close_sheet", text=self.text("cancel")),
            ))
        return nodes

    def chat(self, state: s.Chat) -> tuple[Node, ...]:
        me = self.app.current
        sent = me.messages.get(state.username.lower(), []) if me else []
        rows = tuple(self.node(TEXT, (300, 260 + i * 140, 1040, 380 + i * 140),
                               rid="message_text", text=text)
                     for i, text in enumerate(sent[-12:]))
        return (self.top_bar(state.username),
                self.node(RECYCLER, (0, 260, 1080, 2220), rid="message_list", scrollable=True,
                          children=rows),
                self.edit((40, 2240, 860, 2360), "message_input", state.draft, state.focused,
                          self.text("message_hint")),
                self.node(BUTTON, (880, 2240, 1040, 2360), rid="message_send",
                          action="send_message", text=self.text("send"),
                          enabled=bool(state.draft.strip())))

    def my_profile(self, sheet: bool) -> tuple[Node, ...]:
        me = self.app.current
        name = me.username if me else self.text("log_in")
        profile = self.app.world.profile(name) if me else None
        header = self.node(TEXT, (240, 84, 840, 240), rid="account_switcher", action="switcher",
                           text=name, content_desc=self.text("switch_account"))
        nodes: tuple[Node, ...] = (header,)
        if me is not None and profile is not None:
            nodes += (
                self.node(TEXT, (140, 500, 940, 560), rid="profile_nickname",
                          text=me.nickname or profile.nickname),
                self.node(BUTTON, (290, 760, 790, 880), rid="edit_profile", action="edit_profile",
                          text=self.text("edit_profile")),
                self.post_grid(1000, profile.post_ids[:len(me.posts)]),
            )
        nodes += (self.bottom_bar("profile"),)
        if sheet:
            rows = [self.node(LINEAR, (0, 1300 + i * 150, 1080, 1450 + i * 150),
                              rid="account_row", action=f"switch:{account.username}",
                              selected=account is me, children=(
                self.node(TEXT, (140, 1320 + i * 150, 1040, 1430 + i * 150),
                          rid="account_name", text=account.username),))
                    for i, account in enumerate(self.app.accounts)]
            top = 1300 + len(rows) * 150
            rows.append(self.node(TEXT, (0, top, 1080, top + 150), rid="add_account",
                                  action="noop", text=self.text("add_account")))
            nodes += self.sheet(1200, "account_sheet", (
                self.node(TEXT, (0, 1200, 1080, 1300), rid="account_sheet_title",
                          text=self.text("switch_account")),
                *rows))
        return nodes

    def missing(self, state: s.Missing) -> tuple[Node, ...]:
        return (self.top_bar(""),
                self.node(TEXT, (60, 1100, 1020, 1200), rid="not_found",
                          text=self.text(f"{state.what}_not_found")))

    def gallery(self, state: s.Gallery) -> tuple[Node, ...]:
        cells = []
        for i, path in enumerate(self.app.media_files()):
            left, top = (i % 3) * 360, 260 + (i // 3) * 360
            chosen = path in state.selected
            cells.append(self.node(FRAME, (left, top, left + 360, top + 360),
                                   rid="gallery_item", action=f"pick:{path}",
                                   content_desc=posixpath.basename(path), selected=chosen,
                                   children=(self.node(
                                       TEXT, (left + 280, top + 10, left + 350, top + 80),
                                       rid="gallery_check",
                                       text=str(state.selected.index(path) + 1) if chosen
                                       else ""),)))
        extra = () if state.for_avatar else (
            self.node(BUTTON, (840, 100, 1060, 224), rid="gallery_next", action="next",
                      text=self.text("next"), enabled=bool(state.selected)),)
        return (self.top_bar(self.text("gallery_title"), *extra),
                self.node(RECYCLER, (0, 260, 1080, 2400), rid="gallery_grid", scrollable=True,
                          children=tuple(cells)))

    def compose(self, state: s.Compose) -> tuple[Node, ...]:
        thumb = posixpath.basename(state.media[0]) if state.media else ""
        nodes: tuple[Node, ...] = (
            self.top_bar(self.text("compose_title")),
            self.node(IMAGE, (40, 280, 340, 680), rid="compose_media", content_desc=thumb),
            self.edit((380, 280, 1040, 680), "caption_input", state.draft, state.focused,
                      self.text("caption_hint")),
        )
        width = 1080 // max(1, len(self.spec.placements))
        nodes += tuple(
            self.node(TEXT, (i * width, 2050, (i + 1) * width, 2170),
                      rid=f"placement_{placement}", action=f"placement:{placement}",
                      text=placement.upper(), selected=placement == state.placement)
            for i, placement in enumerate(self.spec.placements))
        nodes += (self.node(BUTTON, (560, 2240, 1040, 2360), rid="publish", action="publish",
                            text=self.text("publish")),)
        return nodes

    def followers(self, state: s.Followers) -> tuple[Node, ...]:
        profile = self.app.world.profile(state.username)
        if profile is None:
            return self.missing(s.Missing(what="user"))
        rows = []
        for i, name in enumerate(self.app.follower_page(state)):
            top = 260 + i * 196
            rows.append(self.node(LINEAR, (0, top, 1080, top + 196), rid="follower_row",
                                  action=f"open_user:{name}", children=(
                self.node(IMAGE, (40, top + 28, 180, top + 168), rid="follower_avatar"),
                self.node(TEXT, (220, top + 60, 1040, top + 136), rid="follower_name",
                          text=name),
            )))
        if not rows:
            rows.append(self.node(TEXT, (0, 600, 1080, 700), rid="follower_empty",
                                  text=self.text("no_followers")))
        return (self.top_bar(self.text("followers_title")),
                self.node(RECYCLER, (0, 260, 1080, 2400), rid="follower_list",
                          scrollable=True, children=tuple(rows)))

    def edit_profile(self, state: s.EditProfile) -> tuple[Node, ...]:
        save = self.node(BUTTON, (840, 100, 1060, 224), rid="save_profile",
                         action="save_profile", text=self.text("save"))
        nodes: tuple[Node, ...] = (
            self.top_bar(self.text("edit_profile"), save),
            self.node(IMAGE, (440, 280, 640, 480), rid="edit_avatar",
                      content_desc=posixpath.basename(state.avatar or "")),
            self.node(TEXT, (340, 500, 740, 560), rid="change_avatar", action="change_avatar",
                      text=self.text("change_photo")),
        )
        for i, field in enumerate(s.PROFILE_FIELDS):
            top = 640 + i * 200
            value = getattr(state, field)
            nodes += (
                self.node(TEXT, (40, top, 300, top + 160), rid="edit_label",
                          text=self.text(f"field_{field}")),
                self.node(EDIT, (320, top, 920, top + 160), rid=f"edit_{field}",
                          action=f"focus_field:{field}", text=value or self.text(f"{field}_hint"),
                          focused=state.focused == field),
                self.node(IMAGE, (940, top + 30, 1040, top + 130), rid=f"edit_{field}_clear",
                          action=f"clear_field:{field}", content_desc=self.text("clear")),
            )
        return nodes

    def inbox(self) -> tuple[Node, ...]:
        return (self.node(TEXT, (160, 110, 900, 214), rid="title_bar", text=self.text("inbox")),
                self.node(TEXT, (60, 1100, 1020, 1200), rid="inbox_empty",
                          text=self.text("no_messages")),
                self.bottom_bar("inbox"))

    def overlays(self) -> tuple[Node, ...]:
        nodes: tuple[Node, ...] = ()
        if self.app.toast:
            nodes += (self.node(TEXT, (140, 2000, 940, 2100), rid="toast", text=self.app.toast),)
        if self.app.dialog:
            nodes += (self.node(FRAME, (0, 0, 1080, 2400), rid="dialog_scrim", action="noop",
                                children=(self.node(LINEAR, (90, 900, 990, 1500), rid="dialog",
                                                    children=(
                self.node(TEXT, (140, 950, 940, 1050), rid="dialog_title",
                          text=self.text("error_title")),
                self.node(TEXT, (140, 1080, 940, 1300), rid="dialog_message",
                          text=self.app.dialog),
                self.node(BUTTON, (640, 1340, 940, 1460), rid="dialog_ok", action="dismiss",
                          text=self.text("ok")),
            )),)),)
        return nodes


def render(app: SocialApp, screen: s.Screen) -> Node:
    """The whole window: the screen's views, then toast and dialog on top."""
    draw = _Draw(app)
    match screen:
        case s.Video():
            body = draw.video(screen)
        case s.Search():
            body = draw.search(screen)
        case s.Profile():
            body = draw.profile(screen)
        case s.Chat():
            body = draw.chat(screen)
        case s.MyProfile() | s.Switcher():
            body = draw.my_profile(sheet=isinstance(screen, s.Switcher))
        case s.Missing():
            body = draw.missing(screen)
        case s.Gallery():
            body = draw.gallery(screen)
        case s.Compose():
            body = draw.compose(screen)
        case s.Inbox():
            body = draw.inbox()
        case s.Followers():
            body = draw.followers(screen)
        case s.EditProfile():
            body = draw.edit_profile(screen)
    content = draw.node(FRAME, (0, 0, 1080, 2400), rid="content", children=body)
    return Node(cls=FRAME, bounds=draw.box(0, 0, 1080, 2400), package=app.spec.package,
                children=(content, *draw.overlays()))
