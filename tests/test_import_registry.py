"""One importer registry: each importer module declares its source once (core.Source, as SOURCE), and
cxdash.importers.SOURCES lists them; the command line, the upload checks and the Import page read it."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys

import pytest

from cxdash import cli, importers
from cxdash.importers import SOURCES, Source, uploads


def test_the_registry_lists_every_declared_source_in_the_order_the_app_offers_them():
    assert list(SOURCES) == ["amazon-connect", "zendesk", "genesys", "talkdesk", "asterisk", "csv"]
    declared = {}
    for info in pkgutil.iter_modules(importers.__path__):
        module = importlib.import_module(f"cxdash.importers.{info.name}")
        found = getattr(module, "SOURCE", None)
        if isinstance(found, Source):
            declared[found.name] = found
            assert found.parse is module.parse and found.doc == module.__doc__, info.name
            assert found.label and found.hint, info.name
    assert declared == SOURCES  # a module that declares a source is in the registry, and only those are


def test_uploads_and_the_command_line_read_the_registry():
    assert list(uploads.UPLOADS) == [*SOURCES, uploads.PARQUET]
    assert uploads.types_text("zendesk") == "Accepted: .json, .jsonl or .csv files"
    assert uploads.types_text("asterisk").startswith("Accepted: any file")
    for name in SOURCES:
        assert cli._parser().parse_args(["import", name, "export"]).source == name


def test_an_unknown_source_names_the_sources(capsys):
    with pytest.raises(ValueError, match="unknown source 'nope': one of amazon-connect, zendesk, genesys"):
        importers.source("nope")
    with pytest.raises(SystemExit):
        cli.main(["import", "nope", "x.csv"])
    assert "invalid choice: 'nope' (choose from 'amazon-connect', 'zendesk'" in capsys.readouterr().err


def test_commands_other_than_import_do_not_load_the_importers():
    code = ("import sys; from cxdash import cli; "
            "cli._parser().parse_args(['staffing', '--contacts', '10', '--interval-minutes', '15', "
            "'--aht-seconds', '300']); "
            "print(any(name.startswith('cxdash.importers') for name in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
