# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The printer_snmp engine: get / walk / idempotent set with read-back, for one printer or a whole fleet.

``run(params, check_mode)`` works on ``params['host']``; ``run_fleet(params, hosts, check_mode, concurrency)``
runs the same work for many printers at once on one asyncio loop (bounded in-flight), each printer with its
own client, and returns one result per printer: a fleet is one task, not one task per printer.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import asyncio

from ansible_collections.printfleet.mve.plugins.module_utils.common.argspec import ArgumentSpec
from ansible_collections.printfleet.mve.plugins.module_utils.common.errors import PrintfleetError
from ansible_collections.printfleet.mve.plugins.module_utils.printers import fleet
from ansible_collections.printfleet.mve.plugins.module_utils.printers import settings as printer_settings
from ansible_collections.printfleet.mve.plugins.module_utils.printers import snmp_client


class Failure(PrintfleetError):
    """The module fails: bad get/walk/set input (``field`` set, kind ``input``), or a SET the printer did not
    take (``error_kind`` and ``oid`` in the details, which is the kind as well)."""

    def __init__(self, message, field=None, **details):
        super(Failure, self).__init__(message, field=field, kind=details.get('error_kind', 'input'), **details)


def _refs(field, items):
    out = []
    for index, ref in enumerate(items or []):
        try:
            out.append(printer_settings.resolve(ref)[0])
        except printer_settings.SettingError as exc:
            raise Failure(exc.message, field='%s[%d]' % (field, index))
    return out


def input_errors(params):
    """Problems with the get, walk and set options, as a list of Failure (field set): the module reports them
    with the connection options' problems, before any request (or event loop)."""
    errors = []
    for field in ('get', 'walk'):
        try:
            _refs(field, params.get(field))
        except Failure as exc:
            errors.append(exc)
    try:
        printer_settings.wanted_sets(params.get('set'))
    except printer_settings.SettingError as exc:
        errors.append(Failure(exc.message, field=exc.field))
    return errors


async def run(params, check_mode):
    """Do the module's work; returns the result dict or raises Failure / SnmpError."""
    get_oids = _refs('get', params['get'])
    walk_oids = _refs('walk', params['walk'])
    try:
        wanted = printer_settings.wanted_sets(params['set'])
    except printer_settings.SettingError as exc:
        raise Failure(exc.message, field=exc.field)
    result = {'changed': False, 'values': {}, 'missing': {}, 'walked': {}, 'changes': []}
    client = snmp_client.SnmpClient.from_params(params)
    try:
        if get_oids:
            reply = await client.get(get_oids)
            result['values'].update(reply.values())
            result['missing'].update(reply.exceptions)
        for base in walk_oids:
            rows = await client.walk(base)
            result['walked'][base] = [oid for oid, dummy in rows]
            result['values'].update(rows)
        if wanted:
            await _apply(client, wanted, result, check_mode)
    finally:
        client.close()
    result['named'] = dict((printer_settings.name_of(oid), value) for oid, value in result['values'].items()
                           if printer_settings.name_of(oid))
    return result


async def _apply(client, wanted, result, check_mode):
    oids = [w['oid'] for w in wanted]
    current = await client.get(oids)
    absent = [oid for oid in oids if oid in current.exceptions]
    if absent:
        raise Failure('cannot set %s: the agent has no such object (%s)' % (
            ', '.join(absent), ', '.join(current.exceptions[o] for o in absent)), error_kind='no_such_object',
            oid=absent[0])
    values = current.values()
    changes = printer_settings.plan_sets(wanted, values)
    result['values'].update(values)
    result['changes'] = changes
    result['changed'] = bool(changes)
    result['diff'] = {
        'before': dict((printer_settings.label(c), c['before']) for c in changes),
        'after': dict((printer_settings.label(c), c['after']) for c in changes),
    }
    if not changes or check_mode:
        return
    try:
        await client.set([(c['oid'], c['type'], c['after']) for c in changes])
        back = await client.get([c['oid'] for c in changes])
        read_back = back.values()
        result['values'].update(read_back)
        bad = printer_settings.unconfirmed(changes, read_back)
        if bad:
            raise Failure('the printer accepted the SET but did not take %s (read back: %s)' % (
                ', '.join('%s=%r' % (printer_settings.label(c), c['after']) for c in bad),
                ', '.join('%s=%r' % (printer_settings.label(c), c['read_back']) for c in bad)),
                error_kind='not_taken', oid=bad[0]['oid'], changes=changes)
    except (Failure, snmp_client.SnmpError) as exc:
        exc.sent = True   # a SET went out: whatever the printer made of it, the task changed something
        raise


async def run_fleet(params, hosts, check_mode, concurrency=64):
    """``run`` for every host in ``hosts`` concurrently. Returns {host: result}; a printer that fails has
    ``failed: true``, ``msg`` and ``error_kind`` in its result instead of raising, so the others still run."""
    gate = asyncio.Semaphore(max(1, int(concurrency)))

    async def one(host):
        async with gate:
            try:
                return host, await run(dict(params, host=host), check_mode)
            except Failure as exc:
                return host, dict(exc.fail_kwargs(), changed=fleet.sent(exc), failed=True)
            except snmp_client.SnmpError as exc:
                return host, dict(exc.fail_kwargs('error_kind'), changed=fleet.sent(exc), failed=True)

    pairs = await asyncio.gather(*(one(h) for h in hosts))
    return dict(pairs)


def _argument_spec():
    spec = snmp_client.argument_spec()
    spec['host']['required'] = False
    spec.update(
        printers=dict(type='list', elements='str'),
        concurrency=dict(type='int', default=64),
        get=dict(type='list', elements='str', default=[]),
        walk=dict(type='list', elements='str', default=[]),
        set=dict(type='list', elements='dict', default=[], options=dict(
            oid=dict(type='str'),
            name=dict(type='str'),
            value=dict(type='raw', required=True),
            type=dict(type='str'),
        ), mutually_exclusive=[('oid', 'name')], required_one_of=[('oid', 'name')]),
    )
    return spec


ARGUMENT_SPEC = ArgumentSpec(_argument_spec(), required_one_of=[('host', 'printers')],
                             mutually_exclusive=[('host', 'printers')], **snmp_client.SNMP_CONSTRAINTS)
