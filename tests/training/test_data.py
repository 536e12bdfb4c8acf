"""mlpipelines.training.data: scikit-learn sets, CSV and NPZ files, and the errors at load time."""

import numpy as np
import pytest

from mlpipelines.training.data import DataError, load_data


def spec(**values):
    base = {
        "source": "sklearn",
        "name": "digits",
        "layout": "flat",
        "path": None,
        "label": None,
        "validation_path": None,
        "task": "classification",
        "input_shape": [64],
        "outputs": 10,
        "standardize": False,
    }
    return {**base, **values}


def test_digits_as_images_split_reproducibly_by_the_seed():
    split = load_data(spec(layout="image", input_shape=[1, 8, 8]), 0.2, seed=7)
    assert split.train_x.shape == (1438, 1, 8, 8) and split.val_x.shape == (359, 1, 8, 8)
    assert split.train_x.dtype == np.float32 and split.train_y.dtype == np.int64
    assert split.train_x.max() <= 1.0 and len(split.classes) == 10
    again = load_data(spec(layout="image", input_shape=[1, 8, 8]), 0.2, seed=7)
    np.testing.assert_array_equal(split.val_y, again.val_y)


def test_tabular_sets_are_standardised_with_the_training_statistics_and_diabetes_is_a_regression():
    iris = load_data(spec(name="iris", input_shape=[4], outputs=3, standardize=True), 0.2, seed=1)
    np.testing.assert_allclose(iris.train_x.mean(axis=0), 0, atol=1e-5)
    diabetes = load_data(spec(name="diabetes", input_shape=[10], outputs=1, task="regression"), 0.1, seed=1)
    assert diabetes.train_y.dtype == np.float32 and diabetes.train_y.shape[1] == 1 and diabetes.classes == ()


def test_a_csv_file_with_text_labels_and_a_separate_validation_file(tmp_path):
    (tmp_path / "train.csv").write_text("a,b,kind\n1,2,cat\n3,4,dog\n5,6,cat\n", encoding="utf-8")
    (tmp_path / "val.csv").write_text("a,b,kind\n7,8,dog\n", encoding="utf-8")
    split = load_data(
        spec(
            source="csv",
            name="train.csv",
            path=str(tmp_path / "train.csv"),
            label="kind",
            validation_path=str(tmp_path / "val.csv"),
            input_shape=[2],
            outputs=2,
        ),
        0.5,
        seed=0,
    )
    assert split.classes == ("cat", "dog")
    assert split.train_y.tolist() == [0, 1, 0] and split.val_y.tolist() == [1]
    assert split.train_x.tolist() == [[1, 2], [3, 4], [5, 6]], "a validation file replaces the split"


@pytest.mark.parametrize(
    ("text", "label", "expected"),
    [
        ("a,b\n1,2\n", "kind", "has no column 'kind'; its columns are a, b"),
        ("a,kind\n1,cat\nx,dog\n", "kind", "line 3, column 'a': 'x' is not a number"),
        ("a,kind\n1,cat\n2\n", "kind", "line 3 has 1 values; expected 2 as in the header"),
        ("a,kind\n1,cat\n2,dog\n3,bird\n", "kind", "the labels hold 3 classes; the script was generated for 2"),
    ],
)
def test_a_bad_csv_file_is_a_clear_error_naming_the_file(tmp_path, text, label, expected):
    path = tmp_path / "data.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataError) as raised:
        load_data(spec(source="csv", path=str(path), label=label, input_shape=[1], outputs=2), 0.0, seed=0)
    assert str(raised.value) == f"{path}: {expected}" + (
        " (regenerate it after changing the data)" if "generated" in expected else ""
    )


def test_an_npz_file_of_two_dimensional_examples_gets_one_channel(tmp_path):
    path = tmp_path / "images.npz"
    np.savez(path, x=np.zeros((10, 5, 5)), y=np.arange(10) % 2)
    split = load_data(spec(source="npz", path=str(path), input_shape=[1, 5, 5], outputs=2), 0.2, seed=0)
    assert split.train_x.shape == (8, 1, 5, 5) and split.classes == ("0", "1")
    with pytest.raises(DataError, match=r"examples have the shape \(1, 5, 5\); the script was generated for \(3,\)"):
        load_data(spec(source="npz", path=str(path), input_shape=[3], outputs=2), 0.2, seed=0)
    np.savez(path, features=np.zeros((2, 3)))
    with pytest.raises(DataError, match="has no array 'x' \\(it has features\\); expected x and y"):
        load_data(spec(source="npz", path=str(path), input_shape=[3], outputs=2), 0.2, seed=0)
