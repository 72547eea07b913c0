# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Embedded web server (EWS) profiles, as data: where a printer's "TCP/IP Port Access" page lives, how its login
forms look and how its checkbox labels name ports.

A profile is a plain dict. ``printer_port_access``'s ``profile`` option is merged over DEFAULT_PROFILE
(``merge_profile``): a user describes another model by overriding only the keys that differ.

Keys:

``ports_path``
    Path of the port-access page (the public Lexmark one by default).
``port``
    TCP port of the HTTPS server; None means the port matrix's ``printer.https`` port.
``port_field_pattern``
    Regex (``re.search``) that the names of the port checkboxes match.
``label_patterns``
    Regexes tried in order against each checkbox's label (whitespace collapsed); each must have the named
    groups ``transport`` (TCP or UDP, any case) and ``port`` (digits). A label no pattern matches is reported
    as unmapped, never guessed.
``login_kinds``
    Login forms this profile knows, in the order they are tried: ``name`` and ``fields`` (``username`` and/or
    ``password``: the accepted input names for each role). A login page matches the first kind whose every
    field role has an input on the page.
``login_failed_patterns``
    Regexes (case-insensitive) that, found in the page answering a login, mean the printer refused it.
``session_lost_status``
    HTTP statuses that mean "not logged in" on the ports page (besides a redirect to a login page).

No field number is written here except as a pattern: only the published label text identifies a port.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import re

from ansible_collections.printfleet.mve.plugins.module_utils.common.errors import InputError

DEFAULT_PROFILE = {
    'name': 'lexmark',
    'ports_path': '/cgi-bin/dynamic/config/secure/ports.html',
    'port': None,
    'port_field_pattern': r'^vac\.\d+\.GUIPORTENABLE\.\d+$',
    'label_patterns': [
        # "TCP 80 (HTTP)", "UDP 9300 (NPAP)", "TCP 9100 (RAW)", "TCP 6110 (LST handshake)"
        r'^\s*(?P<transport>TCP|UDP)\s*[ :/#-]?\s*(?P<port>\d{1,5})\b',
        # "HTTP (TCP 80)", "NPAP - UDP port 9300"
        r'\b(?P<transport>TCP|UDP)\s*(?:port\s*)?(?P<port>\d{1,5})\b',
    ],
    'login_kinds': [
        {'name': 'form', 'fields': {'username': ['username', 'user', 'login', 'accountName'],
                                    'password': ['password', 'pwd', 'passwd', 'login_pass']}},
        {'name': 'password', 'fields': {'password': ['password', 'pwd', 'passwd', 'login_pass', 'pin']}},
    ],
    'login_failed_patterns': [r'invalid (?:credentials|login|password)', r'incorrect (?:login|password|user)',
                              r'login failed', r'authentication failed'],
    'session_lost_status': [401, 403],
}

PROFILE_KEYS = tuple(sorted(DEFAULT_PROFILE))


class ProfileError(InputError):
    """A bad profile. ``field`` names the offending key (``profile.label_patterns[0]``)."""


def _merge(base, extra):
    out = copy.deepcopy(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _regex(field, pattern, groups=()):
    if not isinstance(pattern, str):
        raise ProfileError(field, 'expected a regular expression (string), got %r' % (pattern,))
    try:
        compiled = re.compile(pattern, re.IGNORECASE)
    except re.error as exc:
        raise ProfileError(field, 'not a valid regular expression: %s' % exc)
    missing = [g for g in groups if g not in compiled.groupindex]
    if missing:
        raise ProfileError(field, 'the pattern needs the named group(s) %s, e.g. (?P<transport>TCP|UDP)'
                           % ', '.join('(?P<%s>...)' % g for g in missing))
    return compiled


def merge_profile(user=None):
    """DEFAULT_PROFILE with ``user`` merged over it (dicts merged, lists and scalars replaced), validated.

    Returns the profile with compiled regexes under ``_compiled``; raises ProfileError naming the key.
    """
    user = user or {}
    if not isinstance(user, dict):
        raise ProfileError('profile', 'expected a dict, got %s' % type(user).__name__)
    unknown = sorted(set(user) - set(DEFAULT_PROFILE))
    if unknown:
        raise ProfileError('profile', 'unknown key(s) %s; known keys: %s' % (', '.join(unknown), ', '.join(PROFILE_KEYS)))
    profile = _merge(DEFAULT_PROFILE, user)
    if not isinstance(profile['ports_path'], str) or not profile['ports_path'].startswith('/'):
        raise ProfileError('profile.ports_path', 'expected an absolute path starting with /, got %r'
                           % (profile['ports_path'],))
    if profile['port'] is not None:
        if isinstance(profile['port'], bool) or not isinstance(profile['port'], int) or not 1 <= profile['port'] <= 65535:
            raise ProfileError('profile.port', 'expected a port number from 1 to 65535, got %r' % (profile['port'],))
    labels = profile['label_patterns']
    if isinstance(labels, str):
        labels = [labels]
    if not isinstance(labels, list) or not labels:
        raise ProfileError('profile.label_patterns', 'expected a non-empty list of regular expressions')
    kinds = profile['login_kinds']
    if not isinstance(kinds, list) or not kinds:
        raise ProfileError('profile.login_kinds', 'expected a non-empty list of {name, fields}')
    for i, kind in enumerate(kinds):
        field = 'profile.login_kinds[%d]' % i
        if not isinstance(kind, dict) or not kind.get('name') or not isinstance(kind.get('fields'), dict):
            raise ProfileError(field, 'expected {name: ..., fields: {password: [...], username: [...]}}')
        roles = kind['fields']
        if 'password' not in roles or set(roles) - {'username', 'password'}:
            raise ProfileError(field + '.fields', 'expected the roles password (required) and username (optional)')
        for role, names in roles.items():
            if isinstance(names, str):
                roles[role] = [names]
            elif not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
                raise ProfileError('%s.fields.%s' % (field, role), 'expected a list of input names')
    statuses = profile['session_lost_status']
    if not isinstance(statuses, list) or not all(isinstance(s, int) for s in statuses):
        raise ProfileError('profile.session_lost_status', 'expected a list of HTTP status codes')
    failed = profile['login_failed_patterns']
    if not isinstance(failed, list):
        raise ProfileError('profile.login_failed_patterns', 'expected a list of regular expressions')
    profile['label_patterns'] = labels
    profile['_compiled'] = {
        'port_field': _regex('profile.port_field_pattern', profile['port_field_pattern']),
        'labels': [_regex('profile.label_patterns[%d]' % i, p, ('transport', 'port')) for i, p in enumerate(labels)],
        'login_failed': [_regex('profile.login_failed_patterns[%d]' % i, p) for i, p in enumerate(failed)],
    }
    return profile


def public_profile(profile):
    """The profile without its compiled regexes (for results)."""
    return dict((k, v) for k, v in profile.items() if not k.startswith('_'))
