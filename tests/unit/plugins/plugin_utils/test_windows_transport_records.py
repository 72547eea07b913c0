"""PFMVE_WINDOWS_RECORD_DIR: one file per round trip, for the whole run (bench/scale.py site counts them)."""
import base64
import json
import types

from ansible_collections.printfleet.mve.plugins.plugin_utils import windows_transport as wt


class Connection(object):
    """Answers every step with the same result line, as the bootstrap prints it."""

    def __init__(self):
        self._shell = types.SimpleNamespace(SHELL_FAMILY='powershell',
                                            _encode_script=lambda script, preserve_rc=True: 'PowerShell -enc x')

    def exec_command(self, cmd, in_data=None, sudoable=True):
        line = base64.b64encode(json.dumps({'ok': True, 'value': {'n': 1}}).encode()).decode()
        return 0, (wt.MARKER + line + '\r\n').encode(), b''


def test_two_tasks_running_the_same_step_keep_both_recordings(tmp_path, monkeypatch):
    monkeypatch.setenv(wt.RECORD_ENV, str(tmp_path))
    for task in range(2):   # each task has its own transport, numbered from 1
        transport = wt.WindowsTransport(Connection(), host='mvewin01')
        assert transport.run('relay', {'task': task}) == {'n': 1}
        assert transport.run('relay', {'task': task, 'again': True}) == {'n': 1}
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ['mvewin01-%03d-relay.json' % i for i in (1, 2, 3, 4)]
    payloads = [json.loads((tmp_path / n).read_text())['payload'] for n in names]
    assert payloads == [{'task': 0}, {'task': 0, 'again': True}, {'task': 1}, {'task': 1, 'again': True}]
