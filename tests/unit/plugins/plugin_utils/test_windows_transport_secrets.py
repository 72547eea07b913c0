"""Secrets in what the Windows host sends back: every form a reader could undo is masked.

The error text of a step is .NET's, and a .NET exception message may quote the data it was given: the bytes being
sent (an SMTP ``AUTH PLAIN`` line carries the password base64-encoded, the relay's payload carries sent bytes as
hex, an LDAP bind carries it as it is). tests/integration/test_secrets.py makes the simulated Windows host fail
that way and scans a whole run; these are the pieces.
"""
import base64

from ansible_collections.printfleet.mve.plugins.module_utils.windows import relay
from ansible_collections.printfleet.mve.plugins.plugin_utils import windows_transport as wt

PASSWORD = 'Lab-Smtp-Pa55'


def _auth_plain_line():
    return 'AUTH PLAIN %s\r\n' % base64.b64encode(b'\0mve\0' + PASSWORD.encode()).decode()


def _readable(text, secret=PASSWORD):
    """What a reader could get back: the secret, its hex, or a base64 run of it at any alignment (or its hex)."""
    runs = [base64.b64encode(b'\0' * pad + secret.encode()).decode()[2 + pad:-4] for pad in range(3)]
    return secret in text or secret.encode().hex() in text.lower() or any(
        run in text or run.encode().hex() in text.lower() for run in runs)


def test_every_form_of_a_secret_is_scrubbed():
    line = _auth_plain_line()
    for text in (PASSWORD, line, line.encode().hex(), line.encode().hex().upper(), PASSWORD.encode().hex(),
                 'x' + base64.b64encode(PASSWORD.encode()).decode()):
        scrubbed = wt.scrub('Unable to write data: %s' % text, [PASSWORD])
        assert '********' in scrubbed, text
        assert not _readable(scrubbed), scrubbed
    assert wt.scrub('nothing secret here', [PASSWORD]) == 'nothing secret here'


def test_scrub_fields_masks_only_the_hosts_text_fields():
    items = [{'id': 0, 'outcome': 'error', 'error': 'Exception calling "Write": %s' % _auth_plain_line(),
              'reply': base64.b64encode(b'data').decode()},
             {'id': 1, 'outcome': 'open', 'tls_error': 'bad %s' % PASSWORD}, 'not a dict']
    out = wt.scrub_fields(items, [PASSWORD])
    assert out is items
    assert '********' in items[0]['error'] and not _readable(items[0]['error'])
    assert items[0]['reply'] == base64.b64encode(b'data').decode()
    assert items[1]['tls_error'] == 'bad ********'
    assert wt.scrub_fields(None, [PASSWORD]) is None


def test_relay_steps_masks_the_error_text_of_each_step():
    data = _auth_plain_line().encode()
    value = {'steps': [{'ok': True, 'value': base64.b64encode(b'220 ready\r\n').decode()},
                       {'ok': False, 'error': 'IOException',
                        'message': 'Unable to write data to the transport connection: %s (%s)'
                                   % (data.decode(), data.hex())}]}
    steps = relay.relay_steps(value, mask=lambda text: wt.scrub(text, [PASSWORD]))
    assert steps[0]['value'] == base64.b64encode(b'220 ready\r\n').decode()
    assert steps[1]['error'] == 'IOException'
    assert 'Unable to write data' in steps[1]['message'] and not _readable(steps[1]['message'])
    # Without a mask nothing changes (the local relay has no secrets to hide from itself).
    plain = relay.relay_steps({'steps': [{'ok': False, 'error': 'X', 'message': PASSWORD}]})
    assert plain[0]['message'] == PASSWORD


def test_a_step_after_the_conversation_comes_back_masked():
    """The SQL Server login step (sql_login.ps1) reports SqlClient's error text: masked before the check reads it."""
    from ansible_collections.printfleet.mve.plugins.action.database_check import ActionModule

    class Transport(object):
        secrets = [PASSWORD]

        def run(self, name, payload):
            return {'attempted': True, 'ok': False, 'error': 'cannot send %s' % _auth_plain_line(), 'error_code': 18456}

    action = ActionModule.__new__(ActionModule)
    action.transport = Transport()
    value = action._run_step('sql_login', {})
    assert value['error_code'] == 18456 and value['error'].startswith('cannot send AUTH PLAIN ')
    assert not _readable(value['error'])
