"""Options shared by the converters."""
from dataclasses import dataclass
from typing import Optional


@dataclass
class ConvertOptions:
    """What a converter does besides reading ``--root`` and writing ``--out``.

    Attributes:
        corrected: Use the corrected behaviour for every documented SPIN quirk of the
            dataset instead of reproducing it (see docs/data_preparation.md).
        images: Folder the extracted frames go to (video datasets); None = the
            converter's default (the configs' image prefix).
        workers: Parallel frame-extraction processes (one video each).
        all_frames: MPI-INF-3DHP: write every video frame, as SPIN does, instead of
            only the frames kept in the annotation file.
        fits: MPI-INF-3DHP train: SPIN's ``mpi-inf-3dhp_mview_fits.npz`` to add
            ``pose``, ``shape``, ``has_smpl``.
        progress: Show progress bars on stderr.
        jpeg_quality: JPEG quality of extracted frames (OpenCV's default, 95, as SPIN).
    """
    corrected: bool = False
    images: Optional[str] = None
    workers: int = 1
    all_frames: bool = False
    fits: Optional[str] = None
    progress: bool = True
    jpeg_quality: int = 95
