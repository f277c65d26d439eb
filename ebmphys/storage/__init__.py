"""HDF5 study files: H5MD-style layout, atomic verified writes, checksummed datasets, a checked reader;
density-of-states (Wang-Landau) study files in :mod:`ebmphys.storage.dos`."""

from ebmphys.storage.atomic import atomic_hdf5, atomic_path, create_dataset, output_target
from ebmphys.storage.layout import Block, StudyLayout, pack_spins, pack_states, unpack_spins, unpack_states
from ebmphys.storage.lock import FileLockedError, exclusive_lock
from ebmphys.storage.reader import Damage, StudyFile, StudyFileError
from ebmphys.storage.writer import CheckpointedFile

__all__ = [
    "Block", "CheckpointedFile", "Damage", "FileLockedError", "StudyFile", "StudyFileError", "StudyLayout",
    "atomic_hdf5", "atomic_path", "create_dataset", "exclusive_lock", "output_target", "pack_spins", "pack_states",
    "unpack_spins", "unpack_states",
]
