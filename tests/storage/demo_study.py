"""A small study file's layout and random, physically possible blocks, shared by the storage tests."""

import numpy as np

from ebmphys.storage import Block, StudyLayout, pack_spins

SIZES = (4, 6)
TEMPS = np.array([2.0, 3.0])
N_CHAINS = 2
SEEDS = (1, 2)


def layout(configurations=True, compression="gzip"):
    return StudyLayout(
        name="demo", spec_toml="[study]\nname = 'demo'\n", fingerprint="abc", dimension=2, J=1.0, h=0.0,
        sizes=SIZES, temperatures=TEMPS, seeds=SEEDS, n_chains=N_CHAINS,
        task_keys=np.arange(8, dtype=np.uint64).reshape(2, 2, 2), total_sweeps=30,
        record_steps=np.arange(12, 31, 2), configuration_steps=np.array([20, 30]) if configurations else np.zeros(0, int),
        compression=compression,
    )


def block(size_index, t, k, start, stop, rng):
    L = SIZES[size_index]
    n_rec = len([s for s in range(12, 31, 2) if start < s <= stop])
    n_conf = len([s for s in (20, 30) if start < s <= stop])
    spins = rng.choice(np.array([-1, 1], np.int8), size=(N_CHAINS, n_conf + 1, L * L))
    # physically possible records (the reader checks them): |E| <= 2N, M = sum of N spins
    M = rng.choice(np.array([-1, 1]), size=(N_CHAINS, n_rec, L * L)).sum(axis=2).astype(np.float64)
    return Block(size_index=size_index, temperature_index=t, seed_index=k, start=start, stop=stop,
                 energy=rng.integers(-2 * L * L, 2 * L * L + 1, size=(N_CHAINS, n_rec)).astype(np.float64),
                 magnetization=M,
                 configurations=pack_spins(spins[:, :n_conf]), states=pack_spins(spins[:, -1]))
