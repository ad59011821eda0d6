"""tune_malloc_for_images keeps decode -> crop -> free loops free of page faults."""
import platform
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from mesh_recovery.datasets.allocator import tune_malloc_for_images

MODULE = Path(__file__).resolve().parents[2] / 'mesh_recovery' / 'datasets' / 'allocator.py'
# Decode a large JPEG, crop it, free it: what a training worker does per sample.
SCRIPT = '''
import importlib.util, resource, sys
import cv2, numpy as np
# Load the module alone: importing the package would pull in torch and mmengine.
spec = importlib.util.spec_from_file_location('allocator', {module!r})
allocator = importlib.util.module_from_spec(spec)
spec.loader.exec_module(allocator)
tune_malloc_for_images = allocator.tune_malloc_for_images
applied = tune_malloc_for_images() if sys.argv[1] == 'tuned' else None
cv2.setNumThreads(0)
matrix = np.array([[0.5, 0.0, -100.0], [0.0, 0.5, -100.0]])
def faults():
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for i in range(45):
    if i == 5:
        start = faults()
    img = cv2.imread({path!r})
    crop = cv2.warpAffine(img, matrix, (224, 224))
    del img
print(applied, (faults() - start) / 40)
'''


def _faults_per_sample(mode: str, image: Path) -> tuple:
    script = SCRIPT.format(module=str(MODULE), path=str(image))
    out = subprocess.run([sys.executable, '-c', script, mode], capture_output=True, text=True, check=True)
    applied, faults = out.stdout.split()
    return applied, float(faults)


@pytest.mark.skipif(platform.libc_ver()[0] != 'glibc', reason='mallopt thresholds are glibc-specific')
def test_tuned_allocator_stops_refaulting_image_buffers(tmp_path):
    rng = np.random.default_rng(0)
    image = tmp_path / 'large.jpg'
    cv2.imwrite(str(image), rng.integers(0, 256, (1000, 1000, 3), dtype=np.uint8))
    applied, tuned = _faults_per_sample('tuned', image)
    untouched, default = _faults_per_sample('default', image)
    assert (applied, untouched) == ('True', 'None')
    # A 1000x1000x3 image is 733 pages: with glibc's defaults each sample maps and
    # faults them in again; tuned, the freed buffer is reused in place.
    assert default > 500, default
    assert tuned < default / 10, (tuned, default)


def test_thresholds_are_validated():
    with pytest.raises(ValueError, match='mmap_threshold'):
        tune_malloc_for_images(mmap_threshold=64 * 1024 * 1024)
