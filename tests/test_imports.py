"""``import ebmphys`` and a first lattice ``sample`` import no heavy library they do not use."""

import subprocess
import sys

HEAVY = ("matplotlib", "h5py", "sklearn", "scipy.sparse", "scipy.special", "scipy.stats", "scipy.integrate",
         "scipy.optimize", "numba")


def _loaded_after(code: str) -> set[str]:
    probe = f"import sys; {code}; print(' '.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True).stdout.split()
    return {name for name in HEAVY if name in out}


def test_import_is_light():
    assert _loaded_after("import ebmphys") == set()


def test_lattice_sample_imports_only_numba():
    code = "import ebmphys; ebmphys.sample(ebmphys.LatticeIsing((4, 4)), beta=0.4, n_sweeps=2, seed=0)"
    assert _loaded_after(code) == {"numba"}


def test_lazy_names_resolve():
    import ebmphys
    import ebmphys.sampling
    from ebmphys.sampling import sample
    from ebmphys.sampling.sample import sample as direct

    assert sample is direct and ebmphys.sample is direct
    assert ebmphys.partition.BETA_C > 0
    assert set(ebmphys.__all__) <= set(dir(ebmphys))
    assert callable(ebmphys.sampling.parallel_tempering)
