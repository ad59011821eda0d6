"""glibc allocator settings for processes that decode large images in a loop.

With glibc's default (dynamic) thresholds, a DataLoader worker that decodes a
~3 MB image, crops it and frees it before the next decode hands the pages back
to the kernel and faults them in again on every sample: about 1,400 page
faults per 1000x1000 JPEG, measured here, where a bare ``cv2.imread`` loop
has ~10 and where faults are expensive (a virtual machine). Fixing the mmap
and trim thresholds keeps freed image buffers in the heap for reuse.

The settings are process-wide and inherited by forked workers, so apply them
once in the main process before the DataLoader starts its workers (e.g. in
``tools/train.py``), or launch with the equivalent environment variables
``MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=134217728``.
"""
import ctypes
import ctypes.util

# glibc mallopt parameters (malloc.h).
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
# glibc caps M_MMAP_THRESHOLD at 32 MiB on 64-bit systems.
MAX_MMAP_THRESHOLD = 32 * 1024 * 1024


def tune_malloc_for_images(mmap_threshold: int = MAX_MMAP_THRESHOLD,
                           trim_threshold: int = 128 * 1024 * 1024) -> bool:
    """Keep freed image-sized buffers in the heap instead of returning them to the kernel.

    Args:
        mmap_threshold: Allocations at least this large (bytes) are mmapped
            (and unmapped when freed); at most 32 MiB.
        trim_threshold: Free memory at the top of the heap kept before it is
            returned to the kernel (bytes).

    Returns:
        True if both settings were applied; False where the C library is not
        glibc (nothing is changed then).

    Raises:
        ValueError: A threshold is out of range.
    """
    if not 0 < mmap_threshold <= MAX_MMAP_THRESHOLD or trim_threshold <= 0:
        raise ValueError(f'need 0 < mmap_threshold <= {MAX_MMAP_THRESHOLD} and trim_threshold > 0, '
                         f'got {mmap_threshold}, {trim_threshold}')
    name = ctypes.util.find_library('c')
    try:
        mallopt = ctypes.CDLL(name).mallopt
    except (OSError, AttributeError, TypeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    return bool(mallopt(_M_MMAP_THRESHOLD, int(mmap_threshold))) and bool(
        mallopt(_M_TRIM_THRESHOLD, int(trim_threshold)))
