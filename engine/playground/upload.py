"""Your own data: a CSV of points (x1, x2, label) read and checked, with a clear reason for every refusal.

Accepted: two numeric coordinate columns and a label column, with or without a header
row; commas, semicolons or tabs (with semicolons or tabs, a decimal comma is read as a
point: ``-2,5;1;0``); a UTF-8 byte-order mark. Coordinates should lie in [-6, 6] (points
outside are refused: the maps cover that square only). Labels: for classification two classes,
given as −1/1, 0/1 or any two values (the smaller becomes −1); for regression numbers in
[-1, 1]. At least :data:`MIN_POINTS` points, at most :data:`MAX_POINTS`; the file at most
:data:`MAX_BYTES`.
"""

from __future__ import annotations

import csv
import io

import numpy as np

from engine.playground.data import DOMAIN

MAX_BYTES = 1_000_000
MAX_POINTS = 5_000
MIN_POINTS = 10


def _delimiter(lines: list[str]) -> str:
    """Tab or semicolon when every one of ``lines`` has one (in that order), else comma.

    Not :class:`csv.Sniffer`: on ``-2,5;1;0`` (a semicolon file with decimal commas, as spreadsheets in many
    locales write) it picks the comma.
    """
    for candidate in ("\t", ";"):
        if all(candidate in line for line in lines):
            return candidate
    return ","


def parse_points_csv(raw: bytes, problem: str = "classification") -> tuple[np.ndarray, np.ndarray, list[str]]:
    """``(X : (n, 2), y : (n,), notes)`` from a CSV's bytes; raises ``ValueError`` with a readable reason."""
    if len(raw) > MAX_BYTES:
        raise ValueError(f"The file is {len(raw) / 1e6:.1f} MB; at most {MAX_BYTES / 1e6:.0f} MB "
                         f"({MAX_POINTS:,} points) are accepted.")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValueError("The file is not text (UTF-8): save it as CSV.") from None
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        raise ValueError("The file is empty.")
    delimiter = _delimiter(lines[:20])
    rows = list(csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter))
    if delimiter != ",":  # a spreadsheet that separates with ; or tabs may write decimal commas: 2,5 is 2.5
        rows = [[cell.replace(",", ".") for cell in row] for row in rows]
    notes = []

    def numeric(row) -> bool:
        try:
            [float(v) for v in row[:3]]
            return True
        except ValueError:
            return False

    if rows and not numeric(rows[0]):
        notes.append(f"Read the first row as a header: {', '.join(rows[0][:3])}.")
        rows = rows[1:]
    if len(rows) > MAX_POINTS:
        raise ValueError(f"The file has {len(rows):,} rows; at most {MAX_POINTS:,} points are accepted.")
    if len(rows) < MIN_POINTS:
        raise ValueError(f"The file has {len(rows)} data row(s); at least {MIN_POINTS} points are needed "
                         "to train and test.")
    values = np.empty((len(rows), 3))
    for i, row in enumerate(rows):
        if len(row) < 3:
            raise ValueError(f"Row {i + 1} has {len(row)} column(s); three are needed: x1, x2, label.")
        try:
            values[i] = [float(v) for v in row[:3]]
        except ValueError:
            raise ValueError(f"Row {i + 1} holds text where a number goes: {', '.join(row[:3])}.") from None
    if not np.isfinite(values).all():
        bad = int(np.flatnonzero(~np.isfinite(values).all(axis=1))[0]) + 1
        raise ValueError(f"Row {bad} holds NaN or an infinite value: every cell must be a number.")
    X, labels = values[:, :2], values[:, 2]
    if np.abs(X).max() > DOMAIN:
        raise ValueError(f"Some points lie outside [-{DOMAIN:g}, {DOMAIN:g}]²: scale the coordinates into that "
                         "square (the maps cover it only).")
    if problem == "classification":
        classes = np.unique(labels)
        if len(classes) == 1:
            raise ValueError(f"Every point has the label {classes[0]:g}: a classifier needs two classes.")
        if len(classes) > 2:
            raise ValueError(f"The labels take {len(classes)} values ({', '.join(f'{c:g}' for c in classes[:5])}"
                             "…); classification here has two classes.")
        y = np.where(labels == classes[1], 1.0, -1.0)
        if not (classes[0] == -1 and classes[1] == 1):
            notes.append(f"Label {classes[0]:g} is shown orange (−1), {classes[1]:g} blue (+1).")
    else:
        if np.abs(labels).max() > 1:
            raise ValueError("Regression targets must lie in [-1, 1] (the output's colour scale).")
        y = labels.copy()
    return X, y, notes
