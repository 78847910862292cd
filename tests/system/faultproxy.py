# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ncloud.archive contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A fault-injecting HTTP/1.1 proxy between the modules and the lab's Keystone and Swift.

Standard library only. The modules talk to it as if it were the server (``auth_url`` and
``storage_url`` point at it); it forwards ``/v3...`` to Keystone and everything else to
Swift, records every request (with the number of the client connection it came on), and
lets rules answer, cut, corrupt, delay or swallow chosen requests. Client connections are
kept alive (swiftclient and keystoneauth reuse them); each forwarded request gets its own
upstream connection, so a fault never leaves a shared upstream connection in a half-read
state.

    proxy = FaultProxy().start()
    rule = proxy.add_rule('status', method='PUT', path=r'/slo/', count=2, code=503)
    ...  # run a module against proxy.auth_url / proxy.storage_url
    assert rule.fired == 2
    proxy.stop()

Actions and their parameters:
  status          code=503, body=None, retry_after=None, headers=(): answer without forwarding;
                  ``headers`` ((name, value) pairs) are added, a Content-Type among them
                  replaces text/plain.
  reset_request   after=0: read that many bytes of the request body, then reset the client.
  reset_response  after=0: forward, send the answer's headers and that many body bytes, close;
                  lost=True (or action 'lose_response'): forward and let upstream answer (the
                  request took effect), then close without sending anything back.
  flip_request    offset=0: flip one byte of the request body before it goes upstream.
  flip_response   offset=0: flip one byte of the response body on its way back.
  delay           seconds=1: wait, then forward normally.
  hold            until=<callable>, seconds=120: wait until ``until()`` is true (polled), then
                  forward normally: an order of events forced, not hoped for from delays. The
                  record says ``held`` 'met' (or 'timeout' when ``seconds`` passed first) and
                  ``released`` (when it was forwarded).
  stall_response  after=0, seconds=60: forward, send the headers and that many body bytes,
                  wait (a connection that hangs mid-body), then send the rest.
  blackhole       read the request, never answer, until the client gives up.
"""

from __future__ import annotations

import itertools
import re
import select
import socket
import socketserver
import struct
import threading
import time

ACTIONS = (
    'status',
    'reset_request',
    'reset_response',
    'lose_response',
    'flip_request',
    'flip_response',
    'delay',
    'hold',
    'stall_response',
    'blackhole',
)
BLOCK = 64 * 1024
UPSTREAM_TIMEOUT = 300
_REASONS = {
    400: 'Bad Request',
    401: 'Unauthorized',
    403: 'Forbidden',
    404: 'Not Found',
    408: 'Request Timeout',
    409: 'Conflict',
    413: 'Request Entity Too Large',
    422: 'Unprocessable Entity',
    429: 'Too Many Requests',
    499: 'Client Disconnect',
    500: 'Internal Server Error',
    502: 'Bad Gateway',
    503: 'Service Unavailable',
    504: 'Gateway Timeout',
    507: 'Insufficient Storage',
}
_HOP_BY_HOP = ('connection', 'keep-alive', 'expect', 'proxy-connection', 'te', 'upgrade')


class ClientGone(Exception):
    """The client closed its connection (or sent something that is not HTTP)."""


class Record(dict):
    """One request seen by the proxy; keys readable as attributes too (``r.status``)."""

    def __getattr__(self, key):
        try:
            return self[key]
        except KeyError:
            raise AttributeError(key) from None


class Rule:
    """Which requests a fault applies to and how often; counters are thread-safe."""

    def __init__(
        self,
        action,
        method=None,
        path=None,
        count=None,
        skip=0,
        upstream=None,
        when=None,
        name=None,
        token=None,
        **params,
    ):
        if action not in ACTIONS:
            raise ValueError('unknown action %r (one of %s)' % (action, ', '.join(ACTIONS)))
        if action == 'lose_response':
            action, params['lost'] = 'reset_response', True
        self.action = action
        self.methods = (
            None if method is None else {m.upper() for m in ([method] if isinstance(method, str) else method)}
        )
        self.path = None if path is None else re.compile(path)
        self.count = count
        self.skip = skip
        self.upstream = upstream
        self.when = when  # a callable: the rule applies only while it returns true
        self.token = token  # a callable of the request's X-Auth-Token (or None): must return true
        self.params = params
        self.name = name or action
        self.matched = 0  # requests that matched, whether the rule fired or not
        self.fired = 0

    def matches(self, method, target, upstream, token=None):
        return (
            (self.methods is None or method in self.methods)
            and (self.upstream is None or upstream == self.upstream)
            and (self.path is None or self.path.search(target) is not None)
            and (self.token is None or self.token(token))
            and (self.when is None or self.when())
        )

    def __repr__(self):
        return '<Rule %s %s matched=%d fired=%d>' % (self.name, self.params, self.matched, self.fired)


class FaultProxy:
    """The proxy; ``start()`` binds 127.0.0.1 on a free port, ``stop()`` ends every thread."""

    def __init__(self, swift=('127.0.0.1', 8080), keystone=('127.0.0.1', 5000), project_id=None):
        self.upstreams = {'swift': tuple(swift), 'keystone': tuple(keystone)}
        self.project_id = project_id
        # Reentrant: a rule's ``when`` or ``token`` callable may look at the records (hits()).
        self._lock = threading.RLock()
        self._rules = []
        self._records = []
        self._sockets = set()
        self._accepted = itertools.count(1)
        self.stopping = threading.Event()
        self._server = None
        self._thread = None

    # --- life cycle -------------------------------------------------------------------
    def start(self):
        proxy = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self):
                proxy._serve_client(self.request)

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True
            block_on_close = False

        self._server = Server(('127.0.0.1', 0), Handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={'poll_interval': 0.1}, name='faultproxy', daemon=True
        )
        self._thread.start()
        return self

    def stop(self):
        """Stop accepting, wake every waiting handler, close every client connection."""
        self.stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            _close(sock)
        if self._thread is not None:
            self._thread.join(5)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def port(self):
        return self._server.server_address[1]

    @property
    def url(self):
        return 'http://127.0.0.1:%d' % self.port

    @property
    def auth_url(self):
        return self.url + '/v3'

    @property
    def storage_url(self):
        return '%s/v1/AUTH_%s' % (self.url, self.project_id)

    def set_upstream(self, which, host, port):
        """Send ``which`` ('keystone' or 'swift') elsewhere, e.g. to a closed port."""
        with self._lock:
            self.upstreams[which] = (host, port)

    # --- rules and records ------------------------------------------------------------
    def add_rule(
        self, action, method=None, path=None, count=None, skip=0, upstream=None, when=None, token=None, **params
    ):
        """Add a fault; ``path`` is a regex searched in 'path?query'. Returns the Rule.

        ``upstream`` ('swift'/'keystone'), ``when`` (a callable, e.g. ``lambda: other.fired``)
        and ``token`` (a callable of the request's X-Auth-Token, None without one) narrow it
        further; ``name`` names it in the records.
        """
        rule = Rule(action, method, path, count, skip, upstream, when, token=token, **params)
        with self._lock:
            self._rules.append(rule)
        return rule

    def clear(self):
        """Drop every rule and record (a test's next phase starts from nothing)."""
        with self._lock:
            self._rules = []
            self._records = []

    def _pick_rule(self, method, target, upstream, token=None):
        # The first rule that matches and still has shots left fires; skipped or spent ones
        # let the request go on to the next rule.
        with self._lock:
            for rule in self._rules:
                if not rule.matches(method, target, upstream, token):
                    continue
                rule.matched += 1
                if rule.matched <= rule.skip:
                    continue
                if rule.count is not None and rule.fired >= rule.count:
                    continue
                rule.fired += 1
                return rule
        return None

    @property
    def records(self):
        with self._lock:
            return list(self._records)

    def swift_requests(self):
        return [r for r in self.records if r['upstream'] == 'swift']

    def keystone_requests(self):
        return [r for r in self.records if r['upstream'] == 'keystone']

    def writes(self):
        """Requests that may change something: Swift PUT/POST/DELETE/COPY, Keystone other
        than getting a token."""
        return [
            r
            for r in self.records
            if (r['upstream'] == 'swift' and r['method'] in ('PUT', 'POST', 'DELETE', 'COPY'))
            or (
                r['upstream'] == 'keystone'
                and not (r['method'] == 'POST' and r['path'].rstrip('/') == '/v3/auth/tokens')
            )
        ]

    def tokens(self):
        """Every token seen in X-Auth-Token (requests) or X-Subject-Token (answers)."""
        found = set()
        for r in self.records:
            found.update(t for t in (r['token'], r['subject_token']) if t)
        return sorted(found)

    def wait_idle(self, timeout=30):
        """Wait until no request is in flight (e.g. delayed ones of a killed client)."""
        end = time.monotonic() + timeout
        while any(r['ended'] is None for r in self.records):
            if time.monotonic() > end:
                raise TimeoutError('requests still in flight after %s s' % timeout)
            time.sleep(0.05)

    def hits(self, rule):
        """Records of the requests ``rule`` fired on."""
        return [r for r in self.records if r['rule'] == rule.name and r['rule_id'] == id(rule)]

    def find(self, method=None, path=None, upstream=None):
        """Records matching like a rule would (``path`` a regex on 'path?query')."""
        probe = Rule('status', method, path, upstream=upstream)
        return [r for r in self.records if probe.matches(r['method'], r['target'], r['upstream'], r['token'])]

    # --- one client connection --------------------------------------------------------
    def _serve_client(self, sock):
        with self._lock:
            self._sockets.add(sock)
            connection = next(self._accepted)
        reader = sock.makefile('rb')
        try:
            while not self.stopping.is_set():
                head = _read_head(reader)
                if head is None:
                    return
                if not self._handle(sock, reader, head, connection):
                    return
        except (ClientGone, OSError):
            pass
        finally:
            with self._lock:
                self._sockets.discard(sock)
            reader.close()
            _close(sock)

    def _handle(self, sock, reader, head, connection):
        """Serve one request of client connection number ``connection``; returns whether
        that connection stays open."""
        method, target, _version, headers = head
        path, _sep, query = target.partition('?')
        upstream = 'keystone' if path == '/v3' or path.startswith('/v3/') else 'swift'
        record = Record(
            method=method,
            path=path,
            query=query,
            target=target,
            upstream=upstream,
            status=None,
            upstream_status=None,
            rule=None,
            rule_id=None,
            action=None,
            token=_get(headers, 'x-auth-token'),
            subject_token=None,
            etag=None,
            request_bytes=0,
            response_bytes=0,
            started=time.time(),
            ended=None,
            connection=connection,
        )
        with self._lock:
            self._records.append(record)
        rule = self._pick_rule(method, target, upstream, record['token'])
        if rule is not None:
            record.update(rule=rule.name, rule_id=id(rule), action=rule.action)
        request = _Request(self, sock, reader, method, headers, record, rule)
        try:
            return request.run()
        finally:
            record['ended'] = time.time()


class _Request:
    """One request and the fault (if any) that applies to it."""

    def __init__(self, proxy, sock, reader, method, headers, record, rule):
        self.proxy = proxy
        self.sock = sock
        self.reader = reader
        self.method = method
        self.headers = headers
        self.record = record
        self.rule = rule
        self.params = rule.params if rule else {}
        self.action = rule.action if rule else None
        self.expects_continue = (_get(headers, 'expect') or '').lower() == '100-continue'
        self.client_keepalive = (_get(headers, 'connection') or '').lower() != 'close'

    def run(self):
        if self.action == 'status':
            return self.answer_status()
        if self.action == 'blackhole':
            return self.blackhole()
        if self.action == 'reset_request':
            self.continue_if_expected()
            _drain(_body_blocks(self.reader, self.headers), self.params.get('after', 0), self.record)
            self.record['status'] = 'reset'
            _abort(self.sock)
            return False
        if self.action == 'delay':
            if self.proxy.stopping.wait(self.params.get('seconds', 1)):
                return False
        if self.action == 'hold' and not self.hold():
            return False
        return self.forward()

    def hold(self):
        """Wait until the rule's ``until()`` is true; False when the proxy stops meanwhile."""
        until = self.params['until']
        end = time.monotonic() + self.params.get('seconds', 120)
        while not until():
            if time.monotonic() > end:
                self.record['held'] = 'timeout'
                break
            if self.proxy.stopping.wait(0.05):
                return False
        else:
            self.record['held'] = 'met'
        self.record['released'] = time.time()
        return True

    def continue_if_expected(self):
        if self.expects_continue:
            self.sock.sendall(b'HTTP/1.1 100 Continue\r\n\r\n')

    def answer_status(self):
        code = int(self.params.get('code', 503))
        body = self.params.get('body')
        body = (
            body if body is not None else '%d %s (injected by faultproxy)\n' % (code, _REASONS.get(code, 'Error'))
        ).encode()
        keep = self.client_keepalive and not self.expects_continue
        if not self.expects_continue:
            _drain(_body_blocks(self.reader, self.headers), None, self.record)
        extra = list(self.params.get('headers') or ())
        lines = ['HTTP/1.1 %d %s' % (code, _REASONS.get(code, 'Error'))]
        if not any(name.lower() == 'content-type' for name, _value in extra):
            lines.append('Content-Type: text/plain')
        lines += [
            'Content-Length: %d' % len(body),
            'X-Trans-Id: txfaultproxy%06d' % self.rule.fired,
        ]
        lines += ['%s: %s' % (name, value) for name, value in extra]
        if self.params.get('retry_after') is not None:
            lines.append('Retry-After: %s' % self.params['retry_after'])
        if not keep:
            lines.append('Connection: close')
        self.sock.sendall(
            ('\r\n'.join(lines) + '\r\n\r\n').encode('latin-1') + (b'' if self.method == 'HEAD' else body)
        )
        self.record['status'] = code
        return keep

    def blackhole(self):
        """Read what the client sends, answer nothing, wait until it hangs up."""
        self.record['status'] = 'blackhole'
        if not self.expects_continue:
            _drain(_body_blocks(self.reader, self.headers), None, self.record)
        while not self.proxy.stopping.is_set():
            ready, _w, _x = select.select([self.sock], [], [], 0.2)
            if ready:
                try:
                    if not self.sock.recv(BLOCK):
                        break
                except OSError:
                    break
        return False

    def forward(self):
        """Send the request upstream, relay the answer; faults on the way if the rule says."""
        target = self.proxy.upstreams[self.record['upstream']]
        try:
            up = socket.create_connection(target, timeout=UPSTREAM_TIMEOUT)
        except OSError:
            # The upstream is down: the client sees its connection dropped, as with a dead host.
            self.record['status'] = 'reset'
            self.record['rule'] = self.record['rule'] or 'upstream-down'
            _abort(self.sock)
            return False
        try:
            self.continue_if_expected()
            self.send_upstream(up)
            return self.relay(up)
        finally:
            _close(up)

    def send_upstream(self, up):
        chunked = 'chunked' in (_get(self.headers, 'transfer-encoding') or '').lower()
        lines = ['%s %s HTTP/1.1' % (self.method, self.record['target'])]
        lines += ['%s: %s' % (k, v) for k, v in self.headers if k.lower() not in _HOP_BY_HOP]
        lines.append('Connection: close')
        up.sendall(('\r\n'.join(lines) + '\r\n\r\n').encode('latin-1'))
        flip = self.params.get('offset', 0) if self.action == 'flip_request' else None
        position = 0
        for block in _body_blocks(self.reader, self.headers):
            if flip is not None and position <= flip < position + len(block):
                block = _flipped(block, flip - position)
            position += len(block)
            up.sendall(b'%x\r\n%s\r\n' % (len(block), block) if chunked else block)
        if chunked:
            up.sendall(b'0\r\n\r\n')
        self.record['request_bytes'] = position

    def relay(self, up):
        """Relay the upstream answer to the client; returns whether to keep the client."""
        up_reader = up.makefile('rb')
        try:
            head = _read_status(up_reader)
            if head is None:
                self.record['status'] = 'reset'
                _abort(self.sock)
                return False
            code, reason, headers = head
            self.record['subject_token'] = _get(headers, 'x-subject-token')
            self.record['etag'] = _get(headers, 'etag')
            framing = _response_framing(self.method, code, headers)
            if self.action == 'reset_response' and self.params.get('lost'):
                _drain(_response_blocks(up_reader, framing), None, None)
                self.record['upstream_status'] = code
                self.record['status'] = 'reset'
                _abort(self.sock)
                return False
            keep = self.client_keepalive and framing[0] != 'eof'
            lines = ['HTTP/1.1 %d %s' % (code, reason)]
            lines += ['%s: %s' % (k, v) for k, v in headers if k.lower() not in _HOP_BY_HOP]
            if not keep:
                lines.append('Connection: close')
            self.sock.sendall(('\r\n'.join(lines) + '\r\n\r\n').encode('latin-1'))
            self.record['status'] = self.record['upstream_status'] = code
            return self.relay_body(up_reader, framing) and keep
        finally:
            up_reader.close()

    def relay_body(self, up_reader, framing):
        cut = self.params.get('after', 0) if self.action == 'reset_response' else None
        flip = self.params.get('offset', 0) if self.action == 'flip_response' else None
        stall = self.params.get('after', 0) if self.action == 'stall_response' else None
        chunked = framing[0] == 'chunked'
        position = 0
        for block in _response_blocks(up_reader, framing):
            if stall is not None and position >= stall:
                # ``after`` bytes are out; the rest waits (``seconds``, or until stop()).
                self.record['stalled_at'] = position
                if self.proxy.stopping.wait(self.params.get('seconds', 60)):
                    return False
                stall = None
            if cut is not None and position + len(block) >= cut:
                block = block[: cut - position]
            if flip is not None and position <= flip < position + len(block):
                block = _flipped(block, flip - position)
            if block:
                self.sock.sendall(b'%x\r\n%s\r\n' % (len(block), block) if chunked else block)
            position += len(block)
            if cut is not None and position >= cut:
                break
        self.record['response_bytes'] = position
        if cut is not None:
            # A graceful close after exactly ``cut`` bytes: the client reads them, then EOF.
            # Only a body longer than ``cut`` was really cut (else the client got it all).
            kind, length = framing
            if kind == 'chunked' or (kind == 'sized' and length > cut):
                self.record['status'] = 'reset'
            _close(self.sock, graceful=True)
            return False
        if chunked:
            self.sock.sendall(b'0\r\n\r\n')
        return True


# --- HTTP framing -------------------------------------------------------------------------


def _read_head(reader):
    """(method, target, version, [(name, value)]) of the next request, None at a clean EOF."""
    line = reader.readline(65537)
    while line in (b'\r\n', b'\n'):  # tolerated between requests
        line = reader.readline(65537)
    if not line:
        return None
    parts = line.decode('latin-1').split()
    if len(parts) != 3:
        raise ClientGone('not an HTTP request line: %r' % line[:100])
    return parts[0].upper(), parts[1], parts[2], _read_headers(reader)


def _read_status(reader):
    """(code, reason, headers) of an upstream answer, skipping 1xx; None if it hung up."""
    while True:
        line = reader.readline(65537)
        if not line:
            return None
        parts = line.decode('latin-1').rstrip('\r\n').split(' ', 2)
        code = int(parts[1])
        headers = _read_headers(reader)
        if not 100 <= code < 200:
            return code, parts[2] if len(parts) > 2 else '', headers


def _read_headers(reader):
    headers = []
    while True:
        line = reader.readline(65537)
        if not line:
            raise ClientGone('connection closed inside the headers')
        if line in (b'\r\n', b'\n'):
            return headers
        name, _sep, value = line.decode('latin-1').partition(':')
        headers.append((name.strip(), value.strip()))


def _get(headers, name):
    for key, value in headers:
        if key.lower() == name:
            return value
    return None


def _body_blocks(reader, headers):
    """The de-chunked request body, block by block."""
    if 'chunked' in (_get(headers, 'transfer-encoding') or '').lower():
        return _chunked_blocks(reader)
    return _sized_blocks(reader, int(_get(headers, 'content-length') or 0))


def _sized_blocks(reader, length):
    while length > 0:
        block = reader.read1(min(BLOCK, length)) if hasattr(reader, 'read1') else reader.read(min(BLOCK, length))
        if not block:
            raise ClientGone('body ended %d bytes early' % length)
        length -= len(block)
        yield block


def _chunked_blocks(reader):
    while True:
        size_line = reader.readline(65537)
        if not size_line:
            raise ClientGone('chunked body ended early')
        size = int(size_line.split(b';')[0].strip() or b'0', 16)
        if size == 0:
            while reader.readline(65537) not in (b'\r\n', b'\n', b''):
                pass  # trailers
            return
        yield from _sized_blocks(reader, size)
        reader.readline(65537)


def _response_framing(method, code, headers):
    if method == 'HEAD' or code in (204, 304) or 100 <= code < 200:
        return ('none', 0)
    if 'chunked' in (_get(headers, 'transfer-encoding') or '').lower():
        return ('chunked', None)
    if _get(headers, 'content-length') is not None:
        return ('sized', int(_get(headers, 'content-length')))
    return ('eof', None)


def _response_blocks(reader, framing):
    kind, length = framing
    if kind == 'sized':
        return _sized_blocks(reader, length)
    if kind == 'chunked':
        return _chunked_blocks(reader)
    if kind == 'eof':
        return iter(lambda: reader.read1(BLOCK), b'')
    return iter(())


def _drain(blocks, limit, record):
    """Read (and drop) a body, at most ``limit`` bytes when given."""
    seen = 0
    try:
        for block in blocks if limit != 0 else ():
            seen += len(block)
            if limit is not None and seen >= limit:
                break
    except ClientGone:
        pass
    if record is not None:
        record['request_bytes'] = seen


def _flipped(block, index):
    data = bytearray(block)
    data[index] ^= 0xFF
    return bytes(data)


def _abort(sock):
    """Close with a TCP reset (SO_LINGER 0): the client sees 'connection reset by peer'."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
    except OSError:
        pass
    _close(sock)


def _close(sock, graceful=False):
    try:
        sock.shutdown(socket.SHUT_WR if graceful else socket.SHUT_RDWR)
    except OSError:
        pass
    if not graceful:
        try:
            sock.close()
        except OSError:
            pass
