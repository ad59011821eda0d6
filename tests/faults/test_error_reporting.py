"""Item 0: user errors end a tool with one message and status 2; bugs keep their traceback."""
import sys

import pytest
from fault_tools import QUICKSTART, REPO, run_python

from mesh_recovery.utils.errors import USER_ERROR_STATUS, BadValueError, run_main, user_message


def _fails_with_user_error(argv):
    raise BadValueError(f'bad value in {argv}')


def test_user_error_is_one_message_and_status_2(capsys):
    assert run_main(_fails_with_user_error, ['x']) == USER_ERROR_STATUS
    err = capsys.readouterr().err
    assert err.startswith("error: bad value in ['x']") and 'Traceback' not in err and '--debug' in err


def test_debug_shows_the_traceback_and_is_not_passed_on():
    with pytest.raises(BadValueError, match=r"bad value in \['x'\]"):  # '--debug' itself was removed
        run_main(_fails_with_user_error, ['x', '--debug'])


def test_internal_errors_keep_their_traceback():
    def broken(argv):
        raise ZeroDivisionError('bug')

    with pytest.raises(ZeroDivisionError):
        run_main(broken, [])


def test_worker_traceback_is_cut_from_the_message():
    exc = BadValueError('Caught BadValueError in DataLoader worker process 0.\nOriginal Traceback (most recent '
                        'call last):\n  File "x.py", line 1\nmesh_recovery.utils.errors.BadValueError: '
                        'scale of sample 3 is 0')
    assert user_message(exc) == 'Caught BadValueError in DataLoader worker process 0. scale of sample 3 is 0'


def test_empty_checkpoint_given_to_test_py_is_one_named_message(tmp_path):
    empty = tmp_path / 'model.pth'
    empty.write_bytes(b'')
    result = run_python(['tools/test.py', QUICKSTART, empty, '--cfg-options',
                         f'test_dataloader.dataset.data_root={REPO / "data/synthetic"}'], timeout=120)
    assert result.returncode == USER_ERROR_STATUS, result.stderr[-3000:]
    assert 'Traceback' not in result.stderr
    assert f'checkpoint {empty} is empty' in result.stderr


def test_config_with_a_syntax_error_names_the_config(tmp_path, capsys):
    sys.path.insert(0, str(REPO / 'tools'))
    import train
    config = tmp_path / 'broken.py'
    config.write_text("_base_ = ['x.py']\nmodel = dict(type='HMR'\n")
    assert run_main(train.main, [str(config)]) == USER_ERROR_STATUS
    assert f'config {config} has a syntax error at line 2' in capsys.readouterr().err


@pytest.mark.parametrize('option, words', [
    ('train_dataloader.batch_size=abc', "train_dataloader.batch_size='abc': expected a number"),
    ('train_dataloaderr.batch_size=4', "did you mean ['train_dataloader.batch_size'"),
    ('model=3', 'model is a section of the config'),
])
def test_unusable_cfg_options_name_key_and_value(option, words, capsys):
    sys.path.insert(0, str(REPO / 'tools'))
    import train
    assert run_main(train.main, [QUICKSTART, '--cfg-options', option]) == USER_ERROR_STATUS
    assert words in capsys.readouterr().err
