"""Study spec parsing and validation: every error names the key, the value and what is allowed."""

import numpy as np
import pytest

from ebmphys.study.spec import (
    STUDY_SCHEMA,
    Key,
    SpecError,
    describe,
    did_you_mean,
    load_study,
    parse_study,
    validate,
)

GOOD = """
[study]
name = "t"
[model]
dimension = 2
sizes = [4, 8]
[temperatures]
min = 2.0
max = 3.0
count = 3
[sampling]
n_sweeps = 100
"""


def with_lines(*replacements):
    text = GOOD
    for old, new in replacements:
        assert old in text
        text = text.replace(old, new)
    return text


def test_defaults_and_derived_values():
    spec = parse_study(GOOD)
    assert spec.data["sampling"]["algorithm"] == "metropolis"
    assert spec.data["sampling"]["seeds"] == [0]
    assert spec.data["record"] == {"observables_every": 1, "configurations_every": 0, "compression": "none"}
    np.testing.assert_allclose(spec.temperatures, [2.0, 2.5, 3.0])
    assert spec.n_chains_total == 1


def test_temperature_values_and_float_accepts_int():
    spec = parse_study(with_lines(("min = 2.0\nmax = 3.0\ncount = 3", "values = [2, 2.5]")))
    np.testing.assert_array_equal(spec.temperatures, [2.0, 2.5])


@pytest.mark.parametrize(
    "replacement, message",
    [
        (("n_sweeps = 100", "n_sweps = 100"), "unknown key 'sampling.n_sweps' (did you mean 'n_sweeps'?)"),
        (("dimension = 2", "dimension = 2.5"), "model.dimension = 2.5 is not allowed: expected an integer"),
        (("sizes = [4, 8]", "sizes = 8"), "model.sizes = 8 is not allowed: expected a non-empty array of integers"),
        (("min = 2.0", "min = -1.0"), "temperatures.min = -1.0 is not allowed: expected a number (> 0)"),
        (("min = 2.0\nmax = 3.0\ncount = 3", "values = [2.0, -2.0]"), "temperatures.values[1] = -2.0"),
        (("n_sweeps = 100", "n_sweeps = 0"), "sampling.n_sweeps = 0 is not allowed: expected an integer (>= 1)"),
        (("n_sweeps = 100", 'n_sweeps = "many"'), "sampling.n_sweeps = 'many' is not allowed"),
        (("n_sweeps = 100", "n_sweeps = 100\nalgorithm = \"wolf\""), "(did you mean 'wolff'?)"),
        (("sizes = [4, 8]", "sizes = [4, 7]"), "must be even"),
        (("count = 3", ""), "missing temperatures.count"),
        (("count = 3", "count = 3\nvalues = [1.0]"), "not both"),
        (("n_sweeps = 100", "n_sweeps = 101\n[record]\nobservables_every = 2"), "multiple of record.observables_every"),
        (("[study]\nname = \"t\"", "[study]"), "missing required key 'study.name'"),
        (("[model]", "[modle]"), "unknown key 'modle' (did you mean 'model'?)"),
    ],
)
def test_errors_name_key_value_and_allowed(replacement, message):
    with pytest.raises(SpecError) as err:
        parse_study(with_lines(replacement))
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_malformed_toml_is_one_line():
    with pytest.raises(SpecError, match=r"^spec is not valid TOML: .*line 3"):
        parse_study("[study]\nname = 't'\nsizes = [1,, 2]\n")


def test_load_study_names_file_and_defaults_output(tmp_path):
    path = tmp_path / "mystudy.toml"
    path.write_text(GOOD)
    assert load_study(path).data["study"]["output"] == "mystudy.h5"
    path.write_text(GOOD.replace("n_sweeps = 100", "n_sweeps = -5"))
    with pytest.raises(SpecError, match=f"^{path}: sampling.n_sweeps = -5"):
        load_study(path)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_study(tmp_path / "missing.toml")


def test_fingerprint_ignores_only_resumable_keys():
    base = parse_study(GOOD).fingerprint()
    moved = with_lines(("name = \"t\"", "name = \"t\"\noutput = \"elsewhere.h5\"\ndescription = \"x\""))
    assert parse_study(moved + "[checkpoint]\nsweeps = 7\nseconds = 1.0\n").fingerprint() == base
    assert parse_study(with_lines(("n_sweeps = 100", "n_sweeps = 200"))).fingerprint() != base
    assert parse_study(with_lines(("[sampling]", "[sampling]\nseeds = [1]"))).fingerprint() != base


def test_generic_validate_and_describe():
    schema = {"lr": Key("float", 0.1, minimum=0.0, exclusive_minimum=True, doc="step"),
              "opt": {"kind": Key("str", "sgd", choices=("sgd", "adam"))}}
    assert validate({}, schema) == {"lr": 0.1, "opt": {"kind": "sgd"}}
    with pytest.raises(SpecError, match=r"lr = 0.0 is not allowed: expected a number \(> 0\)"):
        validate({"lr": 0.0}, schema)
    with pytest.raises(SpecError, match="opt.kind = 'adm' is not allowed.*did you mean 'adam'"):
        validate({"opt": {"kind": "adm"}}, schema)
    with pytest.raises(SpecError, match="opt must be a table"):
        validate({"opt": 3}, schema)
    with pytest.raises(SpecError, match="lr = True is not allowed"):
        validate({"lr": True}, schema)
    assert any(line.startswith("sampling.n_sweeps: an integer (>= 1); required") for line in describe(STUDY_SCHEMA))
    assert did_you_mean("xyz", ["n_sweeps"]) == ""
