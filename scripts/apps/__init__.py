"""App data: the selectors, texts and URLs of each app, in `<platform>.toml` files.

A new app version is an edit of its data file, not a release.
"""

from ._app import OPTIONAL, PLATFORMS, REQUIRED, AppData, load_app

__all__ = ["OPTIONAL", "PLATFORMS", "REQUIRED", "AppData", "load_app"]
