"""Find every file a config needs and say what is missing, before any work starts.

Used by ``tools/check_assets.py`` (the asset doctor) and by ``tools/train.py`` /
``tools/test.py``, so a missing annotation file, image folder or body-model
file fails in seconds with a message naming it, not hours into a job.
"""
import os
import os.path as osp
from dataclasses import dataclass
from typing import Any, Callable, List, Mapping, Optional, Sequence, Tuple

import numpy as np

from mesh_recovery.body_models.model_files import (FREE_BODY_DIR, FREE_BODY_MEAN_PARAMS, FREE_BODY_REGRESSOR,
                                                   H36M_REGRESSOR, SMPL_JOINTS_REGRESSOR, SMPL_MEAN_PARAMS,
                                                   smpl_file_name)
from mesh_recovery.datasets.annotation_format import SAMPLE_SHAPES

from .asset_needs import FileNeed, declared_files
from .errors import MissingFileError, UserError
from .files import load_npy, load_npz
from .npz import npz_layout

DOCS = 'docs/data_preparation.md'

# Where each kind of asset comes from, and the docs section about it.
SOURCES = {
    'smpl': ('the SMPL website (registration, smpl.is.tue.mpg.de; neutral model from SMPLify), '
             f'or use the free body model in {FREE_BODY_DIR}/', f'{DOCS}#smpl-model-files'),
    'joints_regressor': (f'GraphCMR ({SMPL_JOINTS_REGRESSOR}) via mmpose 0.x data preparation; '
                         f'the free body model ships its own ({FREE_BODY_REGRESSOR})', f'{DOCS}#smpl-model-files'),
    'mean_params': (f'SPIN ({SMPL_MEAN_PARAMS}) via mmpose 0.x data preparation; the free body '
                    f'model ships its own ({FREE_BODY_MEAN_PARAMS})', f'{DOCS}#smpl-model-files'),
    'annotation': ('the mesh annotation files of mmpose 0.x (SPIN preprocessing), or '
                   '`python tools/make_synthetic_data.py` for the synthetic set', f'{DOCS}#mesh-annotation-files'),
    'images': ('the dataset\'s own website (see the docs section), or '
               '`python tools/make_synthetic_data.py` for the synthetic set', DOCS),
    'h36m_regressor': (f'SPIN ({H36M_REGRESSOR}, downloaded by its fetch_data.sh); the free body model uses its '
                       'SPIN-24 regressor instead', 'docs/evaluation.md#files-and-where-they-come-from'),
    'pretrained': ("timm's released weights for the backbone's model name (the Hugging Face hub repository "
                   '"timm/<model_name>"), fetched by you: nothing is downloaded at run time', 'docs/models.md'),
    'checkpoint': ('the mmpose model zoo (HMR, hmr_mesh_224x224-c21e8229_20201015.pth) or your own '
                   'training run', f'{DOCS}#pretrained-hmr-checkpoint'),
    'config': ('a corrected config entry (a registered `type` and the arguments that class takes)',
               'docs/configs.md'),
}
# For a kind a dataset or metric class declares that is not listed above.
OTHER_SOURCE = ('the documentation of the dataset or metric class that reads it', DOCS)

# Images of an annotation file looked for (spread over the file).
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
    return SOURCES.get(kind, OTHER_SOURCE)[1]


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
            source = SOURCES.get(self.kind, OTHER_SOURCE)[0]
            docs = docs_section(self.kind, self.path)
            line += f'\n          {self.detail}\n          get it from: {source}\n          see: {docs}'
            if self.kind in ('annotation', 'images'):
                from mesh_recovery.datasets.converters.registry import converter_command
                command = converter_command(self.path)
                if command:
                    line += f'\n          or make it from the raw dataset: {command}'
        return line


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


def check_model_files(model_cfg: Mapping) -> List[AssetStatus]:
    """The files the model of ``model_cfg`` declares: body model, joints regressor, mean parameters, weights.

    The estimator asks its body model, head and backbone (``needed_files``), and
    each file is opened with the loader the model uses, so ``found`` means it loads.
    """
    import mesh_recovery.models  # noqa: F401  (registers the model parts)
    from mesh_recovery.registry import MODELS
    if not model_cfg:
        return []
    needs, errors = _declared(lambda: declared_files(MODELS, model_cfg), f"model {model_cfg.get('type')}")
    return errors + check_needs(needs)


def _check_body_model_file(need: FileNeed) -> Tuple[AssetStatus, Optional[int]]:
    """The neutral model at ``need.path`` and its vertex count (None when it does not load)."""
    from mesh_recovery.body_models.io import load_body_model_data, resolve_body_model_path
    try:
        resolved = resolve_body_model_path(need.path, 'neutral')
    except FileNotFoundError as exc:
        shown = need.path if need.path.endswith(('.pkl', '.npz')) else osp.join(need.path, smpl_file_name('neutral'))
        return AssetStatus(need.kind, shown, 'missing', str(exc).splitlines()[0] + _relative_note(need.path)), None
    status, data = _opened(need.kind, resolved, lambda p: load_body_model_data(p, num_betas=need.num_betas))
    return status, (data.num_vertices if data is not None else None)


def _check_mean_params(need: FileNeed) -> AssetStatus:
    from mesh_recovery.models.heads.hmr_mesh_head import load_mean_params
    return _opened(need.kind, need.path, load_mean_params)[0]


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


def _annotation_layout(need: FileNeed) -> Tuple[str, str]:
    """Return (status, detail) for the keys and per-sample shapes of one annotation npz."""
    try:
        layout = npz_layout(need.path)
    except UserError as exc:
        return 'invalid', str(exc)
    objects = [k for k, (_, dtype) in layout.items() if dtype.hasobject]
    if objects:
        return 'invalid', (f'keys {objects} hold Python objects (pickled object arrays), which the loaders refuse '
                           'because unpickling can run code; re-save them as numeric or string arrays')
    shapes = {k: shape for k, (shape, _) in layout.items()}
    missing = [k for k in need.keys if k not in shapes]
    if missing:
        return 'invalid', f'missing keys {missing} (present: {sorted(shapes)})'
    missing = [k for k in need.protocol_keys if k not in shapes]
    if missing:
        return 'invalid', f'missing keys {missing} that the {need.protocol} protocol needs (present: {sorted(shapes)})'
    lengths = {k: shape[0] for k, shape in shapes.items() if shape}
    if len(set(lengths.values())) > 1:
        return 'invalid', f'keys have different sample counts: {lengths}'
    for key, shape in SAMPLE_SHAPES.items():
        if key in shapes and shapes[key][1:] != shape:
            return 'invalid', f'{key} has per-sample shape {shapes[key][1:]}, expected {shape}'
    return 'found', ''


def _sampled_images(path: str, image_dir: str) -> Tuple[str, str]:
    """Return (status, detail) for a sample of the images an annotation file names."""
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


def _check_annotation(need: FileNeed, image_dir: Optional[str]) -> AssetStatus:
    status = _check_file(need.kind, need.path)
    if status.ok:
        status.status, status.detail = _annotation_layout(need)
    if status.ok and image_dir is not None and 'imgname' in need.keys:
        status.status, status.detail = _sampled_images(need.path, image_dir)
    return status


def _check_gender_model(need: FileNeed) -> AssetStatus:
    from mesh_recovery.body_models.io import find_optional_gender_path
    found = find_optional_gender_path(need.path, need.gender) if osp.isdir(need.path) else None
    if found:
        return AssetStatus(need.kind, found, 'found')
    expected = osp.join(need.path, smpl_file_name(need.gender))
    return AssetStatus(need.kind, expected, 'missing',
                       f'{need.why}: no {expected} (or .npz){_relative_note(expected)}')


def check_needs(needs: Sequence[FileNeed]) -> List[AssetStatus]:
    """Check what dataset and metric classes declared (``needed_files``), in order.

    An image folder is reported only when it is missing; then the images of
    the annotation files naming it are not sampled.
    """
    statuses, absent_dirs = [], set()
    num_vertices = None  # of the last body model checked, for the regressor after it
    for need in needs:
        if need.check == 'folder':
            if not osp.isdir(need.path):
                absent_dirs.add(need.path)
                statuses.append(AssetStatus(need.kind, need.path, 'missing', f'no image folder at {need.path}'))
        elif need.check == 'spin_npz':
            image_dir = None if need.image_dir in absent_dirs else need.image_dir
            statuses.append(_check_annotation(need, image_dir))
        elif need.check == 'body_model':
            statuses.append(_check_gender_model(need))
        elif need.check == 'body_model_file':
            status, num_vertices = _check_body_model_file(need)
            statuses.append(status)
        elif need.check == 'joints_regressor':
            statuses.append(_check_regressor(need.path, num_vertices))
        elif need.check == 'mean_params':
            statuses.append(_check_mean_params(need))
        elif need.check == 'npy':
            statuses.append(_opened(need.kind, need.path, lambda p: load_npy(p, 'joint regressor'))[0])
        else:
            statuses.append(_check_file(need.kind, need.path))
    return statuses


def _declared(ask: Callable[[], List[FileNeed]], where: str) -> Tuple[List[FileNeed], List[AssetStatus]]:
    """Ask a class for its files; a config it refuses becomes an ``invalid`` status (the doctor never crashes)."""
    try:
        return ask(), []
    except (KeyError, TypeError, ValueError) as exc:
        # str() of a KeyError is the repr of its message; show the message itself.
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        return [], [AssetStatus('config', where, 'invalid', f'{type(exc).__name__}: {message}')]


def check_dataset_files(dataset_cfg) -> List[AssetStatus]:
    """Annotation files (validated) and image folders of a (possibly wrapped) dataset config.

    The files are those the dataset classes declare (``needed_files``), so a
    new dataset class is checked without changing this function.
    """
    from mesh_recovery.datasets.file_needs import dataset_files
    kind = dataset_cfg.get('type') if hasattr(dataset_cfg, 'get') else type(dataset_cfg).__name__
    needs, errors = _declared(lambda: dataset_files(dataset_cfg), f'dataset {kind}')
    return errors + check_needs(needs)


def check_evaluator_files(evaluators) -> List[AssetStatus]:
    """The files the metrics of ``evaluators`` declare (gendered models, regressors, annotations)."""
    import mesh_recovery.evaluation  # noqa: F401  (registers the metrics)
    from mesh_recovery.evaluation.eval_names import evaluator_list
    from mesh_recovery.registry import METRICS
    statuses = []
    for metric in evaluator_list(evaluators):
        needs, errors = _declared(lambda: declared_files(METRICS, metric), f"evaluator {metric.get('type')}")
        statuses += errors + check_needs(needs)
    return statuses


def collect_assets(cfg, mode: str, checkpoint: Optional[str] = None) -> List[AssetStatus]:
    """Every asset ``cfg`` needs for ``mode`` (``train``, ``test`` or ``all``)."""
    if mode not in ('train', 'test', 'all'):
        raise ValueError(f'mode must be train, test or all, got {mode!r}')
    statuses = check_model_files(cfg.get('model', {}))
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
