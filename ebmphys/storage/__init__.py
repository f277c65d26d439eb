"""HDF5 study files: H5MD-style layout, atomic verified writes, checksummed datasets, a checked reader;
density-of-states (Wang-Landau) study files in :mod:`ebmphys.storage.dos`.

Names are imported on first use (h5py only then).
"""

from ebmphys._lazy import lazy

__all__ = [
    "Block", "CheckpointedFile", "Damage", "FileLockedError", "StudyFile", "StudyFileError", "StudyLayout",
    "atomic_hdf5", "atomic_path", "create_dataset", "exclusive_lock", "output_target", "pack_spins", "pack_states",
    "unpack_spins", "unpack_states",
]

__getattr__, __dir__ = lazy(__name__, {
    "atomic_hdf5": "ebmphys.storage.atomic",
    "atomic_path": "ebmphys.storage.atomic",
    "create_dataset": "ebmphys.storage.atomic",
    "output_target": "ebmphys.storage.atomic",
    "Block": "ebmphys.storage.layout",
    "StudyLayout": "ebmphys.storage.layout",
    "pack_spins": "ebmphys.storage.layout",
    "pack_states": "ebmphys.storage.layout",
    "unpack_spins": "ebmphys.storage.layout",
    "unpack_states": "ebmphys.storage.layout",
    "FileLockedError": "ebmphys.storage.lock",
    "exclusive_lock": "ebmphys.storage.lock",
    "Damage": "ebmphys.storage.reader",
    "StudyFile": "ebmphys.storage.reader",
    "StudyFileError": "ebmphys.storage.reader",
    "CheckpointedFile": "ebmphys.storage.writer",
})
