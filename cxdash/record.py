"""The forecast record: every forecast run kept with its creation time, as-of date, grain, selection,
model and rows, under DATA/forecasts/, so its accuracy can be tracked as the actuals arrive.

A run is two files: RUN.parquet (the forecast rows) and RUN.json (what was asked, the model chosen
and every candidate's backtest accuracy). The folder is the user's: the prepared store may be
deleted and rebuilt, the record never is.
"""

from __future__ import annotations

import json
import os
import secrets
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd

from cxdash import accuracy
from cxdash.forecast import GRAINS, Forecast, Request

RECORD_DIR = "forecasts"
ROW_COLUMNS = ["ts", "yhat", "yhat_lower", "yhat_upper", "model", "aht_seconds"]


def record_dir(folder: Path) -> Path:
    return Path(folder) / RECORD_DIR


def save(folder: Path, forecast: Forecast, created_at: datetime | None = None) -> str:
    """Keep a forecast run; returns its id (creation time and a random suffix)."""
    created = (created_at or datetime.now(UTC)).astimezone(UTC)
    run_id = created.strftime("%Y%m%dT%H%M%S") + "-" + secrets.token_hex(3)
    target = record_dir(folder)
    target.mkdir(parents=True, exist_ok=True)
    request = forecast.request
    rows = forecast.rows[ROW_COLUMNS].copy()
    rows["ts"] = pd.to_datetime(rows["ts"]).dt.tz_convert("UTC")
    rows.to_parquet(target / f"{run_id}.parquet", index=False)
    meta = {
        "run_id": run_id,
        "created_at": created.isoformat(),
        "as_of": request.as_of.isoformat(),
        "grain": request.grain,
        "horizon_days": request.horizon_days,
        "channels": list(request.channels),
        "queues": list(request.queues),
        "model": forecast.model,
        "interval_source": forecast.interval_source,
        "combination": forecast.combination.to_dict() if forecast.combination is not None else None,
        "seconds": round(forecast.seconds, 3),
        "backtest": json.loads(forecast.accuracy_table().to_json(orient="records")),
        "failed": forecast.backtest.failed,
    }
    temporary = target / f".{run_id}.json.tmp"
    temporary.write_text(json.dumps(meta, indent=1), encoding="utf-8")
    os.replace(temporary, target / f"{run_id}.json")  # the run appears whole or not at all
    return run_id


def runs(folder: Path) -> pd.DataFrame:
    """Every stored run, newest first: run_id, created_at, as_of, grain, horizon_days, channels,
    queues, model, label. A run whose files cannot be read is skipped."""
    entries = []
    for path in sorted(record_dir(folder).glob("*.json")):
        try:
            meta = json.loads(path.read_text(encoding="utf-8"))
            if not (path.with_suffix(".parquet")).exists() or meta["grain"] not in GRAINS:
                continue
            entries.append({key: meta[key] for key in ("run_id", "created_at", "as_of", "grain",
                                                       "horizon_days", "channels", "queues", "model")})
        except (OSError, ValueError, KeyError, TypeError):
            continue
    columns = ["run_id", "created_at", "as_of", "grain", "horizon_days", "channels", "queues", "model",
               "label"]
    if not entries:
        return pd.DataFrame(columns=columns)
    frame = pd.DataFrame(entries)
    frame["created_at"] = pd.to_datetime(frame["created_at"], utc=True)
    frame["as_of"] = pd.to_datetime(frame["as_of"]).dt.date
    frame["label"] = [request_of(row).label() for row in frame.itertuples()]
    return frame.sort_values("created_at", ascending=False).reset_index(drop=True)[columns]


def request_of(run) -> Request:
    """The request a stored run answered (a row of `runs` or its metadata)."""
    get = run.get if isinstance(run, dict) else lambda key: getattr(run, key)
    as_of = get("as_of")
    return Request(get("grain"), as_of if isinstance(as_of, date) else date.fromisoformat(as_of),
                   int(get("horizon_days")), tuple(get("channels")), tuple(get("queues")))


def metadata(folder: Path, run_id: str) -> dict:
    return json.loads((record_dir(folder) / f"{Path(run_id).name}.json").read_text(encoding="utf-8"))


def rows(folder: Path, run_id: str, timezone: str) -> pd.DataFrame:
    """A run's forecast rows, ts in the given zone."""
    frame = pd.read_parquet(record_dir(folder) / f"{Path(run_id).name}.parquet")
    frame["ts"] = pd.to_datetime(frame["ts"], utc=True).dt.tz_convert(timezone)
    return frame


def actuals(store, request: Request) -> pd.DataFrame:
    """Contacts per interval of the request's grain and selection, for every interval the data covers
    (ts, actual): an interval the data covers without arrivals counts 0; a day without a single
    contact (closed) is left out, as the forecast would have left it."""
    tz = store.settings.timezone
    span = store.query_once("interval_span").iloc[0]
    if pd.isna(span["last_slot"]):
        return pd.DataFrame(columns=["ts", "actual"])
    # once per store: the Accuracy tab scores every stored run of a selection against the same actuals
    frame = store.query_once("forecast_series", minutes=GRAINS[request.grain], timezone=tz,
                             channels=tuple(request.channels), queues=tuple(request.queues),
                             before=datetime(9999, 1, 1, tzinfo=ZoneInfo("UTC")))
    summed = frame.groupby("slot")["contacts"].sum()
    summed.index = pd.to_datetime(summed.index, utc=True).tz_convert(tz)
    out = summed.rename("actual").rename_axis("ts").reset_index()
    out.attrs["data_end"] = pd.Timestamp(span["last_slot"]).tz_convert(tz) + pd.Timedelta(minutes=15)
    return out


def scored(store, request: Request, forecast_rows: pd.DataFrame) -> pd.DataFrame:
    """A run's rows with the actuals that have arrived, as the long-form result cxdash.accuracy
    scores (ts, model, as_of, lead, yhat, actual: lead in days after the as-of date, 0 = the same
    day), with the run's yhat_lower, yhat_upper and aht_seconds beside them. Intervals still in the
    future, or on a day the data shows closed, have no actual and are left out."""
    extra = [column for column in forecast_rows.columns if column not in accuracy.RESULT_COLUMNS]
    known = actuals(store, request)
    if known.empty:
        return forecast_rows.iloc[0:0].reindex(columns=accuracy.RESULT_COLUMNS + extra)
    data_end = known.attrs["data_end"]
    tz = store.settings.timezone
    merged = forecast_rows.merge(known, on="ts", how="left")
    step = pd.Timedelta(minutes=GRAINS[request.grain])
    merged = merged[merged["ts"] + step <= data_end].copy()
    merged["actual"] = merged["actual"].fillna(0.0)
    local_day = merged["ts"].dt.tz_convert(tz).dt.date
    open_days = set(local_day[merged["actual"] > 0])
    merged = merged[local_day.isin(open_days)].copy()
    merged["as_of"] = request.as_of
    merged["lead"] = [(day - request.as_of).days for day in local_day[merged.index]]
    return merged.reset_index(drop=True).reindex(columns=accuracy.RESULT_COLUMNS + extra)


def run_accuracy(store, folder: Path) -> pd.DataFrame:
    """One row per stored run with actuals so far: WAPE, MAPE, bias overall and by lead, the Poisson
    floor of its intervals, and how many intervals were scored."""
    out = []
    for run in runs(folder).itertuples():
        request = request_of(run)
        frame = scored(store, request, rows(folder, run.run_id, store.settings.timezone))
        floor = accuracy.poisson_floor(frame["yhat"])
        out.append({"run_id": run.run_id, "created_at": run.created_at, "as_of": run.as_of,
                    "grain": run.grain, "label": run.label, "model": run.model,
                    **accuracy.summary(frame), "floor_wape": floor["wape"], "floor_mape": floor["mape"]})
    return pd.DataFrame(out)


def matching_runs(folder: Path, grain: str, channels: tuple[str, ...],
                  queues: tuple[str, ...]) -> pd.DataFrame:
    """The stored runs of one grain and selection, newest first."""
    found = runs(folder)
    if found.empty:
        return found
    same = [(row.grain == grain and tuple(sorted(row.channels)) == tuple(sorted(channels))
             and tuple(sorted(row.queues)) == tuple(sorted(queues))) for row in found.itertuples()]
    return found[same].reset_index(drop=True)


def scored_runs(store, folder: Path, grain: str, channels: tuple[str, ...],
                queues: tuple[str, ...]) -> pd.DataFrame:
    """Every stored run of a selection with the actuals that have arrived, one long-form result: the
    columns of `scored`, with each run's run_id and created_at."""
    frames = []
    for run in matching_runs(folder, grain, channels, queues).itertuples():
        frame = scored(store, request_of(run), rows(folder, run.run_id, store.settings.timezone))
        if not frame.empty:
            frames.append(frame.assign(run_id=run.run_id, created_at=run.created_at))
    if not frames:
        return pd.DataFrame(columns=[*accuracy.RESULT_COLUMNS, "yhat_lower", "yhat_upper", "aht_seconds",
                                     "run_id", "created_at"])
    return pd.concat(frames, ignore_index=True)

