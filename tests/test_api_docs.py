"""docs/api.md: its examples run against the bundled samples, so the library's documentation stays true."""

from __future__ import annotations

import doctest
import os

from conftest import ROOT


def test_api_examples_run(monkeypatch):
    monkeypatch.chdir(ROOT)  # the examples name the samples by their paths in the project
    failures, tried = doctest.testfile(str(ROOT / "docs" / "api.md"), module_relative=False,
                                       optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert tried >= 15 and failures == 0


def test_public_functions_have_docstrings_and_types():
    import inspect

    import perfxl

    for name in perfxl.__all__:
        if name == "__version__":
            continue
        function = getattr(perfxl, name)
        assert inspect.getdoc(function), name
        assert inspect.signature(function).return_annotation is not inspect.Signature.empty, name
