"""``patch_module_args(args)`` for the module unit tests, on every ansible-core that meta/runtime.yml claims.

ansible-core 2.17+ ships ``ansible.module_utils.testing.patch_module_args``; it is used when it exists.
ansible-core 2.16 has no such helper: there, AnsibleModule reads its arguments from
``ansible.module_utils.basic._ANSIBLE_ARGS`` (JSON bytes ``{"ANSIBLE_MODULE_ARGS": {...}}``) and knows no
serialization profile (``_ANSIBLE_PROFILE``), so that attribute alone is patched for the duration.
"""
import contextlib
import json
from unittest import mock

try:
    from ansible.module_utils.testing import patch_module_args  # noqa: F401 pylint: disable=unused-import
except ImportError:  # ansible-core < 2.17
    from ansible.module_utils import basic as _basic
    from ansible.module_utils.common.text.converters import to_bytes as _to_bytes

    @contextlib.contextmanager
    def patch_module_args(args=None):
        """Expose ``args`` to the AnsibleModule instances created within this context."""
        if not isinstance(args, (dict, type(None))):
            raise TypeError('The `args` arg must be a dict or None.')
        payload = _to_bytes(json.dumps({'ANSIBLE_MODULE_ARGS': args or {}}))
        with mock.patch.object(_basic, '_ANSIBLE_ARGS', payload):
            yield
