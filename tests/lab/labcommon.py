"""What every part of the lab shares: paths, ports, names, errors, HTTP and file helpers,
and the Service record.

Part of the lab (tests/lab/lab.py assembles it); standard library only.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sys
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
TEMPLATES = os.path.join(HERE, 'templates')
REQUIREMENTS = os.path.join(HERE, 'requirements-server.txt')
REPO = os.path.dirname(os.path.dirname(HERE))

HOST = '127.0.0.1'
AUTH_URL = 'http://%s:5000/v3' % HOST
PROXY_URL = 'http://%s:8080' % HOST
STORAGE_URL_TEMPLATE = PROXY_URL + '/v1/AUTH_%(project_id)s'
MEMCACHED_PORT = 11211
# Swift's data goes to tmpfs (SHM/<SHM_PREFIX><user>-<hash of the lab dir>) with a file
# naming the lab dir beside it (same name + OWNER_SUFFIX).
SHM = '/dev/shm'
SHM_PREFIX = 'swift-lab-'
OWNER_SUFFIX = '.owner'
REGION = 'RegionOne'
DEFAULT_TOKEN_EXPIRATION = 3600
TENANTS = ('first', 'second')
STATE_VERSION = 1
DAEMON_SETTLE_SECONDS = 2.0
# 4 partitions per ring. Swift's container updater forks one child per partition that holds a
# container DB, every sweep (interval 5 s): with 256 partitions (part power 8) and the DBs
# that tests leave behind (deleted containers stay a week), that was a whole core, always.
RING_PART_POWER = 2

# Never send lab traffic through an HTTP proxy from the caller's environment.
HTTP = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class LabError(Exception):
    """A failure explained to the user; `detail` is printed after the message."""

    def __init__(self, message, detail=''):
        super().__init__(message)
        self.detail = detail


def say(message):
    print('lab: %s' % message, file=sys.stderr, flush=True)


def http(method, url, body=None, headers=None, timeout=10.0):
    """Return (status, headers, parsed JSON or raw bytes); status None when nothing answers."""
    data = None
    headers = dict(headers or {})
    if body is not None:
        data = json.dumps(body).encode()
        headers['Content-Type'] = 'application/json'
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with HTTP.open(request, timeout=timeout) as response:
            status, resp_headers, raw = response.status, response.headers, response.read()
    except urllib.error.HTTPError as exc:
        status, resp_headers, raw = exc.code, exc.headers, exc.read()
    except (urllib.error.URLError, OSError):
        return None, {}, b''
    if raw and (resp_headers.get('Content-Type') or '').startswith('application/json'):
        return status, resp_headers, json.loads(raw)
    return status, resp_headers, raw


def port_open(port):
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((HOST, port)) == 0


def tail(path, lines=30):
    try:
        with open(path, 'rb') as handle:
            handle.seek(0, os.SEEK_END)
            handle.seek(max(0, handle.tell() - 64 * 1024))
            text = handle.read().decode('utf-8', 'replace')
    except OSError:
        return '(no log at %s)' % path
    return '--- last lines of %s ---\n%s' % (path, '\n'.join(text.splitlines()[-lines:]))


def write_private(path, text):
    """Write atomically, mode 0600; return True when the content changed."""
    try:
        with open(path, encoding='utf-8') as handle:
            if handle.read() == text:
                return False
    except OSError:
        pass
    tmp = '%s.tmp%d' % (path, os.getpid())
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, 'w', encoding='utf-8') as handle:
        handle.write(text)
    os.replace(tmp, path)
    return True


def memcached_answers(timeout=2.0):
    """True when something on the memcached port answers the memcache `version` command."""
    try:
        with socket.create_connection((HOST, MEMCACHED_PORT), timeout=timeout) as sock:
            sock.sendall(b'version\r\n')
            return sock.recv(64).startswith(b'VERSION ')
    except OSError:
        return False


class Service:
    """One server process: how to start it and how to tell it is healthy."""

    def __init__(self, name, conf, port=None, health_path=None, binary=None):
        self.name = name
        self.conf = conf  # rendered config file whose change means "restart me"
        self.port = port  # None: a daemon without HTTP (healthy while it runs)
        self.health_path = health_path
        self.binary = binary or 'swift-%s-server' % name
        self.process = None  # Popen when started by this invocation
        self.started_at = 0.0
        # gunicorn treats SIGTERM as graceful (about 1 s more); SIGINT is its quick shutdown.
        self.stop_signal = signal.SIGINT if self.binary == 'gunicorn' else signal.SIGTERM

    def url(self):
        return 'http://%s:%d%s' % (HOST, self.port, self.health_path)

    def address(self):
        if self.port is None:
            return ''
        if self.health_path is None:  # memcached
            return '%s:%d' % (HOST, self.port)
        return 'http://%s:%d' % (HOST, self.port)
