"""follow and unfollow: the target rule, the alias, access_method."""

from __future__ import annotations

import pytest

from scripts import FollowConfig, UnfollowConfig, validate
from scripts.follow import AccessMethod

from ._helpers import errors

P = "$.script_config."
NAMES = ["follow", "unfollow"]


@pytest.mark.parametrize("name", NAMES)
class TestTargets:
    def test_list(self, name: str) -> None:
        """target_users: one task per entry, in order, each holding just its target."""
        _, tasks = validate(name, {"target_users": ["a", " b ", "c"]})
        assert tasks == [
            {"target_users": [user], "target_user": user, "access_method": "direct"}
            for user in ["a", "b", "c"]
        ]

    def test_string_split_on_newlines_and_commas(self, name: str) -> None:
        """target_user is split on newlines and commas; blanks are dropped."""
        _, tasks = validate(name, {"target_user": "a, b\nc\r\n,,\n d "})
        assert [task["target_user"] for task in tasks] == ["a", "b", "c", "d"]

    def test_list_wins(self, name: str) -> None:
        """Both given: the list wins."""
        _, tasks = validate(name, {"target_users": ["x"], "target_user": "a,b"})
        assert [task["target_user"] for task in tasks] == ["x"]

    def test_empty_list_falls_back_to_string(self, name: str) -> None:
        """An empty list does not win over a string that names targets."""
        _, tasks = validate(name, {"target_users": [], "target_user": "a"})
        assert [task["target_user"] for task in tasks] == ["a"]

    def test_target_username_alias(self, name: str) -> None:
        """The example page's target_username is accepted; the leading @ is dropped."""
        _, tasks = validate(name, {"target_username": "@example_user"})
        assert tasks == [
            {
                "target_users": ["example_user"],
                "target_user": "example_user",
                "access_method": "direct",
            }
        ]

    def test_target_user_wins_over_alias(self, name: str) -> None:
        _, tasks = validate(name, {"target_user": "a", "target_username": "b"})
        assert [task["target_user"] for task in tasks] == ["a"]

    @pytest.mark.parametrize(
        "raw",
        [{}, {"target_users": []}, {"target_user": " ,\n"}, {"target_username": "@"}],
    )
    def test_required(self, name: str, raw: dict[str, object]) -> None:
        """No target at all is an error at target_users that names both fields."""
        found = errors(name, raw)
        assert list(found) == [P + "target_users"]
        assert "target_user " in found[P + "target_users"]

    def test_entry_errors_name_the_index(self, name: str) -> None:
        """A wrong entry is named by its index."""
        assert errors(name, {"target_users": ["a", "b", 3]}) == {
            P + "target_users[2]": "expected a string, got an integer"
        }
        assert errors(name, {"target_users": ["a", "b", "@"]}) == {
            P + "target_users[2]": "must name a user"
        }

    @pytest.mark.parametrize(
        ("raw", "field"),
        [
            ({"target_users": "a,b"}, "target_users"),
            ({"target_user": ["a"]}, "target_user"),
            ({"target_username": 1}, "target_username"),
        ],
    )
    def test_wrong_types(self, name: str, raw: dict[str, object], field: str) -> None:
        assert list(errors(name, raw)) == [P + field]

    @pytest.mark.parametrize("method", ["direct", "search"])
    def test_access_method(self, name: str, method: str) -> None:
        config, _ = validate(name, {"target_user": "a", "access_method": method})
        assert config.access_method is AccessMethod(method)

    def test_bad_access_method(self, name: str) -> None:
        found = errors(name, {"target_user": "a", "access_method": "url"})
        assert found == {P + "access_method": "must be one of 'direct', 'search', got 'url'"}


def test_config_classes() -> None:
    """Each script has its own config class (the device steps will differ)."""
    assert isinstance(validate("follow", {"target_user": "a"})[0], FollowConfig)
    assert isinstance(validate("unfollow", {"target_user": "a"})[0], UnfollowConfig)
