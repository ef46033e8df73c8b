"""Train / validation / test rows of a table: stratified by class, seeded.

The training rows grow the trees, the validation rows choose when to stop (early stopping) and which
settings to keep (the search), and the test rows are scored once, at the end, on request. A class's
share is the same in all three parts (to the row) for classification; regression rows are stratified
by the target's quantiles so that the three parts cover the same range.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.tabular.data import Table, TableError


@dataclass(frozen=True)
class Split:
    """Row indices (sorted ``int64`` arrays, disjoint, covering every row) of the three parts."""

    train: np.ndarray
    valid: np.ndarray
    test: np.ndarray
    seed: int

    def __post_init__(self) -> None:
        for part in (self.train, self.valid, self.test):
            part.flags.writeable = False

    def __reduce__(self):
        """Pickled as one byte per row (which part it is in): a snapshot carries 45 KB, not 360 KB of indices."""
        n = max((int(p.max()) + 1 for p in (self.train, self.valid, self.test) if len(p)), default=0)
        part = np.full(n, 3, dtype=np.uint8)  # 3: in no part (a search's split has no test rows)
        part[self.train] = 0
        part[self.valid] = 1
        part[self.test] = 2
        return _from_parts, (part, self.seed)

    @property
    def sizes(self) -> dict[str, int]:
        return {"train": len(self.train), "valid": len(self.valid), "test": len(self.test)}


def _from_parts(part: np.ndarray, seed: int) -> Split:
    return Split(*(np.flatnonzero(part == k).astype(np.int64) for k in range(3)), seed)


def split_rows(table: Table, seed: int = 0, valid: float = 0.2, test: float = 0.2) -> Split:
    """Split ``table``'s rows: ``valid`` and ``test`` fractions of each class (or target quantile bin).

    Each class with at least three rows puts at least one in every part. The same table and seed
    always give the same split.
    """
    if not (0 < valid < 1 and 0 < test < 1 and valid + test < 1):
        raise ValueError(f"valid ({valid}) and test ({test}) must be fractions with valid + test < 1")
    if table.task == "regression":
        order = np.argsort(table.y, kind="stable")
        groups = np.empty(len(order), dtype=np.int64)
        groups[order] = np.arange(len(order)) * 10 // max(len(order), 1)  # deciles of the target
    else:
        groups = np.asarray(table.y)
    return _stratified(groups, seed, valid, test)


def _stratified(groups: np.ndarray, seed: int, valid: float, test: float) -> Split:
    rng = np.random.default_rng(seed)
    parts: tuple[list, list, list] = ([], [], [])
    for group in np.unique(groups):
        rows = rng.permutation(np.flatnonzero(groups == group))
        n = len(rows)
        n_test = int(round(n * test))
        n_valid = int(round(n * valid))
        if n >= 3:
            n_test, n_valid = max(n_test, 1), max(n_valid, 1)
            n_test = min(n_test, n - n_valid - 1)
        parts[2].append(rows[:n_test])
        parts[1].append(rows[n_test:n_test + n_valid])
        parts[0].append(rows[n_test + n_valid:])
    train, valid_rows, test_rows = (np.sort(np.concatenate(p)).astype(np.int64) for p in parts)
    if not len(train) or not len(valid_rows) or not len(test_rows):
        raise TableError("The table is too small to split into training, validation and test rows.")
    return Split(train, valid_rows, test_rows, seed)


def digits_split(table: Table, seed: int = 0, val_fraction: float = 0.1, test: float = 0.1) -> Split:
    """The digit page's own split of the 5,000 bundled digits (:func:`engine.digits.data.stratified_split`).

    Its validation rows are exactly those the digit page's CNN is validated on (same fraction, same
    seed), so XGBoost on raw pixels and the CNN are compared on the same digits. The test rows are a
    stratified ``test`` share of the CNN's training rows (the CNN has seen them; only XGBoost's test
    score uses them).
    """
    from engine.digits.data import stratified_split

    cnn_train, cnn_valid = stratified_split(np.asarray(table.y), val_fraction, seed)
    rng = np.random.default_rng(seed + 1)
    test_rows = []
    for klass in np.unique(table.y[cnn_train]):
        rows = rng.permutation(cnn_train[table.y[cnn_train] == klass])
        test_rows.append(rows[: int(round(len(rows) * test))])
    test_rows = np.sort(np.concatenate(test_rows))
    train = np.sort(np.setdiff1d(cnn_train, test_rows))
    return Split(train.astype(np.int64), np.sort(cnn_valid).astype(np.int64), test_rows.astype(np.int64), seed)
