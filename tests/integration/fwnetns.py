# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the firewall tests in network namespaces share: the listeners of the MVE server's namespace, the command
runner, and the Python interpreter that runs a host's modules inside a namespace (as over SSH)."""

import subprocess
import sys

PYTHON = sys.executable

# TCP listeners that greet with b'hello' (argv[2:]) and a UDP echo (argv[1]), in the server's namespace.
SERVER = r'''
import socket, sys, threading
def tcp(port):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(('0.0.0.0', port)); s.listen(64)
    def loop():
        while True:
            c, _ = s.accept(); c.sendall(b'hello'); c.close()
    threading.Thread(target=loop, daemon=True).start()
for p in sys.argv[2:]:
    tcp(int(p))
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(('0.0.0.0', int(sys.argv[1])))
print('ready', flush=True)
while True:
    d, a = u.recvfrom(2048); u.sendto(d, a)
'''


def run(cmd, check=True, **kw):
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, **kw)
    if check and proc.returncode != 0:
        raise AssertionError('%s failed (exit %d): %s %s'
                             % (' '.join(cmd), proc.returncode, proc.stdout, proc.stderr))
    return proc


def netns_interpreter(path, ns):
    """A Python interpreter (a wrapper script at ``path``) that runs Ansible's modules inside netns ``ns``."""
    path.write_text('#!/bin/sh\nexec ip netns exec %s %s "$@"\n' % (ns, PYTHON))
    path.chmod(0o755)
    return str(path)
