# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ncloud.archive contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import hashlib
import importlib.metadata
import io
import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from keystoneauth1 import exceptions as ks_exceptions
from swiftclient.exceptions import ClientException
from swiftclient.utils import LengthWrapper

from ansible_collections.ncloud.archive.plugins.module_utils import _connection, _module, _transfer
from ansible_collections.ncloud.archive.plugins.module_utils._errors import ArchiveError


def test_scrub_removes_userinfo_query_and_tokens():
    text = (
        "Unable to connect to https://AKID:s3cr3t@kr.example:5000/v3/auth/tokens?x=1 with X-Auth-Token: gAAAAAB-token"
    )
    out = _connection.scrub(text)
    assert 's3cr3t' not in out and 'AKID' not in out and 'x=1' not in out
    assert 'gAAAAAB-token' not in out
    assert 'https://kr.example:5000/v3/auth/tokens' in out


def test_swift_error_has_status_hint_and_transaction_id():
    exc = ClientException(
        'Object PUT failed',
        http_status=413,
        http_reason='Request Entity Too Large',
        http_response_headers={'X-Trans-Id': 'tx123'},
    )
    err = _connection.describe_error(exc, "PUT object 'big' in 'c'")
    assert err.status == 413 and err.transaction_id == 'tx123'
    assert err.message.startswith("PUT object 'big' in 'c' failed: HTTP 413")
    assert 'archive_slo' in err.message and 'tx123' in err.message


def test_keystone_401_names_the_credentials_to_check():
    err = _connection.describe_error(ks_exceptions.Unauthorized(http_status=401), 'HEAD account')
    assert err.status == 401
    assert 'check access_key, secret_key, project_id and domain_id' in err.message


def test_keystone_connect_failure_is_scrubbed():
    exc = ks_exceptions.ConnectFailure('Unable to establish connection to https://u:pw@host:5000/v3/auth/tokens')
    err = _connection.describe_error(exc, 'HEAD account')
    assert 'pw@' not in err.message and 'could not connect to auth_url' in err.message


def test_limits_fall_back_to_swift_defaults():
    limits = _connection.parse_limits({})
    assert limits['slo_max_manifest_segments'] == 1000
    assert limits['max_file_size'] == 5368709122
    info = {
        'swift': {'max_file_size': 100, 'container_listing_limit': 500},
        'slo': {'max_manifest_segments': 10},
        'bulk_delete': {'max_deletes_per_request': 50},
    }
    limits = _connection.parse_limits(info)
    assert (limits['max_file_size'], limits['container_listing_limit']) == (100, 500)
    assert limits['slo_max_manifest_segments'] == 10 and limits['slo']
    assert limits['bulk_delete'] and limits['bulk_max_deletes_per_request'] == 50


class _ReadLog(io.BytesIO):
    def __init__(self, data):
        super().__init__(data)
        self.sizes = []

    def read(self, size=-1):
        self.sizes.append(size)
        return super().read(size)


@pytest.mark.skipif(not _connection.WIDE_BLOCKS, reason='urllib3 < 2 keeps its 8 KiB blocks')
def test_connections_send_bodies_in_wide_blocks():
    received = {}

    class Handler(BaseHTTPRequestHandler):
        def do_PUT(self):  # noqa: N802 - http.server's naming
            body = self.rfile.read(int(self.headers['Content-Length']))
            received[self.path] = body
            self.send_response(201)
            self.send_header('Etag', hashlib.md5(body).hexdigest())
            self.send_header('Content-Length', '0')
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(('127.0.0.1', 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        data = os.urandom(4 * _connection.SEND_BLOCK + 5)
        source = _ReadLog(data)
        body = LengthWrapper(source, len(data), md5=True)
        conn = _connection._Connection(  # pylint: disable=protected-access
            preauthurl='http://127.0.0.1:%d/v1/AUTH_t' % server.server_port, preauthtoken='token', retries=0
        )
        etag = conn.put_object('c', 'o', body, content_length=len(data))
    finally:
        server.shutdown()
        server.server_close()
    assert received['/v1/AUTH_t/c/o'] == data
    assert etag == body.get_md5sum() == hashlib.md5(data).hexdigest()
    # 4 full blocks, the 5-byte tail: 5 reads, where urllib3's default reads 16 KiB each time.
    assert [size for size in source.sizes if size] == [_connection.SEND_BLOCK] * 4 + [5]


_IMPORT_PROBE = """
import gc, json, sys
%s
from ansible_collections.ncloud.archive.plugins.module_utils import _connection, _module, _transfer
print(json.dumps({'enabled': gc.isenabled(), 'frozen': gc.get_freeze_count(),
                  'netaddr': sys.modules.get('netaddr', 'never imported') is None,
                  'keystoneclient': sys.modules.get('keystoneclient', 'never imported') is None,
                  'clients': _connection.HAS_CLIENTS}))
"""


def _import_in_fresh_process(before=''):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    out = subprocess.run(
        [sys.executable, '-c', _IMPORT_PROBE % before], env=env, check=True, capture_output=True, text=True
    ).stdout
    return json.loads(out)


def test_import_pauses_the_garbage_collector_only_while_it_runs():
    seen = _import_in_fresh_process()
    assert seen['clients'] is True
    assert seen['enabled'] is True  # collections run again: a long upload's garbage is freed
    assert seen['frozen'] > 10000  # the clients' own objects are not scanned again
    # the two optional imports the modules never use are marked absent
    assert seen['netaddr'] is True and seen['keystoneclient'] is True


def test_import_leaves_a_disabled_garbage_collector_disabled():
    assert _import_in_fresh_process('gc.disable()')['enabled'] is False


@pytest.mark.parametrize('url', ['https://ak:sk@kr.archive.ncloudstorage.com:5000/v3', 'http://user@127.0.0.1:5000/v3'])
def test_credentials_in_a_url_are_refused_without_showing_them(url):
    assert _connection.url_has_credentials(url)
    with pytest.raises(ArchiveError) as err:
        _connection.check_url(url, 'auth_url')
    assert err.value.message.startswith('auth_url: remove the user name and password')
    userinfo = url.split('//')[1].split('@')[0]
    assert userinfo + '@' not in err.value.message and url not in err.value.message


@pytest.mark.parametrize('url', ['not-a-url', 'ftp://host/v3', 'https:///v3', ''])
def test_a_url_must_be_http_with_a_host(url):
    with pytest.raises(ArchiveError, match='^storage_url: .* is not an http'):
        _connection.check_url(url, 'storage_url')


def test_deadline_caps_each_attempt_and_refuses_new_ones(monkeypatch):
    clock = [100.0]
    monkeypatch.setattr(_connection.time, 'monotonic', lambda: clock[0])
    deadline = _connection.Deadline(10)
    sent = []
    monkeypatch.setattr(_connection.HTTPAdapter, 'send', lambda self, request, **kw: sent.append(kw['timeout']))
    adapter = _connection._WideBlockAdapter(deadline)  # pylint: disable=protected-access
    adapter.send(None, timeout=60)
    clock[0] = 107.5
    adapter.send(None, timeout=60)
    adapter.send(None, timeout=(60, 1))
    assert sent == [10.0, 2.5, (2.5, 1)]
    clock[0] = 110.0
    with pytest.raises(_connection.DeadlineExceeded, match='deadline of 10 s passed'):
        adapter.send(None, timeout=60)
    with deadline.grace(30):  # clean-up after the failure still gets its time
        adapter.send(None, timeout=60)
    assert sent[-1] == 30.0
    with pytest.raises(_connection.DeadlineExceeded):
        adapter.send(None, timeout=60)


def test_the_no_progress_limit_runs_from_the_last_progress(monkeypatch):
    """Answers, upload blocks and download chunks are progress: a transfer that keeps moving
    is never stopped, however long; one that stops moving is, after progress_timeout."""
    clock = [100.0]
    monkeypatch.setattr(_connection.time, 'monotonic', lambda: clock[0])
    deadline = _connection.Deadline(0, idle=30)
    sent = []
    monkeypatch.setattr(_connection.HTTPAdapter, 'send', lambda self, request, **kw: sent.append(kw['timeout']))
    adapter = _connection._WideBlockAdapter(deadline)  # pylint: disable=protected-access
    upload = _transfer.Md5Slice(io.BytesIO(b'x' * 100), 100, deadline=deadline)
    download = iter(_connection.MovingBody(iter([b'chunk'] * 10), deadline))
    for step in range(10):  # five minutes of a slow transfer, something every 20 s
        clock[0] += 20
        upload.read(10) if step % 2 else next(download)
        assert deadline.check() == 30.0
    clock[0] += 25
    adapter.send(None, timeout=60)  # an attempt waits at most what is left...
    assert sent == [5.0]
    clock[0] += 29  # ...and its answer is progress
    assert deadline.check() == 1.0
    clock[0] += 1
    with pytest.raises(_connection.DeadlineExceeded, match='nothing moved for 30 s.*progress_timeout'):
        adapter.send(None, timeout=60)
    with deadline.grace(15):  # clean-up after the failure still gets its time
        adapter.send(None, timeout=60)
    assert sent[-1] == 15.0


def test_the_defaults_stop_a_dead_endpoint_and_no_moving_transfer():
    spec = _module.AUTH_ARGUMENT_SPEC
    assert spec['deadline']['default'] == 0 and spec['progress_timeout']['default'] == 120


def test_no_deadline_leaves_the_timeout_alone(monkeypatch):
    sent = []
    monkeypatch.setattr(_connection.HTTPAdapter, 'send', lambda self, request, **kw: sent.append(kw['timeout']))
    _connection._WideBlockAdapter(_connection.Deadline(0)).send(None, timeout=60)  # pylint: disable=protected-access
    assert sent == [60]


def _installed(distribution):
    try:
        importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


# Only a process where python-keystoneclient is installed can show swiftclient importing it.
# It is not in tests/unit/requirements.txt (it brings oslo.config, oslo.utils, psutil, netaddr
# and eight more packages the modules never use), so `ansible-test units` skips this, saying
# why; the dev venv (requirements-dev.txt, `make unit`) has it. Checked by its distribution:
# importorskip cannot tell, since _connection marks the module absent in this process.
needs_keystoneclient = pytest.mark.skipif(
    not _installed('python-keystoneclient'),
    reason='python-keystoneclient is not installed: nothing could import it (make unit runs this)',
)


@needs_keystoneclient
def test_swiftclient_imported_first_would_import_keystoneclient():
    """The control for the test below: here, swiftclient without _connection first does
    import python-keystoneclient, so that test can fail."""
    code = 'import sys, swiftclient.client; print(repr(sys.modules.get("keystoneclient", "absent")))'
    done = subprocess.run([sys.executable, '-c', code], check=True, capture_output=True, text=True)
    assert done.stdout.startswith('<keystoneclient'), done.stdout


@needs_keystoneclient
@pytest.mark.parametrize(
    'module', ['archive_container', 'archive_info', 'archive_object', 'archive_slo', 'archive_sync']
)
def test_importing_a_module_keeps_keystoneclient_out(module):
    """swiftclient imports python-keystoneclient (0.25 s, 8 MiB) unless _connection came first:
    whatever a module imports first must go through _connection. Installed, it is imported
    unless marked absent (None) first."""
    code = (
        'import importlib, sys; '
        'importlib.import_module("ansible_collections.ncloud.archive.plugins.modules.%s"); '
        'print(repr(sys.modules.get("keystoneclient", "absent")))' % module
    )
    done = subprocess.run(
        [sys.executable, '-c', code],
        check=True,
        capture_output=True,
        text=True,
        env=dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p)),
    )
    assert done.stdout.strip() == 'None', done.stdout
