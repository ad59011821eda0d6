"""Find every file a config needs and say what is missing, before any work starts.

Used by ``tools/check_assets.py`` (the asset doctor) and by ``tools/train.py`` /
``tools/test.py``, so a missing annotation file, image folder or body-model
file fails in seconds with a message naming it, not hours into a job.
"""
import os
import os.path as osp
from dataclasses import dataclass
from typing import Any, Callable, Iterator, List, Optional, Tuple

import numpy as np

from .errors import MissingFileError, UserError
from .files import load_npy, load_npz
from .npz import npz_layout

DOCS = 'docs/data_preparation.md'

# Where each kind of asset comes from, and the docs section about it.
SOURCES = {
    'smpl': ('the SMPL website (registration, smpl.is.tue.mpg.de; neutral model from SMPLify), '
             'or use the free body model in models/free_body/', f'{DOCS}#smpl-model-files'),
    'joints_regressor': ('GraphCMR (joints_regressor_cmr.npy) via mmpose 0.x data preparation; '
                         'the free body model ships its own', f'{DOCS}#smpl-model-files'),
    'mean_params': ('SPIN (smpl_mean_params.npz) via mmpose 0.x data preparation; the free body '
                    'model ships its own', f'{DOCS}#smpl-model-files'),
    'annotation': ('the mesh annotation files of mmpose 0.x (SPIN preprocessing), or '
                   '`python tools/make_synthetic_data.py` for the synthetic set', f'{DOCS}#mesh-annotation-files'),
    'images': ('the dataset\'s own website (see the docs section), or '
               '`python tools/make_synthetic_data.py` for the synthetic set', DOCS),
    'h36m_regressor': ('SPIN (J_regressor_h36m.npy, downloaded by its fetch_data.sh); the free body model uses its '
                       'SPIN-24 regressor instead', 'docs/evaluation.md#files-and-where-they-come-from'),
    'checkpoint': ('the mmpose model zoo (HMR, hmr_mesh_224x224-c21e8229_20201015.pth) or your own '
                   'training run', f'{DOCS}#pretrained-hmr-checkpoint'),
}

# Required keys and per-sample shapes of the annotation files (docs/data_contract.md).
IMAGE_ANNOTATION_KEYS = ('imgname', 'center', 'scale')
MOSH_KEYS = ('pose', 'shape')
ANNOTATION_SHAPES = {'center': (2,), 'scale': (), 'part': (24, 3), 'S': (24, 4), 'pose': (72,), 'shape': (10,)}
IMAGE_SAMPLE_COUNT = 8

# Docs section of a dataset, recognised by a fragment of its file or folder name.
DATASET_SECTIONS = (
    ('synthetic', 'docs/get_started.md#the-main-job'), ('mosh', f'{DOCS}#cmu-mosh'),
    ('h36m', f'{DOCS}#human36m'), ('human3.6m', f'{DOCS}#human36m'), ('mpi_inf_3dhp', f'{DOCS}#mpi-inf-3dhp'),
    ('lsp', f'{DOCS}#lsp-and-lspet'), ('mpii', f'{DOCS}#mpii'), ('coco', f'{DOCS}#coco'))


def docs_section(kind: str, path: str) -> str:
    """The docs section explaining an asset (dataset-specific for images)."""
    if kind == 'images':
        name = path.lower()
        for fragment, section in DATASET_SECTIONS:
            if fragment in name:
                return section
    return SOURCES[kind][1]


@dataclass
class AssetStatus:
    """One needed file or folder and what was found.

    Attributes:
        kind: Key of ``SOURCES`` (``smpl``, ``annotation``, ...).
        path: The path the config points at.
        status: ``found``, ``missing`` or ``invalid``.
        detail: What is wrong (empty when found).
    """
    kind: str
    path: str
    status: str
    detail: str = ''

    @property
    def ok(self) -> bool:
        return self.status == 'found'

    def describe(self) -> str:
        line = f'[{self.status:>7}] {self.kind:<16} {self.path}'
        if not self.ok:
            source = SOURCES[self.kind][0]
            docs = docs_section(self.kind, self.path)
            line += f'\n          {self.detail}\n          get it from: {source}\n          see: {docs}'
            if self.kind in ('annotation', 'images'):
                from mesh_recovery.datasets.converters.registry import converter_command
                command = converter_command(self.path)
                if command:
                    line += f'\n          or make it from the raw dataset: {command}'
        return line


def _join(root: Optional[str], path: str) -> str:
    return path if root is None or osp.isabs(path) else osp.join(root, path)


def _dataset_cfgs(cfg) -> Iterator[dict]:
    """Yield every dataset config that has an ``ann_file``, through wrapper datasets."""
    if isinstance(cfg, dict):
        if 'ann_file' in cfg:
            yield cfg
        for key in ('dataset', 'train_dataset', 'adversarial_dataset'):
            if cfg.get(key) is not None:
                yield from _dataset_cfgs(cfg[key])
        for key in ('datasets', 'configs'):
            for sub in cfg.get(key) or []:
                yield from _dataset_cfgs(sub)
    elif isinstance(cfg, (list, tuple)):
        for sub in cfg:
            yield from _dataset_cfgs(sub)


def _check_file(kind: str, path: str) -> AssetStatus:
    if osp.isfile(path):
        return AssetStatus(kind, path, 'found')
    return AssetStatus(kind, path, 'missing', f'no file at {path}{_relative_note(path)}')


def _relative_note(path: str) -> str:
    return '' if osp.isabs(path) else (f' (relative to the current directory {os.getcwd()}; run the tools from '
                                       'the repository root, or give absolute paths)')


def _opened(kind: str, path: str, loader: Callable[[str], Any]) -> Tuple[AssetStatus, Any]:
    """Open ``path`` with the loader the tools use; a refusal makes it ``invalid`` with its message."""
    status = _check_file(kind, path)
    if not status.ok:
        return status, None
    try:
        return status, loader(path)
    except UserError as exc:
        return AssetStatus(kind, path, 'invalid', str(exc)), None
    except Exception as exc:  # the doctor reports, it never crashes
        return AssetStatus(kind, path, 'invalid', f'{type(exc).__name__}: {exc}'), None


def check_body_model_files(model_cfg: dict) -> List[AssetStatus]:
    """The SMPL (or free) body model, its joints regressor and the head's mean parameters.

    Each file is opened with the loader the model uses (``load_body_model_data``,
    ``load_joints_regressor``, ``load_mean_params``), so ``found`` means it loads.
    """
    from mesh_recovery.body_models.io import load_body_model_data, resolve_body_model_path
    statuses = []
    smpl = model_cfg.get('smpl') or {}
    num_vertices = None
    if smpl.get('smpl_path'):
        path = str(smpl['smpl_path'])
        try:
            resolved = resolve_body_model_path(path, 'neutral')
        except FileNotFoundError as exc:
            shown = path if path.endswith(('.pkl', '.npz')) else osp.join(path, 'SMPL_NEUTRAL.pkl')
            statuses.append(AssetStatus('smpl', shown, 'missing', str(exc).splitlines()[0] + _relative_note(path)))
        else:
            num_betas = int(smpl.get('num_betas', 10))
            status, data = _opened('smpl', resolved, lambda p: load_body_model_data(p, num_betas=num_betas))
            statuses.append(status)
            num_vertices = data.num_vertices if data is not None else None
    if smpl.get('joints_regressor'):
        statuses.append(_check_regressor(str(smpl['joints_regressor']), num_vertices))
    head = model_cfg.get('mesh_head') or {}
    if head.get('smpl_mean_params'):
        from mesh_recovery.models.heads.hmr_mesh_head import load_mean_params
        statuses.append(_opened('mean_params', str(head['smpl_mean_params']), load_mean_params)[0])
    return statuses


def _load_regressor(path: str, num_vertices: Optional[int]) -> np.ndarray:
    from mesh_recovery.body_models.io import load_joints_regressor
    if num_vertices is not None:
        return load_joints_regressor(path, num_vertices)
    return load_npy(path, 'joints regressor')


def _check_regressor(path: str, num_vertices: Optional[int] = None) -> AssetStatus:
    status, regressor = _opened('joints_regressor', path, lambda p: _load_regressor(p, num_vertices))
    if regressor is not None and (regressor.ndim != 2 or regressor.shape[0] != 24):
        return AssetStatus('joints_regressor', path, 'invalid', f'shape {regressor.shape}, expected (24, V)')
    return status


def _protocol_keys(dataset_type: str) -> Tuple[str, Tuple[str, ...]]:
    """The evaluation protocol of a dataset type and the annotation keys it reads (none for others)."""
    from mesh_recovery.datasets.mesh_3dpw_dataset import PW3D_KEYS, Mesh3DPWDataset
    from mesh_recovery.datasets.mesh_mpi_inf_3dhp_dataset import MPI_INF_3DHP_KEYS, MeshMPIINF3DHPDataset
    protocols = {'Mesh3DPWDataset': (Mesh3DPWDataset.PROTOCOL, PW3D_KEYS),
                 'MeshMPIINF3DHPDataset': (MeshMPIINF3DHPDataset.PROTOCOL, MPI_INF_3DHP_KEYS)}
    return protocols.get(dataset_type, ('', ()))


def _validate_annotation(path: str, image_dir: Optional[str], mosh: bool,
                         dataset_type: str = '') -> Tuple[str, str]:
    """Return (status, detail) for one annotation npz and a sample of its images."""
    try:
        layout = npz_layout(path)
    except UserError as exc:
        return 'invalid', str(exc)
    objects = [k for k, (_, dtype) in layout.items() if dtype.hasobject]
    if objects:
        return 'invalid', (f'keys {objects} hold Python objects (pickled object arrays), which the loaders refuse '
                           'because unpickling can run code; re-save them as numeric or string arrays')
    shapes = {k: shape for k, (shape, _) in layout.items()}
    required = MOSH_KEYS if mosh else IMAGE_ANNOTATION_KEYS
    missing = [k for k in required if k not in shapes]
    if missing:
        return 'invalid', f'missing keys {missing} (present: {sorted(shapes)})'
    protocol, protocol_keys = _protocol_keys(dataset_type)
    missing = [k for k in protocol_keys if k not in shapes]
    if missing:
        return 'invalid', f'missing keys {missing} that the {protocol} protocol needs (present: {sorted(shapes)})'
    lengths = {k: shape[0] for k, shape in shapes.items() if shape}
    if len(set(lengths.values())) > 1:
        return 'invalid', f'keys have different sample counts: {lengths}'
    for key, shape in ANNOTATION_SHAPES.items():
        if key in shapes and shapes[key][1:] != shape:
            return 'invalid', f'{key} has per-sample shape {shapes[key][1:]}, expected {shape}'
    if mosh or image_dir is None:
        return 'found', ''
    try:
        names = load_npz(path, 'annotation file', keys=['imgname'])['imgname']
    except UserError as exc:
        return 'invalid', str(exc)
    picks = np.unique(np.linspace(0, len(names) - 1, IMAGE_SAMPLE_COUNT).astype(int)) if len(names) else []
    absent = [str(names[i]) for i in picks if not osp.isfile(osp.join(image_dir, str(names[i])))]
    if absent:
        return 'invalid', (f'{len(absent)} of {len(picks)} sampled images are missing under {image_dir}, '
                           f'e.g. {absent[0]}')
    return 'found', ''


def check_dataset_files(dataset_cfg) -> List[AssetStatus]:
    """Annotation files (validated) and image folders of a (possibly wrapped) dataset config."""
    statuses = []
    for cfg in _dataset_cfgs(dataset_cfg):
        root = cfg.get('data_root')
        ann_file = _join(root, cfg['ann_file'])
        mosh = 'Mosh' in str(cfg.get('type', ''))
        prefix = (cfg.get('data_prefix') or {}).get('img')
        image_dir = None if mosh else _join(root, prefix or '')
        if image_dir is not None and not osp.isdir(image_dir):
            statuses.append(AssetStatus('images', image_dir, 'missing', f'no image folder at {image_dir}'))
            image_dir = None
        status = _check_file('annotation', ann_file)
        if status.ok:
            status.status, status.detail = _validate_annotation(ann_file, image_dir, mosh, str(cfg.get('type', '')))
        statuses.append(status)
    return statuses


def _evaluator_cfgs(evaluators) -> List[dict]:
    if not evaluators:
        return []
    return [dict(e) for e in evaluators] if isinstance(evaluators, (list, tuple)) else [dict(evaluators)]


def _check_gendered_models(smpl_path: str) -> List[AssetStatus]:
    from mesh_recovery.body_models.io import find_optional_gender_path
    from mesh_recovery.evaluation.mesh_eval_body import model_folder
    statuses = []
    folder = model_folder(smpl_path)
    for gender in ('male', 'female'):
        found = find_optional_gender_path(folder, gender) if osp.isdir(folder) else None
        expected = osp.join(folder, f'SMPL_{gender.upper()}.pkl')
        statuses.append(AssetStatus('smpl', found, 'found') if found else AssetStatus(
            'smpl', expected, 'missing', f'the 3DPW protocol (PW3DError, gt_gender=gendered) poses the ground '
            f'truth with the {gender} model: no {expected} (or .npz){_relative_note(expected)}'))
    return statuses


def check_evaluator_files(evaluators) -> List[AssetStatus]:
    """The files the evaluation protocols of ``evaluators`` read (gendered models, regressors, annotations)."""
    from mesh_recovery.evaluation.mesh_eval_body import default_h36m_regressor
    statuses = []
    for metric in _evaluator_cfgs(evaluators):
        kind = metric.get('type')
        needs_body = kind == 'PW3DError' or (kind == 'MPIINF3DHPError'
                                             and metric.get('pred_source') == 'h36m_regressor')
        if needs_body and metric.get('smpl_path'):
            smpl_path = str(metric['smpl_path'])
            if kind == 'PW3DError' and metric.get('gt_gender', 'gendered') == 'gendered':
                statuses += _check_gendered_models(smpl_path)
            regressor = str(metric.get('regressor') or default_h36m_regressor(smpl_path))
            statuses.append(_opened('h36m_regressor', regressor, lambda p: load_npy(p, 'joint regressor'))[0])
        if kind == 'H36MActionError' and metric.get('ann_file'):
            statuses.append(_check_file('annotation', str(metric['ann_file'])))
    return statuses


def collect_assets(cfg, mode: str, checkpoint: Optional[str] = None) -> List[AssetStatus]:
    """Every asset ``cfg`` needs for ``mode`` (``train``, ``test`` or ``all``)."""
    if mode not in ('train', 'test', 'all'):
        raise ValueError(f'mode must be train, test or all, got {mode!r}')
    statuses = check_body_model_files(cfg.get('model', {}))
    loaders = {'train': ['train_dataloader', 'val_dataloader'], 'test': ['test_dataloader']}
    names = loaders['train'] + loaders['test'] if mode == 'all' else loaders[mode]
    for name in names:
        loader = cfg.get(name)
        if loader:
            statuses += check_dataset_files(loader.get('dataset'))
            statuses += check_evaluator_files(cfg.get(name.replace('_dataloader', '_evaluator')))
    if checkpoint is not None:
        from mesh_recovery.engine.checkpoint import read_checkpoint
        statuses.append(_opened('checkpoint', checkpoint, read_checkpoint)[0])
    unique = {}
    for status in statuses:  # val and test loaders often share a dataset
        unique.setdefault((status.kind, status.path), status)
    return list(unique.values())


def assert_assets_present(cfg, mode: str, checkpoint: Optional[str] = None) -> None:
    """Raise ``MissingFileError`` (a ``FileNotFoundError``) listing every missing or invalid asset of ``cfg``."""
    bad = [s for s in collect_assets(cfg, mode, checkpoint) if not s.ok]
    if bad:
        report = '\n'.join(s.describe() for s in bad)
        raise MissingFileError(
            f'{len(bad)} asset(s) needed by this config are missing or invalid:\n{report}\n'
            f'Run `python tools/check_assets.py CONFIG` for the full list.')
