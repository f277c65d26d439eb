"""HDF5 study files: H5MD-style layout, an atomic-swap writer and a reader by (size, temperature, chain).

Names are imported on first use (h5py only then).
"""

from ebmphys._lazy import lazy

__all__ = ["Block", "CheckpointedFile", "FileLockedError", "StudyFile", "StudyFileError", "StudyLayout", "pack_spins",
           "unpack_spins"]

__getattr__, __dir__ = lazy(__name__, {
    "Block": "ebmphys.storage.layout",
    "StudyLayout": "ebmphys.storage.layout",
    "pack_spins": "ebmphys.storage.layout",
    "unpack_spins": "ebmphys.storage.layout",
    "StudyFile": "ebmphys.storage.reader",
    "StudyFileError": "ebmphys.storage.reader",
    "CheckpointedFile": "ebmphys.storage.writer",
    "FileLockedError": "ebmphys.storage.writer",
})
