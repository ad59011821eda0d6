"""The docs-command checker of tests/test_docs_commands.py refuses bad commands and accepts good ones."""
import re

import pytest

from test_docs_commands import DocCommandError, check_command, extract_commands  # tests/, beside this file


@pytest.mark.parametrize('command,message', [
    ('python tools/train.py configs/mesh/hmr/no_such_config.py', 'no_such_config.py does not exist'),
    ('python tools/train.py configs/mesh/hmr/hmr_resnet_50.py --no-such-flag', 'rejects'),
    ('python tools/test.py configs/mesh/hmr/hmr_resnet_50.py', 'rejects'),
    ('python tools/test.py configs/mesh/hmr/hmr_resnet_50.py models/pytorch/hmr/other.pth', 'other.pth does not exist'),
    ('python tools/no_such_tool.py', 'does not exist'),
    ('./tools/dist_train.sh configs/mesh/hmr/hmr_resnet_50.py', 'needs CONFIG GPUS'),
    ('./tools/dist_train.sh configs/mesh/hmr/hmr_resnet_50.py eight', 'GPUS must be a number'),
    ('NUM_NODES=2 ./tools/dist_train.sh configs/mesh/hmr/hmr_resnet_50.py 8', 'never reads it'),
    ('./tools/slurm_test.sh p j configs/mesh/hmr/hmr_resnet_50.py ckpt.pth --eval=mAP', 'rejects'),
    ('pip install -e .[no_such_extra]', 'no extras'),
    ('pip install chumpy', 'not this repository'),
    ('python tools/train.py configs/mesh/hmr/hmr_resnet_50.py --cfg-options train_dataloader.batchsize=16',
     'has no such entry'),
    ('rm -rf work_dirs', "no rule checks the program 'rm'"),
    ('python tools/quickstart.py | tee log.txt', 'shell operators'),
])
def test_checker_rejects_bad_commands(command, message, tmp_path):
    with pytest.raises(DocCommandError, match=re.escape(message)):
        check_command(command, tmp_path)


def test_checker_accepts_placeholders_and_help(tmp_path):
    usage = './tools/slurm_train.sh PARTITION JOB_NAME CONFIG WORK_DIR'
    assert check_command(usage, tmp_path) == ['arguments accepted']
    assert check_command('python tools/train.py --help', tmp_path) == ['executed (--help)']


def test_extract_commands_joins_continuations_and_skips_other_blocks():
    markdown = ('```bash\n# a comment\npython tools/train.py A \\\n    --seed 1\n\nB=1 ./x.sh\n```\n'
                '```text\nnot a command\n```\n```python\nprint(1)\n```\n')
    assert extract_commands(markdown) == ['python tools/train.py A --seed 1', 'B=1 ./x.sh']
