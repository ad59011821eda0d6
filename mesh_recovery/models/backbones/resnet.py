"""ResNet backbone over torchvision, with torchvision / mmpose parameter names."""
import functools
import os.path as osp
from typing import Dict, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torchvision
from mmengine.model import BaseModule

from mesh_recovery.registry import MODELS

_ARCHS = {
    18: torchvision.models.resnet18,
    34: torchvision.models.resnet34,
    50: torchvision.models.resnet50,
    101: torchvision.models.resnet101,
    152: torchvision.models.resnet152,
}
_STAGES = ('layer1', 'layer2', 'layer3', 'layer4')
_AUTOCAST_DTYPES = {None: None, 'bfloat16': torch.bfloat16, 'float16': torch.float16}


def native_bfloat16(device: torch.device) -> Optional[torch.dtype]:
    """``torch.bfloat16`` if ``device`` computes in bfloat16 natively, else None."""
    return _native_bfloat16(device.type)


def resolve_autocast_dtype(setting: Optional[str], device: torch.device) -> Optional[torch.dtype]:
    """The dtype a backbone built with ``autocast_dtype=setting`` computes in on ``device`` (None: float32)."""
    return native_bfloat16(device) if setting == 'auto' else _AUTOCAST_DTYPES[setting]


@functools.lru_cache(maxsize=None)
def _native_bfloat16(device_type: str) -> Optional[torch.dtype]:
    # Asked on every forward pass: answer once per device type.
    if device_type == 'cuda':
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else None
    if device_type == 'cpu':
        # Private torch helpers: if a release drops them, stay in full precision.
        checks = [getattr(torch.cpu, name, None) for name in ('_is_avx512_bf16_supported', '_is_amx_tile_supported')]
        return torch.bfloat16 if any(check is not None and check() for check in checks) else None
    return None


@MODELS.register_module()
class ResNet(BaseModule):
    """torchvision ResNet without its classifier, returning stage feature maps.

    Parameter names are torchvision's (``conv1``, ``bn1``, ``layer1.0.conv1``,
    ``layer2.0.downsample.0``, ...), which are also mmpose 0.x ResNet's, so the
    released HMR checkpoint and torchvision ImageNet weights load unchanged.

    Args:
        depth: 18, 34, 50, 101 or 152.
        out_indices: Stages (0..3) whose outputs are returned, in order.
        pretrained: Optional path of a LOCAL torchvision checkpoint (e.g.
            ``resnet50-0676ba61.pth``, a plain state dict, or a dict with
            ``state_dict``; ``fc.*`` is ignored). Nothing is ever downloaded.
        channels_last: Convert weights and inputs to the channels-last memory
            format (faster convolutions on CPU; numerically equivalent).
        norm_eval: Keep BatchNorm layers in eval mode while training (frozen
            statistics, e.g. for fine-tuning with small per-GPU batches).
        frozen_stages: mmpose / mmcv spelling: freeze the stem (``conv1``,
            ``bn1``) and the first ``frozen_stages`` stages (``layer1`` ..):
            no gradients and BatchNorm statistics kept. -1 (default) freezes
            nothing, 0 the stem only, 4 the whole backbone.
        autocast_dtype: Run the backbone alone under ``torch.autocast`` in this
            dtype (``'bfloat16'`` or ``'float16'``; None: full precision) and
            return float32 features, so the head, the body model and the losses
            stay in float32. ``'auto'``: bfloat16 where the device runs it
            natively (CPUs with AVX512-BF16 or AMX, CUDA GPUs that support it),
            full precision elsewhere. On a Zen 4 CPU bfloat16 makes a ResNet-18
            training step about 2.5x faster; CPUs without it emulate it slowly.
        init_cfg: mmengine initialisation config.

    Shapes:
        input ``(B, 3, H, W)``; output: tuple of ``(B, C_i, H/2^(i+2), W/2^(i+2))``,
        ``C_3 = 2048`` for depth >= 50 and 512 otherwise.
    """

    def __init__(self, depth: int = 50, out_indices: Sequence[int] = (3,), pretrained: Optional[str] = None,
                 channels_last: bool = False, norm_eval: bool = False, autocast_dtype: Optional[str] = None,
                 frozen_stages: int = -1, init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if autocast_dtype != 'auto' and autocast_dtype not in _AUTOCAST_DTYPES:
            raise ValueError(f"ResNet autocast_dtype must be 'auto' or one of {list(_AUTOCAST_DTYPES)}, "
                             f'got {autocast_dtype!r}')
        self.autocast_dtype = autocast_dtype
        if depth not in _ARCHS:
            raise ValueError(f'ResNet depth must be one of {sorted(_ARCHS)}, got {depth}')
        out_indices = tuple(out_indices)
        if not out_indices or any(i not in range(4) for i in out_indices):
            raise ValueError(f'ResNet out_indices must be a non-empty subset of 0..3, got {out_indices}')
        if not -1 <= frozen_stages <= 4:
            raise ValueError(f'ResNet frozen_stages must be in -1..4 (-1: nothing frozen), got {frozen_stages}')
        self.depth = depth
        self.out_indices = out_indices
        self.frozen_stages = frozen_stages
        self.channels_last = channels_last
        self.norm_eval = norm_eval
        net = _ARCHS[depth](weights=None)
        # Take the layers over as our own attributes so the names stay torchvision's.
        self.conv1, self.bn1, self.relu, self.maxpool = net.conv1, net.bn1, net.relu, net.maxpool
        for name in _STAGES[:max(out_indices) + 1]:
            setattr(self, name, getattr(net, name))
        self.out_channels = tuple(self._stage_channels(net, i) for i in out_indices)
        if pretrained is not None:
            self.load_torchvision_weights(pretrained)
        for module in self._frozen_modules():
            module.requires_grad_(False)
        if channels_last:
            self.to(memory_format=torch.channels_last)

    @staticmethod
    def _stage_channels(net: nn.Module, index: int) -> int:
        block = getattr(net, _STAGES[index])[-1]
        last_bn = block.bn3 if hasattr(block, 'bn3') else block.bn2
        return last_bn.num_features

    def load_torchvision_weights(self, path: str) -> None:
        """Load ImageNet weights from a local torchvision-format file.

        Args:
            path: Local ``.pth`` path.

        Raises:
            FileNotFoundError: If ``path`` does not exist (no download is attempted).
            KeyError: If backbone weights are missing from the file.
        """
        if not osp.isfile(path):
            raise FileNotFoundError(
                f'ResNet pretrained weights not found at {path}. Download torchvision\'s '
                f'resnet{self.depth} ImageNet checkpoint yourself and point backbone.pretrained at it, '
                'or set pretrained=None to start from random weights (nothing is downloaded at run time).')
        loaded = torch.load(path, map_location='cpu', weights_only=True)
        if isinstance(loaded, dict) and isinstance(loaded.get('state_dict'), dict):
            loaded = loaded['state_dict']
        state = self._strip_prefix(loaded)
        own = self.state_dict()
        missing = sorted(set(own) - set(state))
        if missing:
            raise KeyError(f'{path} lacks ResNet-{self.depth} weights: {missing[:10]} '
                           f'({len(missing)} missing); is it a torchvision resnet{self.depth} checkpoint?')
        self.load_state_dict({k: state[k] for k in own}, strict=True)

    @staticmethod
    def _strip_prefix(state: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
        # Accept whole-model checkpoints whose backbone lives under ``backbone.``.
        if any(k.startswith('backbone.') for k in state):
            return {k[len('backbone.'):]: v for k, v in state.items() if k.startswith('backbone.')}
        return dict(state)

    def _frozen_modules(self) -> Tuple[nn.Module, ...]:
        if self.frozen_stages < 0:
            return ()
        stages = tuple(getattr(self, name) for name in _STAGES[:self.frozen_stages] if hasattr(self, name))
        return (self.conv1, self.bn1) + stages

    def train(self, mode: bool = True) -> 'ResNet':
        """Set train mode; BatchNorm layers stay in eval mode when ``norm_eval`` or frozen."""
        super().train(mode)
        if not mode:
            return self
        scopes = (self, ) if self.norm_eval else self._frozen_modules()
        for scope in scopes:
            for module in scope.modules():
                if isinstance(module, nn.modules.batchnorm._BatchNorm):
                    module.eval()
        return self

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """Compute the stage features.

        Args:
            x: Images ``(B, 3, H, W)``, normalised.

        Returns:
            Feature maps of the stages in ``out_indices``.
        """
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        dtype = resolve_autocast_dtype(self.autocast_dtype, x.device)
        if dtype is None:
            return self._stages(x)
        with torch.autocast(device_type=x.device.type, dtype=dtype):
            outs = self._stages(x)
        return tuple(out.float() for out in outs)

    def _stages(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        outs = []
        for index, name in enumerate(_STAGES[:max(self.out_indices) + 1]):
            x = getattr(self, name)(x)
            if index in self.out_indices:
                outs.append(x)
        return tuple(outs)
