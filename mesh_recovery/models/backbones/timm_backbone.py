"""Any timm network (HRNet, ViT, ...) as a backbone returning one feature map."""
import os.path as osp
from typing import Dict, List, Optional, Tuple

import torch
from mmengine.model import BaseModule

from mesh_recovery.registry import MODELS
from mesh_recovery.utils.asset_needs import FileNeed

# Where released ImageNet / pose-pretrained weights for the common names come from.
_WEIGHT_SOURCES = (
    'timm\'s released weights for this name (the Hugging Face hub repository "timm/<model_name>", file '
    'model.safetensors or pytorch_model.bin, fetched by you), or a whole-model checkpoint whose backbone '
    'lives under "backbone."')


def _read_state_dict(path: str) -> Dict[str, torch.Tensor]:
    if path.endswith('.safetensors'):
        from safetensors.torch import load_file
        return load_file(path)
    loaded = torch.load(path, map_location='cpu', weights_only=True)
    for key in ('state_dict', 'model', 'module'):
        if isinstance(loaded, dict) and isinstance(loaded.get(key), dict):
            loaded = loaded[key]
    if not isinstance(loaded, dict):
        raise TypeError(f'{path} holds a {type(loaded).__name__}, expected a state dict of tensors')
    return loaded


@MODELS.register_module()
class TimmBackbone(BaseModule):
    """A timm model built by name, without classifier and pooling, as a backbone.

    The network is ``timm.create_model(model_name, pretrained=False,
    num_classes=0, global_pool='', **model_kwargs)``: timm never downloads
    anything here; weights come only from the local file ``pretrained``. The
    output is the last feature map of ``forward_features``: a CNN's ``(B, C,
    h, w)`` map as it is (timm's classification HRNet: 2048 channels at stride
    32, the features CLIFF's HRNet-W48 head reads), and a vision transformer's
    patch tokens, prefix (class) tokens dropped, laid out as ``(B, C, h, w)``
    on the patch grid (the layout of ViTPose, HMR 2.0's backbone).

    Args:
        model_name: timm architecture name, e.g. ``'hrnet_w48'``,
            ``'vit_base_patch16_224'``.
        model_kwargs: Extra keyword arguments of ``timm.create_model``, e.g.
            ``dict(img_size=(256, 192), patch_size=16, class_token=False)``.
        pretrained: Optional path of a LOCAL weights file (``.pth``/``.bin``,
            a state dict or a dict with ``state_dict``/``model``; or
            ``.safetensors``). Classifier keys (``head.*``, ``fc.*``,
            ``classifier.*``) are ignored; any other missing or unexpected key
            is an error listing them.
        input_width: If set, only the central ``input_width`` columns of the
            input reach the network: HMR 2.0 crops a square 256 x 256 box and
            feeds its central 192 columns to the ViT (256 x 192).
        channels_last: Convert weights and inputs to channels-last (CNNs on CPU).
        patch_padding: Zero padding of a ViT's patch-embedding convolution
            (ViTPose, HMR 2.0's backbone, pads its 16 x 16 stride-16 patches by
            2 px; timm by 0). The patch grid stays ``H / p x W / p``.
        init_cfg: mmengine initialisation config.

    Shapes:
        input ``(B, 3, H, W)``; output: a 1-tuple ``((B, out_channels[-1], h, w),)``.
    """

    _CLASSIFIER_PREFIXES = ('head.', 'fc.', 'classifier.', 'head_drop.')

    @classmethod
    def needed_files(cls, model_name: str = '', pretrained: Optional[str] = None, **kwargs) -> List[FileNeed]:
        """The local weights file, if the config names one (for the asset doctor)."""
        if not pretrained:
            return []
        return [FileNeed('pretrained', str(pretrained), why=f'TimmBackbone({model_name!r}) initial weights')]

    def __init__(self, model_name: str, model_kwargs: Optional[dict] = None, pretrained: Optional[str] = None,
                 input_width: Optional[int] = None, channels_last: bool = False, patch_padding: int = 0,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        import timm  # imported here: configs without timm backbones do not need it installed
        if model_name not in timm.list_models():
            close = timm.list_models(f'*{model_name.split("_")[0]}*')[:10]
            raise ValueError(f'TimmBackbone: timm {timm.__version__} has no model {model_name!r}; similar: {close}')
        self.model_name = model_name
        self.input_width = input_width
        self.channels_last = channels_last
        self.model = timm.create_model(model_name, pretrained=False, num_classes=0, global_pool='',
                                       **dict(model_kwargs or {}))
        self.num_prefix_tokens = getattr(self.model, 'num_prefix_tokens', 0)
        self.is_transformer = hasattr(self.model, 'patch_embed') and hasattr(self.model, 'blocks')
        if patch_padding:
            if not self.is_transformer:
                raise ValueError(f'TimmBackbone patch_padding={patch_padding} applies to ViTs; {model_name} is not one')
            self.model.patch_embed.proj.padding = (int(patch_padding), int(patch_padding))
        self.out_channels: Tuple[int, ...] = (int(self.model.num_features), )
        if pretrained:
            self.load_weights(pretrained)
        if channels_last:
            self.to(memory_format=torch.channels_last)

    def load_weights(self, path: str) -> None:
        """Load the network's weights from a local file (see the class docstring).

        Raises:
            FileNotFoundError: ``path`` does not exist (nothing is downloaded).
            KeyError: Keys of the network are missing or the file has extra ones.
        """
        if not osp.isfile(path):
            raise FileNotFoundError(
                f'TimmBackbone({self.model_name!r}) pretrained weights not found at {path}. Such weights are '
                f'{_WEIGHT_SOURCES}; put the file there or set pretrained=None to start from random weights '
                '(nothing is downloaded at run time).')
        state = _read_state_dict(path)
        if any(k.startswith('backbone.') for k in state):
            state = {k[len('backbone.'):]: v for k, v in state.items() if k.startswith('backbone.')}
        if any(k.startswith('model.') for k in state):
            state = {k[len('model.'):]: v for k, v in state.items() if k.startswith('model.')}
        state = {k: v for k, v in state.items() if not k.startswith(self._CLASSIFIER_PREFIXES)}
        own = self.model.state_dict()
        missing, unexpected = sorted(set(own) - set(state)), sorted(set(state) - set(own))
        if missing or unexpected:
            raise KeyError(f'{path} does not match timm {self.model_name}: missing {missing[:10]} '
                           f'({len(missing)}), unexpected {unexpected[:10]} ({len(unexpected)}); is it a '
                           f'checkpoint of this architecture with the same model_kwargs?')
        shapes = [f'{k}: {tuple(state[k].shape)} vs {tuple(v.shape)}' for k, v in own.items()
                  if tuple(state[k].shape) != tuple(v.shape)]
        if shapes:
            raise ValueError(f'{path}: tensor shapes differ from timm {self.model_name}: {shapes[:5]}')
        self.model.load_state_dict(state, strict=True)

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor]:
        """Compute the feature map.

        Args:
            x: Images ``(B, 3, H, W)``, normalised.

        Returns:
            A 1-tuple with the ``(B, C, h, w)`` feature map.
        """
        if self.input_width is not None:
            if x.shape[-1] < self.input_width:
                raise ValueError(f'TimmBackbone input_width={self.input_width} is wider than the input '
                                 f'{tuple(x.shape)}')
            left = (x.shape[-1] - self.input_width) // 2
            x = x[..., left:left + self.input_width]
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        feats = self.model.forward_features(x)
        if self.is_transformer:
            feats = self._tokens_to_map(feats, x.shape[-2:])
        return (feats, )

    def _tokens_to_map(self, tokens: torch.Tensor, size: torch.Size) -> torch.Tensor:
        patch = self.model.patch_embed.patch_size
        grid_h, grid_w = size[0] // patch[0], size[1] // patch[1]
        tokens = tokens[:, self.num_prefix_tokens:]
        if tokens.shape[1] != grid_h * grid_w:
            raise ValueError(f'TimmBackbone: {tokens.shape[1]} patch tokens for a {grid_h} x {grid_w} grid; '
                             f'does model_kwargs img_size match the input {tuple(size)}?')
        return tokens.transpose(1, 2).reshape(tokens.shape[0], tokens.shape[2], grid_h, grid_w)

