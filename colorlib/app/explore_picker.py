"""The explorer's image chooser: a bundled print, an upload or a path, with a thumbnail and a one-line description."""
from __future__ import annotations

import functools
import html
import os

import ipywidgets as W
import numpy as np

from colorlib import data, images
from colorlib.app import explore_runs as runs
from colorlib.errors import ColorkitError


@functools.lru_cache(maxsize=64)
def _print(name: str) -> np.ndarray:
    return images.load(data.find(name))


def _print_label(row: dict) -> str:
    return f"{row['station_no']} {row['station']}"


class ImagePicker:
    """One image from a bundled print, an upload or a path. .image() returns (array, name) or raises."""

    def __init__(self, label: str, title: str, default: str | None = None):
        self.label = label  # short name for messages: "content", "style"
        prints = [(_print_label(row), name) for name, row in sorted(data.manifest().items())]
        self.source = W.ToggleButtons(options=[("print", "bundled"), ("upload", "upload"), ("path", "path")],
                                      tooltips=["a bundled Hiroshige print", "an image from your computer",
                                                "an image file on the kernel's machine"],
                                      style={"button_width": "80px"})
        self.print = W.Dropdown(options=prints, value=default or prints[0][1], description="print",
                                layout=W.Layout(width="260px"))
        self.upload = W.FileUpload(accept="image/*", multiple=False, description="upload image")
        self.path = W.Text(placeholder="/path/to/image.png (Enter)", continuous_update=False, description="path",
                           layout=W.Layout(width="260px"))
        self.thumb = W.Image(format="png", layout=W.Layout(max_width="220px", max_height="160px", display="none"))
        self.message = W.HTML()
        self._loaded: dict = {}  # source -> (array, name), or an error message
        self.source.observe(lambda _: self._show(), "value")
        self.print.observe(lambda _: self._load("bundled"), "value")
        self.upload.observe(lambda _: self._load("upload"), "value")
        self.path.observe(lambda _: self._load("path"), "value")
        self.widget = W.VBox([W.HTML(f"<b>{html.escape(title)}</b>"), self.source, self.print, self.upload,
                              self.path, self.thumb, self.message], layout=W.Layout(width="440px"))
        self._load("bundled")

    def _read(self, source: str) -> tuple[np.ndarray, str] | None:
        if source == "bundled":
            return _print(self.print.value), self.print.value
        if source == "upload":
            if not self.upload.value:
                return None
            item = self.upload.value[0]
            return images.decode(bytes(item["content"]), item["name"]), item["name"]
        if not self.path.value.strip():
            return None
        path = os.path.expanduser(self.path.value.strip())
        return images.load(path), os.path.basename(path)

    def _load(self, source: str) -> None:
        try:
            self._loaded[source] = self._read(source)
        except ColorkitError as exc:
            self._loaded[source] = str(exc)
        if source == self.source.value:
            self._show()

    def _show(self) -> None:
        source = self.source.value
        for name, box in (("bundled", self.print), ("upload", self.upload), ("path", self.path)):
            box.layout.display = None if name == source else "none"
        loaded = self._loaded.get(source)
        if isinstance(loaded, tuple):
            image, name = loaded
            set_image(self.thumb, runs.png_bytes(image, 220))
            kind = "colour" if runs.is_colour(image) else "gray"
            self.message.value = f"{html.escape(name)}: {image.shape[1]}×{image.shape[0]} px, {kind}"
        else:
            self.thumb.value, self.thumb.layout.display = b"", "none"
            self.message.value = error_html(loaded) if loaded else "<i>nothing chosen yet</i>"

    def image(self) -> tuple[np.ndarray, str]:
        """The chosen image and a short name; ColorkitError when nothing usable is chosen."""
        loaded = self._loaded.get(self.source.value)
        if isinstance(loaded, tuple):
            return loaded
        raise ColorkitError(f"{self.label}: {loaded or 'choose an image first'}")


def set_image(image_widget: W.Image, png: bytes) -> None:
    image_widget.value = png
    image_widget.layout.display = None


def error_html(text: str) -> str:
    return f"<span style='color:#b00020'><b>error:</b> {html.escape(text)}</span>"
