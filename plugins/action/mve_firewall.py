# -*- coding: utf-8 -*-
# Copyright (c) 2026 printfleet.mve contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""printfleet.mve.mve_firewall: the module on Linux hosts, Windows Defender Firewall from the controller on Windows.

* Any connection whose shell is not PowerShell: the module runs on the host as usual (nftables backend).
* A Windows host (``ansible_connection: winrm`` or ``psrp``): nothing is installed or copied there. The
  task's arguments are validated here with the module's own argument spec and ``prepare()`` (bad input
  fails before any round trip); the firewall step (module_utils/windows/firewall.ps1, sent by the shared
  Windows transport) reads the rules of the group, the profiles and the policy's modify state; the planner
  (firewall_plan) runs here; the same step applies the change list, and only when something changes and not
  in check mode.
  The result has the module's keys plus ``round_trips`` (counted here) and ``profiles``.

Safety on Windows: the planner only makes allow rules and the scripts only touch rules whose Grouping is
ours, so no run can block WinRM (5985/5986): the profiles' default inbound action and every other group's
rule stay as they are. ``check_safety`` still runs on the wanted rules, and ``enforce`` (which on nftables
makes the module's table drop) is refused.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.action import ActionBase

from ansible_collections.printfleet.mve.plugins.module_utils.firewall import planner as firewall_plan
from ansible_collections.printfleet.mve.plugins.module_utils.firewall import windows as firewall_windows
from ansible_collections.printfleet.mve.plugins.module_utils.matrix import port_matrix
from ansible_collections.printfleet.mve.plugins.plugin_utils import routes, windows_transport
from ansible_collections.printfleet.mve.plugins.module_utils.firewall import converge as firewall_converge


def _fail(msg, field=None, kind='input', **extra):
    out = {'failed': True, 'changed': False, 'msg': msg, 'backend': 'windows', 'error_kind': kind}
    if field:
        out['field'] = field
    out.update(extra)
    return out


def validate_windows_names(rules):
    """Windows' policy format separates fields with ``|``; a rule name holding one is refused up front."""
    for rule in rules:
        if '|' in rule['name']:
            raise firewall_plan.PlanError('rule_names', 'rule name %r holds "|", which Windows Defender Firewall '
                                                        'rule names cannot contain' % rule['name'])


class ActionModule(ActionBase):

    _requires_connection = True

    def _on_windows(self):
        return windows_transport.on_windows(self._connection)

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        if not self._on_windows():
            args = dict(self._task.args)
            if args.get('connection_port') is None:
                port = self.management_connection_port(task_vars)
                if port is not None:
                    args['connection_port'] = port
            if args.get('connection_source') is None and args.get('connection_port') is not None:
                source = self.management_connection_source(task_vars)
                if source is not None:
                    args['connection_source'] = source
            result.update(self._execute_module(module_name='printfleet.mve.mve_firewall',
                                               module_args=args, task_vars=task_vars))
            return result
        diff = bool(getattr(self._task, 'diff', False) or getattr(self._play_context, 'diff', False))
        result.update(self.run_windows(dict(self._task.args), check_mode=bool(self._task.check_mode), diff=diff))
        return result

    def management_connection_port(self, task_vars):
        """The TCP port of the connection this task arrives on, from Ansible itself (the ssh connection's
        ``port`` option, else ``ansible_port``, else 22), so that the lock-out guard works under ``become``, where
        sudo resets ``SSH_CONNECTION``. None for connections that do not arrive over the network (local)."""
        transport = str(getattr(self._connection, 'transport', '') or '').rsplit('.', maxsplit=1)[-1]
        if transport not in ('ssh', 'paramiko', 'paramiko_ssh', 'libssh'):
            return None
        port = None
        try:
            port = self._connection.get_option('port')
        except Exception:  # pylint: disable=broad-except  # a connection plugin without the option
            port = None
        port = port or task_vars.get('ansible_port') or task_vars.get('ansible_ssh_port') or 22
        try:
            return int(port)
        except (TypeError, ValueError):
            return None

    def management_connection_source(self, task_vars):
        """The controller's address on its route to the host: where the management connection comes from, unless
        a jump host or NAT stands between (the module also checks the established connections it sees)."""
        host = getattr(getattr(self, '_play_context', None), 'remote_addr', None) or task_vars.get('ansible_host') \
            or task_vars.get('inventory_hostname')
        if not host:
            return None
        try:
            return routes.source_address(str(host), 22)
        except routes.RouteError:
            return None

    # ---- Windows -----------------------------------------------------------------------------------------
    def run_windows(self, args, check_mode=False, diff=False):
        """Validate, read (1 round trip), plan, apply (0 or 1 round trip). Returns the task result."""
        self.transport = windows_transport.WindowsTransport(self._connection,
                                                            host=getattr(self._play_context, 'remote_addr', None))
        validation = firewall_converge.ARGUMENT_SPEC.validate(args)
        if validation.errors:
            return _fail(validation.message, round_trips=0)
        params = validation.params
        if params['backend'] in ('nftables', 'firewalld'):
            return _fail('backend: %s manages a Linux host\'s %s; this host was reached over a PowerShell (WinRM/PSRP) '
                         'connection: use backend: windows or auto' % (params['backend'], params['backend']), 'backend',
                         round_trips=0)
        state = params['state']
        if params['enforce'] and state != 'absent':
            return _fail('enforce: not available with backend windows: Windows Defender Firewall already blocks '
                         'unsolicited inbound connections by default (DefaultInboundAction), and this module only '
                         'manages allow rules of its group; refused, nothing changed', 'enforce', round_trips=0)
        try:
            group = firewall_converge.prepare(params)
            scopes = firewall_plan.normalize_management_scopes(params['management_scopes'])
            if state != 'absent' and params['outbound'] != 'auto':
                validate_windows_names(firewall_converge.wanted(params, None))
        except (firewall_plan.PlanError, port_matrix.MatrixError) as exc:
            return _fail(to_text(exc), getattr(exc, 'field', None), exc.kind, round_trips=0)

        try:
            read = firewall_windows.parse_read(self._step(firewall_windows.read_payload(
                group, firewall_plan.validate_management_ports(params['management_ports']))), group)
        except firewall_windows.WindowsFirewallError as exc:
            return _fail('reading the Windows firewall failed, nothing changed: %s' % exc, kind='backend',
                         round_trips=self.round_trips)
        try:
            want = firewall_converge.wanted(params, read['default_outbound_action'],
                                            read['dynamic_ports'] or firewall_plan.DEFAULT_DYNAMIC_PORTS)
            profiles = firewall_windows.profiles_text(params['profiles'])
            for rule in want:
                if profiles != 'all':
                    rule['profiles'] = profiles
                if not params['enabled']:
                    rule['enabled'] = False
            validate_windows_names(want)
            have = firewall_plan.annotate([firewall_windows.planner_view(r) for r in read['rules']], want)
            plan = firewall_plan.plan(want, have, state, group)
            payload_check = firewall_windows.apply_payload(plan['changes'], group)  # refuses what COM cannot hold
        except (firewall_plan.PlanError, port_matrix.MatrixError, firewall_windows.WindowsFirewallError) as exc:
            return _fail(to_text(exc), getattr(exc, 'field', None), exc.kind, round_trips=self.round_trips,
                         profiles=read['profiles'])

        out = {
            'changed': plan['changed'],
            'rules': plan['after'],
            'commands': plan['commands'],
            'changes': plan['changes'],
            'enforce': False,
            'backend': 'windows',
            'profiles': read['profiles'],
            'local_policy_modify_state': read['local_policy_modify_state'],
            'management_rules': [firewall_windows.management_rule(com, scopes) for com in read['management']],
        }
        warnings = self._warnings(read, plan['after'])
        outside = [r for r in out['management_rules'] if r['outside_scopes']]
        if outside:
            warnings.append('management_scopes: these rules of other groups accept management connections (TCP %s) '
                            'from outside %s; the module never changes them, narrow them in their own policy: %s'
                            % (firewall_plan.ports_text(params['management_ports']), ', '.join(scopes), '; '.join(
                                '%r (group %r) from %s' % (r['name'], r['group'], r['remote_addresses'])
                                for r in outside)))
        if plan['changed'] and not check_mode:
            try:
                applied = firewall_windows.parse_apply(self._step(payload_check))
            except firewall_windows.WindowsFirewallError as exc:
                out.update(failed=True, rules=plan['before'], error_kind='backend',
                           msg='the apply step on the Windows host did not report back (%s): its outcome is '
                               'unknown; run the task again, it reads the rules and plans afresh' % exc)
                applied = None
            if applied is not None and not applied['ok']:
                out.update(self._rollback_result(applied, payload_check, plan))
        if diff:
            out['diff'] = {
                'before': {'rule_group': group, 'enforce': False, 'rules': plan['before']},
                'after': {'rule_group': group, 'enforce': False,
                          'rules': plan['before'] if out.get('failed') else plan['after']},
            }
        if warnings:
            out['warnings'] = warnings
        out['round_trips'] = self.round_trips
        return out

    @staticmethod
    def _rollback_result(applied, payload, plan):
        step = applied['failed_step'] or 0
        what = payload['steps'][step - 1] if 0 < step <= len(payload['steps']) else {'op': '?', 'name': '?'}
        rollback = dict((k, applied[k]) for k in ('done', 'failed_step', 'error', 'rolled_back', 'rollback_errors'))
        if applied['rollback_errors']:
            msg = ('step %d of %d (%s %r) failed on the Windows host: %s; the rollback did NOT complete (%s): the '
                   'rules of the group are partly changed, see rollback' % (
                       step, len(payload['steps']), what['op'], what['name'], applied['error'],
                       '; '.join('%s %r: %s' % (e['op'], e['name'], e['error']) for e in applied['rollback_errors'])))
            return {'failed': True, 'changed': True, 'msg': msg, 'rollback': rollback, 'error_kind': 'backend'}
        msg = ('step %d of %d (%s %r) failed on the Windows host: %s; the %d step(s) done before it were rolled '
               'back, the rules are as they were' % (step, len(payload['steps']), what['op'], what['name'],
                                                     applied['error'], len(applied['rolled_back'])))
        return {'failed': True, 'changed': False, 'msg': msg, 'rollback': rollback, 'rules': plan['before'],
                'error_kind': 'backend'}

    @staticmethod
    def _warnings(read, after):
        out = []
        if not after:
            return out
        state = read.get('local_policy_modify_state')
        if state == 'group_policy_override':
            out.append('a Group Policy overrides the local firewall policy on this host (LocalPolicyModifyState '
                       'FW_MODIFY_STATE_GP_OVERRIDE): the local rules are in place but take no effect unless the GPO '
                       'allows local rule merging; put the MVE flows in the GPO')
        elif state == 'inbound_blocked':
            out.append('inbound traffic is blocked regardless of the local rules on this host (LocalPolicyModifyState '
                       'FW_MODIFY_STATE_INBOUND_BLOCKED): the inbound rules take no effect')
        for profile in read['profiles']:
            if not profile['current']:
                continue
            if not profile['enabled']:
                out.append('Windows Defender Firewall is off for the current %s profile: the rules are in place but '
                           'have no effect until it is turned on' % profile['name'])
            elif profile['default_inbound_action'] == 'allow':
                out.append('the current %s profile allows inbound connections by default: the inbound rules document '
                           'the MVE flows but do not restrict anything' % profile['name'])
        return out

    @property
    def round_trips(self):
        return self.transport.round_trips

    def _step(self, payload):
        """One round trip of the firewall step (the shared Windows transport)."""
        try:
            return self.transport.run(firewall_windows.SCRIPT, payload)
        except windows_transport.WindowsStepError as exc:
            raise firewall_windows.WindowsFirewallError(exc.message)
