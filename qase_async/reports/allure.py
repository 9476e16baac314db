"""Allure."""
from pathlib import Path
from collections.abc import Iterator
from .._upload import UploadItem
from ._base import ReadContext
def count(path: Path) -> int:
    raise NotImplementedError
def read(path: Path, ctx: ReadContext) -> Iterator[UploadItem]:
    raise NotImplementedError
