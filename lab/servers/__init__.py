# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Real servers on loopback, one implementation for the lab (lab/lab.py) and the integration tests.

* ``lab.servers.smtp``: aiosmtpd (plain, implicit TLS, STARTTLS, AUTH PLAIN/LOGIN) in threads.
* ``lab.servers.kdc``: MIT krb5kdc with its own realm database and configuration.
* ``lab.servers.ldap``: OpenLDAP slapd (slapd.conf, mdb, StartTLS and LDAPS).
* ``lab.servers.firebird``: Firebird 3 from its own ``FIREBIRD=`` directory, with a database and users.

Every class takes ``host`` and port(s): by default a free port on 127.0.0.1 (the tests), or fixed addresses and
the port matrix's ports (the lab). A server that cannot start raises ServerError with its log. ``start(detach=True)``
runs the process in its own session with stdin from /dev/null, so that it outlives the caller (lab daemons).
No pytest here: the tests wrap these classes in fixtures.
"""

import os
import socket
import subprocess
import time

LOCALHOST = '127.0.0.1'


class ServerError(RuntimeError):
    """A server did not start (the message carries its log)."""


def free_port(host=LOCALHOST):
    """A TCP port free on ``host`` right now (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def free_dual_port(host=LOCALHOST):
    """A port free for both TCP and UDP on ``host`` (checked by binding both)."""
    for dummy in range(50):
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        tcp.bind((host, 0))
        port = tcp.getsockname()[1]
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            udp.bind((host, port))
        except OSError:
            continue
        finally:
            udp.close()
            tcp.close()
        return port
    raise ServerError('no port free for both TCP and UDP on %s' % host)


def tail(path, lines=40):
    """The last ``lines`` lines of a log file (a note when there is none)."""
    try:
        with open(path, errors='replace') as fh:
            return ''.join(fh.readlines()[-lines:])
    except OSError:
        return '(no log at %s)\n' % path


def tcp_open(host, port, timeout=0.5):
    try:
        socket.create_connection((host, port), timeout=timeout).close()
        return True
    except OSError:
        return False


def wait_tcp(host, ports, proc=None, timeout=15.0):
    """Wait until every TCP port of ``ports`` accepts on ``host``; None when they all do, else why not."""
    deadline = time.monotonic() + timeout
    pending = [p for p in ports if p]
    while pending:
        if proc is not None and proc.poll() is not None:
            return 'exited with %s before listening on %s:%s' % (proc.returncode, host, pending[0])
        if tcp_open(host, pending[0], timeout=0.3):
            pending.pop(0)
            continue
        if time.monotonic() > deadline:
            return 'did not listen on %s:%s within %d s' % (host, pending[0], timeout)
        time.sleep(0.05)
    return None


def popen(argv, out, env=None, cwd=None, detach=False):
    """Start ``argv`` with stdout and stderr to the open file ``out``; ``detach``: own session, stdin /dev/null."""
    kwargs = {}
    if detach:
        kwargs = {'start_new_session': True, 'close_fds': True}
    with open(os.devnull, 'rb') as devnull:
        return subprocess.Popen(argv, stdin=devnull if detach else None, stdout=out, stderr=subprocess.STDOUT,
                                env=env, cwd=cwd, **kwargs)


def stop_process(proc, timeout=10):
    """SIGTERM, then SIGKILL after ``timeout`` seconds; a finished or missing process is fine."""
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)
