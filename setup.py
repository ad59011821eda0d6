"""Installation script for mesh_recovery (mmpose-style requirements files)."""
import os.path as osp

from setuptools import find_packages, setup

HERE = osp.dirname(osp.abspath(__file__))


def read_requirements(name: str) -> list:
    """Read one file of ``requirements/`` without comments or blank lines."""
    path = osp.join(HERE, 'requirements', name)
    with open(path, encoding='utf-8') as f:
        lines = (line.split('#', 1)[0].strip() for line in f)
        return [line for line in lines if line and not line.startswith('-r')]


def read_version() -> str:
    scope = {}
    with open(osp.join(HERE, 'mesh_recovery', 'version.py'), encoding='utf-8') as f:
        exec(f.read(), scope)
    return scope['__version__']


setup(
    name='mesh_recovery',
    version=read_version(),
    description='Config-driven training and evaluation of single-image 3D human mesh recovery (HMR)',
    long_description=open(osp.join(HERE, 'README.md'), encoding='utf-8').read(),
    long_description_content_type='text/markdown',
    license='Apache-2.0',
    python_requires='>=3.10',
    packages=find_packages(include=['mesh_recovery', 'mesh_recovery.*']),
    install_requires=read_requirements('runtime.txt'),
    extras_require={
        'tests': read_requirements('tests.txt'),
        'anny': ['anny==0.6.2'],
        'tensorboard': read_requirements('tensorboard.txt'),
        'optional': read_requirements('optional.txt'),
        'deploy': read_requirements('deploy.txt'),
    },
    zip_safe=False,
)
