"""Take a model out of the app: XGBoost's JSON, a script that trains it again from the CSV, and its
predictions for new rows (a Kaggle submission: :func:`predict_rows`).

The script needs only pandas, numpy and xgboost (not this project): it reads the same CSV, keeps the
same columns with the same kinds, makes the same stratified seeded split, and calls ``xgb.train``
with the same parameters and early stopping, so it ends at the same best round as the app.
"""

from __future__ import annotations

import json
from dataclasses import fields, replace

import numpy as np
import pandas as pd

from engine.tabular.data import FLOAT32_MAX, MISSING_TOKENS, Table, TableError, _names, _numbers
from engine.tabular.trainer import TabularConfig, TabularTrainer, design


def model_json(trainer: TabularTrainer) -> bytes:
    """The trained model up to its best round, in XGBoost's JSON format (``xgb.Booster(model_file=...)`` reads it)."""
    return bytes(trainer.best_booster().save_raw("json"))


_SCRIPT = '''"""Retrain the XGBoost model exported by ML Playground's "XGBoost on real data" page.

Needs pandas, numpy and xgboost:  python {script_name} [{csv_name}]
"""

import json
import sys

import numpy as np
import pandas as pd
import xgboost as xgb

CSV = sys.argv[1] if len(sys.argv) > 1 else {csv_name!r}
TARGET = {target!r}
KINDS = {kinds!r}  # column -> "numeric" | "categorical"; other columns are not used
TASK = {task!r}
CLASSES = {class_names!r}  # class code i is CLASSES[i]
SEED, VALID, TEST = {seed!r}, {valid!r}, {test!r}
PARAMS = {params}
ROUNDS, PATIENCE = {n_rounds!r}, {patience!r}
ONEHOT = {onehot!r}
DECIMAL_COMMAS = {decimal_commas!r}

df = pd.read_csv(CSV, sep=None, engine="python", na_values={missing!r}, skipinitialspace=True)
df.columns = [str(c).strip() for c in df.columns]
df = df[df[TARGET].notna()].reset_index(drop=True)  # a row without a target teaches nothing
for name in DECIMAL_COMMAS:  # written "1,5" for 1.5
    df[name] = pd.to_numeric(df[name].astype("string").str.strip().str.replace(",", ".", regex=False))
X = pd.DataFrame(index=df.index)
for name, kind in KINDS.items():
    if kind == "numeric":
        values = pd.to_numeric(df[name], errors="coerce").to_numpy(dtype=np.float64)
        too_large = np.abs(np.nan_to_num(values)) > {float32_max!r}  # infinite, or beyond float32: missing
        X[name] = np.where(too_large, np.nan, values).astype(np.float32)
    else:
        text = df[name].astype("string").str.strip().to_numpy(dtype=object, na_value=np.nan)
        X[name] = pd.Categorical(text, categories=sorted({{v for v in text if isinstance(v, str)}}))
if ONEHOT:  # one 0/1 column per category, missing where the category is missing
    wide = {{}}
    for name in X.columns:
        if isinstance(X[name].dtype, pd.CategoricalDtype):
            codes = X[name].cat.codes.to_numpy()
            for j, category in enumerate(X[name].cat.categories):
                wide[f"{{name}}={{category}}"] = np.where(codes < 0, np.nan, codes == j).astype(np.float32)
        else:
            wide[name] = X[name]
    X = pd.DataFrame(wide, index=df.index)
X.columns = [c.replace("[", "(").replace("]", ")").replace("<", "lt ") for c in X.columns]
if TASK == "regression":
    y = pd.to_numeric(df[TARGET]).to_numpy(dtype=np.float64)
    groups = np.empty(len(y), dtype=np.int64)
    groups[np.argsort(y, kind="stable")] = np.arange(len(y)) * 10 // len(y)
else:
    def label(v):
        if isinstance(v, str):
            return v.strip()
        return str(int(v)) if float(v).is_integer() else f"{{v:g}}"
    y = np.array([CLASSES.index(label(v)) for v in df[TARGET]], dtype=np.int64)
    groups = y

# The stratified, seeded split of the app: per class (or target decile), test rows first, then validation.
rng = np.random.default_rng(SEED)
parts = ([], [], [])
for group in np.unique(groups):
    rows = rng.permutation(np.flatnonzero(groups == group))
    n = len(rows)
    n_test, n_valid = int(round(n * TEST)), int(round(n * VALID))
    if n >= 3:
        n_test, n_valid = max(n_test, 1), max(n_valid, 1)
        n_test = min(n_test, n - n_valid - 1)
    parts[2].append(rows[:n_test])
    parts[1].append(rows[n_test:n_test + n_valid])
    parts[0].append(rows[n_test + n_valid:])
train, valid, test = (np.sort(np.concatenate(p)) for p in parts)


def matrix(rows):
    return xgb.DMatrix(X.iloc[rows], label=y[rows], missing=np.nan, enable_categorical={native!r})


dtrain, dvalid = matrix(train), matrix(valid)
booster = xgb.train(PARAMS, dtrain, num_boost_round=ROUNDS, evals=[(dtrain, "train"), (dvalid, "valid")],
                    early_stopping_rounds=PATIENCE or None, verbose_eval=False)
best = booster.best_iteration if PATIENCE else booster.num_boosted_rounds() - 1
booster = booster[: best + 1]
booster.save_model("model.json")
print(json.dumps({{"best_round": best, "valid": booster.eval(dvalid, "valid").split("\\t")[1:]}}))
'''


def retrain_script(config: TabularConfig, csv_name: str, target: str, drop=(), kinds: dict | None = None,
                   task: str = "binary", class_names: list[str] | None = None, seed: int | None = None,
                   valid: float = 0.2, test: float = 0.2, n_classes: int | None = None,
                   decimal_commas=()) -> str:
    """A standalone Python script that retrains the model from ``csv_name`` with ``config``.

    ``kinds`` are the feature columns' kinds as the table used them (``Table.kinds``; columns in
    ``drop`` are left out), ``task`` and ``class_names`` the table's, ``seed`` / ``valid`` / ``test``
    the split's (``seed`` defaults to ``config.seed``), ``decimal_commas`` the columns the CSV writes
    with decimal commas (``Table.decimal_commas``). It writes ``model.json`` and prints the best
    round and the validation metrics.
    """
    kinds = {c: k for c, k in (kinds or {}).items() if c not in set(drop) and c != target and k != "ignore"}
    if not kinds:
        raise ValueError("retrain_script needs the feature columns' kinds (Table.kinds)")
    if task != "regression" and not class_names:
        raise ValueError("retrain_script needs the class names of a classification table")
    params = config.xgb_params(task, n_classes or len(class_names or ()), "cpu")
    params = {k: v for k, v in params.items() if k != "validate_parameters"}
    settings = {f.name: getattr(config, f.name) for f in fields(config)}
    return _SCRIPT.format(
        script_name="retrain.py", csv_name=csv_name, target=target, kinds=kinds, task=task,
        class_names=list(class_names) if class_names else None, seed=config.seed if seed is None else seed,
        valid=valid, test=test, params=json.dumps(params, indent=4).replace("true", "True").replace("false", "False"),
        n_rounds=settings["n_rounds"], patience=settings["early_stopping"], missing=list(MISSING_TOKENS),
        float32_max=FLOAT32_MAX, decimal_commas=list(decimal_commas), native=config.categorical == "native",
        onehot=config.categorical == "onehot",
    )


# ------------------------------------------------------------------------------------------ new rows
def align_rows(table: Table, df: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """New rows (a DataFrame read like the training CSV) as the table's features: same columns, kinds and categories.

    Returns ``(X, notes)``. A feature column the new rows lack is a :class:`TableError`; other columns (an id,
    the target) are left out. Numbers are read as :func:`make_table` reads them (text that is not a number,
    infinity, or a magnitude beyond ±3.4e38 becomes missing); a category never seen in training becomes
    missing too (a tree has no branch for it), each with a note saying how many rows.
    """
    missing = [c for c in table.features if c not in df.columns]
    if missing:
        raise TableError(f"The new rows lack {len(missing)} of the model's columns: {_names(missing)}. They need "
                         "the training file's columns (the target may be left out).")
    if len(df) == 0:
        raise TableError("The new file has no rows.")
    notes, columns = [], {}
    for name in table.features:
        values = df[name]
        if table.kinds[name] == "numeric":
            numbers, not_numbers = _numbers(values)
            numbers = numbers.to_numpy(dtype=np.float64)
            far = np.abs(np.nan_to_num(numbers)) > FLOAT32_MAX
            if not_numbers or far.any():
                bad = not_numbers + int(far.sum())
                notes.append(f"{name!r}: {bad:,} value{'s' * (bad != 1)} that {'are' if bad != 1 else 'is'} not a "
                             "usable number, treated as missing.")
            columns[name] = np.where(far, np.nan, numbers).astype(np.float32)
        else:
            known = table.X[name].cat.categories
            text = values.astype("string").str.strip().to_numpy(dtype=object, na_value=np.nan)
            unseen = sorted({v for v in text if isinstance(v, str)} - set(known))
            if unseen:
                count = int(sum(isinstance(v, str) and v in set(unseen) for v in text))
                notes.append(f"{name!r}: {count:,} row{'s' * (count != 1)} ha{'ve' if count != 1 else 's'} a value "
                             f"training never saw ({_names(unseen[:5])}"
                             f"{' …' if len(unseen) > 5 else ''}): treated as missing.")
            columns[name] = pd.Categorical(text, categories=known)
    return pd.DataFrame(columns, index=pd.RangeIndex(len(df))), notes


def predict_rows(trainer: TabularTrainer, df: pd.DataFrame, keep: tuple = ()) -> tuple[pd.DataFrame, list[str]]:
    """Predictions of the trained model (up to its best round) for new rows, as a table to save as CSV.

    ``keep`` names columns of ``df`` to copy in front (an id, for a Kaggle submission). Then: for two
    classes the predicted class and the probability of the second ("yes"); for more, the predicted class
    and one probability per class; for regression the predicted value. Returns ``(table, notes)``.
    """
    import xgboost as xgb

    table = trainer.table
    X, notes = align_rows(table, df)
    frame, _ = design(replace(table, X=X, y=np.zeros(len(X))), trainer.config.categorical)
    matrix = xgb.DMatrix(frame, missing=np.nan, nthread=trainer.config.n_jobs,
                         enable_categorical=trainer.config.categorical == "native")
    trainer._require_model()
    p = trainer.booster_.predict(matrix, iteration_range=(0, trainer.rounds_used))
    out = pd.DataFrame({c: df[c].to_numpy() for c in keep if c in df.columns})
    target = table.target
    if table.task == "regression":
        out[f"predicted {target}"] = p
    elif table.task == "binary":
        names = table.class_names
        out[f"predicted {target}"] = np.where(p >= 0.5, names[1], names[0])
        out[f"probability {target}={names[1]}"] = p
    else:
        out[f"predicted {target}"] = np.asarray(table.class_names, dtype=object)[np.argmax(p, axis=1)]
        for k, name in enumerate(table.class_names):
            out[f"probability {target}={name}"] = p[:, k]
    return out, notes
