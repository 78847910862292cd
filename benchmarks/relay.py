# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ncloud.archive contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A WAN in front of the lab: an HTTP/1.1 relay with a round-trip time and a bandwidth cap.

Standard library only (asyncio, one thread). It listens on 127.0.0.1 and forwards each
request to the lab's Keystone when its path starts with ``/v3`` and to the lab's Swift
otherwise, over one upstream connection per client connection and upstream (keep-alive
works both ways: a client that reuses its connection reuses the upstream one).

How the link is modelled (docs/benchmarks.md, "WAN profile"):

- **Round-trip time, per request**: the request's head is held for one RTT before it is
  forwarded (the request travels half of it, the first byte of the answer the other half).
  A client that waits for each answer before it sends the next request (HTTP/1.1 without
  pipelining, which is what swiftclient, keystoneauth and rclone do) pays one RTT per
  request, and N connections in parallel pay it in parallel, as on a real link.
- **Round-trip time, per new connection**: the first request of a connection waits
  ``--handshake-rtts`` more RTTs (default 1: the TCP handshake; TLS 1.3 would add one more,
  TLS 1.2 two). The lab speaks plain HTTP, so this is the only place they are paid.
- **Bandwidth**: one token bucket per direction, shared by every connection (one link),
  ``--bandwidth`` bits per second (default 1G), with a burst of 64 KiB. The bodies are
  streamed, so a transfer costs RTT + bytes / bandwidth; TCP's slow start and window are
  not modelled (they would only make a real link slower for large bodies).

It counts requests by kind (``classify``) and measures its own CPU time. Control paths,
answered by the relay itself without delay: ``GET /_relay/stats`` (JSON: counts by kind,
connections, bytes each way, CPU seconds of this process) and ``POST /_relay/reset``.

    python benchmarks/relay.py --rtt-ms 20 [--port 0] [--bandwidth 1G] \
        [--swift http://127.0.0.1:8080] [--keystone http://127.0.0.1:5000]

prints ``listening http://127.0.0.1:<port>`` on stdout once it accepts connections.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import resource
import sys
from urllib.parse import parse_qs, urlsplit

CHUNK = 256 * 1024
BURST = 64 * 1024
MAX_HEAD = 64 * 1024


def parse_rate(text):
    """Bits per second from ``1G``, ``100M``, ``500k`` or a number; 0 means no cap."""
    text = text.strip().lower().rstrip('bit/s').rstrip('b')
    scale = {'k': 1e3, 'm': 1e6, 'g': 1e9}.get(text[-1:], 1)
    return float(text[:-1] if scale != 1 else text) * scale


class Bucket:
    """A token bucket on bytes: ``take(n)`` returns once the link has had time to carry them."""

    def __init__(self, bits_per_second):
        self.rate = bits_per_second / 8.0
        self.free_at = 0.0

    async def take(self, size):
        if not self.rate:
            return
        now = asyncio.get_running_loop().time()
        self.free_at = max(now, self.free_at) + size / self.rate
        wait = self.free_at - now - BURST / self.rate
        if wait > 0.0005:
            await asyncio.sleep(wait)


def classify(method, target, headers, upstream):
    """The kind of a request, for the counts: what a client spent its round trips on."""
    path, _, query = target.partition('?')
    if upstream == 'keystone':
        if method == 'POST' and path.rstrip('/').endswith('/auth/tokens'):
            return 'keystone token'
        return 'keystone %s' % method
    if path.startswith('/info'):
        return 'info'
    params = parse_qs(query, keep_blank_values=True)
    parts = path.split('/', 4)  # '', 'v1', 'AUTH_x', container, object
    if len(parts) < 4 or not parts[3]:
        if 'bulk-delete' in params:
            return 'bulk delete'
        return 'account %s' % method
    if len(parts) < 5 or not parts[4]:
        return 'listing GET' if method == 'GET' else 'container %s' % method
    segments = parts[3].endswith('_segments')
    manifest = params.get('multipart-manifest', [''])[0]
    if method == 'PUT':
        if manifest == 'put':
            return 'PUT SLO manifest'
        if 'x-object-manifest' in headers:
            return 'PUT DLO manifest'
        if segments:
            return 'PUT segment'
        if headers.get('content-type', '').startswith('application/directory'):
            return 'PUT marker'
        return 'PUT object'
    if method == 'DELETE' and manifest == 'delete':
        return 'DELETE SLO'
    if segments and method in ('GET', 'HEAD', 'DELETE'):
        return '%s segment' % method
    return '%s object' % method


class Relay:
    def __init__(self, options):
        self.rtt = options.rtt_ms / 1000.0
        self.handshake = options.handshake_rtts * self.rtt
        self.upstreams = {}
        for name, url in (('swift', options.swift), ('keystone', options.keystone)):
            parts = urlsplit(url)
            self.upstreams[name] = (parts.hostname, parts.port or 80)
        self.up = Bucket(parse_rate(options.bandwidth))
        self.down = Bucket(parse_rate(options.bandwidth))
        self.reset()

    def reset(self):
        self.counts = collections.Counter()
        self.connections = 0
        self.bytes_up = 0
        self.bytes_down = 0

    def stats(self):
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return {
            'counts': dict(sorted(self.counts.items())),
            'requests': sum(self.counts.values()),
            'connections': self.connections,
            'bytes_up': self.bytes_up,
            'bytes_down': self.bytes_down,
            'cpu_s': round(usage.ru_utime + usage.ru_stime, 4),
            'rtt_ms': self.rtt * 1000.0,
        }

    async def send_up(self, writer, data):
        await self.up.take(len(data))
        self.bytes_up += len(data)
        writer.write(data)
        await writer.drain()

    async def pump(self, reader, writer):
        """Upstream -> client, raw: the answers are not parsed, only carried and paced."""
        try:
            while True:
                data = await reader.read(CHUNK)
                if not data:
                    break
                await self.down.take(len(data))
                self.bytes_down += len(data)
                writer.write(data)
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            # The server closed its end: close ours, as it would have been closed directly.
            writer.close()

    async def control(self, writer, method, path):
        if path.startswith('/_relay/reset') and method == 'POST':
            self.reset()
            body = b'{}'
        else:
            body = json.dumps(self.stats()).encode()
        writer.write(
            b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n'
            b'Connection: close\r\n\r\n%s' % (len(body), body)
        )
        await writer.drain()

    async def copy_body(self, reader, upstream, headers):
        """The request's body, by Content-Length or chunked, to the upstream connection."""
        if 'chunked' in headers.get('transfer-encoding', '').lower():
            while True:
                line = await reader.readuntil(b'\r\n')
                size = int(line.split(b';', 1)[0], 16)
                await self.send_up(upstream, line)
                if size == 0:
                    while True:  # trailers, up to the empty line
                        line = await reader.readuntil(b'\r\n')
                        await self.send_up(upstream, line)
                        if line == b'\r\n':
                            return
                await self.copy_length(reader, upstream, size + 2)
        else:
            await self.copy_length(reader, upstream, int(headers.get('content-length', '0') or 0))

    async def copy_length(self, reader, upstream, left):
        while left > 0:
            data = await reader.read(min(CHUNK, left))
            if not data:
                raise ConnectionError('client closed mid-body')
            left -= len(data)
            await self.send_up(upstream, data)

    async def handle(self, reader, writer):
        opened = {}
        pumps = []
        first = True
        try:
            while True:
                try:
                    head = await reader.readuntil(b'\r\n\r\n')
                except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
                    return
                lines = head.decode('latin-1').split('\r\n')
                method, target = lines[0].split(' ', 2)[:2]
                headers = {}
                for line in lines[1:]:
                    if ':' in line:
                        key, _, value = line.partition(':')
                        headers[key.strip().lower()] = value.strip()
                if target.startswith('/_relay/'):
                    await self.control(writer, method, target)
                    return
                name = 'keystone' if target.startswith('/v3') else 'swift'
                self.counts[classify(method, target, headers, name)] += 1
                delay = self.rtt + (self.handshake if first else 0.0)
                if first:
                    self.connections += 1
                    first = False
                if delay:
                    await asyncio.sleep(delay)
                if name not in opened:
                    up_reader, up_writer = await asyncio.open_connection(*self.upstreams[name])
                    opened[name] = up_writer
                    pumps.append(asyncio.ensure_future(self.pump(up_reader, writer)))
                await self.send_up(opened[name], head)
                await self.copy_body(reader, opened[name], headers)
        except (ConnectionError, asyncio.IncompleteReadError, ValueError):
            pass
        finally:
            for up_writer in opened.values():
                up_writer.close()
            for task in pumps:
                task.cancel()
            writer.close()


async def serve(options):
    relay = Relay(options)
    server = await asyncio.start_server(relay.handle, '127.0.0.1', options.port, limit=MAX_HEAD)
    port = server.sockets[0].getsockname()[1]
    print('listening http://127.0.0.1:%d' % port, flush=True)
    async with server:
        await server.serve_forever()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--rtt-ms', type=float, default=20.0, help='round-trip time in ms (default 20)')
    parser.add_argument(
        '--handshake-rtts', type=float, default=1.0, help='extra RTTs for a new connection (default 1: TCP)'
    )
    parser.add_argument('--bandwidth', default='1G', help='bits per second each way, 0 = no cap (default 1G)')
    parser.add_argument('--port', type=int, default=0, help='port on 127.0.0.1 (default: any free one)')
    parser.add_argument('--swift', default='http://127.0.0.1:8080', help="the lab's Swift proxy")
    parser.add_argument('--keystone', default='http://127.0.0.1:5000', help="the lab's Keystone")
    options = parser.parse_args(argv)
    try:
        asyncio.run(serve(options))
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == '__main__':
    sys.exit(main())
