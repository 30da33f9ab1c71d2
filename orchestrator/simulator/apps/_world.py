"""The world an app sees: which users and posts exist, with stable fake data.

Any well-formed username exists unless removed, so documentation examples work
without setup; its profile is derived from a hash of the name, so every phone and
every run sees the same nickname, bio, counts and posts.
"""

from __future__ import annotations

import hashlib

import attrs

from ._spec import AppSpec

__all__ = ["Comment", "Post", "Profile", "World"]

_SYLLABLES = ("ka", "lo", "mi", "ra", "ne", "so", "ti", "vu", "ze", "ba", "do", "fi")
_BIOS = ("Coffee first.", "Dancing through life", "Travel | Food | Fun",
         "Just here for the vibes", "Creator. Dreamer.", "Cats > dogs")
_CODE_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"


def _seed(*parts: object) -> int:
    text = "\x00".join(str(p) for p in parts)
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


def _fake_name(seed: int) -> str:
    word = "".join(_SYLLABLES[(seed >> (4 * i)) % len(_SYLLABLES)] for i in range(3))
    return f"{word}_{seed % 1000}"


@attrs.frozen
class Comment:
    author: str
    text: str


@attrs.define
class Post:
    """A video or photo post; `comments` grows as accounts on this phone comment."""

    id: str
    author: str
    caption: str
    likes: int
    comments: list[Comment]


@attrs.frozen
class Profile:
    """What a user's profile page shows."""

    username: str
    nickname: str
    bio: str
    followers: int
    following: int
    post_ids: tuple[str, ...]

    def follower_names(self, limit: int) -> list[str]:
        """The first `limit` followers (deterministic), for follower-list scraping."""
        return [_fake_name(_seed(self.username, "follower", i))
                for i in range(min(limit, self.followers))]


@attrs.define
class World:
    """Users and posts of one app on one phone; `remove_*` makes things missing."""

    spec: AppSpec
    missing_users: set[str] = attrs.field(factory=set)
    missing_posts: set[str] = attrs.field(factory=set)
    _posts: dict[str, Post] = attrs.field(factory=dict, init=False)
    _own_posts: dict[str, list[str]] = attrs.field(factory=dict, init=False)

    def remove_user(self, username: str) -> None:
        self.missing_users.add(username.lower())

    def remove_post(self, post_id: str) -> None:
        self.missing_posts.add(post_id)

    def user_exists(self, username: str) -> bool:
        return (self.spec.username_pattern.fullmatch(username) is not None
                and username.lower() not in self.missing_users)

    def profile(self, username: str) -> Profile | None:
        if not self.user_exists(username):
            return None
        seed = _seed(username.lower())
        fake = tuple(self._post_id(username.lower(), i) for i in range(3 + seed % 4))
        own = tuple(reversed(self._own_posts.get(username.lower(), [])))
        return Profile(username=username, nickname=username.replace("_", " ").title(),
                       bio=_BIOS[seed % len(_BIOS)], followers=seed % 50_000,
                       following=(seed >> 20) % 900, post_ids=own + fake)

    def post(self, post_id: str, author: str | None = None) -> Post | None:
        """The post `post_id`; `author` is the name a URL gave (TikTok URLs carry it)."""
        if (post_id in self.missing_posts
                or self.spec.post_id_pattern.fullmatch(post_id) is None):
            return None
        if post_id not in self._posts:
            seed = _seed("post", post_id)
            self._posts[post_id] = Post(
                id=post_id, author=author or _fake_name(seed), caption=f"#fyp moment {seed % 97}",
                likes=seed % 100_000,
                comments=[Comment(_fake_name(_seed(post_id, i)), f"Nice one {i + 1}!")
                          for i in range(seed % 4)])
        post = self._posts[post_id]
        return post if self.user_exists(post.author) else None

    def feed_post(self, index: int) -> Post:
        """The `index`-th video of the For You feed."""
        while True:
            post = self.post(self._post_id("feed", index))
            if post is not None:
                return post
            index += 1

    def publish(self, author: str, caption: str) -> Post:
        """A new post by an account on this phone."""
        own = self._own_posts.setdefault(author.lower(), [])
        post_id = self._post_id(f"own:{author.lower()}", len(own))
        self._posts[post_id] = Post(id=post_id, author=author, caption=caption, likes=0,
                                    comments=[])
        own.append(post_id)
        return self._posts[post_id]

    def post_url(self, post: Post) -> str:
        """The canonical URL of a post: the key of likes and comments in account state."""
        return self.spec.post_url.format(author=post.author, id=post.id)

    def _post_id(self, owner: str, index: int) -> str:
        seed = _seed(owner, "post", index)
        if self.spec.post_id_digits:
            return str(7_000_000_000_000_000_000 + seed % 999_999_999_999_999_999)
        return "".join(_CODE_CHARS[(seed >> (6 * i)) % 64] for i in range(10)) + "C"
