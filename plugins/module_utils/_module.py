# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ncloud.archive contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Base class of the ncloud.archive modules: auth options, one connection, one error path;
the one parser of size options (``parse_size``: bytes, ``64MB`` or ``64MiB``, where MB and MiB
both mean 2**20, as in Ansible's human_to_bytes) and the elapsed time and rate of transfers.

Internal use only: this file is not a public API of the collection.
"""

from __future__ import annotations

import gc
import os
import re
import time
import traceback

from ansible.module_utils import basic
from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib
from ansible.module_utils.common.text.formatters import human_to_bytes

from ansible_collections.ncloud.archive.plugins.module_utils import _client, _connection
from ansible_collections.ncloud.archive.plugins.module_utils._errors import ArchiveError, scrub

DEFAULT_AUTH_URL = 'https://kr.archive.ncloudstorage.com:5000/v3'

# The clock of a transfer's elapsed: monotonic, so that a change of the system time does not
# distort it (a name of its own, so that unit tests can stub it).
clock = time.monotonic

SIZE_FORMS = 'use bytes (67108864) or a number with a unit, e.g. 64MiB, 64MB or 1GiB'
_BYTES = re.compile(r'^\s*[0-9]+\s*$')
_IEC = re.compile(r'^\s*([0-9]*\.?[0-9]+)\s*([KMGTPEZY])iB\s*$')
_UNIT = re.compile(r'[A-Za-z]')

AUTH_ARGUMENT_SPEC = dict(
    auth_url=dict(type='str', default=DEFAULT_AUTH_URL, fallback=(env_fallback, ['OS_AUTH_URL'])),
    access_key=dict(
        type='str', aliases=['username'], no_log=False, fallback=(env_fallback, ['NCLOUD_ACCESS_KEY', 'OS_USERNAME'])
    ),
    secret_key=dict(
        type='str', aliases=['password'], no_log=True, fallback=(env_fallback, ['NCLOUD_SECRET_KEY', 'OS_PASSWORD'])
    ),
    project_id=dict(type='str', fallback=(env_fallback, ['OS_PROJECT_ID'])),
    domain_id=dict(type='str', aliases=['user_domain_id'], fallback=(env_fallback, ['OS_USER_DOMAIN_ID'])),
    region_name=dict(type='str', fallback=(env_fallback, ['OS_REGION_NAME'])),
    storage_url=dict(type='str', fallback=(env_fallback, ['OS_STORAGE_URL'])),
    validate_certs=dict(type='bool', default=True),
    ca_cert=dict(type='path', fallback=(env_fallback, ['OS_CACERT'])),
    timeout=dict(type='int', default=60),
    retries=dict(type='int', default=5),
    deadline=dict(type='int', default=0),
    progress_timeout=dict(type='int', default=120),
)

_REQUIRED_AUTH = (
    ('access_key', 'NCLOUD_ACCESS_KEY or OS_USERNAME'),
    ('secret_key', 'NCLOUD_SECRET_KEY or OS_PASSWORD'),
    ('project_id', 'OS_PROJECT_ID'),
    ('domain_id', 'OS_USER_DOMAIN_ID'),
)


class ArchiveModule:
    """Subclasses set ``argument_spec`` and ``module_kwargs`` and implement ``run()``.

    ``run()`` observes through ``self.client``, plans with _plan, applies the plan unless in
    check mode, and returns the result; ``__call__`` exits with it. An ArchiveError (for
    anything the user must fix) or a keystoneauth/swiftclient exception becomes one scrubbed
    ``fail_json``.
    """

    argument_spec = {}
    module_kwargs = {}
    # A module that moves data: its results get elapsed and bytes_per_second (transfer_rate()),
    # from the bytes its run() adds to ``self.moved`` once they are stored or written.
    transfer = False

    def __init__(self):
        spec = dict(AUTH_ARGUMENT_SPEC)
        spec.update(self.argument_spec)
        if _auth_url_has_credentials():
            # Hidden like the secret key from the first message on (the invocation that
            # Ansible prints with every result included); refused in connector().
            spec['auth_url'] = dict(spec['auth_url'], no_log=True)
        self.module = AnsibleModule(argument_spec=spec, **self.module_kwargs)
        self.params = self.module.params
        self.check_mode = self.module.check_mode
        self._connector = None
        self._client = None
        self.moved = 0
        # No deadline until connector() has checked the option and starts the clock.
        self.deadline = _connection.Deadline(0)

    # --- connection -----------------------------------------------------------------
    def connector(self):
        """The Connector (one Keystone session) for this run; built on first use."""
        if self._connector is None:
            p = self.params
            missing = ['%s (or %s)' % (name, env) for name, env in _REQUIRED_AUTH if not p[name]]
            if missing:
                raise ArchiveError('missing required credentials: %s' % ', '.join(missing))
            for option, low in (('retries', 0), ('timeout', 1), ('deadline', 0), ('progress_timeout', 0)):
                if p[option] < low:
                    raise ArchiveError('%s must be at least %d, not %d' % (option, low, p[option]))
            _connection.check_url(p['auth_url'], 'auth_url')
            if p['storage_url']:
                _connection.check_url(p['storage_url'], 'storage_url')
            verify = p['ca_cert'] if p['validate_certs'] and p['ca_cert'] else p['validate_certs']
            self.deadline = _connection.Deadline(p['deadline'], p['progress_timeout'])
            session = _connection.build_session(
                p['auth_url'],
                p['access_key'],
                p['secret_key'],
                p['project_id'],
                p['domain_id'],
                verify=verify,
                timeout=p['timeout'],
                retries=p['retries'],
                deadline=self.deadline,
            )
            self._connector = _connection.Connector(
                session,
                storage_url=p['storage_url'],
                region_name=p['region_name'],
                validate_certs=p['validate_certs'],
                ca_cert=p['ca_cert'],
                timeout=p['timeout'],
                retries=p['retries'],
                deadline=self.deadline,
            )
        return self._connector

    @property
    def client(self):
        """The Client of this run: every request goes through it (built on first use)."""
        if self._client is None:
            self._client = _client.Client(self.connector(), self.module.no_log_values)
        return self._client

    def size_option(self, option):
        """The option's size in bytes (parse_size()), None when not given."""
        return parse_size(self.params[option], option)

    # --- results --------------------------------------------------------------------
    def diff(self, before, after):
        """{'diff': ...} in diff mode, else {}."""
        return {'diff': dict(before=before, after=after)} if self.module._diff else {}

    def exit(self, **result):
        _before_exit()
        self.module.exit_json(**result)

    def fail(self, msg, **result):
        _before_exit()
        self.module.fail_json(msg=scrub(msg), **result)

    def run(self):  # pragma: no cover - abstract
        """Observe, plan, apply unless in check mode; returns the result."""
        raise NotImplementedError

    def __call__(self):
        if not _connection.HAS_CLIENTS:
            self.module.fail_json(
                msg=missing_required_lib('python-swiftclient and keystoneauth1'),
                exception=str(_connection.CLIENTS_IMPORT_ERROR),
            )
        started = clock()
        try:
            result = self.run()
        except ArchiveError as exc:
            self.fail_with(exc)
        except Exception as exc:  # pylint: disable=broad-except
            if not _connection.is_client_error(exc):
                raise
            self.fail_with(_connection.describe_error(exc, 'request'))
        if self.transfer:
            result.update(transfer_rate(self.moved, clock() - started))
        self.exit(**result)

    def fail_with(self, exc):
        """fail_json for ``exc``: its message, status and transaction id, and the scrubbed
        traceback of its cause (shown where Ansible shows tracebacks; fail_json also removes
        no_log values from it)."""
        found = dict(status=exc.status, transaction_id=exc.transaction_id)
        self.fail(
            exc.message,
            exception=scrub(''.join(traceback.format_exc())),
            changed=False,
            **dict(exc.details or {}, **dict((key, value) for key, value in found.items() if value)),
        )


def parse_size(value, option):
    """Bytes of a size option (``option`` names it in the error); None stays None.

    The one parser of every option that takes bytes. Accepted: an int or a string of digits
    (bytes); a number with one of the units Ansible's human_to_bytes takes (``64MB``,
    ``1 GB``, ``1.5G``, ``512K``, ``100B``); or with an IEC unit (``64MiB``, ``1 GiB``,
    ``KiB``, ``TiB``, up to ``YiB``). MB and MiB both mean 2**20 (KB and KiB 2**10, GB and GiB
    2**30, ...), as in Ansible's human_to_bytes, so that no value written before the IEC
    units were accepted changes its meaning. A number without a unit must be whole bytes.
    Anything else (negative, a fraction of a byte, ``64mb``, a list, a bool) raises the one
    ArchiveError that names the option and shows the accepted forms.
    """
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, str):
        if _BYTES.match(value):
            return int(value)
        iec = _IEC.match(value)
        text = '%s%sB' % iec.groups() if iec else value.strip()
        if _UNIT.search(text):
            try:
                return human_to_bytes(text)
            except ValueError:
                pass
    raise ArchiveError("%s: '%s' is not a size: %s" % (option, value, SIZE_FORMS))


def transfer_rate(moved, seconds):
    """The result keys of a transfer: ``elapsed`` (seconds, to the millisecond) and
    ``bytes_per_second`` (``moved`` bytes over ``seconds``, whole; 0 when nothing moved)."""
    rate = int(round(moved / seconds)) if moved and seconds > 0 else 0
    return {'elapsed': round(seconds, 3), 'bytes_per_second': rate}


def _auth_url_has_credentials():
    """Whether the auth_url this run gets (option or OS_AUTH_URL) carries user:password@."""
    try:
        args = basic._load_params()  # pylint: disable=protected-access
    except Exception:  # pylint: disable=broad-except
        return False  # AnsibleModule reports unreadable arguments itself
    url = args.get('auth_url') if isinstance(args, dict) else None
    return _connection.url_has_credentials(url or os.environ.get('OS_AUTH_URL'))


def _before_exit():
    """Put every object in the garbage collector's permanent generation.

    While it tears the module down, the interpreter's finalization runs garbage collections
    that visit every object still tracked, again and again, for nothing: the process is about
    to end. Frozen objects are skipped. The client imports froze theirs (_connection); this
    covers Ansible's imports when they came later and what the run made (docs/benchmarks.md).
    """
    gc.freeze()
