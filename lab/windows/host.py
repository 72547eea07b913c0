"""A simulated Windows MVE server: what a Windows host without Python does with what Ansible sends it.

No Windows host and no PowerShell run on the build machines. This stands where the Windows side of a winrm or
psrp connection would, for the collection's own PowerShell steps only, and it is strict about them:

* the command must be the collection's bootstrap exactly as Ansible's PowerShell shell plugin encodes it
  (``_encode_script``: ``Set-StrictMode -Version Latest`` prepended, lines stripped, UTF-16LE base64), and the
  decoded text must parse (tests/support/pslint.py on tree-sitter-powershell: no ERROR/MISSING node, no
  PowerShell 7-only syntax) and pass the strict-mode and script-scope rules;
* the input must arrive the way the real connection delivers it: bytes on stdin for winrm, a list of lines as
  pipeline input for psrp (``in_data.splitlines()``); the bootstrap's ``$input`` reads both, so both become
  the same lines here, and anything else (an empty pipeline, a script on a command line) fails as it would;
* the first input line must be the base64 of one of the shipped steps (module_utils/windows/*.ps1, checked
  with the same rules), the second the base64 of its JSON payload; the step then runs with its Python
  reference (lab/windows/relay_executor.py for the socket relay, lab/windows/fwpolicy_sim.py for the policy
  store, python-tds for the SQL Server login, lab/windows/port_probe_executor.py for the port probes) and its result is printed as the bootstrap
  prints it (``PFMVE-RESULT:`` + base64 JSON, CRLF, console code page irrelevant: ASCII);
* anything else (an AnsiballZ Python module through Ansible's bootstrap_wrapper, a raw command, a file
  transfer) is refused with a clear error and rc 1, as a Windows host without Python would fail it.
"""
import base64
import importlib.util
import json
import os
import tempfile

from ansible.plugins.shell.powershell import ShellModule

from ansible_collections.printfleet.mve.plugins.plugin_utils import windows_transport as wt

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_PSLINT = None


def pslint():
    """tests/support/pslint.py (the static checker), loaded by path: the lab runs without the tests' sys.path."""
    global _PSLINT
    if _PSLINT is None:
        spec = importlib.util.spec_from_file_location('pfmve_pslint', os.path.join(ROOT, 'tests', 'support', 'pslint.py'))
        _PSLINT = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(_PSLINT)
    return _PSLINT


class Refused(Exception):
    """What the simulated host refuses to run (its message goes to stderr, rc 1)."""


def expected_command():
    """The command line the real shell plugin makes of the bootstrap (what every step's command must be)."""
    return ShellModule()._encode_script(wt.load_script(wt.BOOTSTRAP), preserve_rc=False)


def decode_command(cmd):
    parts = cmd.split()
    if len(parts) < 2 or parts[-2] != '-EncodedCommand':
        raise Refused('the command is not an encoded PowerShell script: %s' % cmd[:200])
    return base64.b64decode(parts[-1]).decode('utf-16-le')


def check_powershell(text, name):
    """Findings of the static checker that would make the script fail on Windows PowerShell 5.1."""
    findings = pslint().check_text(text, name)
    if findings:
        raise Refused('%s does not pass the PowerShell checks: %s' % (name, '; '.join(
            '%s line %s: %s' % (getattr(f, 'rule', '?'), getattr(f, 'line', '?'), getattr(f, 'message', f))
            for f in findings[:5])))


class SimulatedWindowsHost(object):
    """``executors``: step name -> callable(payload) returning what the step returns."""

    def __init__(self, name='mvewin01', executors=None, ps_version='5.1.17763.6414'):
        self.name = name
        self.executors = dict(executors or {})
        self.ps_version = ps_version
        self.log = []   # (transport, step name or None, payload or None, rc)
        self._steps = None

    def shipped(self):
        """base64 line -> step name, for every shipped step (each checked once)."""
        if self._steps is None:
            steps = {}
            for name in wt.shipped_steps():
                text = wt.load_script(name)
                check_powershell(text, name + '.ps1')
                steps[base64.b64encode(text.encode('utf-8')).decode('ascii')] = name
            check_powershell(decode_command(expected_command()), 'bootstrap (as _encode_script sends it)')
            self._steps = steps
        return self._steps

    # ---- the two ways a step arrives ------------------------------------------------------------------
    def exec_winrm(self, cmd, in_data):
        """The winrm connection: ``cmd`` runs as a process, ``in_data`` is written to its stdin."""
        lines = (in_data or b'').decode('ascii', 'replace').splitlines()
        return self._run('winrm', cmd, lines)

    def exec_psrp(self, cmd, in_data):
        """The psrp connection: the encoded script runs in the runspace, ``in_data.splitlines()`` is its input."""
        lines = in_data.decode('utf-8').splitlines() if in_data else []
        return self._run('psrp', cmd, lines)

    def _run(self, transport, cmd, lines):
        try:
            self.shipped()
            if cmd != expected_command():
                if decode_command(cmd).find('bootstrap_wrapper') >= 0 or '"module_entry"' in ''.join(lines[:1]):
                    raise Refused('a Python or PowerShell module of Ansible (AnsiballZ, bootstrap_wrapper) was sent')
                raise Refused('only the printfleet.mve PowerShell steps run here, and this command is not their '
                              'bootstrap (an Ansible module? a raw command?)')
            texts = [line.strip() for line in lines if line.strip()]
            if len(texts) != 2:
                # The bootstrap's own check: its $input got something else than (script, payload).
                return self._print({'ok': False, 'error': 'the step expects 2 input lines (script, payload), got %d'
                                    % len(texts), 'type': 'System.Management.Automation.RuntimeException', 'line': 15})
            name = self.shipped().get(texts[0])
            if name is None:
                raise Refused('the script of this step is not one the collection ships')
            payload = json.loads(base64.b64decode(texts[1]).decode('utf-8'))
        except Refused as exc:
            self.log.append((transport, None, None, 1))
            return 1, b'', ('#< CLIXML\r\n%s (simulated Windows host %s: no Python here; run Python modules on the '
                            'controller, delegate_to: localhost)' % (exc, self.name)).encode('utf-8')
        try:
            executor = self.executors[name]
        except KeyError:
            raise AssertionError('no Python reference for step %r on %s' % (name, self.name))
        try:
            value = executor(payload)
            out = {'ok': True, 'value': json.loads(json.dumps(value))}
        except Exception as exc:  # pylint: disable=broad-except  # the bootstrap's catch: any exception
            out = {'ok': False, 'error': str(exc), 'type': exc.__class__.__name__, 'line': 0}
        self.log.append((transport, name, payload, 0))
        return self._print(out)

    def _print(self, out):
        out = dict(out, ps_version=self.ps_version)
        line = wt.MARKER + base64.b64encode(json.dumps(out, ensure_ascii=False).encode('utf-8')).decode('ascii')
        return 0, (line + '\r\n').encode('ascii'), b''


def sql_login_step(payload):
    """sql_login.ps1's reference: the same SQL authentication, made with python-tds from this host (SqlClient's
    role; the error numbers are the server's, so they classify the same)."""
    from ansible_collections.printfleet.mve.plugins.module_utils.checks import db_login
    params = dict(payload, ca_path=None)
    login = db_login.sqlserver_login(params, None)
    return {'attempted': True, 'ok': login['ok'], 'error_code': login['error_code'], 'error': login['error'],
            'server_version': None, 'encrypt': bool(payload.get('encrypt'))}


def default_executors(policy=None, work_dir=None):
    """The Python references of every shipped step: relay (real sockets from this host), firewall (``policy``,
    a FwPolicySim), port_probe (real probes from this host)."""
    from lab.windows import fwpolicy_sim, relay_executor
    policy = policy if policy is not None else fwpolicy_sim.FwPolicySim()
    work_dir = work_dir or tempfile.mkdtemp(prefix='pfmve-simwin-')
    executors = {
        'relay': lambda payload: relay_executor.relay_step(payload, work_dir),
        'firewall': policy.step,
        'sql_login': sql_login_step,
    }
    try:
        from lab.windows import port_probe_executor
    except ImportError:
        pass
    else:
        executors['port_probe'] = port_probe_executor.port_probe_step
    return executors


class FakeWinRMConnection(object):
    """Stands where ansible.builtin.winrm stands: the real PowerShell shell plugin, stdin delivery."""

    transport = 'winrm'

    def __init__(self, host, rc=None):
        self._shell = ShellModule()
        self.host = host
        self.rc = rc  # force a transport failure (rc, stderr) for tests
        self.commands = []

    def exec_command(self, cmd, in_data=None, sudoable=True):
        self.commands.append(cmd)
        if self.rc:
            return self.rc[0], b'', self.rc[1]
        return self.host.exec_winrm(cmd, in_data)


class FakePsrpConnection(FakeWinRMConnection):
    """Stands where ansible.builtin.psrp stands: the real shell plugin, pipeline-input delivery."""

    transport = 'psrp'

    def exec_command(self, cmd, in_data=None, sudoable=True):
        self.commands.append(cmd)
        if self.rc:
            return self.rc[0], b'', self.rc[1]
        return self.host.exec_psrp(cmd, in_data)
