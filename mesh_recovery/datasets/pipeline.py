"""Building dataset pipelines from configs."""
from typing import Callable, List, Optional, Sequence, Union

from mesh_recovery.registry import TRANSFORMS


def build_pipeline(pipeline: Optional[Sequence[Union[dict, Callable]]]) -> List[Callable]:
    """Build transform configs with mesh_recovery's registry.

    mmengine's ``Compose`` builds from its root registry, which finds
    mesh_recovery's transforms only inside a Runner's default scope; building
    here makes datasets work the same in scripts and tests. Types not defined
    by mesh_recovery fall back to mmengine's and mmcv's registries.
    """
    return [TRANSFORMS.build(t) if isinstance(t, dict) else t for t in (pipeline or [])]
