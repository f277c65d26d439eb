"""HDF5 study files: H5MD-style layout, an atomic-swap writer and a reader by (size, temperature, chain);
density-of-states (Wang-Landau) study files in :mod:`ebmphys.storage.dos`."""

from ebmphys.storage.layout import Block, StudyLayout, pack_spins, pack_states, unpack_spins, unpack_states
from ebmphys.storage.reader import StudyFile, StudyFileError
from ebmphys.storage.writer import CheckpointedFile, FileLockedError

__all__ = ["Block", "CheckpointedFile", "FileLockedError", "StudyFile", "StudyFileError", "StudyLayout", "pack_spins",
           "pack_states", "unpack_spins", "unpack_states"]
