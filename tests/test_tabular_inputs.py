"""Bad tables get a TableError a student can act on (engine.tabular.data); odd but usable ones load, with notes."""

from __future__ import annotations

import gzip
import io
import zipfile

import numpy as np
import pandas as pd
import pytest

from engine.tabular import TableError, infer_kinds, load_bank, make_table, read_csv
from engine.tabular.data import MAX_COLUMNS, find_leaks


def _csv_bytes(df: pd.DataFrame, **kwargs) -> bytes:
    return df.to_csv(index=False, **kwargs).encode()


def _good(n=100, seed=0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    return pd.DataFrame({"x": x, "city": rng.choice(["Lisbon", "Porto"], size=n),
                         "y": np.where(x + rng.normal(size=n) > 0, "yes", "no")})


def test_a_one_row_csv():
    df = read_csv(b"age,y\n30,yes\n")
    with pytest.raises(TableError, match="1 row; at least 20"):
        make_table(df, "y")


def test_ten_thousand_columns_are_refused_before_parsing():
    header = ",".join(f"c{i}" for i in range(10_000))
    with pytest.raises(TableError, match=f"10,000 columns; this page takes at most {MAX_COLUMNS:,}"):
        read_csv((header + "\n" + ",".join("1" * 10_000) + "\n").encode())


def test_a_file_over_the_size_limit(tmp_path):
    data = _csv_bytes(_good(2000))
    with pytest.raises(TableError, match="the limit is"):
        read_csv(data, max_bytes=len(data) - 1)
    path = tmp_path / "big.csv"
    path.write_bytes(data)
    with pytest.raises(TableError, match="MB; the limit is"):
        read_csv(path, max_bytes=1000)
    assert len(read_csv(data, max_bytes=len(data))) == 2000


def test_binary_bytes_are_not_a_csv():
    with pytest.raises(TableError, match="This ZIP file is damaged"):
        read_csv(b"PK\x03\x04\x14\x00\x06\x00" + bytes(range(256)) * 4)
    with pytest.raises(TableError, match="not a text CSV file.*ZIP/Excel"):
        read_csv(b"PK\x05\x06" + bytes(200))
    with pytest.raises(TableError, match="not a text CSV file"):
        read_csv(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200))


def test_latin1_text_is_read_with_a_note():
    df = read_csv("name;y\nJosé;sim\nAndré;não\n".encode("latin-1"))
    assert list(df.columns) == ["name", "y"] and df["name"].tolist() == ["José", "André"]
    assert "not UTF-8" in df.attrs["notes"][0]


def test_bom_and_delimiters_are_handled():
    for sep in [",", ";", "\t", "|"]:
        df = read_csv("\ufeff" .encode() + _csv_bytes(_good(30), sep=sep))
        assert list(df.columns) == ["x", "city", "y"], sep


def test_mixed_types_in_a_column():
    df = _good(100)
    df["income"] = [str(v) for v in np.arange(100)]
    df.loc[5, "income"] = "unknown"
    df.loc[7, "income"] = "n/a yet"
    assert infer_kinds(df)["income"] == "categorical"
    table = make_table(df, "y")
    assert any("mixes numbers and text" in note for note in table.notes)
    with pytest.raises(TableError, match="'income' is set to numeric but 2 values are not numbers.*'unknown'"):
        make_table(df, "y", kinds={"income": "numeric"})
    mixed_target = _good(100).assign(y=[str(i % 2) for i in range(100)])
    mixed_target.loc[3, "y"] = "maybe"
    with pytest.raises(TableError, match="target 'y' mixes numbers and text.*'maybe'"):
        make_table(mixed_target, "y")


def test_a_target_with_missing_values():
    df = _good(100)
    df.loc[[4, 9], "y"] = np.nan
    with pytest.raises(TableError, match="missing in 2 rows \\(first on line 6\\)"):
        make_table(df, "y")
    table = make_table(df, "y", drop_missing_target=True)
    assert table.n_rows == 98 and "2 rows without a value" in table.notes[0]


def test_a_target_with_one_class():
    with pytest.raises(TableError, match="one class only \\('yes' in every row\\)"):
        make_table(_good(100).assign(y="yes"), "y")


def test_all_empty_columns():
    df = _good(100).assign(empty=np.nan)
    table = make_table(df, "y")
    assert "empty" not in table.features and "column 'empty' ignored: all empty." in table.notes
    with pytest.raises(TableError, match="target 'y' is empty"):
        make_table(df.assign(y=np.nan), "y")
    with pytest.raises(TableError, match="No feature column is left"):
        make_table(df[["empty", "y"]], "y")


def test_a_leaking_feature():
    df = _good(200)
    df["outcome_code"] = np.where(df["y"] == "yes", 1, 0) + np.random.default_rng(1).normal(scale=0.01, size=200)
    with pytest.raises(TableError, match="'outcome_code' predicts 'y' almost perfectly.*Ignore it"):
        make_table(df, "y")
    table = make_table(df, "y", drop=("outcome_code",))
    assert "outcome_code" not in table.features and find_leaks(table) == []


def test_an_id_column_is_not_a_leak_and_free_text_is_ignored():
    df = _good(300)
    df["row_id"] = np.random.default_rng(2).permutation(300)  # a different number on every row
    df["comment"] = [f"note {i}" for i in range(300)]  # a different text on every row
    table = make_table(df, "y")
    assert "row_id" in table.features and find_leaks(table) == []
    assert "comment" not in table.features and any("'comment' ignored" in n for n in table.notes)


def test_other_messages():
    with pytest.raises(TableError, match="no column 'price'"):
        make_table(_good(), "price")
    with pytest.raises(TableError, match="empty"):
        read_csv(b"   \n")
    with pytest.raises(TableError, match="only one column"):
        read_csv(b"a\n1\n2\n")
    with pytest.raises(TableError, match="fewer than 3 rows"):
        make_table(_good(100).assign(y=["a"] * 98 + ["b"] * 2), "y")
    assert "Repeated column names" in read_csv(b"a,a,y\n1,2,3\n").attrs["notes"][0]


def test_task_and_classes_are_inferred():
    rng = np.random.default_rng(0)
    x = rng.normal(size=100)
    assert make_table(pd.DataFrame({"x": x, "y": (x > 0).astype(int)}), "y", check_leaks=False).task == "binary"
    three = make_table(pd.DataFrame({"x": x, "y": np.digitize(x, [-0.5, 0.5])}), "y", check_leaks=False)
    assert three.task == "multiclass" and three.class_names == ["0", "1", "2"]
    assert make_table(pd.DataFrame({"x": x, "y": x * 2 + rng.normal(size=100)}), "y").task == "regression"


def test_bank_marketing_is_bundled_whole_and_unknown_can_be_missing():
    bank = load_bank()
    assert bank.n_rows == 45_211 and len(bank.features) == 16 and bank.class_names == ["no", "yes"]
    assert int(bank.y.sum()) == 5_289
    assert bank.X["job"].isna().sum() == 0 and "unknown" in bank.X["job"].cat.categories
    missing = load_bank(unknown_as_missing=True)
    assert missing.X["job"].isna().sum() == (bank.X["job"] == "unknown").sum() > 0
    assert "unknown" not in missing.X["job"].cat.categories
    with gzip.open(load_bank.__globals__["BANK_PATH"], "rt") as handle:
        assert handle.readline().strip().endswith(",poutcome,y")


def test_an_unparsable_file():
    with pytest.raises(TableError, match="could not be read as a table.*line 4"):
        read_csv(b"a,b,y\n1,2,yes\n3,4,no\n5,6,7,8,9\n")
    with pytest.raises(TableError, match="could not be read as a table"):
        read_csv(b'a,b,y\n1,"2,yes\n3,4,no\n')


def test_decimal_commas_in_a_semicolon_file_are_numbers():
    df = _good(60)
    text = df.to_csv(index=False, sep=";", decimal=",").encode()
    read = read_csv(text)
    assert read["x"].dtype.kind == "f" and np.allclose(read["x"], df["x"])
    assert "decimal commas" in read.attrs["notes"][0] and "'x'" in read.attrs["notes"][0]
    assert make_table(read, "y").kinds["x"] == "numeric"
    # a comma-separated file keeps "1,5" as text (there a quoted "1,500" may well be a thousand)
    assert read_csv(b'x,y\n"1,5",a\n2,b\n').attrs["notes"] == []


def test_infinite_and_out_of_range_numbers_are_missing_with_a_note():
    df = _good(100)
    df.loc[[3, 8], "x"] = np.inf
    df.loc[5, "x"] = -1e300
    table = make_table(df, "y")
    assert int(table.X["x"].isna().sum()) == 3 and np.isfinite(table.X["x"].dropna()).all()
    assert any("'x': 3 values are infinite" in note for note in table.notes)
    table = make_table(df.assign(far=1e300), "y")
    assert "far" not in table.features and any("'far' ignored" in note for note in table.notes)
    regression = pd.DataFrame({"x": np.arange(100.0), "y": np.linspace(0, 1, 100)})
    regression.loc[7, "y"] = np.inf
    with pytest.raises(TableError, match="target 'y' has 1 values that are infinite"):
        make_table(regression, "y")


def test_a_text_target_is_compared_without_its_spaces():
    df = _good(100)
    df["y"] = np.where(np.arange(100) % 2, "yes", " yes ")
    with pytest.raises(TableError, match="one class only"):
        make_table(df, "y")
    df["y"] = np.where(np.arange(100) % 2, "yes", " no ")
    assert make_table(df, "y", check_leaks=False).class_names == ["no", "yes"]


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_gzip_and_a_zip_with_one_csv_are_unpacked():
    data = _csv_bytes(_good(60))
    plain = read_csv(data)
    kaggle_zip = _zip({"train.csv": data, "__MACOSX/._train.csv": b"junk"})
    for packed, note in [(gzip.compress(data), "Unpacked the gzip file."),
                         (kaggle_zip, "Unpacked train.csv from the ZIP.")]:
        df = read_csv(packed)
        pd.testing.assert_frame_equal(df, plain)
        assert df.attrs["notes"] == [note]
    assert read_csv(load_bank.__globals__["BANK_PATH"]).shape == (45_211, 17)  # the bundled .csv.gz itself


def test_archives_that_are_not_one_csv_or_unpack_too_far():
    data = _csv_bytes(_good(60))
    with pytest.raises(TableError, match=r"holds 2 CSV files \('train.csv', 'test.csv'\)"):
        read_csv(_zip({"train.csv": data, "test.csv": data}))
    with pytest.raises(TableError, match="holds no CSV file"):
        read_csv(_zip({"notes.md": b"hello"}))
    with pytest.raises(TableError, match="Office document"):
        read_csv(_zip({"[Content_Types].xml": b"<x/>", "xl/workbook.xml": b"<x/>"}))
    bomb = b"a,b,y\n" + b"1,2,yes\n" * 200_000  # 1.6 MB of text, a few KB packed
    for packed in (gzip.compress(bomb), _zip({"big.csv": bomb})):
        assert len(packed) < 50_000
        with pytest.raises(TableError, match="unpacks to more than"):
            read_csv(packed, max_bytes=1_000_000)
    with pytest.raises(TableError, match="gzip file is damaged"):
        read_csv(gzip.compress(data)[:-30])

