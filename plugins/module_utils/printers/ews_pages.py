# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A printer embedded web server's login and "TCP/IP Port Access" pages: parse, map, plan. No sockets.

* ``parse_forms(html)``: every <form> of a page with its controls in document order (stdlib html.parser),
  each checkbox with its label (``<label for>``, a wrapping ``<label>``, or the text of its table row).
* ``login_form(forms, profile)``: the login form and its kind (``form``: username and password, ``password``:
  password only), from the profile's ``login_kinds``.
* ``login_fields(form, kind, username, password)``: what to post to log in (every other field preserved).
* ``port_map(forms, profile)``: ``{"tcp/21": {field, label, enabled}}`` from the port checkboxes' labels.
* ``parse_wanted(ports)``: the module's ``ports`` option validated (``tcp/21: disabled``), naming the field.
* ``guard_rail(wanted, features)``: the flows of the port matrix that a wanted ``disabled`` would cut.
* ``plan(port_map, wanted)``: the changes; ``form_fields(form, states)``: the form to post, every field kept.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from html.parser import HTMLParser

from ansible_collections.printfleet.mve.plugins.module_utils.common.errors import PrintfleetError
from ansible_collections.printfleet.mve.plugins.module_utils.matrix import port_matrix

STATES = ('enabled', 'disabled')
_KEY = re.compile(r'^(tcp|udp)/(\d{1,5})$')
_SPACE = re.compile(r'\s+')
_TEXT_TYPES = ('text', 'email', 'number', 'tel', 'url', 'search', '')


class EwsError(PrintfleetError, ValueError):
    """Bad input or an unexpected page. ``kind`` is the module's error_kind; ``field`` the option, if any;
    the details are extra result keys (``missing``, ``changes``): ``fail_kwargs('error_kind')``."""

    def __init__(self, kind, message, field=None, **details):
        super(EwsError, self).__init__(message, field=field, kind=kind, **details)

    @property
    def extra(self):
        """The details, under their former name."""
        return self.details


def _clean(text):
    return _SPACE.sub(' ', text or '').strip()


class _FormParser(HTMLParser):
    """Collects forms, their controls, labels and table-row text."""

    def __init__(self):
        HTMLParser.__init__(self, convert_charrefs=True)
        self.forms = []
        self.form = None
        self.controls_outside = []
        self.labels_for = {}       # id -> label text
        self.label_stack = []      # open <label>s: {'for', 'text', 'controls'}
        self.row = None            # open <tr>: {'text', 'controls'}
        self.select = None
        self.option = None
        self.textarea = None
        self.title = ''
        self._in_title = False
        self.text = []

    # -- helpers
    def _add(self, control):
        (self.form['controls'] if self.form is not None else self.controls_outside).append(control)
        for label in self.label_stack:
            label['controls'].append(control)
        if self.row is not None:
            self.row['controls'].append(control)
        return control

    def handle_starttag(self, tag, attrs):
        a = dict((k.lower(), v if v is not None else '') for k, v in attrs)
        if tag == 'form':
            self.form = {'action': a.get('action', ''), 'method': (a.get('method') or 'get').lower(),
                         'id': a.get('id') or a.get('name'), 'controls': []}
            self.forms.append(self.form)
        elif tag == 'input':
            ctype = (a.get('type') or 'text').lower()
            self._add({'tag': 'input', 'type': ctype, 'name': a.get('name'), 'id': a.get('id'),
                       'value': a.get('value', 'on' if ctype in ('checkbox', 'radio') else ''),
                       'checked': 'checked' in a, 'disabled': 'disabled' in a, 'label': None})
        elif tag == 'select':
            self.select = self._add({'tag': 'select', 'type': 'select', 'name': a.get('name'), 'id': a.get('id'),
                                     'multiple': 'multiple' in a, 'disabled': 'disabled' in a, 'options': [],
                                     'label': None})
        elif tag == 'option' and self.select is not None:
            self.option = {'value': a.get('value'), 'selected': 'selected' in a, 'text': ''}
            self.select['options'].append(self.option)
        elif tag == 'textarea':
            self.textarea = self._add({'tag': 'textarea', 'type': 'textarea', 'name': a.get('name'),
                                       'id': a.get('id'), 'value': '', 'disabled': 'disabled' in a, 'label': None})
        elif tag == 'button':
            btype = (a.get('type') or 'submit').lower()
            btype = btype if btype in ('submit', 'reset', 'button') else 'submit'  # as browsers read other types
            self._add({'tag': 'button', 'type': btype, 'name': a.get('name'),
                       'id': a.get('id'), 'value': a.get('value', ''), 'disabled': 'disabled' in a, 'label': None})
        elif tag == 'label':
            self.label_stack.append({'for': a.get('for'), 'text': '', 'controls': []})
        elif tag == 'tr':
            self.row = {'text': '', 'controls': []}
        elif tag == 'title':
            self._in_title = True

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag in ('label', 'tr', 'form', 'select', 'textarea', 'option'):
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if tag == 'form':
            self.form = None
        elif tag == 'select':
            self.select = self.option = None
        elif tag == 'option':
            self.option = None
        elif tag == 'textarea':
            self.textarea = None
        elif tag == 'label' and self.label_stack:
            label = self.label_stack.pop()
            text = _clean(label['text'])
            if label['for']:
                self.labels_for[label['for']] = text
            for control in label['controls']:
                if control.get('label') is None and text:
                    control['label'] = text
        elif tag == 'tr' and self.row is not None:
            row, self.row = self.row, None
            boxes = [c for c in row['controls'] if c['type'] == 'checkbox']
            if len(boxes) == 1 and boxes[0].get('row_text') is None:
                boxes[0]['row_text'] = _clean(row['text'])
        elif tag == 'title':
            self._in_title = False

    def handle_data(self, data):
        self.text.append(data)
        if self._in_title:
            self.title += data
        if self.option is not None:
            self.option['text'] += data
        if self.textarea is not None:
            self.textarea['value'] += data
        for label in self.label_stack:
            label['text'] += data
        if self.row is not None:
            self.row['text'] += data

    def finish(self):
        self.close()
        for form in self.forms:
            for control in form['controls']:
                if control.get('id') and control['id'] in self.labels_for:
                    control['label'] = self.labels_for[control['id']]
                elif control.get('label') is None and control.get('row_text'):
                    control['label'] = control['row_text']
                control.pop('row_text', None)
                if control['tag'] == 'select':
                    for option in control['options']:
                        if option['value'] is None:
                            option['value'] = _clean(option['text'])
        return {'forms': self.forms, 'title': _clean(self.title), 'text': _clean(' '.join(self.text))}


def parse_page(html):
    """{'forms': [...], 'title', 'text'} of an HTML page (str or bytes, UTF-8 or Latin-1)."""
    if isinstance(html, bytes):
        try:
            html = html.decode('utf-8')
        except UnicodeDecodeError:
            html = html.decode('latin-1')
    parser = _FormParser()
    parser.feed(html)
    return parser.finish()


def parse_forms(html):
    return parse_page(html)['forms']


# ------------------------------------------------------------------------------------------------- login


def _find(form, names, types):
    lowered = dict((n.lower(), n) for n in names)
    for control in form['controls']:
        if control['tag'] == 'input' and control['type'] in types and control.get('name') \
                and control['name'].lower() in lowered and not control['disabled']:
            return control
    return None


def login_form(forms, profile):
    """(form, kind name, {role: input name}) of the first form with a password input that a login kind fits,
    or None when the page has no login form."""
    for form in forms:
        if not any(c['tag'] == 'input' and c['type'] == 'password' for c in form['controls']):
            continue
        for kind in profile['login_kinds']:
            roles = {}
            for role, names in kind['fields'].items():
                control = _find(form, names, ('password',) if role == 'password' else _TEXT_TYPES)
                if control is None:
                    break
                roles[role] = control['name']
            else:
                return form, kind['name'], roles
    return None


def login_fields(form, roles, username, password):
    """The (name, value) pairs to post to log in: the credentials in their roles, every other field kept."""
    if 'username' in roles and not username:
        raise EwsError('login_refused', 'the printer asks for a user name and a password: set username',
                       field='username')
    values = {roles['password']: password or ''}
    if 'username' in roles:
        values[roles['username']] = username
    return form_fields(form, values=values)


def is_login_page(page):
    return any(any(c['tag'] == 'input' and c['type'] == 'password' for c in f['controls']) for f in page['forms'])


def login_failed(page, profile):
    """The text that says the printer refused a login, or None."""
    for pattern in profile['_compiled']['login_failed']:
        m = pattern.search(page['text'])
        if m:
            return m.group(0)
    return None


# ------------------------------------------------------------------------------------------------- ports


def label_port(label, profile):
    """('tcp', 21) from a label such as "TCP 21 (FTP)", or None."""
    text = _clean(label)
    for pattern in profile['_compiled']['labels']:
        m = pattern.search(text)
        if m:
            port = int(m.group('port'))
            transport = m.group('transport').lower()
            if transport in ('tcp', 'udp') and 1 <= port <= 65535:
                return transport, port
    return None


def ports_form(forms, profile):
    """The form holding the port checkboxes, or None."""
    pattern = profile['_compiled']['port_field']
    for form in forms:
        if any(c['type'] == 'checkbox' and c.get('name') and pattern.search(c['name']) for c in form['controls']):
            return form
    return None


def port_map(form, profile):
    """({"tcp/21": {field, label, enabled}}, [unmapped {field, label}]) of the port checkboxes of ``form``."""
    pattern = profile['_compiled']['port_field']
    mapped, unmapped = {}, []
    for control in form['controls']:
        if control['type'] != 'checkbox' or not control.get('name') or not pattern.search(control['name']):
            continue
        found = label_port(control.get('label') or '', profile)
        if found is None:
            unmapped.append({'field': control['name'], 'label': control.get('label')})
            continue
        key = '%s/%d' % found
        if key in mapped:
            raise EwsError('form_changed', 'two checkboxes of the port-access form name %s: %s (%r) and %s (%r)' % (
                key, mapped[key]['field'], mapped[key]['label'], control['name'], control.get('label')))
        mapped[key] = {'field': control['name'], 'label': control.get('label'), 'enabled': bool(control['checked'])}
    return mapped, unmapped


def states(mapped):
    return dict((key, 'enabled' if entry['enabled'] else 'disabled') for key, entry in sorted(mapped.items()))


# ------------------------------------------------------------------------------------------------- wanted


def parse_wanted(ports):
    """The ``ports`` option -> {"tcp/21": "disabled"}; EwsError naming ``ports.<key>`` on bad input."""
    if not isinstance(ports, dict):
        raise EwsError('invalid_option', 'expected a dict such as {tcp/21: disabled, udp/9300: enabled}',
                       field='ports')
    out = {}
    for raw_key, raw_value in ports.items():
        key = str(raw_key).strip().lower()
        field = 'ports.%s' % raw_key
        m = _KEY.match(key)
        if not m or not 1 <= int(m.group(2)) <= 65535:
            raise EwsError('invalid_option', 'expected a key tcp/<port> or udp/<port> with a port from 1 to '
                           '65535, e.g. tcp/21', field=field)
        key = '%s/%d' % (m.group(1), int(m.group(2)))
        value = raw_value.strip().lower() if isinstance(raw_value, str) else raw_value
        if value not in STATES:
            raise EwsError('invalid_option', 'got %r, expected enabled or disabled' % (raw_value,), field=field)
        if key in out and out[key] != value:
            raise EwsError('invalid_option', '%s is given twice with different states' % (key,), field=field)
        out[key] = value
    return out


def guard_rail(wanted, features=None):
    """{"tcp/443": ["printer.https", ...]}: the wanted ``disabled`` ports that MVE needs for ``features``
    (the port matrix's printer-side flows, port overrides applied). Raises MatrixError on bad features."""
    needed = port_matrix.select_flows(features or {}, destination='printer')
    out = {}
    for key, state in sorted(wanted.items()):
        if state != 'disabled':
            continue
        transport, port = key.split('/')
        flows = [f['id'] for f in needed if f['transport'] == transport and f['destination_port'] == int(port)]
        if flows:
            out[key] = flows
    return out


def plan(mapped, wanted, unmapped=()):
    """The changes [{port, field, label, before, after}] that bring ``mapped`` to ``wanted``.

    EwsError(form_changed) when a wanted port has no checkbox: nothing must be posted then."""
    missing = sorted(k for k in wanted if k not in mapped)
    if missing:
        found = ', '.join(sorted('%r (%s)' % (e['label'], k) for k, e in mapped.items())) or 'none'
        other = ', '.join(sorted('%r' % (e['label'] or e['field']) for e in unmapped))
        raise EwsError('form_changed', 'the port-access form has no checkbox labelled for %s; labels mapped: %s%s. '
                       'The form changed, or the profile\'s label_patterns do not fit this model; nothing was posted'
                       % (', '.join(missing), found, '; labels no pattern matches: %s' % other if other else ''),
                       missing=missing, unmapped=list(unmapped))
    changes = []
    for key in sorted(wanted):
        entry = mapped[key]
        before = 'enabled' if entry['enabled'] else 'disabled'
        if before != wanted[key]:
            changes.append({'port': key, 'field': entry['field'], 'label': entry['label'], 'before': before,
                            'after': wanted[key]})
    return changes


def form_fields(form, checks=None, values=None):
    """The (name, value) pairs a browser would post for ``form``: ``checks`` {field: bool} sets checkboxes,
    ``values`` {field: str} sets other inputs; every other control keeps its value, in document order.
    Disabled and nameless controls are left out (as browsers do); the first named submit button is included
    (the "Submit" click)."""
    checks = checks or {}
    values = values or {}
    out = []
    clicked = False
    for control in form['controls']:
        name = control.get('name')
        if not name or control.get('disabled'):
            continue
        ctype = control['type']
        if ctype in ('checkbox', 'radio'):
            on = checks.get(name, control['checked']) if ctype == 'checkbox' else control['checked']
            if on:
                out.append((name, control['value']))
        elif control['tag'] == 'select':
            chosen = [o for o in control['options'] if o['selected']]
            if not chosen and control['options'] and not control['multiple']:
                chosen = control['options'][:1]
            out.extend((name, o['value']) for o in chosen)
        elif ctype in ('submit', 'image') or (control['tag'] == 'button' and ctype == 'submit'):
            if not clicked:
                out.append((name, control['value']))
                clicked = True
        elif ctype in ('reset', 'button', 'file'):
            continue
        else:
            out.append((name, values.get(name, control['value'])))
    return out


def wanted_checks(changes):
    return dict((c['field'], c['after'] == 'enabled') for c in changes)


def unconfirmed(changes, mapped_after):
    """The changes the printer did not take, with ``read_back``."""
    bad = []
    for c in changes:
        entry = mapped_after.get(c['port'])
        now = None if entry is None else ('enabled' if entry['enabled'] else 'disabled')
        if now != c['after']:
            bad.append(dict(c, read_back=now))
    return bad
