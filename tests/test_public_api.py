"""The public surface: explicit, sorted, importable."""

from __future__ import annotations

import qase_async
from qase_async import exceptions, models


def test_all_is_sorted_and_complete() -> None:
    """``__all__`` is sorted (constants first, as ruff sorts) and every name exists."""
    for module in (qase_async, exceptions, models):
        names = module.__all__
        assert len(names) == len(set(names))
        for name in names:
            assert hasattr(module, name), f"{module.__name__}.{name} is missing"
    assert sorted(exceptions.__all__) == exceptions.__all__


def test_exceptions_share_one_root() -> None:
    """Every public exception derives from QaseError."""
    for name in exceptions.__all__:
        assert issubclass(getattr(exceptions, name), exceptions.QaseError)


def test_package_is_typed() -> None:
    """The package ships py.typed, so type checkers use its annotations."""
    from importlib.resources import files

    assert files("qase_async").joinpath("py.typed").is_file()
