"""Packaging: a wheel built from the repository ships the SQL and the report template, and the
installed package's commands work from outside the repository, in a virtual environment that
cannot see the checkout. Also: DuckDB's threads and memory from the machine or the environment."""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from datetime import date, timedelta
from pathlib import Path

import pytest

from cxdash import db

ROOT = Path(__file__).resolve().parent.parent
SQL_FILES = sorted(path.name for path in (ROOT / "sql").glob("*.sql"))


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel, built offline with the project venv's setuptools from a copy of the sources (so
    the build's own build/ and egg-info never land in the working tree)."""
    source = tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    for name in ("cxdash", "sql"):
        shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
                    "--disable-pip-version-check", "--quiet", "--wheel-dir", str(out), str(source)],
                   check=True, capture_output=True, text=True, timeout=120)
    (built,) = out.glob("cxdash-*.whl")
    return built


def test_the_wheel_ships_every_sql_file_and_the_template(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert SQL_FILES and sorted(n.removeprefix("cxdash/sql/") for n in names
                                if n.startswith("cxdash/sql/")) == SQL_FILES
    assert "cxdash/templates/monthly_report.html" in names
    assert {"cxdash/__main__.py", "cxdash/importers/core.py", "cxdash/ui/__init__.py"} <= set(names)
    assert not [n for n in names if n.startswith(("tests/", "sql/", "bench/", "pages/"))]


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Path:
    """A fresh virtual environment with the wheel installed: the project venv's packages (not the
    checkout) on its path through a .pth file, as if `pip install cxdash` had installed them there."""
    venv = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=60)
    python = venv / "bin" / "python"
    purelib = Path(subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True).stdout.strip())
    # the project venv's site-packages as a plain path: a .pth line adds the folder but does not run
    # the .pth files inside it, so the Makefile's cxdash-repo.pth (the checkout) stays out
    ours = {sysconfig.get_paths()[key] for key in ("purelib", "platlib")}
    (purelib / "project-packages.pth").write_text("\n".join(sorted(ours)) + "\n")
    subprocess.run([str(python), "-m", "pip", "install", "--no-deps", "--no-index", "--quiet",
                    "--disable-pip-version-check", str(wheel)], check=True, capture_output=True,
                   text=True, env=_clean_env(), cwd=venv, timeout=120)
    return python


def _clean_env() -> dict[str, str]:
    drop = ("PYTHONPATH", "PYTHONHOME", "CXDASH_DATA", "CXDASH_STORE", "VIRTUAL_ENV")
    return {key: value for key, value in os.environ.items() if key not in drop}


def _run(python: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(python), *args], cwd=cwd, env=_clean_env(), capture_output=True,
                          text=True, timeout=120)


def test_the_installed_package_runs_demo_validate_kpis_and_report_outside_the_checkout(
        installed, tmp_path):
    work = tmp_path / "elsewhere"
    work.mkdir()
    where = _run(installed, work, "-c", "import cxdash, cxdash.db, cxdash.report, sys; "
                 "print(cxdash.__file__); print(cxdash.db.SQL_DIR); print(cxdash.report.TEMPLATES); "
                 "print(sys.path)")
    assert where.returncode == 0, where.stderr
    module, sql_dir, templates, path = where.stdout.splitlines()
    prefix = str(installed.parent.parent)
    assert module.startswith(prefix) and sql_dir.startswith(prefix) and templates.startswith(prefix)
    # the checkout is not on the installed interpreter's path (the project venv inside it is)
    assert str(ROOT) not in ast.literal_eval(path) and "" in ast.literal_eval(path)

    end = date.today() - timedelta(days=1)
    data = work / "data"
    demo = _run(installed, work, "-m", "cxdash", "demo", "--data", "data", "--scale", "0.01")
    assert demo.returncode == 0, demo.stderr
    assert "demo written" in demo.stdout

    validate = _run(installed, work, "-m", "cxdash", "validate", "--data", str(data))
    assert validate.returncode in (0, 1), validate.stderr  # 1: the demo plants rows to set aside
    assert "interactions:" in validate.stdout and "Traceback" not in validate.stderr

    month_start = (end.replace(day=1) - timedelta(days=1)).replace(day=1)
    month_end = end.replace(day=1) - timedelta(days=1)
    kpis = _run(installed, work, "-m", "cxdash", "kpis", "--data", str(data), "--start",
                month_start.isoformat(), "--end", month_end.isoformat(), "--json")
    assert kpis.returncode == 0, kpis.stderr
    figures = json.loads(kpis.stdout)
    assert figures["contacts"] > 0 and figures["csat_pct"] is not None

    report = _run(installed, work, "-m", "cxdash", "report", "--data", str(data), "--month",
                  f"{month_start:%Y-%m}", "--out", "report.html", "--json")
    assert report.returncode == 0, report.stderr
    html = (work / "report.html").read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") or html.lstrip().lower().startswith("<!doctype html>")
    assert f"{month_start:%B %Y}" in html
    assert json.loads(report.stdout)


# --- DuckDB's threads and memory --------------------------------------------------------------

def test_threads_come_from_the_machine_unless_the_environment_says():
    assert db.threads_from(None, 8) == (8, None)
    assert db.threads_from("", 8) == (8, None)
    assert db.threads_from(" 3 ", 8) == (3, None)
    assert db.threads_from(None, 0) == (1, None)
    for bad in ("0", "-2", "two", "1.5", "9999", "nan", "1e3"):
        threads, problem = db.threads_from(bad, 4)
        assert threads == 4 and "CXDASH_THREADS" in problem and repr(bad) in problem


def test_memory_is_a_share_of_the_machine_with_a_floor_unless_the_environment_says():
    gib = 2**30
    assert db.memory_limit_from(None, 16 * gib) == ("4096MiB", None)  # a quarter
    assert db.memory_limit_from(None, 1 * gib) == ("600MiB", None)  # the floor
    assert db.memory_limit_from(None, None) == ("600MiB", None)  # unknown machine: the floor
    assert db.memory_limit_from("2GB", 16 * gib) == (f"{2 * 10**9 // 2**20}MiB", None)
    assert db.memory_limit_from("1500MiB", 16 * gib) == ("1500MiB", None)
    assert db.memory_limit_from("1.5 gib", 16 * gib) == ("1536MiB", None)
    assert db.memory_limit_from("800", 16 * gib) == ("800MiB", None)  # a bare number: MiB
    assert db.memory_limit_from("50%", 16 * gib) == ("8192MiB", None)
    for bad in ("lots", "-1GB", "10MB", "0", "50%%", "120%", "1e9", "inf", "nanGB", "2 GB extra"):
        limit, problem = db.memory_limit_from(bad, 16 * gib)
        assert limit == "4096MiB" and "CXDASH_MEMORY_LIMIT" in problem, bad
    limit, problem = db.memory_limit_from("40%", None)  # a share of an unknown machine
    assert limit == "600MiB" and problem


def test_the_machine_is_read_without_failing():
    assert db.machine_cores() >= 1
    memory = db.machine_memory()
    assert memory is None or memory > 0


def test_bad_environment_values_fall_back_and_connections_use_the_limits(tmp_path):
    code = ("import cxdash.db as d; c = d.connect(); print(d.THREADS, d.MEMORY_LIMIT, "
            "c.execute(\"select current_setting('threads')\").fetchone()[0])")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    bad = subprocess.run([sys.executable, "-c", code], env={**env, "CXDASH_THREADS": "many",
                                                               "CXDASH_MEMORY_LIMIT": "plenty"},
                         capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert bad.returncode == 0, bad.stderr
    threads, limit, used = bad.stdout.split()
    assert int(threads) == db.machine_cores() == int(used)
    assert limit == db.memory_limit_from(None, db.machine_memory())[0]
    assert "CXDASH_THREADS='many'" in bad.stderr and "CXDASH_MEMORY_LIMIT='plenty'" in bad.stderr
    good = subprocess.run([sys.executable, "-c", code], env={**env, "CXDASH_THREADS": "3",
                                                                "CXDASH_MEMORY_LIMIT": "700MiB"},
                          capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert good.returncode == 0 and good.stdout.split() == ["3", "700MiB", "3"] and not good.stderr
