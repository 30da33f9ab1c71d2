"""One social-app engine, TikTok or Instagram by its spec: navigation, input, state.

Screens sit on a back stack (`stack[0]` is the feed). Taps arrive as the `action`
of the node hit; typed text lands in the focused field of the top screen. Account
state (`accounts`, `current`) and the `world` outlive crashes; the stack does not.

Unfollowing: when the spec says `unfollow_confirm` (Instagram), tapping "Following"
opens a sheet whose "Unfollow" button confirms; otherwise (TikTok) it unfollows at once.
Uploads complete at once: the app returns to the feed with a "posted" toast, or shows
an error dialog if a media file is gone.

A profile's follower count opens its follower list (`Profile.follower_names`, a window
of rows that a swipe up scrolls). The own profile's "Edit profile" opens a screen of
fields (each with a clear button), a photo picked from the gallery, and Save, which
writes the account's nickname, bio, website and avatar and returns with a toast.
"""

from __future__ import annotations

import functools
import posixpath
from collections.abc import Sequence
from urllib.parse import unquote, urlparse

import attrs

from .._app import App, Intent
from .._fs import FileSystem
from .._ui import Node
from . import _screens as s
from ._accounts import Account, PostedMedia
from ._render import render
from ._spec import AppSpec, load_spec
from ._world import Comment, World

__all__ = ["SocialApp"]

ACTION_VIEW = "android.intent.action.VIEW"
ACTION_SEND = "android.intent.action.SEND"
ACTION_SEND_MULTIPLE = "android.intent.action.SEND_MULTIPLE"
EXTRA_STREAM = "android.intent.extra.STREAM"
EXTRA_TEXT = "android.intent.extra.TEXT"
KEYCODE_BACK = 4
KEYCODE_ENTER = 66
KEYCODE_DEL = 67
VIDEO_EXTS = (".mp4", ".mov", ".m4v", ".3gp", ".webm", ".mkv")
IMAGE_EXTS = (".jpg", ".jpeg", ".png", ".webp", ".gif", ".heic")
#: Rows of the follower list on screen at once; a swipe scrolls by SCROLL_ROWS.
FOLLOWER_ROWS = 10
SCROLL_ROWS = 7


def _stream_paths(value: str) -> tuple[str, ...]:
    """`file:///sdcard/a.mp4` or plain paths, comma-separated for SEND_MULTIPLE."""
    paths = []
    for item in filter(None, (part.strip() for part in value.split(","))):
        paths.append(unquote(urlparse(item).path) if item.startswith("file://") else item)
    return tuple(paths)


class SocialApp(App):
    """A TikTok- or Instagram-like app; what differs between them is `spec`."""

    def __init__(self, *, spec: AppSpec, fs: FileSystem, width: int, height: int,
                 accounts: Sequence[str] | None = None, missing_users: Sequence[str] = (),
                 package: str | None = None) -> None:
        super().__init__(fs=fs, width=width, height=height)
        self.spec = spec if package is None else attrs.evolve(spec, package=package)
        self.package = self.spec.package
        self.label = spec.label
        self.launcher_activity = spec.activities["launcher"]
        self.version_name = spec.version_name
        self.world = World(self.spec, missing_users={u.lower() for u in missing_users})
        names = spec.default_accounts if accounts is None else accounts
        self.accounts: list[Account] = [Account(username=name) for name in names]
        self.current: Account | None = self.accounts[0] if self.accounts else None
        self.stack: list[s.Screen] = []
        self.toast: str | None = None
        self.dialog: str | None = None

    @classmethod
    def factory(cls, name: str, *, accounts: Sequence[str] | None = None,
                missing_users: Sequence[str] = (),
                package: str | None = None) -> functools.partial[SocialApp]:
        """A phone's app factory for `<name>.toml`; `package` makes a clone app."""
        return functools.partial(cls, spec=load_spec(name), accounts=accounts,
                                 missing_users=missing_users, package=package)

    # --- accounts -------------------------------------------------------------------------
    def account(self, username: str) -> Account | None:
        wanted = username.removeprefix("@").lower()
        return next((a for a in self.accounts if a.username.lower() == wanted), None)

    def add_account(self, username: str, *, logged_in: bool = True) -> Account:
        """Remember an account on this app (as a login on the phone would)."""
        account = self.account(username)
        if account is None:
            account = Account(username=username, logged_in=logged_in)
            self.accounts.append(account)
        account.logged_in = logged_in
        if self.current is None and logged_in:
            self.current = account
        return account

    # --- lifecycle ------------------------------------------------------------------------
    def launch(self) -> None:
        if not self.running or not self.stack:
            self.stack = [self._feed(0)]
            self.toast = self.dialog = None
        self.running = True

    def force_stop(self) -> None:
        super().force_stop()
        self.stack = []
        self.toast = self.dialog = None

    # --- intents --------------------------------------------------------------------------
    def accepts(self, intent: Intent) -> bool:
        if intent.action in (ACTION_VIEW, None):  # no action matches any filter, as on Android
            return intent.data is not None and self._screen_for_url(intent.data) is not None
        return intent.action in (ACTION_SEND, ACTION_SEND_MULTIPLE)

    def handle_intent(self, intent: Intent) -> bool:
        screen: s.Screen | None = None
        if intent.action in (ACTION_VIEW, None) and intent.data:
            screen = self._screen_for_url(intent.data)
        elif intent.action in (ACTION_SEND, ACTION_SEND_MULTIPLE):
            media = _stream_paths(intent.extras.get(EXTRA_STREAM, ""))
            if media:
                screen = s.Compose(media=media, placement=self.spec.default_placement,
                                   draft=intent.extras.get(EXTRA_TEXT, ""))
        if screen is None:
            return False
        self.launch()
        self.toast = self.dialog = None
        self.stack.append(screen)
        return True

    def _screen_for_url(self, url: str) -> s.Screen | None:
        for pattern in self.spec.post_urls:
            if match := pattern.match(url):
                groups = match.groupdict()
                return s.Video(post_id=groups["id"], author=groups.get("user"))
        for pattern in self.spec.profile_urls:
            if match := pattern.match(url):
                return s.Profile(username=unquote(match["user"]).removeprefix("@"))
        return None

    # --- input ----------------------------------------------------------------------------
    def tap(self, node: Node) -> None:
        verb, _, arg = (node.action or "").partition(":")
        if self.dialog is not None and verb != "dismiss":
            return
        self.toast = None
        top = self.stack[-1]
        match verb, top:
            case "dismiss", _:
                self.dialog = None
            case "back", _:
                self.key(KEYCODE_BACK)
            case "tab", _:
                self._open_tab(arg)
            case "focus", s.Video() | s.Search() | s.Chat() | s.Compose():
                self.stack[-1] = attrs.evolve(top, focused=True)
            case "followers", s.Profile():
                self.stack.append(s.Followers(username=top.username))
            case "edit_profile", s.MyProfile():
                self._edit_profile()
            case "focus_field", s.EditProfile():
                self.stack[-1] = attrs.evolve(top, focused=arg)
            case "clear_field", s.EditProfile():
                self.stack[-1] = attrs.evolve(top, focused=arg, **{arg: ""})
            case "change_avatar", s.EditProfile():
                self.stack.append(s.Gallery(for_avatar=True))
            case "pick", s.Gallery(for_avatar=True):
                self.stack.pop()
                if isinstance(below := self.stack[-1], s.EditProfile):
                    self.stack[-1] = attrs.evolve(below, avatar=arg)
            case "save_profile", s.EditProfile():
                self._save_profile(top)
            case "open_user", _:
                self.stack.append(s.Profile(username=arg))
            case "open_post", s.Profile():
                self.stack.append(s.Video(post_id=arg, author=top.username))
            case "open_post", _:
                self.stack.append(s.Video(post_id=arg, author=self._username()))
            case "like", s.Video():
                self._like(top)
            case "open_comments", s.Video():
                self.stack[-1] = attrs.evolve(top, sheet=True)
            case "post_comment", s.Video():
                self._comment(top)
            case "close_sheet", s.Video():
                self.stack[-1] = attrs.evolve(top, sheet=False, focused=False)
            case "close_sheet", s.Profile():
                self.stack[-1] = attrs.evolve(top, confirm_unfollow=False)
            case "close_sheet", s.Switcher():
                self.stack.pop()
            case "submit_search", s.Search():
                self.stack[-1] = attrs.evolve(top, submitted=True, focused=False)
            case "follow", s.Profile():
                if me := self._me():
                    me.following.add(top.username.lower())
            case "unfollow", s.Profile() if self.spec.unfollow_confirm:
                self.stack[-1] = attrs.evolve(top, confirm_unfollow=True)
            case "unfollow" | "confirm_unfollow", s.Profile():
                if me := self._me():
                    me.following.discard(top.username.lower())
                self.stack[-1] = attrs.evolve(top, confirm_unfollow=False)
            case "message", s.Profile():
                self.stack.append(s.Chat(username=top.username))
            case "send_message", s.Chat():
                self._message(top)
            case "switcher", s.MyProfile():
                self.stack.append(s.Switcher())
            case "switch", s.Switcher():
                self._switch(arg)
            case "pick", s.Gallery():
                chosen = top.selected
                chosen = tuple(p for p in chosen if p != arg) if arg in chosen \
                    else (*chosen, arg)
                self.stack[-1] = attrs.evolve(top, selected=chosen)
            case "next", s.Gallery() if top.selected:
                self.stack.append(s.Compose(media=top.selected,
                                            placement=self.spec.default_placement))
            case "placement", s.Compose():
                self.stack[-1] = attrs.evolve(top, placement=arg)
            case "publish", s.Compose():
                self._publish(top)

    def type_text(self, text: str) -> None:
        top = self.stack[-1] if self.stack else None
        if isinstance(top, s.Search) and top.focused:
            self.stack[-1] = attrs.evolve(top, draft=top.draft + text, submitted=False)
        elif isinstance(top, s.Editable) and top.focused:
            self.stack[-1] = attrs.evolve(top, draft=top.draft + text)
        elif isinstance(top, s.EditProfile) and top.focused in s.PROFILE_FIELDS:
            field = top.focused
            self.stack[-1] = attrs.evolve(top, **{field: getattr(top, field) + text})

    def key(self, keycode: int) -> bool:
        self.toast = None
        top = self.stack[-1] if self.stack else None
        if keycode == KEYCODE_DEL and isinstance(top, s.Editable) and top.focused:
            self.stack[-1] = attrs.evolve(top, draft=top.draft[:-1])
        elif (keycode == KEYCODE_DEL and isinstance(top, s.EditProfile)
              and top.focused in s.PROFILE_FIELDS):
            field = top.focused
            self.stack[-1] = attrs.evolve(top, **{field: getattr(top, field)[:-1]})
        elif keycode == KEYCODE_ENTER and isinstance(top, s.Search) and top.focused:
            self.stack[-1] = attrs.evolve(top, submitted=True, focused=False)
        elif keycode == KEYCODE_BACK:
            return self._back(top)
        return True

    def _back(self, top: s.Screen | None) -> bool:
        if self.dialog is not None:
            self.dialog = None
        elif isinstance(top, s.Video) and top.sheet:
            self.stack[-1] = attrs.evolve(top, sheet=False, focused=False)
        elif isinstance(top, s.Profile) and top.confirm_unfollow:
            self.stack[-1] = attrs.evolve(top, confirm_unfollow=False)
        elif len(self.stack) > 1:
            self.stack.pop()
        else:
            return False
        return True

    def swipe(self, x1: int, y1: int, x2: int, y2: int) -> None:
        top = self.stack[-1] if self.stack else None
        if isinstance(top, s.Followers):
            self._scroll_followers(top, y1 - y2)
            return
        if not isinstance(top, s.Video) or top.feed_index is None or top.sheet:
            return
        step = 1 if y2 < y1 - self.height // 10 else -1 if y2 > y1 + self.height // 10 else 0
        if step and top.feed_index + step >= 0:
            self.stack[-1] = self._feed(top.feed_index + step)

    # --- output ---------------------------------------------------------------------------
    def screen(self) -> Node:
        return render(self, self.stack[-1] if self.stack else self._feed(0))

    def current_activity(self) -> str:
        top = self.stack[-1] if self.stack else None
        match top:
            case s.Video(feed_index=None):
                return self.spec.activities["detail"]
            case s.Profile():
                return self.spec.activities["profile"]
            case s.Search():
                return self.spec.activities["search"]
            case s.Gallery():
                return self.spec.activities["gallery"]
            case s.Compose():
                return self.spec.activities["compose"]
            case s.Chat():
                return self.spec.activities["chat"]
            case s.Followers():
                return self.spec.activities["followers"]
            case s.EditProfile():
                return self.spec.activities["edit_profile"]
        return self.spec.activities["main"]

    # --- what screens show ----------------------------------------------------------------
    def search_users(self, query: str) -> list[str]:
        """Users a search for `query` lists: the exact name first, then look-alikes."""
        name = query.strip().removeprefix("@")
        candidates = (name, f"{name}_official", f"{name}.fan", f"{name}123")
        return [c for c in candidates if name and self.world.user_exists(c)]

    def follower_page(self, state: s.Followers) -> list[str]:
        """The follower names the list shows at its scroll position."""
        profile = self.world.profile(state.username)
        if profile is None:
            return []
        return profile.follower_names(state.offset + FOLLOWER_ROWS)[state.offset:]

    def media_files(self) -> list[str]:
        """Photos and videos the gallery picker lists, newest first."""
        found = []
        for folder in self.spec.media_dirs:
            if self.fs.is_dir(folder):
                found += [p for p in self.fs.files_under(folder)
                          if p.lower().endswith(VIDEO_EXTS + IMAGE_EXTS)]
        return sorted(found, key=lambda p: (-self._mtime(p), p))

    def _mtime(self, path: str) -> int:
        stat = self.fs.stat(path)
        return stat.mtime if stat else 0

    # --- actions --------------------------------------------------------------------------
    def _feed(self, index: int) -> s.Video:
        post = self.world.feed_post(index)
        return s.Video(post_id=post.id, author=post.author, feed_index=index)

    def _username(self) -> str | None:
        return self.current.username if self.current else None

    def _me(self) -> Account | None:
        """The current account, or None with a "log in" toast."""
        if self.current is None or not self.current.logged_in:
            self.toast = self.spec.texts["log_in"]
            return None
        return self.current

    def _open_tab(self, name: str) -> None:
        roots: dict[str, s.Screen] = {"search": s.Search(), "create": s.Gallery(),
                                      "inbox": s.Inbox(), "profile": s.MyProfile()}
        self.stack = self.stack[:1] + ([roots[name]] if name in roots else [])

    def _like(self, top: s.Video) -> None:
        post = self.world.post(top.post_id, top.author)
        me = self._me()
        if post is None or me is None:
            return
        url = self.world.post_url(post)
        if url in me.liked:
            me.liked.discard(url)
        else:
            me.liked.add(url)

    def _comment(self, top: s.Video) -> None:
        post = self.world.post(top.post_id, top.author)
        me = self._me()
        if post is None or me is None or not top.draft.strip():
            return
        me.comments.setdefault(self.world.post_url(post), []).append(top.draft)
        post.comments.append(Comment(me.username, top.draft))
        self.stack[-1] = attrs.evolve(top, draft="", focused=False)

    def _message(self, top: s.Chat) -> None:
        me = self._me()
        if me is None or not top.draft.strip():
            return
        me.messages.setdefault(top.username.lower(), []).append(top.draft)
        self.stack[-1] = attrs.evolve(top, draft="")

    def _scroll_followers(self, top: s.Followers, distance: int) -> None:
        """A swipe up (positive `distance`) scrolls down the list, loading more rows."""
        profile = self.world.profile(top.username)
        if profile is None or abs(distance) < self.height // 10:
            return
        last = max(0, profile.followers - FOLLOWER_ROWS)
        step = SCROLL_ROWS if distance > 0 else -SCROLL_ROWS
        self.stack[-1] = attrs.evolve(top, offset=min(last, max(0, top.offset + step)))

    def _edit_profile(self) -> None:
        me = self._me()
        if me is None:
            return
        shown = self.world.profile(me.username)
        self.stack.append(s.EditProfile(
            nickname=me.nickname or (shown.nickname if shown else ""),
            bio=me.bio or (shown.bio if shown else ""), website=me.website, avatar=me.avatar))

    def _save_profile(self, top: s.EditProfile) -> None:
        me = self._me()
        if me is None:
            return
        if top.avatar is not None and top.avatar != me.avatar and not self.fs.exists(top.avatar):
            self.dialog = self.spec.texts["file_missing"].format(
                path=posixpath.basename(top.avatar))
            return
        me.nickname, me.bio, me.website = top.nickname, top.bio, top.website
        me.avatar = top.avatar
        self.stack.pop()
        self.toast = self.spec.texts["profile_saved"]

    def _switch(self, username: str) -> None:
        account = self.account(username)
        if account is None or not account.logged_in:
            self.toast = self.spec.texts["session_expired"]
            return
        self.current = account
        self.stack.pop()

    def _publish(self, top: s.Compose) -> None:
        me = self._me()
        if me is None:
            return
        missing = [p for p in top.media if not p.startswith("/") or not self.fs.exists(p)
                   or self.fs.is_dir(p)]
        if missing or not top.media:
            self.dialog = self.spec.texts["file_missing"].format(
                path=posixpath.basename(missing[0]) if missing else "")
            return
        post = self.world.publish(me.username, top.draft)
        kind = "video" if any(p.lower().endswith(VIDEO_EXTS) for p in top.media) else "images"
        me.posts.append(PostedMedia(post_url=self.world.post_url(post), caption=top.draft,
                                    media=top.media, kind=kind, placement=top.placement))
        self.stack = self.stack[:1]
        self.toast = self.spec.texts["posted"]
