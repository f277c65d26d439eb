"""Data files of ``ebmphys train``: .npy, .npz with one array or an array named X, and the errors."""

import numpy as np
import pytest

from ebmphys.exceptions import UserError
from ebmphys.training.command_common import read_rows, split_rows

ROWS = np.arange(12, dtype=np.uint8).reshape(4, 3) % 2


def test_npy_and_npz_files(tmp_path):
    np.save(tmp_path / "a.npy", ROWS)
    np.savez(tmp_path / "one.npz", data=ROWS)
    np.savez(tmp_path / "named.npz", labels=np.arange(4), X=ROWS)
    for name in ("a.npy", "one.npz", "named.npz"):
        np.testing.assert_array_equal(read_rows(tmp_path / name, name), ROWS)


def test_ambiguous_or_missing_files_are_one_line_errors(tmp_path):
    np.savez(tmp_path / "two.npz", a=ROWS, b=ROWS)
    with pytest.raises(UserError, match=r"holds several arrays \['a', 'b'\]; name the training array 'X'"):
        read_rows(tmp_path / "two.npz", "two.npz")
    with pytest.raises(UserError, match=r"data.source = 'gone.npy': file .* does not exist"):
        read_rows(tmp_path / "gone.npy", "gone.npy")


def test_split_is_a_seeded_partition_of_the_rows():
    X, y = np.arange(10)[:, None], np.arange(10)
    X_train, X_test, y_train, y_test = split_rows(X, y, {"test_fraction": 0.3, "split_seed": 4})
    assert len(X_test) == 3 and sorted(np.concatenate([X_train, X_test])[:, 0]) == list(range(10))
    np.testing.assert_array_equal(X_train[:, 0], y_train)
    np.testing.assert_array_equal(X_test[:, 0], y_test)
    again = split_rows(X, None, {"test_fraction": 0.3, "split_seed": 4})
    np.testing.assert_array_equal(again[1], X_test)
