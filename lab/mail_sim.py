# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lab's mail server: aiosmtpd (lab/servers/smtp.py) on one address, one listener per SMTP flow.

    mail_sim.py --config DIR/services/mail.json

The config (written by lab.py) names the address, the listeners (``kind``: plain, ssl or starttls, and the
port matrix's port of each flow), the certificate and key, the AUTH user and password, and a status file.
When every listener is up, the status file says so (``ready``, ``listeners``); a listener that cannot start
is logged and ends the process with exit code 1. SIGTERM or SIGINT stops it.
"""

import argparse
import json
import logging
import os
import signal
import sys
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
if __package__ in (None, ''):
    # Run as a script: lab/ is sys.path[0], and lab/lab.py would shadow the lab package.
    sys.path.insert(0, os.path.dirname(HERE))

from lab.servers import ServerError  # noqa: E402 pylint: disable=wrong-import-position
from lab.servers.smtp import SmtpServers  # noqa: E402 pylint: disable=wrong-import-position


def write_status(path, data):
    tmp = path + '.tmp'
    with open(tmp, 'w') as fh:
        json.dump(data, fh, indent=2, sort_keys=True)
    os.replace(tmp, path)


def main(argv=None):
    parser = argparse.ArgumentParser(description='printfleet.mve lab mail server (aiosmtpd)')
    parser.add_argument('--config', required=True)
    args = parser.parse_args(argv)
    with open(args.config) as fh:
        config = json.load(fh)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format='%(asctime)s mail_sim %(name)s %(levelname)s %(message)s')
    logging.getLogger().handlers[0].setLevel(logging.INFO)  # aiosmtpd's DEBUG lines carry AUTH exchanges
    servers = SmtpServers(cert_source=lambda cert: (config['cert'], config['key']), host=config['host'],
                          server_name=config['server_name'], user=config['user'], password=config['password'],
                          refused=config.get('refused', 'nobody@' + config['server_name']))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *a: stop.set())
    signal.signal(signal.SIGINT, lambda *a: stop.set())
    listeners = []
    try:
        for listener in config['listeners']:
            server = servers.smtp(listener['kind'], cert='lab', port=listener['port'])
            listeners.append(dict(listener, host=server.host))
            logging.info('%s (%s) listening on %s:%d', listener['flow'], listener['kind'], server.host, server.port)
    except ServerError as exc:
        logging.error('%s', exc)
        write_status(config['status_file'], {'pid': os.getpid(), 'ready': False, 'error': str(exc)})
        servers.stop()
        return 1
    write_status(config['status_file'], {'pid': os.getpid(), 'ready': True, 'listeners': listeners})
    while not stop.wait(3600):
        pass
    logging.info('stopping')
    servers.stop()
    return 0


if __name__ == '__main__':
    sys.exit(main())
