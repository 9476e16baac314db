"""Read test reports into v2 results: JUnit XML, Allure results, Qase JSON reports.

One interface for every format: :func:`read_report` yields
:class:`~qase_async.UploadItem` objects (a result and the files to attach) that
:class:`~qase_async.Uploader` sends; :func:`detect_format` tells the format of a file or
folder; :class:`Reading` reads several reports at once, counting statuses and collecting
warnings and refused attachments, as ``qase-async upload`` and ``qase-async read`` do.

Each format has its own module (``junit``, ``allure``, ``qase``) with the same two
functions, ``count(path)`` and ``read(path, ctx)``; the rules of each are in its module
docstring and in the documentation page on reports.
"""

from ..exceptions import JUnitError, ReportError
from ._base import (
    MAX_MESSAGE,
    MAX_OUTPUT,
    MAX_STACKTRACE,
    MAX_TITLE,
    ReadContext,
    ReadLog,
    ReadWarning,
    RefusedAttachment,
    ReportFormat,
    find_markers,
)
from ._reading import FORMATS, Reading, count_tests, detect_format, read_report

__all__ = [
    "FORMATS",
    "MAX_MESSAGE",
    "MAX_OUTPUT",
    "MAX_STACKTRACE",
    "MAX_TITLE",
    "JUnitError",
    "ReadContext",
    "ReadLog",
    "ReadWarning",
    "Reading",
    "RefusedAttachment",
    "ReportError",
    "ReportFormat",
    "count_tests",
    "detect_format",
    "find_markers",
    "read_report",
]
