"""Converters from the raw datasets to SPIN-format annotation files (and image trees).

One module per dataset, each reproducing one of nkolot/SPIN's
``datasets/preprocess/*.py`` scripts (see ``docs/data_preparation.md``). Nothing
here imports model code; the dataset modules are imported only when a converter
runs, so ``converter_command`` is cheap to call from the asset checker.
"""
from .registry import CONVERTERS, ConverterInfo, converter_command, converter_for_path

__all__ = ['CONVERTERS', 'ConverterInfo', 'converter_command', 'converter_for_path']
