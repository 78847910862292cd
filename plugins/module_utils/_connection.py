# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ncloud.archive contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Keystone v3 session, swiftclient connections and error translation.

Internal use only: this file is not a public API of the collection. It does not import
Ansible, so it can be used and tested on its own.
"""

from __future__ import annotations

import contextlib
import gc
import http.client as http_client
import re
import sys
import time
from urllib.parse import urlsplit

from ansible_collections.ncloud.archive.plugins.module_utils._errors import ArchiveError, parse_limits, scrub

# swiftclient imports python-keystoneclient (and oslo.config with it) whenever it is
# installed, for its own v2/v3 auth. These modules authenticate with a keystoneauth1 session
# and never use it, so it is marked absent: on hosts that also have the `swift` CLI, importing
# it is a large part of a run that changes nothing (docs/benchmarks.md, "Findings"). Only
# when nothing in this process imported it yet.
sys.modules.setdefault('keystoneclient', None)
# keystoneauth1.session imports netaddr when it is installed (oslo.utils, which the `swift`
# CLI's keystoneclient needs, brings it) only to write netaddr.IPAddress values into its debug
# log; these modules never give it one, so it is not imported either.
sys.modules.setdefault('netaddr', None)

# The imports below create tens of thousands of objects; while they run, the garbage
# collector scans the growing heap again and again and finds nothing to free. It is paused
# for them, and what they created is moved to the permanent generation, so the collections
# of a long upload do not scan it either.
_GC_WAS_ENABLED = gc.isenabled()
gc.disable()
try:
    from keystoneauth1 import exceptions as ks_exceptions
    from keystoneauth1 import session as ks_session
    from keystoneauth1.identity import v3 as ks_v3
    from requests import Session as RequestsSession
    from requests.adapters import HTTPAdapter
    from requests.exceptions import ChunkedEncodingError, RequestException
    from swiftclient import client as swift_client
    from swiftclient.exceptions import ClientException

    # For _transfer: imported here, after the setup above, never before it.
    from swiftclient.utils import LengthWrapper  # pylint: disable=unused-import
    from urllib3.exceptions import HTTPError as Urllib3Error
    from urllib3.poolmanager import PoolKey

    HAS_CLIENTS = True
    CLIENTS_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - reported by the module base
    HAS_CLIENTS = False
    CLIENTS_IMPORT_ERROR = exc
    ClientException = None
    LengthWrapper = object
    HTTPAdapter = object
    RequestsSession = None
    PoolKey = None
    RequestException = None
    ChunkedEncodingError = None
    Urllib3Error = None
    ks_exceptions = None
finally:
    if _GC_WAS_ENABLED:
        gc.enable()
    gc.freeze()

# Request bodies are sent in blocks of this size. urllib3 reads a file-like body 16 KiB at a
# time: for 1 GiB that is 65,536 reads, md5 updates and sends; 1 MiB blocks make it 1,024
# (the CPU this saves: docs/benchmarks.md). Memory grows by one block per connection.
# urllib3 < 2 cannot be told: it keeps its own.
SEND_BLOCK = 1024 * 1024
WIDE_BLOCKS = PoolKey is not None and 'key_blocksize' in PoolKey._fields

_STATUS_HINTS = {
    401: 'authentication failed: check access_key, secret_key, project_id and domain_id',
    403: 'access denied: the project of these credentials may not do this',
    404: 'not found: check the container and object names',
    409: 'conflict: a non-empty container, a concurrent change, or an SLO segment that no longer matches its manifest',
    411: 'length required',
    413: 'too large: over a quota, or over the largest object size (upload large files '
    'with ncloud.archive.archive_slo)',
    416: 'requested range not satisfiable',
    422: 'checksum mismatch: the data was changed or corrupted on the way',
    429: 'rate limited by the server: retry later or lower the number of threads',
    507: 'the storage is full',
}

_URL_RE = re.compile(r'[a-zA-Z][a-zA-Z0-9+.-]*://[^\s\'"]+?(?=/auth/tokens|[\s\'":]*$|:\s)')
_ERRNO_RE = re.compile(r'\[Errno -?\d+\] ([^"\')]+)')


def _first(pattern, text):
    match = pattern.search(text)
    return match.group(0) if match else ''


def _reason(text):
    match = _ERRNO_RE.search(text)
    if match:
        return ' (%s)' % match.group(1).strip()
    return ' (%s)' % text if len(text) < 300 else ''


class DeadlineExceeded(ArchiveError):
    """The task's deadline passed before a request (or a retry of it) could start."""


class Deadline:
    """The time limits of a task: no request and no retry starts once one has passed.

    ``idle`` (the no-progress limit): seconds without progress, that is without a byte sent
    or received by any request and without an answer; every ``progress()`` starts it again,
    so a transfer that keeps moving is never stopped by it. ``seconds`` (the wall-clock
    deadline, 0: none): the whole task. Each attempt waits at most the time that is left, so
    a dead endpoint fails at the limit plus at most one back-off pause, whatever ``timeout``
    and ``retries`` say.
    """

    def __init__(self, seconds, idle=0):
        self.seconds, self.idle = seconds, idle
        now = time.monotonic()
        self._end = now + seconds if seconds else None
        self._last = now

    def progress(self):
        """Something moved: bytes of a body, or an answer."""
        self._last = time.monotonic()

    def remaining(self):
        """Seconds left before the nearer limit, or None without limits."""
        ends = [end for end in (self._end, self._last + self.idle if self.idle else None) if end is not None]
        return min(ends) - time.monotonic() if ends else None

    def check(self):
        left = self.remaining()
        if left is not None and left <= 0:
            if self.idle and time.monotonic() >= self._last + self.idle:
                raise DeadlineExceeded(
                    'nothing moved for %d s (no byte sent or received, no answer): the endpoint '
                    'is down, unreachable or hanging; check it and the network, or raise '
                    'progress_timeout' % self.idle
                )
            raise DeadlineExceeded(
                'the task ran out of time: its deadline of %d s passed (the endpoint is down or '
                'too slow; check it, or raise the deadline option for longer transfers)' % self.seconds
            )
        return left

    @contextlib.contextmanager
    def grace(self, seconds):
        """Allow ``seconds`` more from now, for clean-up after a failure."""
        saved, saved_idle = self._end, self.idle
        if saved is not None:
            self._end = max(saved, time.monotonic() + seconds)
        if self.idle:
            self.idle = max(self.idle, time.monotonic() + seconds - self._last)
        try:
            yield
        finally:
            self._end, self.idle = saved, saved_idle


class MovingBody:
    """A GET's body (swiftclient's, iterated in chunks) that tells ``deadline`` of every chunk:
    a download that keeps moving is progress, however long it takes."""

    def __init__(self, body, deadline):
        self.body, self.deadline = body, deadline

    def __iter__(self):
        for chunk in self.body:
            if self.deadline is not None:
                self.deadline.progress()
            yield chunk

    def close(self):
        close = getattr(self.body, 'close', None)
        if close is not None:
            close()


def url_has_credentials(url):
    """Whether a URL carries ``user:password@`` (which Ansible would print with the options)."""
    try:
        return '@' in urlsplit(str(url or '')).netloc
    except ValueError:
        return False


def check_url(url, option):
    """An http(s) URL with a host and no credentials in it, or an ArchiveError naming ``option``."""
    if url_has_credentials(url):
        raise ArchiveError(
            '%s: remove the user name and password from the URL (the part before '
            "'@'); give them as access_key and secret_key" % option
        )
    try:
        parts = urlsplit(url)
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ('http', 'https') or not parts.hostname:
        raise ArchiveError(
            '%s: %r is not an http(s) URL with a host name, for example '
            'https://kr.archive.ncloudstorage.com:5000/v3' % (option, url)
        )
    return url


def is_client_error(exc):
    """Whether ``exc`` comes from talking to Keystone or Swift (and so can be explained)."""
    if not HAS_CLIENTS:
        return False
    return isinstance(
        exc,
        (
            ClientException,
            ks_exceptions.ClientException,
            RequestException,
            Urllib3Error,
            http_client.HTTPException,
            ConnectionError,
        ),
    )


def describe_error(exc, operation):
    """Turn a keystoneauth or swiftclient exception into an ArchiveError for the user.

    ``operation`` says what was attempted, e.g. ``HEAD container 'logs'``.
    """
    if isinstance(exc, ArchiveError):
        return exc
    status = None
    transaction_id = None
    detail = ''
    if ClientException is not None and isinstance(exc, ClientException):
        status = exc.http_status
        transaction_id = exc.transaction_id
        if status:
            detail = 'HTTP %s %s' % (status, exc.http_reason or '')
            body = exc.http_response_content
            if isinstance(body, bytes):
                body = body.decode('utf-8', 'replace')
            if body and status != 401 and '<html' not in body.lower():
                body = ' '.join(body.split())
                detail += ': %s' % (body if len(body) <= 500 else body[:500] + '...')
        else:
            detail = exc.msg
    elif ks_exceptions is not None and isinstance(exc, ks_exceptions.ClientException):
        operation = 'authentication (Keystone) for %s' % operation
        if isinstance(exc, ks_exceptions.http.HttpError):
            status = exc.http_status
            transaction_id = getattr(exc, 'request_id', None)
            detail = 'HTTP %s' % status
        elif isinstance(exc, ks_exceptions.SSLError):
            detail = (
                'TLS verification failed (%s): set ca_cert to the CA bundle, or '
                'validate_certs=false for a test endpoint' % exc
            )
        elif isinstance(exc, ks_exceptions.ConnectionError):
            detail = 'could not connect to auth_url %s%s: check auth_url and the network' % (
                _first(_URL_RE, str(exc)),
                _reason(str(exc)),
            )
        elif isinstance(exc, ks_exceptions.EndpointNotFound):
            detail = 'no object-store endpoint in the service catalog (%s): check region_name or set storage_url' % exc
        elif isinstance(exc, ks_exceptions.DiscoveryFailure):
            detail = 'auth_url does not answer like Keystone v3 (%s): check auth_url' % exc
        else:
            detail = '%s: %s' % (type(exc).__name__, exc)
    elif isinstance(exc, (RequestException, Urllib3Error, http_client.HTTPException, ConnectionError)):
        detail = (
            'the connection to the storage endpoint failed (%s): check storage_url, the network '
            'and the retries option' % exc
        )
    else:
        detail = '%s: %s' % (type(exc).__name__, exc)
    hint = _STATUS_HINTS.get(status)
    if status and status >= 500 and not hint:
        hint = 'server error; it persisted through the configured retries'
    message = '%s failed: %s' % (operation, detail.strip())
    if hint:
        message += ' (%s)' % hint
    if transaction_id:
        message += ' [transaction id %s]' % transaction_id
    return ArchiveError(scrub(message), status=status, transaction_id=transaction_id)


def build_session(
    auth_url, access_key, secret_key, project_id, domain_id, verify=True, timeout=None, retries=0, deadline=None
):
    """Keystone v3 password session, the way NAVER Cloud Archive Storage authenticates.

    Its HTTP requests go through a _WideBlockAdapter, so they keep to ``deadline`` too.
    """
    auth = ks_v3.Password(
        auth_url=auth_url, username=access_key, password=secret_key, project_id=project_id, user_domain_id=domain_id
    )
    http = RequestsSession()
    _mount(http, deadline)
    try:
        return ks_session.Session(auth=auth, verify=verify, timeout=timeout, connect_retries=retries, session=http)
    except TypeError:  # keystoneauth1 without connect_retries
        return ks_session.Session(auth=auth, verify=verify, timeout=timeout, session=http)


class Connector:
    """Makes swiftclient connections that share one Keystone session (and so one token).

    A swiftclient Connection is not thread-safe: give each worker thread its own.
    """

    def __init__(
        self,
        session,
        storage_url=None,
        region_name=None,
        validate_certs=True,
        ca_cert=None,
        timeout=None,
        retries=5,
        deadline=None,
    ):
        self.session = session
        self.deadline = deadline
        self.os_options = {'service_type': 'object-store', 'endpoint_type': 'public'}
        if region_name:
            self.os_options['region_name'] = region_name
        if storage_url:
            self.os_options['object_storage_url'] = storage_url
        self.connection_kwargs = dict(retries=retries, insecure=not validate_certs, cacert=ca_cert, timeout=timeout)
        self._limits = None

    def connect(self):
        conn = _Connection(session=self.session, os_options=dict(self.os_options), **self.connection_kwargs)
        conn.deadline = self.deadline
        return conn

    def limits(self, connection):
        """The cluster's limits from /info, with Swift's defaults for what it does not say."""
        if self._limits is None:
            self._limits = parse_limits(_capabilities(connection))
        return self._limits


class _WideBlockAdapter(HTTPAdapter):
    """A requests adapter that sends request bodies in SEND_BLOCK blocks and keeps to the
    task's Deadline: no attempt starts after it, none waits longer than what is left."""

    def __init__(self, deadline=None):
        self.deadline = deadline
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        if WIDE_BLOCKS:
            kwargs.setdefault('blocksize', SEND_BLOCK)
        super().init_poolmanager(*args, **kwargs)

    def send(self, request, **kwargs):  # pylint: disable=arguments-differ
        left = self.deadline.check() if self.deadline is not None else None
        if left is not None:
            timeout = kwargs.get('timeout')
            if isinstance(timeout, tuple):
                timeout = tuple(left if t is None else min(t, left) for t in timeout)
            else:
                timeout = left if timeout is None else min(timeout, left)
            kwargs['timeout'] = timeout
        response = super().send(request, **kwargs)
        if self.deadline is not None:
            self.deadline.progress()
        return response


def _mount(http, deadline):
    adapter = _WideBlockAdapter(deadline)
    http.mount('http://', adapter)
    http.mount('https://', adapter)


class _Connection(swift_client.Connection if HAS_CLIENTS else object):
    """A swiftclient Connection whose HTTP connections go through a _WideBlockAdapter."""

    deadline = None

    def http_connection(self, url=None):
        parsed, conn = super().http_connection(url)
        _mount(conn.request_session, self.deadline)
        return parsed, conn

    def _retry(self, reset_func, func, *args, **kwargs):
        def attempt(*call_args, **call_kwargs):
            try:
                return func(*call_args, **call_kwargs)
            except (Urllib3Error, http_client.HTTPException) as exc:
                # A body cut after the headers (listings, manifests, /info are read whole)
                # surfaces as urllib3's or http.client's own error, which swiftclient does not
                # retry; as a requests error it is retried like a reset during the request.
                raise ChunkedEncodingError('the answer was cut off: %s' % exc) from exc

        return super()._retry(reset_func, attempt, *args, **kwargs)

    def body_request(self, method, container, name=None, query_string=None, headers=None, data=None):
        """A Swift request whose answer body matters (swiftclient drops it for DELETE/POST).

        Goes through the connection's retry and re-authentication. Returns (status, headers,
        body bytes); raises ClientException on a non-2xx answer.
        """

        def _call(url, token, http_conn=None, service_token=None):
            parsed, conn = http_conn
            path = '%s/%s' % (parsed.path.rstrip('/'), swift_client.quote(container))
            if name:
                path += '/' + swift_client.quote(name)
            if query_string:
                path += '?' + query_string
            sent = dict(headers or {})
            sent['X-Auth-Token'] = token
            if service_token:
                sent['X-Service-Token'] = service_token
            conn.request(method, path, data or '', sent)
            resp = conn.getresponse()
            body = resp.read()
            if resp.status < 200 or resp.status >= 300:
                raise ClientException.from_response(resp, '%s failed' % method, body)
            return resp.status, swift_client.resp_header_dict(resp), body

        return self._retry(None, _call)


def _capabilities(connection):
    # Authentication errors must surface; a cluster without /info must not stop us. The
    # connection stays open for the requests that follow, unless /info failed on it. The
    # token comes first, also when the storage URL is given: swiftclient closes the HTTP
    # connection when it authenticates inside a request.
    if not connection.url or not connection.token:
        connection.url, connection.token = connection.get_auth()
    try:
        return connection.get_capabilities()
    except (ClientException, ValueError, OSError):
        connection.close()
        return {}


def renew_token(connection, force=False):
    """Give the connection the session's token again, before a request that runs long on the
    server (bulk delete or upload, SLO manifest PUT or DELETE, server-side copy): their
    sub-requests use the request's token, so it must stay valid throughout. keystoneauth
    renews a token that expires within two minutes; ``force`` renews it anyway (after a
    sub-request answered 401).

    The connection keeps its HTTP connection: clearing the token instead would make
    swiftclient authenticate inside the next request and open a new connection for it.
    """
    session = getattr(connection, 'session', None)
    if session is None:
        connection.token = None
        return
    if force:
        session.invalidate()
    connection.get_auth()


def sub_requests_unauthorized(exc):
    """Whether a bulk or SLO request failed because its token expired while it ran."""
    return '401 Unauthorized' in getattr(exc, 'message', str(exc))
