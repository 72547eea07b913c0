# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""printer_port_access's engine: one printer's TCP/IP Port Access page through its embedded web server: read
(logging in as needed), plan against the wanted states, guard rail from the port matrix, post, read back;
``run_fleet`` does it for a whole fleet in one run, concurrently, with the plan worked out once.
The page knowledge is ews_pages', the HTTPS ews_client's, the profiles ews_profiles'."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urljoin
from ansible_collections.printfleet.mve.plugins.module_utils.common.argspec import ArgumentSpec
from ansible_collections.printfleet.mve.plugins.module_utils.printers import ews_pages as ews_ports
from ansible_collections.printfleet.mve.plugins.module_utils.printers import ews_profiles
from ansible_collections.printfleet.mve.plugins.module_utils.printers import fleet
from ansible_collections.printfleet.mve.plugins.module_utils.matrix import port_matrix
from ansible_collections.printfleet.mve.plugins.module_utils.printers.ews_client import EwsClient, normalize_fingerprint, validating_context
from ansible_collections.printfleet.mve.plugins.module_utils.printers.ews_pages import EwsError


ARGUMENT_SPEC = ArgumentSpec(dict(
    host=dict(type='str'),
    printers=dict(type='list', elements='dict', options=dict(
        host=dict(type='str', required=True),
        username=dict(type='str'),
        password=dict(type='str', no_log=True),
        fingerprint=dict(type='str'),
    )),
    concurrency=dict(type='int', default=32),
    username=dict(type='str'),
    password=dict(type='str', no_log=True),
    ports=dict(type='dict', required=True),
    features=dict(type='dict'),
    force=dict(type='bool', default=False),
    validate_certs=dict(type='bool', default=True),
    ca_path=dict(type='path'),
    fingerprint=dict(type='str'),
    timeout=dict(type='float', default=10.0),
    profile=dict(type='dict', default={}),
), required_one_of=[('host', 'printers')], mutually_exclusive=[('host', 'printers')])

MAX_CONCURRENCY = 256
# What one printer of ``printers`` may set over the module-wide options.
PER_PRINTER = ('username', 'password', 'fingerprint')


class PortAccess(object):
    """One printer's port-access page: read (logging in as needed), plan, post, verify."""

    def __init__(self, client, profile, username, password):
        self.client, self.profile = client, profile
        self.username, self.password = username, password
        self.login_kind = 'none'

    def _page(self, page):
        return ews_ports.parse_page(page.body)

    def _login(self, page, parsed):
        found = ews_ports.login_form(parsed['forms'], self.profile)
        if found is None:
            raise EwsError('login_refused', 'the printer answered %s with a login page this profile does not know (no '
                           'form with a password input that a login kind fits)' % page.path)
        form, kind, roles = found
        self.login_kind = kind
        fields = ews_ports.login_fields(form, roles, self.username, self.password)
        method = 'POST' if form['method'] == 'post' else 'GET'
        target = urljoin(page.url, form['action']) if form['action'] else page.url
        answer = self.client.request(method, target, fields)
        refused = ews_ports.login_failed(self._page(answer), self.profile)
        if refused or answer.status in self.profile['session_lost_status']:
            raise EwsError('login_refused', 'login refused by the printer (%s login at %s): %s' % (
                kind, page.path.split('?', 1)[0], refused or 'HTTP %d' % answer.status))

    def read(self):
        """(page, parsed, form) of the port-access page, logging in when the printer asks."""
        path = self.profile['ports_path']
        logged_in = False
        for dummy in range(2):
            page = self.client.request('GET', path)
            parsed = self._page(page)
            lost = page.status in self.profile['session_lost_status']
            if ews_ports.is_login_page(parsed) or lost:
                if logged_in:
                    raise EwsError('login_refused', 'login refused: after logging in (%s login), the printer still '
                                   'answers %s with %s' % (self.login_kind, path, 'its login page' if not lost
                                                           else 'HTTP %d' % page.status))
                if lost and not ews_ports.is_login_page(parsed):
                    raise EwsError('login_refused', 'the printer answers %s with HTTP %d and no login page'
                                   % (path, page.status))
                self._login(page, parsed)
                logged_in = True
                continue
            if page.status != 200:
                raise EwsError('http_error', 'the printer answers %s with HTTP %d' % (page.path, page.status))
            form = ews_ports.ports_form(parsed['forms'], self.profile)
            if form is None:
                raise EwsError('form_changed', 'no port-access form at %s (no checkbox matches the profile\'s '
                               'port_field_pattern %r); nothing was posted' % (page.path,
                                                                               self.profile['port_field_pattern']))
            return page, form
        raise EwsError('login_refused', 'could not reach the port-access page after logging in')  # pragma: no cover

    def post(self, page, form, changes, follow=True):
        """Post the form; ``follow=False`` when the printer is about to stop serving the page (the answer's
        redirect could not be followed)."""
        fields = ews_ports.form_fields(form, checks=ews_ports.wanted_checks(changes))
        target = urljoin(page.url, form['action']) if form['action'] else page.url
        answer = self.client.request('POST' if form['method'] == 'post' else 'GET', target, fields, follow=follow)
        if answer.status >= 400:
            raise EwsError('not_taken', 'the printer refused the port-access form: HTTP %d' % answer.status,
                           changes=changes)
        if follow and ews_ports.is_login_page(self._page(answer)):
            raise EwsError('login_refused', 'the printer answered the port-access form with its login page: the '
                           'session ended before the form was taken', changes=changes)
        return answer


def _host_error(host, field):
    text = host.strip() if isinstance(host, str) else ''
    if not text or any(c.isspace() or c in '/?#@' for c in text):
        return EwsError('invalid_option', 'got %r, expected the printer\'s host name or address (no scheme, path or '
                        'port)' % (host,), field=field)
    return None


def check_connection_options(params):
    """The host and timeout, checked before anything is built or sent; EwsError(invalid_option) naming the field."""
    problem = _host_error(params.get('host'), 'host')
    if problem:
        raise problem
    _check_timeout(params)


def _check_timeout(params):
    if not params.get('timeout') or not params['timeout'] > 0:
        raise EwsError('invalid_option', 'got %r, expected seconds greater than 0' % (params.get('timeout'),),
                       field='timeout')


class Plan(object):
    """What does not depend on the printer, worked out (and checked) once: the wanted states, the merged profile,
    the guard rail's verdict and the HTTPS port."""

    def __init__(self, params, warn):
        self.wanted = ews_ports.parse_wanted(params['ports'])
        try:
            self.profile = ews_profiles.merge_profile(params['profile'])
        except ews_profiles.ProfileError as exc:
            raise EwsError('invalid_option', exc.message, field=exc.field)
        try:
            blocked = ews_ports.guard_rail(self.wanted, params['features'])
        except port_matrix.MatrixError as exc:
            raise EwsError('invalid_option', exc.message, field=exc.field)
        if blocked and not params['force']:
            raise EwsError('guard_rail', 'refusing to disable %s: the port matrix says MVE needs %s with %s; nothing '
                           'was sent. Set force: true to disable anyway, or leave the protocol out of '
                           'features.printer_protocols' % (
                               ', '.join(sorted(blocked)),
                               '; '.join('%s for %s' % (k, ', '.join(v)) for k, v in sorted(blocked.items())),
                               'the given features' if params['features'] else
                               "the vendor's default features (every printer protocol)"),
                           blocked=blocked)
        if blocked:
            warn('force: disabling %s although MVE needs it (%s)' % (
                ', '.join(sorted(blocked)), '; '.join('%s: %s' % (k, ', '.join(v)) for k, v in sorted(blocked.items()))))
        self.blocked = blocked
        self.port = self.profile['port'] or port_matrix.get_flow('printer.https')['destination_port']
        self.context = None   # a fleet's shared validating context (run_fleet)


def run(module_params, check_mode, warn):
    params = dict(module_params)
    check_connection_options(params)
    return run_printer(params, Plan(params, warn), check_mode, warn)


def run_printer(params, plan, check_mode, warn):
    """One printer (``params['host']`` with its credentials) against the plan."""
    profile, port = plan.profile, plan.port
    client = EwsClient(params['host'], port, timeout=params['timeout'], validate_certs=params['validate_certs'],
                       ca_path=params['ca_path'], fingerprint=params['fingerprint'], context=plan.context)
    result = {'changed': False, 'changes': [], 'url': client.url(profile['ports_path']), 'forced': plan.blocked}
    access = PortAccess(client, profile, params['username'], params['password'])
    page, form = access.read()
    mapped, unmapped = ews_ports.port_map(form, profile)
    changes = ews_ports.plan(mapped, plan.wanted, unmapped)
    before = ews_ports.states(mapped)
    after = dict(before)
    after.update((c['port'], c['after']) for c in changes)
    result.update(changes=changes, changed=bool(changes), unmapped=unmapped, login_kind=access.login_kind,
                  ports=after, tls=client.tls, diff={'before': before, 'after': after})
    if not changes or check_mode:
        return result
    own = 'tcp/%d' % port
    cut_off = any(c['port'] == own and c['after'] == 'disabled' for c in changes)
    try:
        return _post_and_verify(access, page, form, changes, cut_off, own, profile, result, warn)
    except EwsError as exc:
        exc.sent = True   # the form went out: whatever the printer made of it, the task changed something
        raise


def fleet_input(params):
    """Every printer of ``printers`` as the parameters of its own run (module-wide options, then the printer's
    own), checked all at once before any printer is contacted: InputError listing every problem."""
    errors, runs, seen = [], [], {}
    try:
        _check_timeout(params)
    except EwsError as exc:
        errors.append(exc)
    if not 1 <= (params.get('concurrency') or 0) <= MAX_CONCURRENCY:
        errors.append(EwsError('invalid_option', 'got %r, expected an integer from 1 to %d'
                               % (params.get('concurrency'), MAX_CONCURRENCY), field='concurrency'))
    errors.extend(_fingerprint_errors(params.get('fingerprint'), 'fingerprint'))
    if not params['printers']:
        errors.append(EwsError('invalid_option', 'got an empty list, expected at least one printer '
                               '({host, username, password, fingerprint})', field='printers'))
    for i, printer in enumerate(params['printers'] or []):
        field = 'printers[%d]' % i
        problem = _host_error(printer.get('host'), field + '.host')
        if problem:
            errors.append(problem)
            continue
        host = printer['host'].strip()
        if host.lower() in seen:
            errors.append(EwsError('invalid_option', 'got %r again (printers[%d] is the same printer): list each '
                                   'printer once' % (host, seen[host.lower()]), field=field + '.host'))
            continue
        seen[host.lower()] = i
        one = dict(params, host=host, printers=None)
        one.update((k, printer[k]) for k in PER_PRINTER if printer.get(k) is not None)
        errors.extend(_fingerprint_errors(printer.get('fingerprint'), field + '.fingerprint'))
        runs.append(one)
    if errors:
        raise EwsError('invalid_option', errors[0].message, field=errors[0].field, errors=errors)
    return runs


def _fingerprint_errors(value, field):
    try:
        normalize_fingerprint(value)
    except EwsError as exc:
        return [EwsError(exc.kind, exc.message, field=field)]
    return []


def run_fleet(module_params, check_mode, warn):
    """``printers``: every printer in one run, ``concurrency`` at a time (threads: the HTTPS client is the
    standard library's). Returns {host: result}; a printer that fails has ``failed``, ``msg`` and ``error_kind``
    in its result instead of raising, so that the others still run. Bad input fails before any printer is
    contacted."""
    params = dict(module_params)
    runs = fleet_input(params)
    plan = Plan(params, warn)
    if any(not r['fingerprint'] for r in runs):   # the CA store (or ca_path) loaded once for the fleet
        plan.context = validating_context(params['validate_certs'], params['ca_path'])
    notes = []

    def one(run_params):
        host = run_params['host']
        try:
            result = run_printer(run_params, plan, check_mode, lambda text: notes.append('%s: %s' % (host, text)))
            result.pop('forced', None)   # module-wide, once in the fleet's result
            return host, result
        except EwsError as exc:
            return host, dict(exc.fail_kwargs('error_kind'), changed=fleet.sent(exc), failed=True)

    with ThreadPoolExecutor(max_workers=min(params['concurrency'], len(runs))) as pool:
        pairs = list(pool.map(one, runs))
    for text in sorted(notes):
        warn(text)
    return dict(pairs), plan.blocked


def _post_and_verify(access, page, form, changes, cut_off, own, profile, result, warn):
    access.post(page, form, changes, follow=not cut_off)
    if cut_off:
        warn('%s is the port this module talks to the printer over: it is now disabled, so the printer was not read '
             'back' % own)
        result['verified'] = False
        return result
    dummy, form_after = access.read()
    mapped_after, dummy = ews_ports.port_map(form_after, profile)
    bad = ews_ports.unconfirmed(changes, mapped_after)
    if bad:
        raise EwsError('not_taken', 'the printer accepted the form but did not take %s (read back: %s)' % (
            ', '.join('%s=%s' % (c['port'], c['after']) for c in bad),
            ', '.join('%s=%s' % (c['port'], c['read_back']) for c in bad)), changes=changes)
    result['verified'] = True
    result['ports'] = ews_ports.states(mapped_after)
    result['diff']['after'] = result['ports']
    return result
