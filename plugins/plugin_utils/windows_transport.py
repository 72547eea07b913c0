# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one way the collection runs PowerShell on a Windows host: every action plugin's steps go through here.

A *step* is a PowerShell script shipped in the collection (``plugins/module_utils/windows/<name>.ps1``, a
scriptblock with ``param($Payload)`` that returns one object) plus a JSON payload (the step's data). Over the
task's own connection (``winrm`` or ``psrp``, shell ``powershell``):

* the command is always the same small bootstrap (``bootstrap.ps1``), encoded by the connection's shell plugin
  (``_encode_script``: ``Set-StrictMode -Version Latest`` first, as for Ansible's own modules);
* the input carries two base64 lines, the script and the payload: the winrm connection writes it to the
  process's stdin, the psrp connection passes it as pipeline input; the bootstrap reads ``$input``, which is
  both. Nothing the user wrote is spliced into a script's text: it only travels in the payload, as data;
* the bootstrap prints the step's result as one ASCII line, ``PFMVE-RESULT:`` + base64 of its UTF-8 JSON, so the
  console code page of Windows PowerShell 5.1 cannot garble a non-ASCII rule name; an exception inside the step
  comes back the same way (``ok: false``, message, type, line) and becomes ``WindowsStepError``.

Secrets (the task's no_log values) are removed from every error text and every recording. With the environment
variable ``PFMVE_WINDOWS_RECORD_DIR`` set on the controller, each round trip is saved there as JSON (script
name, payload, rc, stdout, stderr, secrets removed): a real run becomes test fixtures (docs/windows.md).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import json
import os
import re
import time

MARKER = 'PFMVE-RESULT:'
RECORD_ENV = 'PFMVE_WINDOWS_RECORD_DIR'
SCRIPT_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'module_utils', 'windows')
BOOTSTRAP = 'bootstrap'
_CACHE = {}


class WindowsStepError(Exception):
    """A step that did not run to its end on the Windows host (its message has no secret in it)."""

    def __init__(self, message, step=None, kind='transport'):
        super(WindowsStepError, self).__init__(message)
        self.message, self.step, self.kind = message, step, kind


def script_path(name):
    return os.path.join(SCRIPT_DIR, name + '.ps1')


_INCLUDE = re.compile(r'^# pfmve-include: (_[a-z_]+)$', re.M)


def load_script(name):
    """The text of a shipped step (``relay``, ``firewall``, ``port_probe``, ``bootstrap`` ...), with the shared
    parts it includes (``# pfmve-include: _tls``: files whose name starts with ``_``) inlined."""
    if name not in _CACHE:
        if not re.match(r'^_?[a-z_]+$', name):
            raise WindowsStepError('no such step %r' % (name,))
        with open(script_path(name), 'r', encoding='utf-8') as fh:
            text = fh.read()
        if not name.startswith('_'):
            text = _INCLUDE.sub(lambda m: load_script(m.group(1)).rstrip('\n'), text)
        _CACHE[name] = text
    return _CACHE[name]


def shipped_steps():
    """Names of every step shipped in module_utils/windows (the bootstrap and the included parts excluded)."""
    return sorted(f[:-4] for f in os.listdir(SCRIPT_DIR)
                  if f.endswith('.ps1') and f[:-4] != BOOTSTRAP and not f.startswith('_'))


def _b64(text):
    return base64.b64encode(text.encode('utf-8')).decode('ascii')


def step_input(name, payload):
    """The input lines of one step: the script, then the payload, each base64 of its UTF-8 text."""
    data = json.dumps(payload, sort_keys=True, separators=(',', ':'), ensure_ascii=False)
    return ('%s\n%s\n' % (_b64(load_script(name)), _b64(data))).encode('ascii')


def _forms(secret):
    """A secret as it may travel: itself, hex (relay send data), base64 at each of the 3 alignments (AUTH
    PLAIN and LOGIN carry passwords base64-encoded), without the partial characters at the edges, and the hex
    of those (an AUTH line in the relay's send data)."""
    raw = secret.encode('utf-8')
    forms = {secret, raw.hex(), raw.hex().upper()}
    for pad in range(3):
        enc = base64.b64encode(b'\0' * pad + raw).decode('ascii').rstrip('=')
        start = (pad * 4 + 2) // 3
        end = len(enc) - (1 if (pad + len(raw)) % 3 else 0)
        if end - start >= 4:
            part = enc[start:end]
            forms.update((part, part.encode('ascii').hex(), part.encode('ascii').hex().upper()))
    return [f for f in forms if len(f) >= 3]


def scrub(text, secrets):
    """``text`` with every form of every secret replaced by ``********``."""
    text = text if isinstance(text, str) else (text or b'').decode('utf-8', 'replace')
    forms = sorted(set(f for s in secrets or () if s for f in _forms(s)), key=len, reverse=True)
    for form in forms:
        text = text.replace(form, '********')
    return text


# The text fields of a step's results that the Windows host wrote (.NET exception messages, which may quote the
# data they were given: the bytes being sent, an argument).
REMOTE_TEXT_FIELDS = ('error', 'message', 'tls_error')


def scrub_fields(items, secrets, fields=REMOTE_TEXT_FIELDS):
    """``items`` (a step's list of result dicts) with every form of every secret removed from their ``fields``,
    in place; returns ``items``."""
    for item in items if isinstance(items, list) else ():
        if isinstance(item, dict):
            for field in fields:
                if isinstance(item.get(field), str):
                    item[field] = scrub(item[field], secrets)
    return items


def parse_output(stdout, name='step'):
    """The result object of a step from its stdout: the value of the last ``PFMVE-RESULT:`` line.

    Raises WindowsStepError when there is none (the bootstrap did not run to its end) or when the step raised.
    """
    text = stdout.decode('utf-8', 'replace') if isinstance(stdout, bytes) else (stdout or '')
    lines = [line.strip() for line in text.splitlines() if line.strip().startswith(MARKER)]
    if not lines:
        raise WindowsStepError('the %s step printed no result line (%s...): %s' % (
            name, MARKER, text.strip()[:300] or 'no output'))
    try:
        out = json.loads(base64.b64decode(lines[-1][len(MARKER):]).decode('utf-8'))
    except (ValueError, TypeError) as exc:
        raise WindowsStepError('the %s step printed an unreadable result line: %s' % (name, exc))
    if not isinstance(out, dict) or 'ok' not in out:
        raise WindowsStepError('the %s step printed a result of an unknown shape' % name)
    if not out['ok']:
        raise WindowsStepError('the %s step failed on the Windows host: %s (%s, line %s)' % (
            name, out.get('error'), out.get('type'), out.get('line')), step=name, kind='step')
    value = out.get('value')
    if isinstance(value, list):  # stray pipeline output before the step's object: keep the object
        dicts = [v for v in value if isinstance(v, dict)]
        value = dicts[-1] if dicts else None
    return value


def read_ca_bundle(ca_path):
    """The PEM text of ``ca_path`` read on the controller, for the Windows host to trust: a file, or every
    certificate file of a directory (as OpenSSL's CApath: *.pem, *.crt, *.cer and hashed names). Raises
    ValueError naming ``ca_path``."""
    if not ca_path:
        return None
    try:
        if os.path.isdir(ca_path):
            texts = []
            for name in sorted(os.listdir(ca_path)):
                path = os.path.join(ca_path, name)
                if os.path.isfile(path) and re.search(r'(\.(pem|crt|cer)|\.\d+)$', name, re.I):
                    with open(path, 'r') as fh:
                        text = fh.read()
                    if '-----BEGIN CERTIFICATE-----' in text:
                        texts.append(text.strip())
            if not texts:
                raise ValueError('ca_path: the directory %r on the controller holds no PEM certificate' % ca_path)
            return '\n'.join(texts) + '\n'
        with open(ca_path, 'r') as fh:
            return fh.read()
    except (IOError, OSError) as exc:
        raise ValueError('ca_path: cannot read %r on the controller (on a Windows target the CA bundle is read on '
                         'the controller and sent along): %s' % (ca_path, exc))


def on_windows(connection):
    """True when the task's connection runs PowerShell (winrm, psrp, or ssh with the powershell shell)."""
    return getattr(getattr(connection, '_shell', None), 'SHELL_FAMILY', None) == 'powershell'


class WindowsTransport(object):
    """Runs steps over one task's connection; counts the round trips."""

    def __init__(self, connection, secrets=(), host=None):
        self.connection = connection
        self.secrets = [s for s in (secrets or ()) if isinstance(s, str) and s]
        self.host = host or getattr(connection, '_host', None) or 'windows'
        self.round_trips = 0

    def command(self):
        # pylint: disable=protected-access
        return self.connection._shell._encode_script(load_script(BOOTSTRAP), preserve_rc=False)

    def run(self, name, payload):
        """One round trip: run step ``name`` with ``payload``; returns the object the step returned."""
        self.round_trips += 1
        started = time.time()
        rc, stdout, stderr = self.connection.exec_command(self.command(), in_data=step_input(name, payload),
                                                          sudoable=False)
        self._record(name, payload, rc, stdout, stderr, time.time() - started)
        try:
            return parse_output(stdout, name)
        except WindowsStepError as exc:
            detail = scrub(stderr, self.secrets).strip()
            message = scrub(exc.message, self.secrets)
            if detail:
                message = '%s (rc %s, stderr: %s)' % (message, rc, detail[:1000])
            raise WindowsStepError(message, step=exc.step, kind=exc.kind)

    @staticmethod
    def _readable(stdout):
        """stdout with the result line decoded (so that a recording can be read, and scrubbed)."""
        text = stdout.decode('utf-8', 'replace') if isinstance(stdout, bytes) else (stdout or '')
        out = []
        for line in text.splitlines():
            if line.strip().startswith(MARKER):
                try:
                    line = MARKER + ' ' + base64.b64decode(line.strip()[len(MARKER):]).decode('utf-8')
                except (ValueError, TypeError):
                    pass
            out.append(line)
        return '\n'.join(out)

    def _record(self, name, payload, rc, stdout, stderr, elapsed):
        directory = os.environ.get(RECORD_ENV)
        if not directory:
            return
        safe = re.sub(r'[^A-Za-z0-9_.-]', '_', str(self.host))
        record = {'host': str(self.host), 'script': name, 'rc': rc, 'elapsed_s': round(elapsed, 3),
                  'payload': json.loads(scrub(json.dumps(payload), self.secrets)),
                  'stdout': scrub(self._readable(stdout), self.secrets), 'stderr': scrub(stderr, self.secrets)}
        try:
            os.makedirs(directory, exist_ok=True)
            # Every task has its own transport: the next free number of the host's recordings, never an earlier
            # task's file (two tasks running the same step would write the same name).
            while True:
                self._seq = getattr(self, '_seq', 0) + 1
                path = os.path.join(directory, '%s-%03d-%s.json' % (safe, self._seq, name))
                try:
                    fh = open(path, 'x')
                except FileExistsError:
                    continue
                with fh:
                    json.dump(record, fh, indent=2, sort_keys=True)
                break
        except (IOError, OSError):
            pass
