# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ncloud.archive contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Base class of the ncloud.archive modules: auth options, one connection, one error path.

Internal use only: this file is not a public API of the collection.
"""

from __future__ import annotations

import gc
import os

from ansible.module_utils import basic
from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib

from ansible_collections.ncloud.archive.plugins.module_utils import _connection, _swift
from ansible_collections.ncloud.archive.plugins.module_utils._connection import ArchiveError

DEFAULT_AUTH_URL = 'https://kr.archive.ncloudstorage.com:5000/v3'

AUTH_ARGUMENT_SPEC = dict(
    auth_url=dict(type='str', default=DEFAULT_AUTH_URL, fallback=(env_fallback, ['OS_AUTH_URL'])),
    access_key=dict(type='str', aliases=['username'], no_log=False,
                    fallback=(env_fallback, ['NCLOUD_ACCESS_KEY', 'OS_USERNAME'])),
    secret_key=dict(type='str', aliases=['password'], no_log=True,
                    fallback=(env_fallback, ['NCLOUD_SECRET_KEY', 'OS_PASSWORD'])),
    project_id=dict(type='str', fallback=(env_fallback, ['OS_PROJECT_ID'])),
    domain_id=dict(type='str', aliases=['user_domain_id'],
                   fallback=(env_fallback, ['OS_USER_DOMAIN_ID'])),
    region_name=dict(type='str', fallback=(env_fallback, ['OS_REGION_NAME'])),
    storage_url=dict(type='str', fallback=(env_fallback, ['OS_STORAGE_URL'])),
    validate_certs=dict(type='bool', default=True),
    ca_cert=dict(type='path', fallback=(env_fallback, ['OS_CACERT'])),
    timeout=dict(type='int', default=60),
    retries=dict(type='int', default=5),
    deadline=dict(type='int', default=3600),
)

_REQUIRED_AUTH = (
    ('access_key', 'NCLOUD_ACCESS_KEY or OS_USERNAME'),
    ('secret_key', 'NCLOUD_SECRET_KEY or OS_PASSWORD'),
    ('project_id', 'OS_PROJECT_ID'),
    ('domain_id', 'OS_USER_DOMAIN_ID'),
)


class ArchiveModule:
    """Subclasses set ``argument_spec`` and ``module_kwargs`` and implement ``run()``.

    ``run()`` raises ArchiveError for anything the user must fix; ``__call__`` turns it
    (and any keystoneauth/swiftclient exception) into one scrubbed ``fail_json``.
    """

    argument_spec = {}
    module_kwargs = {}

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
        self._conn = None
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
            for option, low in (('retries', 0), ('timeout', 1), ('deadline', 0)):
                if p[option] < low:
                    raise ArchiveError('%s must be at least %d, not %d' % (option, low, p[option]))
            _connection.check_url(p['auth_url'], 'auth_url')
            if p['storage_url']:
                _connection.check_url(p['storage_url'], 'storage_url')
            verify = p['ca_cert'] if p['validate_certs'] and p['ca_cert'] else p['validate_certs']
            self.deadline = _connection.Deadline(p['deadline'])
            session = _connection.build_session(
                p['auth_url'], p['access_key'], p['secret_key'], p['project_id'], p['domain_id'],
                verify=verify, timeout=p['timeout'], retries=p['retries'], deadline=self.deadline)
            self._connector = _connection.Connector(
                session, storage_url=p['storage_url'], region_name=p['region_name'],
                validate_certs=p['validate_certs'], ca_cert=p['ca_cert'], timeout=p['timeout'],
                retries=p['retries'], deadline=self.deadline)
        return self._connector

    @property
    def conn(self):
        if self._conn is None:
            self._conn = self.connector().connect()
        return self._conn

    def limits(self):
        """Cluster limits from /info (read once), Swift defaults where it says nothing."""
        return self.request('reading the cluster limits (/info)', self.connector().limits, self.conn)

    def request(self, operation, func, *args, **kwargs):
        """Call ``func``; a client exception becomes an ArchiveError naming ``operation``."""
        try:
            result = func(*args, **kwargs)
        except _connection.DeadlineExceeded as exc:
            raise ArchiveError('%s did not finish: %s' % (operation, exc.message)) from None
        except ArchiveError:
            raise
        except Exception as exc:  # pylint: disable=broad-except
            if _connection.is_client_error(exc):
                raise _connection.describe_error(exc, operation) from None
            raise
        token = getattr(self._conn, 'token', None)
        if token:
            self.module.no_log_values.add(token)
        return result

    # --- common requests ------------------------------------------------------------
    def container_headers(self, container):
        """A container's HEAD headers, or None when it does not exist. The temp URL keys that
        the owner sees there are secrets: they join no_log_values."""
        try:
            headers = self.request("HEAD container '%s'" % container, self.conn.head_container,
                                   container)
        except ArchiveError as exc:
            if exc.status == 404:
                return None
            raise
        self.module.no_log_values.update(_swift.temp_url_keys(headers, 'container').values())
        return headers

    def head_container(self, container):
        """Facts of a container, or None when it does not exist."""
        headers = self.container_headers(container)
        return None if headers is None else _swift.container_facts(container, headers)

    def quota_hint(self, exc, container):
        """``exc`` with the container's quotas named, when it is a 413 of an upload into it."""
        if exc.status != 413:
            return exc
        try:
            facts = self.head_container(container)
        except ArchiveError:
            return exc
        quotas = ['%s=%d (%s now)' % (option, facts[option], facts[used])
                  for option, used in (('quota_bytes', 'bytes'), ('quota_count', 'object_count'))
                  if facts and facts[option]]
        if not quotas:
            return exc
        return ArchiveError("%s; container '%s' has %s: raise or remove it with "
                            "ncloud.archive.archive_container, or delete objects"
                            % (exc.message, container, ' and '.join(quotas)),
                            exc.status, exc.transaction_id)

    def require_container(self, container):
        """Facts of a container that must exist before anything is written into it."""
        facts = self.head_container(container)
        if facts is None:
            raise ArchiveError("container '%s' does not exist: create it with "
                               "ncloud.archive.archive_container" % container)
        return facts

    def head_object(self, container, name, conn=None):
        """Facts of an object, or None when it does not exist."""
        try:
            headers = self.request("HEAD object '%s' in container '%s'" % (name, container),
                                   (conn or self.conn).head_object, container, name)
        except ArchiveError as exc:
            if exc.status == 404:
                return None
            raise
        return _swift.object_facts(container, name, headers)

    def get_manifest(self, container, name, conn=None):
        """The segments of an SLO, from ``?multipart-manifest=get``."""
        _headers, body = self.request(
            "GET manifest of object '%s' in container '%s'" % (name, container),
            (conn or self.conn).get_object, container, name, query_string='multipart-manifest=get')
        return _swift.parse_manifest(body)

    def list_container(self, container, prefix=None, delimiter=None, marker=None, limit=None):
        """A container's listing, page by page (past the server's 10,000 a page)."""
        return _swift.page_through(
            lambda page_marker, page_limit: self.request(
                "list container '%s'" % container, self.conn.get_container, container,
                marker=page_marker, limit=page_limit, prefix=prefix, delimiter=delimiter)[1],
            marker=marker, limit=limit, page_size=self.limits()['container_listing_limit'])

    # --- results --------------------------------------------------------------------
    def exit(self, **result):
        _before_exit()
        self.module.exit_json(**result)

    def fail(self, msg, **result):
        _before_exit()
        self.module.fail_json(msg=_connection.scrub(msg), **result)

    def run(self):  # pragma: no cover - abstract
        raise NotImplementedError

    def __call__(self):
        if not _connection.HAS_CLIENTS:
            self.module.fail_json(
                msg=missing_required_lib('python-swiftclient and keystoneauth1'),
                exception=str(_connection.CLIENTS_IMPORT_ERROR))
        try:
            self.run()
        except ArchiveError as exc:
            result = {'changed': False}
            if exc.status:
                result['status'] = exc.status
            if exc.transaction_id:
                result['transaction_id'] = exc.transaction_id
            self.fail(exc.message, **result)
        except Exception as exc:  # pylint: disable=broad-except
            if not _connection.is_client_error(exc):
                raise
            self.fail(_connection.describe_error(exc, 'request').message)


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

    While it tears the modules down, the interpreter's finalization runs garbage collections
    that visit every object still tracked again and again: measured before the client imports
    froze theirs (_connection), 35-85 ms of every module run for the ~37,000 objects of the
    imports. What is left for this call: Ansible's imports when they came after the clients'
    (as in archive_slo), and what the run made. Frozen objects are skipped; the process is
    about to end anyway.
    """
    gc.freeze()
