"""The table of converters: dataset name, module, files and image trees it writes."""
import importlib
import os.path as osp
from dataclasses import dataclass
from typing import Dict, Optional, Tuple

TOOL = 'python tools/convert_datasets.py'
ANN_DIR = 'data/mesh_annotation_files'


@dataclass(frozen=True)
class ConverterInfo:
    """One dataset converter.

    Attributes:
        name: The ``DATASET`` argument of ``tools/convert_datasets.py``.
        module: Module (under this package) holding ``convert(root, out_dir, options)``.
        raw_root: Suggested ``--root`` (where the raw dataset usually lives).
        outputs: Annotation file names it writes (in ``--out``).
        image_tree: The image folder it fills (the configs' image prefix), '' when the images come with
            the dataset.
        spin_script: The SPIN script it reproduces (nkolot/SPIN repository path).
        split: The split the module converts (its ``convert`` takes it), '' for single-split datasets.
    """
    name: str
    module: str
    raw_root: str
    outputs: Tuple[str, ...]
    image_tree: str = ''
    spin_script: str = ''
    split: str = ''

    def command(self) -> str:
        """The shell command that writes this converter's files."""
        return f'{TOOL} {self.name} --root {self.raw_root} --out {ANN_DIR}'

    def load(self):
        """Import and return the converter module."""
        return importlib.import_module(f'{__package__}.{self.module}')


_SPIN = 'nkolot/SPIN datasets/preprocess/'
CONVERTERS: Dict[str, ConverterInfo] = {c.name: c for c in (
    ConverterInfo('lsp', 'lsp', 'data/lsp_dataset_original', ('lsp_dataset_original_train.npz', ),
                  spin_script=_SPIN + 'lsp_dataset_original.py'),
    ConverterInfo('lspet', 'lspet', 'data/hr-lspet', ('hr-lspet_train.npz', ), spin_script=_SPIN + 'hr_lspet.py'),
    ConverterInfo('mpii', 'mpii', 'data/mpii', ('mpii_train.npz', ), spin_script=_SPIN + 'mpii.py'),
    ConverterInfo('coco', 'coco', 'data/coco', ('coco_2014_train.npz', ), spin_script=_SPIN + 'coco.py'),
    ConverterInfo('3dpw', 'pw3d', 'data/3DPW', ('3dpw_test.npz', ), spin_script=_SPIN + 'pw3d.py',
                  split='test'),
    ConverterInfo('h36m', 'h36m', 'RAW_H36M', ('h36m_valid_protocol1.npz', 'h36m_valid_protocol2.npz'),
                  'data/Human3.6M', _SPIN + 'h36m.py', 'test'),
    ConverterInfo('h36m_train', 'h36m', 'RAW_H36M', ('h36m_train.npz', ), 'data/h36m_train',
                  _SPIN + 'h36m_train.py', 'train'),
    ConverterInfo('mpi_inf_3dhp', 'mpi_inf_3dhp', 'data/mpi_inf_3dhp', ('mpi_inf_3dhp_train.npz', ),
                  'data/mpi_inf_3dhp', _SPIN + 'mpi_inf_3dhp.py', 'train'),
    ConverterInfo('mpi_inf_3dhp_test', 'mpi_inf_3dhp', 'data/mpi_inf_3dhp', ('mpi_inf_3dhp_test.npz', ),
                  spin_script=_SPIN + 'mpi_inf_3dhp.py', split='test'),
)}


def converter_for_path(path: str) -> Optional[ConverterInfo]:
    """The converter that writes the annotation file or image tree ``path`` (None if none does).

    Annotation files are recognised by their file name; image trees by the
    dataset folder they live in (``data/Human3.6M``, ``data/h36m_train``,
    ``data/mpi_inf_3dhp``).
    """
    if 'synthetic' in path:  # made by tools/make_synthetic_data.py, not from a raw dataset
        return None
    name = osp.basename(osp.normpath(path))
    for info in CONVERTERS.values():
        if name in info.outputs:
            return info
    normalised = osp.normpath(path).replace('\\', '/').lower()
    for fragment, key in (('h36m_train', 'h36m_train'), ('human3.6m', 'h36m'), ('mpi_inf_3dhp', 'mpi_inf_3dhp')):
        if fragment in normalised and not normalised.endswith('.npz'):
            return CONVERTERS[key]
    return None


def converter_command(path: str) -> str:
    """The command that writes ``path`` (an annotation file name or image folder), or '' if none does.

    Example:
        >>> converter_command('data/mesh_annotation_files/mpii_train.npz')
        'python tools/convert_datasets.py mpii --root data/mpii --out data/mesh_annotation_files'
    """
    info = converter_for_path(path)
    return info.command() if info is not None else ''
