# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ncloud.archive contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmarks of archive_object and archive_slo against the local lab, each next to a peer.

Run it with ``benchmarks/run`` (see docs/benchmarks.md). Every figure is measured on a real
process: the module runs as ``python plugins/modules/<module>.py args.json`` (Ansible's
direct-execution mode), the peers are the ``swift`` CLI and a few lines of python-swiftclient
run the same way. Peak RSS is the kernel's high-water mark of that process (``ru_maxrss``
as GNU time reports it), cross-checked by polling ``/proc``. The machine is small and shared,
so only ratios against a peer measured in the same round are judged, never absolute times.

Also used as its own peer: ``run.py peer-put|peer-get ...`` (see ``peer_main``).
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import io
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.request
from importlib import metadata as importlib_metadata

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
MIB = 1024 * 1024
PEER_CHUNK = MIB
TICKS = os.sysconf('SC_CLK_TCK')
PROXY_HEALTH = 'http://127.0.0.1:8080/healthcheck'
CONTAINER_PREFIX = 'ncarchive-bench-'

TARGETS = {
    'object_rss': 'peak RSS of archive_object uploading SIZE < 100 MiB',
    'slo_throughput': 'archive_slo upload throughput / swift upload --use-slo >= 1.0x',
    'slo_noop': 'no-op re-run time / first upload time <= 0.1x',
    'slo_rss': 'peak RSS of archive_slo uploading BIG_SIZE <= 128 MiB',
    'download': 'archive_object download+verify throughput / swift download >= 1.0x',
}


# --- small helpers -----------------------------------------------------------------------


def parse_size(text):
    """Bytes of '1G', '64M', '512k', '1GiB' or a plain number."""
    match = re.match(r'^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*$', str(text), re.IGNORECASE)
    if not match:
        raise argparse.ArgumentTypeError('not a size: %r (use e.g. 64M or 1G)' % text)
    factor = 1024 ** ' kmgt'.index(match.group(2).lower() or ' ')
    return int(float(match.group(1)) * factor)


def human(size):
    for unit, factor in (('GiB', 1024**3), ('MiB', MIB), ('KiB', 1024)):
        if size >= factor and size % factor == 0:
            return '%d %s' % (size // factor, unit)
    return '%d B' % size


def log(message):
    sys.stderr.write('[bench %s] %s\n' % (time.strftime('%H:%M:%S'), message))
    sys.stderr.flush()


def read_proc(path):
    try:
        with open(path, encoding='ascii', errors='replace') as handle:
            return handle.read()
    except OSError:
        return ''


def proc_status_kib(pid, field):
    match = re.search(r'^%s:\s+(\d+) kB' % field, read_proc('/proc/%d/status' % pid), re.MULTILINE)
    return int(match.group(1)) if match else 0


def proc_cpu_seconds(pid, reaped=False):
    """utime + stime of a process (all its threads), in seconds; 0 when it is gone.
    ``reaped`` adds cutime + cstime, the time of the children it has waited for: a child that
    ends between two readings then moves its time into its parent's instead of out of a sum."""
    stat = read_proc('/proc/%d/stat' % pid)
    if not stat:
        return 0.0
    fields = stat.rsplit(')', 1)[1].split()
    return sum(int(field) for field in fields[11 : 15 if reaped else 13]) / TICKS


def descendants(pid):
    """Pids of the children, grandchildren... of ``pid`` (one scan of /proc)."""
    parents = {}
    for entry in os.listdir('/proc'):
        if entry.isdigit():
            stat = read_proc('/proc/%s/stat' % entry)
            if stat:
                parents.setdefault(int(stat.rsplit(')', 1)[1].split()[1]), []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def machine_cpu():
    """(busy, total) jiffies of the whole machine from /proc/stat."""
    fields = [int(x) for x in read_proc('/proc/stat').splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


def lab_pids():
    """{service: pid} of the lab's servers (from its pidfiles: proxy, object, keystone...)."""
    run_dir = os.path.join(os.environ.get('LAB_DIR', os.path.join(REPO, '.lab')), 'run')
    pids = {}
    try:
        names = sorted(os.listdir(run_dir))
    except OSError:
        return pids
    for name in names:
        if name.endswith('.pid'):
            try:
                pids[name[:-4]] = int(read_proc(os.path.join(run_dir, name)).strip())
            except ValueError:
                pass
    return pids


def proxy_log_path():
    return os.path.join(os.environ.get('LAB_DIR', os.path.join(REPO, '.lab')), 'log', 'proxy.log')


def log_size(path):
    try:
        return os.path.getsize(path)
    except OSError:
        return None


def foreign_proxy_traffic(path, offset, own):
    """(requests, MB) the lab proxy logged since ``offset`` that do not name ``own``.

    Other people's tests share the lab; their traffic competes with the measured run. Swift's
    access log line: client remote date method path protocol status referer agent token
    bytes_received bytes_sent ... (sub-requests of an SLO are logged too).
    """
    if offset is None or own is None:
        return None, None
    try:
        with open(path, 'rb') as handle:
            if os.fstat(handle.fileno()).st_size < offset:
                offset = 0  # rotated or truncated
            handle.seek(offset)
            data = handle.read()
    except OSError:
        return None, None
    requests = moved = 0
    for line in data.decode('utf-8', 'replace').splitlines():
        if 'proxy-server:' not in line or ' HTTP/1.' not in line or own in line:
            continue
        fields = line.split('proxy-server:', 1)[1].split()
        requests += 1
        for value in fields[10:12]:
            moved += int(value) if value.isdigit() else 0
    return requests, round(moved / 1e6, 1)


def wait_for_lab(timeout=180):
    """Wait until the proxy answers its healthcheck (the lab may be restarted by others)."""
    deadline = time.time() + timeout
    while True:
        try:
            with urllib.request.urlopen(PROXY_HEALTH, timeout=5) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        if time.time() > deadline:
            raise RuntimeError('the lab proxy (%s) does not answer: is the lab up? (tests/lab/lab up)' % PROXY_HEALTH)
        time.sleep(2)


# --- measuring one process ---------------------------------------------------------------


class Failed(Exception):
    """A measured command failed; ``output`` is the tail of what it printed."""

    def __init__(self, label, returncode, output):
        super().__init__('%s exited with %s:\n%s' % (label, returncode, output[-3000:]))
        self.output = output


GNU_TIME = '/usr/bin/time'


def measure(label, cmd, env, cwd=None, own=None):
    """Run ``cmd``; return wall time, peak RSS, CPU times and the lab's CPU while it ran.

    Peak RSS is the process's own high-water mark. ``ru_maxrss`` of a process started from
    this one is useless: a child started with fork/vfork + exec keeps the parent's
    high-water mark as a floor (here ~50 MiB). So ``cmd`` runs under GNU time (``-f %M``),
    whose fork starts from its own small footprint, and ``/proc/<pid>/status`` VmHWM of
    the measured process is polled every 50 ms as a cross-check (and as the figure when
    /usr/bin/time is missing), with the VmRSS sum of its process tree.
    """
    pids = lab_pids()
    lab_before = dict((name, proc_cpu_seconds(pid)) for name, pid in pids.items())
    busy_before, total_before = machine_cpu()
    proxy_log = proxy_log_path()
    proxy_log_offset = log_size(proxy_log)
    with tempfile.NamedTemporaryFile(prefix='bench-time-') as maxrss_file, tempfile.TemporaryFile() as out:
        wrapped = os.access(GNU_TIME, os.X_OK)
        full = [GNU_TIME, '-f', '%M', '-o', maxrss_file.name] + list(cmd) if wrapped else list(cmd)
        start = time.perf_counter()
        proc = subprocess.Popen(full, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=cwd)
        hwm = tree_peak = polls = 0
        target = None if wrapped else proc.pid
        try:
            while True:
                pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
                if pid:
                    break
                if target is None:
                    children = descendants(proc.pid)
                    target = children[0] if children else None
                if target is not None:
                    hwm = max(hwm, proc_status_kib(target, 'VmHWM'))
                    rss = proc_status_kib(target, 'VmRSS')
                    if polls % 10 == 0:
                        rss += sum(proc_status_kib(child, 'VmRSS') for child in descendants(target))
                    tree_peak = max(tree_peak, rss)
                polls += 1
                time.sleep(0.05)
        except BaseException:
            # interrupted: stop the measured command before the cleanup deletes its objects
            for child in [proc.pid] + descendants(proc.pid):
                try:
                    os.kill(child, signal.SIGKILL)
                except OSError:
                    pass
            os.waitpid(proc.pid, 0)
            proc.returncode = -9
            raise
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        busy_after, total_after = machine_cpu()
        out.seek(0)
        output = out.read().decode('utf-8', 'replace')
        maxrss_file.seek(0)
        kernel_peak = _last_int(maxrss_file.read().decode('ascii', 'replace')) if wrapped else None
    if proc.returncode != 0:
        raise Failed(label, proc.returncode, output)
    after = lab_pids()
    # a service restarted meanwhile (others share the lab) has no meaningful CPU delta
    lab_cpu = dict(
        (name, round(proc_cpu_seconds(pid) - lab_before[name], 2))
        for name, pid in pids.items()
        if after.get(name) == pid and proc_cpu_seconds(pid) >= lab_before[name]
    )
    foreign_requests, foreign_mb = foreign_proxy_traffic(proxy_log, proxy_log_offset, own)
    total = max(total_after - total_before, 1)
    busy_s = (busy_after - busy_before) / TICKS
    return {
        'label': label,
        'wall_s': round(wall, 3),
        'peak_rss_mib': round((kernel_peak or hwm) / 1024.0, 1),
        'peak_rss_source': 'ru_maxrss (GNU time)' if kernel_peak else 'VmHWM polled',
        'polled_vmhwm_mib': round(hwm / 1024.0, 1),
        'polled_tree_rss_mib': round(tree_peak / 1024.0, 1),
        'user_s': round(usage.ru_utime, 2),
        'sys_s': round(usage.ru_stime, 2),
        'lab_cpu_s': lab_cpu,
        'lab_restarted': sorted(name for name in set(pids) | set(after) if pids.get(name) != after.get(name)),
        'machine_busy_cores': round((busy_after - busy_before) / total * (os.cpu_count() or 1), 2),
        # CPU the machine spent on neither this client nor this lab: other people's work (noise)
        'foreign_cpu_s': round(max(busy_s - usage.ru_utime - usage.ru_stime - sum(lab_cpu.values()), 0), 2),
        # requests of other lab users through the same proxy while this ran (noise)
        'foreign_proxy_requests': foreign_requests,
        'foreign_proxy_mb': foreign_mb,
        'output': output,
    }


def _last_int(text):
    numbers = re.findall(r'^\s*(\d+)\s*$', text, re.MULTILINE)
    return int(numbers[-1]) if numbers else None


# --- the benchmark -----------------------------------------------------------------------


class Bench:
    """One benchmark run: source files, a private container pair, the measurements."""

    def __init__(self, options):
        self.opt = options
        stamp = time.strftime('%Y%m%dT%H%M%S')
        self.stamp = stamp
        self.container = '%s%s-%d' % (CONTAINER_PREFIX, stamp.lower(), os.getpid())
        self.segments = self.container + '_segments'
        self.work = tempfile.mkdtemp(prefix='ncloud-archive-bench-', dir=options.workdir)
        self.python = sys.executable
        self.swift_cli = os.path.join(os.path.dirname(sys.executable), 'swift')
        try:
            self.source = self.collection_source(options.source)
        except BaseException:
            shutil.rmtree(self.work, ignore_errors=True)
            raise
        collections = os.path.join(self.work, 'collections', 'ansible_collections', 'ncloud')
        os.makedirs(collections)
        os.symlink(self.source, os.path.join(collections, 'archive'))
        self.env = dict(
            os.environ, PYTHONPATH=os.path.join(self.work, 'collections'), PYTHONWARNINGS='ignore', LC_ALL='C.UTF-8'
        )
        self.env.setdefault('no_proxy', '127.0.0.1,localhost')
        self.runs = []
        self.round = 0
        self.conn = None
        self.files = {}

    def collection_source(self, source):
        """The directory whose plugins/ are benchmarked: the work tree, another directory, or
        ``git:<rev>`` (that revision's plugins/, exported with ``git archive``)."""
        if not source.startswith('git:'):
            path = os.path.abspath(source)
            if not os.path.isfile(os.path.join(path, 'plugins', 'modules', 'archive_slo.py')):
                raise SystemExit('--source %s: no plugins/modules/archive_slo.py there' % source)
            return path
        target = os.path.join(self.work, 'source')
        os.makedirs(target)
        archive = subprocess.run(
            ['git', '-C', REPO, 'archive', '--format=tar', source[4:], 'plugins'], capture_output=True, check=False
        )
        if archive.returncode != 0:
            raise SystemExit('--source %s: %s' % (source, archive.stderr.decode('utf-8', 'replace').strip()))
        with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
            tar.extractall(target, filter='data')
        return target

    # connection for setup and cleanup only (never measured)
    def connection(self):
        if self.conn is None:
            from keystoneauth1 import session as ks_session
            from keystoneauth1.identity import v3 as ks_v3
            from swiftclient import client as swift_client

            env = os.environ
            auth = ks_v3.Password(
                auth_url=env['OS_AUTH_URL'],
                username=env['OS_USERNAME'],
                password=env['OS_PASSWORD'],
                project_id=env['OS_PROJECT_ID'],
                user_domain_id=env.get('OS_USER_DOMAIN_ID', 'default'),
            )
            self.conn = swift_client.Connection(session=ks_session.Session(auth=auth), retries=5)
        return self.conn

    def setup(self):
        wait_for_lab()
        conn = self.connection()
        self.sweep_leftovers()
        for name in (self.container, self.segments):
            conn.put_container(name)
        for key, size in (('src', self.opt.size), ('big', self.opt.big_size)):
            if key == 'big' and not self.opt.rss_big:
                continue
            path = os.path.join(self.work, '%s-%s.bin' % (key, human(size).replace(' ', '')))
            log('writing %s of random data to %s' % (human(size), path))
            with open(path, 'wb') as handle:
                left = size
                while left:
                    block = os.urandom(min(left, 4 * MIB))
                    handle.write(block)
                    left -= len(block)
            self.files[key] = path
        # on tmpfs (or in the page cache) every tool reads the files from memory alike

    def sweep_leftovers(self):
        """Delete what an earlier run could not (killed, or the lab was down at its cleanup):
        containers named by this script whose run (pid in the name) is no longer alive."""
        _headers, containers = self.connection().get_account(prefix=CONTAINER_PREFIX, full_listing=True)
        for entry in containers:
            match = re.match(r'^%s[0-9t]+-(\d+)(_segments)?$' % re.escape(CONTAINER_PREFIX), entry['name'])
            if not match or entry['name'].startswith(self.container):
                continue
            if 'benchmarks/run.py' in read_proc('/proc/%s/cmdline' % match.group(1)).replace('\0', ' '):
                continue  # another run of this benchmark, still going
            log('deleting container %s left by an earlier run (%d objects)' % (entry['name'], entry['count']))
            try:
                self.empty_and_delete(entry['name'])
            except Exception as exc:  # pylint: disable=broad-except
                log('could not delete %s: %s' % (entry['name'], _connection_text(exc)))

    def empty_and_delete(self, container):
        conn = self.connection()
        try:
            _headers, listing = conn.get_container(container, full_listing=True)
        except Exception:  # pylint: disable=broad-except
            return
        for entry in listing:
            self.delete_object(container, entry['name'], missing_ok=True)
        try:
            conn.delete_container(container)
        except Exception as exc:  # pylint: disable=broad-except
            log('could not delete container %s: %s' % (container, exc))

    def cleanup(self):
        """Delete every object and segment of this run, both containers and the work dir."""
        try:
            wait_for_lab(timeout=60)
            for container in (self.container, self.segments):
                self.empty_and_delete(container)
        except Exception as exc:  # pylint: disable=broad-except
            log(
                'cleanup of the lab failed, objects may be left in %s (the next run deletes them): %s'
                % (self.container, _connection_text(exc))
            )
        shutil.rmtree(self.work, ignore_errors=True)

    def delete_object(self, container, name, missing_ok=True):
        """Delete an object; an SLO with its segments."""
        conn = self.connection()
        for attempt in range(3):
            try:
                headers = conn.head_object(container, name)
                query = 'multipart-manifest=delete' if headers.get('x-static-large-object') else None
                conn.delete_object(container, name, query_string=query)
                return
            except Exception as exc:  # pylint: disable=broad-except
                if getattr(exc, 'http_status', None) == 404 and missing_ok:
                    return
                if attempt == 2:
                    raise
                wait_for_lab()

    def delete_segments_of(self, name):
        """Segments under ``<name>/`` left in the segment container (an interrupted CLI run)."""
        _headers, listing = self.connection().get_container(self.segments, prefix=name + '/', full_listing=True)
        for entry in listing:
            self.delete_object(self.segments, entry['name'])

    # --- runners ---------------------------------------------------------------------
    def run(self, key, label, cmd, size=None, retry=True, env=None):
        """Measure ``cmd`` (retried once after a lab restart); record it under ``key``."""
        for attempt in (1, 2, 3):
            before = lab_pids()
            if size and self.opt.prime:
                prime_memory(size)
            try:
                result = measure(label, cmd, env or self.env, cwd=self.work, own=self.container)
                result['attempts'] = attempt
                break
            except Failed as exc:
                # Others share the lab and restart it now and then (a new keystone answers 401
                # or refuses connections for a moment): measure again once it is back.
                restarted = lab_pids() != before
                if not retry or attempt == 3 or not (restarted or _lab_down(exc.output)):
                    raise
                log(
                    '%s failed, the lab %s: waiting and measuring again'
                    % (label, 'was restarted meanwhile' if restarted else 'seems down')
                )
                wait_for_lab()
                time.sleep(5)
        result['key'] = key
        result['round'] = self.round
        result['bytes'] = size
        if size:
            result['mb_s'] = round(size / result['wall_s'] / 1e6, 1)
        output = result.pop('output')
        module_result = _module_json(output)
        if module_result is not None:
            result['changed'] = module_result.get('changed')
            result['changed_reason'] = module_result.get('changed_reason')
            for extra in ('segments_uploaded', 'segments_reused', 'segment_size'):
                if extra in module_result:
                    result[extra] = module_result[extra]
            if module_result.get('failed'):
                raise Failed(label, 'failed=true', output)
        self.runs.append(result)
        log(
            '%-42s %7.2f s %7s MB/s  RSS %6.1f MiB  CPU s: client %5.2f proxy %5.2f object %5.2f other %5.2f'
            '  foreign proxy: %s req %s MB'
            % (
                label,
                result['wall_s'],
                result.get('mb_s', '-'),
                result['peak_rss_mib'],
                result['user_s'] + result['sys_s'],
                result['lab_cpu_s'].get('proxy', 0),
                result['lab_cpu_s'].get('object', 0),
                result['foreign_cpu_s'],
                result['foreign_proxy_requests'],
                result['foreign_proxy_mb'],
            )
        )
        return result

    def module(self, module, args):
        path = os.path.join(self.work, 'args-%s-%d.json' % (module, len(self.runs)))
        with open(path, 'w', encoding='utf-8') as handle:
            json.dump({'ANSIBLE_MODULE_ARGS': args}, handle)
        return [self.python, os.path.join(self.source, 'plugins', 'modules', module + '.py'), path]

    def peer(self, *args):
        return [self.python, os.path.abspath(__file__)] + list(args)

    def each_round(self, rounds, what):
        """Number the rounds of a comparison: ``self.round`` tags each sample; says which starts."""
        for number in range(1, rounds + 1):
            self.round = number
            log('%s, round %d/%d' % (what, number, rounds))
            yield number

    # --- issue A: archive_object upload ----------------------------------------------
    def object_upload(self, rounds):
        src, size = self.files['src'], self.opt.size
        for _number in self.each_round(rounds, 'archive_object upload of %s' % human(size)):
            self.run(
                'object_module',
                'archive_object state=present',
                self.module('archive_object', {'container': self.container, 'name': 'obj-module', 'src': src}),
                size,
            )
            self.delete_object(self.container, 'obj-module')
            self.run(
                'object_cli',
                'swift upload',
                [self.swift_cli, 'upload', '--object-name', 'obj-cli', self.container, src],
                size,
            )
            self.delete_object(self.container, 'obj-cli')
            self.run(
                'object_put',
                'swiftclient put_object (stream)',
                self.peer('peer-put', self.container, 'obj-put', src),
                size,
            )
            self.delete_object(self.container, 'obj-put')
            if self.opt.diagnostics:
                self.run('md5_pass', 'md5 of the file, 1 MiB reads (diagnostic)', self.peer('peer-md5', src), size)

    # --- issue B: archive_slo upload, no-op, RSS ---------------------------------------
    def slo_args(self, name, src, **extra):
        args = {'container': self.container, 'name': name, 'src': src}
        args.update(extra)
        return args

    def slo_upload(self, rounds):
        src, size = self.files['src'], self.opt.size
        for _number in self.each_round(rounds, 'archive_slo upload of %s' % human(size)):
            self.run(
                'slo_module',
                'archive_slo (defaults)',
                self.module('archive_slo', self.slo_args('slo-module', src)),
                size,
            )
            noop = self.run(
                'slo_noop', 'archive_slo no-op re-run', self.module('archive_slo', self.slo_args('slo-module', src))
            )
            if noop.get('changed') is not False:
                raise Failed('archive_slo no-op re-run', 'changed=%s' % noop.get('changed'), '')
            if self.opt.diagnostics:
                self.run(
                    'slo_noop_checksum',
                    'archive_slo no-op, compare=checksum',
                    self.module('archive_slo', self.slo_args('slo-module', src, compare='checksum')),
                )
                # What every module imports, through the collection's own module_utils (which
                # keep swiftclient from importing python-keystoneclient).
                self.run(
                    'startup_floor',
                    'python + the imports only (diagnostic)',
                    [
                        self.python,
                        '-c',
                        'import ansible.module_utils.basic, '
                        'ansible_collections.ncloud.archive.plugins.module_utils._module',
                    ],
                )
            self.delete_object(self.container, 'slo-module')
            for threads in self.opt.slo_threads:
                self.run(
                    'slo_module_t%d' % threads,
                    'archive_slo threads=%d' % threads,
                    self.module('archive_slo', self.slo_args('slo-t%d' % threads, src, threads=threads)),
                    size,
                )
                self.delete_object(self.container, 'slo-t%d' % threads)
            self.run(
                'slo_cli',
                'swift upload --use-slo --segment-size 64M',
                [
                    self.swift_cli,
                    'upload',
                    '--use-slo',
                    '--segment-size',
                    '64M',
                    '--object-name',
                    'slo-cli',
                    self.container,
                    src,
                ],
                size,
            )
            self.delete_object(self.container, 'slo-cli')
            self.delete_segments_of('slo-cli')

    def slo_rss(self):
        src, size = self.files['big'], self.opt.big_size
        self.round = 1
        log('archive_slo upload of %s (peak RSS)' % human(size))
        self.run(
            'slo_big_module',
            'archive_slo (defaults) BIG',
            self.module('archive_slo', self.slo_args('slo-big', src)),
            size,
        )
        self.delete_object(self.container, 'slo-big')
        self.run(
            'slo_big_cli',
            'swift upload --use-slo BIG',
            [
                self.swift_cli,
                'upload',
                '--use-slo',
                '--segment-size',
                '64M',
                '--object-name',
                'slo-big-cli',
                self.container,
                src,
            ],
            size,
        )
        self.delete_object(self.container, 'slo-big-cli')
        self.delete_segments_of('slo-big-cli')

    # --- issue B: download of the SLO --------------------------------------------------
    def download(self, rounds):
        """Download the SLO with the module and its peers into --download-dir (tmpfs: the client
        and the lab are measured, not this machine's disk), then module and CLI once more into
        --disk-dir (a disk: the module's fsync and the disk count too)."""
        src, size = self.files['src'], self.opt.size
        log('uploading the %s SLO to download (not measured)' % human(size))
        measure('archive_slo (setup)', self.module('archive_slo', self.slo_args('slo-dl', src)), self.env)
        fast = os.path.join(self.opt.download_dir or self.work, 'ncloud-archive-bench-%d.bin' % os.getpid())
        disk = (
            os.path.join(self.opt.disk_dir, 'ncloud-archive-bench-%d.bin' % os.getpid()) if self.opt.disk_dir else None
        )
        where = _kind_of_dir(self.opt.download_dir or self.work)

        def module(dest):
            return self.module(
                'archive_object', {'container': self.container, 'name': 'slo-dl', 'state': 'downloaded', 'dest': dest}
            )

        def cli(dest):
            return [self.swift_cli, 'download', '--output', dest, self.container, 'slo-dl']

        try:
            for _number in self.each_round(rounds, 'download of the %s SLO' % human(size)):
                self.run('download_module', 'archive_object state=downloaded (%s)' % where, module(fast), size)
                self.check_file(fast, src)
                self.run('download_cli', 'swift download (%s)' % where, cli(fast), size)
                self.check_file(fast, src)
                if self.opt.diagnostics:
                    self.run(
                        'download_get',
                        'get_object 1 MiB + md5 (%s)' % where,
                        self.peer('peer-get', self.container, 'slo-dl', fast),
                        size,
                    )
                    self.check_file(fast, src)
                if disk:
                    self.run('download_module_disk', 'archive_object state=downloaded (disk)', module(disk), size)
                    self.check_file(disk, src)
                    self.run('download_cli_disk', 'swift download (disk)', cli(disk), size)
                    self.check_file(disk, src)
        finally:
            for path in (fast, disk):
                if path and os.path.exists(path):
                    os.unlink(path)
        self.delete_object(self.container, 'slo-dl')

    def check_file(self, dest, src):
        """The downloaded file has the size of the source (cheap), then it is removed."""
        if os.path.getsize(dest) != os.path.getsize(src):
            raise Failed(
                'download', 'size', '%s has %d bytes, expected %d' % (dest, os.path.getsize(dest), os.path.getsize(src))
            )
        os.unlink(dest)

    def main(self):
        sections = self.opt.only
        rounds = self.opt.repeat
        if 'object' in sections:
            self.object_upload(rounds)
        if 'slo' in sections:
            self.slo_upload(rounds)
        if 'download' in sections:
            self.download(rounds)
        if 'rss' in sections and self.opt.rss_big:
            self.slo_rss()


def _connection_text(exc):
    text = ' '.join(str(exc).split())
    return text if len(text) < 300 else text[:300] + '...'


def _lab_down(output):
    """Whether a failed command looks like it met a lab restart (connection errors, 503)."""
    result = _module_json(output)
    text = result.get('msg', '') if result else output[-2000:]
    return bool(
        re.search(
            r'(?i)could not connect|connection (refused|reset|aborted)|remotedisconnected|'
            r'max retries exceeded|HTTP 503|503 Service Unavailable|timed out',
            text,
        )
    )


def _module_json(output):
    """The module's JSON result (the last line that parses as a JSON object), or None."""
    for line in reversed(output.strip().splitlines()):
        line = line.strip()
        if line.startswith('{'):
            try:
                return json.loads(line)
            except ValueError:
                continue
    return None


# --- summary -------------------------------------------------------------------------------


def median(runs, key, field='wall_s'):
    values = [r[field] for r in runs if r['key'] == key and r.get(field) is not None]
    return statistics.median(values) if values else None


def summarize(runs, opt):
    """Rows of the result table, and the verdict of each target."""
    rows = []
    verdicts = {}
    size, big = human(opt.size), human(opt.big_size)

    def row(group, key, what, peer=None, ratio_kind=None):
        wall = median(runs, key)
        if wall is None:
            return None
        samples = [r for r in runs if r['key'] == key]
        item = {
            'group': group,
            'key': key,
            'what': what,
            'n': len(samples),
            'wall_s': round(wall, 2),
            'mb_s': round(samples[0]['bytes'] / wall / 1e6, 1) if samples[0].get('bytes') else None,
            'peak_rss_mib': max(r['peak_rss_mib'] for r in samples),
            'cpu_s': round(statistics.median(r['user_s'] + r['sys_s'] for r in samples), 2),
            'proxy_cpu_s': _median_lab(samples, 'proxy'),
            'object_server_cpu_s': _median_lab(samples, 'object'),
            'other_cpu_s': round(statistics.median(r['foreign_cpu_s'] for r in samples), 2),
            'wall_samples': [r['wall_s'] for r in samples],
        }
        item['best_s'] = round(min(item['wall_samples']), 2)
        item['foreign_proxy_requests'] = _median_of(samples, 'foreign_proxy_requests')
        item['lab_restarts'] = sum(1 for r in samples if r.get('lab_restarted'))
        if peer:
            # Each round runs the tool and its peer back to back: the ratio of a pair shares
            # the machine's state of that moment. Reported: the median over rounds, the range.
            peers = dict((r['round'], r) for r in runs if r['key'] == peer)
            pairs, quiet = [], []
            for r in samples:
                if r['round'] in peers:
                    other = peers[r['round']]
                    ratio = (
                        other['wall_s'] / r['wall_s'] if ratio_kind == 'throughput' else r['wall_s'] / other['wall_s']
                    )
                    pairs.append(ratio)
                    if not noisy(r) and not noisy(other):
                        quiet.append(ratio)
            if pairs:
                item['ratio'] = round(statistics.median(pairs), 3)
                item['ratio_range'] = [round(min(pairs), 3), round(max(pairs), 3)]
                item['ratio_of'] = ('throughput vs %s' if ratio_kind == 'throughput' else 'time / %s') % peer
                item['noisy_rounds'] = len(pairs) - len(quiet)
                if quiet and len(quiet) < len(pairs):
                    item['ratio_quiet'] = round(statistics.median(quiet), 3)
        rows.append(item)
        return item

    row('A', 'object_module', 'archive_object upload %s' % size, 'object_cli', 'throughput')
    row('A', 'object_cli', 'swift upload %s (peer)' % size, 'object_put', 'throughput')
    row('A', 'object_put', 'put_object stream %s (peer)' % size)
    row('A', 'md5_pass', 'md5 of the %s file, one pass (diagnostic)' % size, 'object_module', 'time')
    slo = row('B', 'slo_module', 'archive_slo upload %s, defaults' % size, 'slo_cli', 'throughput')
    for threads in opt.slo_threads:
        row(
            'B',
            'slo_module_t%d' % threads,
            'archive_slo upload %s, threads=%d' % (size, threads),
            'slo_cli',
            'throughput',
        )
    row('B', 'slo_cli', 'swift upload --use-slo --segment-size 64M %s (peer)' % size, 'object_put', 'throughput')
    noop = row('B', 'slo_noop', 'archive_slo no-op re-run', 'slo_module', 'time')
    row('B', 'slo_noop_checksum', 'archive_slo no-op re-run, compare=checksum', 'slo_module', 'time')
    row('B', 'startup_floor', 'python + the modules\' imports only (diagnostic)', 'slo_module', 'time')
    big_row = row('B', 'slo_big_module', 'archive_slo upload %s, defaults' % big, 'slo_big_cli', 'throughput')
    row('B', 'slo_big_cli', 'swift upload --use-slo %s (peer)' % big)
    where = _kind_of_dir(opt.download_dir or opt.workdir)
    download = row(
        'B',
        'download_module',
        'archive_object download+verify %s SLO to %s' % (size, where),
        'download_cli',
        'throughput',
    )
    row('B', 'download_cli', 'swift download %s SLO to %s (peer)' % (size, where), 'download_get', 'throughput')
    row('B', 'download_get', 'get_object 1 MiB chunks + md5 %s to %s (peer)' % (size, where))
    row(
        'B',
        'download_module_disk',
        'archive_object download+verify %s SLO to disk (fsync)' % size,
        'download_cli_disk',
        'throughput',
    )
    row('B', 'download_cli_disk', 'swift download %s SLO to disk (peer)' % size)

    object_rss = [r['peak_rss_mib'] for r in runs if r['key'] == 'object_module']
    if object_rss:
        verdicts['object_rss'] = _verdict(max(object_rss), max(object_rss) < 100, '%.1f MiB' % max(object_rss))
    if slo and 'ratio' in slo:
        verdicts['slo_throughput'] = _verdict(slo['ratio'], slo['ratio'] >= 1.0, '%.2fx' % slo['ratio'])
    if noop and 'ratio' in noop:
        verdicts['slo_noop'] = _verdict(noop['ratio'], noop['ratio'] <= 0.1, '%.3fx' % noop['ratio'])
    if big_row:
        verdicts['slo_rss'] = _verdict(
            big_row['peak_rss_mib'], big_row['peak_rss_mib'] <= 128, '%.1f MiB' % big_row['peak_rss_mib']
        )
    if download and 'ratio' in download:
        verdicts['download'] = _verdict(download['ratio'], download['ratio'] >= 1.0, '%.2fx' % download['ratio'])
    return rows, verdicts


NOISY_FOREIGN_REQUESTS = 500


def noisy(run):
    """Whether others disturbed a measurement: a lab service restarted while it ran, or
    other users sent many requests through the same proxy meanwhile."""
    return bool(run.get('lab_restarted')) or (run.get('foreign_proxy_requests') or 0) > NOISY_FOREIGN_REQUESTS


def _kind_of_dir(path):
    """'tmpfs' or 'disk', for the labels."""
    best, kind = '', 'disk'
    path = os.path.realpath(path)
    for line in read_proc('/proc/mounts').splitlines():
        fields = line.split()
        inside = path == fields[1] or path.startswith(fields[1].rstrip('/') + '/') if len(fields) > 2 else False
        if inside and len(fields[1]) >= len(best):
            best, kind = fields[1], 'tmpfs' if fields[2] in ('tmpfs', 'ramfs') else 'disk'
    return kind


def _median_of(samples, field):
    values = [r[field] for r in samples if r.get(field) is not None]
    return round(statistics.median(values), 1) if values else None


def _median_lab(samples, service):
    values = [r['lab_cpu_s'].get(service) for r in samples if r['lab_cpu_s'].get(service) is not None]
    return round(statistics.median(values), 2) if values else None


def _verdict(value, met, shown):
    return {'value': value, 'met': bool(met), 'shown': shown}


def render(rows, verdicts, opt):
    lines = [
        '',
        '| # | measurement | median s (best) | MB/s | peak RSS MiB | CPU s client / proxy | noise: other CPU s, '
        'foreign requests | ratio (paired median, range) |',
        '| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |',
    ]
    for item in rows:
        ratio = ''
        if 'ratio' in item:
            ratio = '**%.2fx** %s' % (item['ratio'], item['ratio_of'])
            if item['ratio_range'][0] != item['ratio_range'][1]:
                ratio += ' (%.2f-%.2f)' % tuple(item['ratio_range'])
            if item.get('noisy_rounds'):
                ratio += '; %d noisy round(s)%s' % (
                    item['noisy_rounds'],
                    ', quiet ones: %.2fx' % item['ratio_quiet'] if 'ratio_quiet' in item else '',
                )
        lines.append(
            '| %s | %s | %.2f (%.2f) | %s | %.1f | %.1f / %s | %.1f, %s | %s |'
            % (
                item['group'],
                item['what'],
                item['wall_s'],
                item['best_s'],
                '%.0f' % item['mb_s'] if item['mb_s'] is not None else '',
                item['peak_rss_mib'],
                item['cpu_s'],
                '%.1f' % item['proxy_cpu_s'] if item['proxy_cpu_s'] is not None else '-',
                item['other_cpu_s'],
                '%.0f' % item['foreign_proxy_requests'] if item['foreign_proxy_requests'] is not None else '-',
                ratio,
            )
        )
    lines += [
        '',
        'noisy round: a lab service restarted, or more than %d requests of others went through the proxy '
        'while the tool or its peer ran.' % NOISY_FOREIGN_REQUESTS,
        '',
        'Targets (SIZE=%s, BIG_SIZE=%s, %d round(s); ratios: median of the rounds\' paired ratios):'
        % (human(opt.size), human(opt.big_size), opt.repeat),
    ]
    for key, text in TARGETS.items():
        verdict = verdicts.get(key)
        state = 'not measured' if verdict is None else ('met' if verdict['met'] else 'NOT MET')
        lines.append('  %-15s %-12s %-10s %s' % (key, state, verdict['shown'] if verdict else '', text))
    return '\n'.join(lines) + '\n'


def environment():
    def version(dist):
        try:
            return importlib_metadata.version(dist)
        except importlib_metadata.PackageNotFoundError:
            return None

    info = {}
    try:
        with urllib.request.urlopen('http://127.0.0.1:8080/info', timeout=10) as resp:
            info = json.loads(resp.read().decode('utf-8'))
    except (OSError, ValueError):
        pass
    mem = re.search(r'MemTotal:\s+(\d+)', read_proc('/proc/meminfo'))
    cpu = re.search(r'model name\s*:\s*(.*)', read_proc('/proc/cpuinfo'))
    try:
        commit = subprocess.run(
            ['git', '-C', REPO, 'describe', '--always', '--dirty'], capture_output=True, text=True, check=False
        ).stdout.strip()
    except OSError:
        commit = None
    return {
        'nproc': os.cpu_count(),
        'cpu': cpu.group(1) if cpu else None,
        'mem_gib': round(int(mem.group(1)) / 1024**2, 1) if mem else None,
        'loadavg_at_start': read_proc('/proc/loadavg').split()[:3],
        'kernel': platform.release(),
        'python': platform.python_version(),
        'ansible_core': version('ansible-core'),
        'python_swiftclient': version('python-swiftclient'),
        'keystoneauth1': version('keystoneauth1'),
        'python_keystoneclient': version('python-keystoneclient'),
        'swift_server': (info.get('swift') or {}).get('version'),
        'commit': commit,
    }


def source_commit(source):
    """The commit a --source stands for (``git describe --dirty`` of the work tree)."""
    rev = source[4:] if source.startswith('git:') else None
    if rev is None and os.path.abspath(source) != REPO:
        return None
    cmd = (
        ['git', '-C', REPO, 'rev-parse', '--short', rev]
        if rev
        else ['git', '-C', REPO, 'describe', '--always', '--dirty']
    )
    try:
        return subprocess.run(cmd, capture_output=True, text=True, check=False).stdout.strip() or None
    except OSError:
        return None


# --- peers: plain python-swiftclient, run as their own process -----------------------------


def prime_memory(size):
    """Fill ``size`` bytes of tmpfs and free them again, right before a measured transfer.

    These machines are VMs with free page reporting ("Free page reporting enabled" at boot):
    memory the guest has freed for a few seconds goes back to the host, and the next process
    that fills that much memory waits while the host maps it in again. The first 1 GiB
    download after the larger runs spent 4.8-8 s in the kernel against 1.0-1.3 s once the
    memory was back (2026-12-02, copy_folio_from_iter_atomic in perf), and the module, always
    measured first, was the one that paid. Freed just before the run, the memory is the
    guest's again for whoever runs, and stays so while the transfer reuses it.
    """
    directory = '/dev/shm' if os.path.isdir('/dev/shm') else tempfile.gettempdir()
    path = os.path.join(directory, 'ncloud-archive-bench-prime-%d' % os.getpid())
    block = bytes(min(size, 64 << 20))
    try:
        with open(path, 'wb') as handle:
            left = size
            while left > 0:
                left -= handle.write(block[: min(left, len(block))])
    finally:
        if os.path.exists(path):
            os.unlink(path)


def peer_connection():
    from keystoneauth1 import session as ks_session
    from keystoneauth1.identity import v3 as ks_v3
    from swiftclient import client as swift_client

    env = os.environ
    auth = ks_v3.Password(
        auth_url=env['OS_AUTH_URL'],
        username=env['OS_USERNAME'],
        password=env['OS_PASSWORD'],
        project_id=env['OS_PROJECT_ID'],
        user_domain_id=env.get('OS_USER_DOMAIN_ID', 'default'),
    )
    return swift_client.Connection(session=ks_session.Session(auth=auth), retries=5)


def peer_main(argv):
    """``peer-put CONTAINER NAME FILE``: one put_object streamed from the file (no md5).
    ``peer-get CONTAINER NAME DEST``: get_object in 1 MiB chunks, md5 of the body, written to DEST.
    ``peer-md5 FILE``: md5 of the file read in 1 MiB chunks (what the modules do before a PUT)."""
    command, path = argv[0], argv[-1]
    if command != 'peer-md5':
        container, name = argv[1:3]
        conn = peer_connection()
    if command == 'peer-md5':
        digest = hashlib.md5()
        with open(path, 'rb') as handle:
            for chunk in iter(lambda: handle.read(PEER_CHUNK), b''):
                digest.update(chunk)
        print(digest.hexdigest())
        return 0
    if command == 'peer-put':
        with open(path, 'rb') as handle:
            conn.put_object(container, name, handle, content_length=os.path.getsize(path))
        return 0
    _headers, body = conn.get_object(container, name, resp_chunk_size=PEER_CHUNK)
    digest = hashlib.md5()
    with open(path, 'wb') as handle:
        for chunk in body:
            digest.update(chunk)
            handle.write(chunk)
    print(digest.hexdigest())
    return 0


# --- command line --------------------------------------------------------------------------


def options(argv):
    env = os.environ.get
    parser = argparse.ArgumentParser(
        prog='benchmarks/run',
        description='Benchmarks of archive_object and archive_slo against the lab, with peers. '
        'Needs the lab up and OS_* set (benchmarks/run does that). Every option has an environment variable.',
    )
    parser.add_argument(
        '--smoke',
        action='store_true',
        default=env('BENCH_SMOKE', '') not in ('', '0'),
        help='quick check that everything works (under a minute): 32 MiB / 64 MiB, one round, no '
        'extra thread count, no disk download, no diagnostics; overrides those options (BENCH_SMOKE=1)',
    )
    parser.add_argument(
        '--diagnostics',
        type=int,
        choices=(0, 1),
        default=int(env('BENCH_DIAGNOSTICS', '1')),
        help='also run the diagnostic measurements that explain the figures (BENCH_DIAGNOSTICS, default 1)',
    )
    parser.add_argument(
        '--prime',
        type=int,
        choices=(0, 1),
        default=int(env('BENCH_PRIME', '1')),
        help='write and free as much tmpfs as a transfer moves right before it is measured, so '
        'that no contender pays for memory the VM gave back to its host (BENCH_PRIME, default 1)',
    )
    parser.add_argument(
        '--size',
        type=parse_size,
        default=parse_size(env('BENCH_SIZE', '1G')),
        help='file size of the upload and download runs (BENCH_SIZE, default 1G)',
    )
    parser.add_argument(
        '--big-size',
        type=parse_size,
        default=parse_size(env('BENCH_BIG_SIZE', '2G')),
        help='file size of the archive_slo peak-RSS run (BENCH_BIG_SIZE, default 2G)',
    )
    parser.add_argument(
        '--repeat',
        type=int,
        default=int(env('BENCH_REPEAT', '3')),
        help='rounds of each timed comparison, medians are reported (BENCH_REPEAT, default 3)',
    )
    parser.add_argument(
        '--slo-threads',
        default=env('BENCH_SLO_THREADS', '4'),
        help='extra archive_slo threads values to time besides the default (BENCH_SLO_THREADS, '
        'comma-separated, default 4; "" for none)',
    )
    parser.add_argument(
        '--only',
        default=env('BENCH_ONLY', 'object,slo,download,rss'),
        help='sections to run: object,slo,download,rss (BENCH_ONLY)',
    )
    shm = '/dev/shm' if os.path.isdir('/dev/shm') else ''
    parser.add_argument(
        '--workdir',
        default=env('BENCH_WORKDIR', shm or tempfile.gettempdir()),
        help='where the source files are written (BENCH_WORKDIR, default %s: this machine\'s disk '
        'is slow and shared, RAM keeps it out of the figures)' % (shm or tempfile.gettempdir()),
    )
    parser.add_argument(
        '--source',
        default=env('BENCH_SOURCE', REPO),
        help='collection tree whose plugins are benchmarked: a directory (default: this work tree) '
        'or git:<rev> for a committed revision, e.g. git:HEAD (BENCH_SOURCE)',
    )
    parser.add_argument(
        '--download-dir',
        default=env('BENCH_DOWNLOAD_DIR', shm),
        help='directory the downloads are compared in (BENCH_DOWNLOAD_DIR, default %s; "" for the '
        'work directory)' % (shm or '""'),
    )
    parser.add_argument(
        '--disk-dir',
        default=env('BENCH_DISK_DIR', tempfile.gettempdir()),
        help='directory on a disk for one more download with the module and the CLI (BENCH_DISK_DIR, '
        'default %s; "" to skip)' % tempfile.gettempdir(),
    )
    parser.add_argument(
        '--report',
        metavar='JSON',
        help='print the table of an earlier results file again (with this version\'s summary) and exit',
    )
    parser.add_argument(
        '--results',
        default=env('BENCH_RESULTS', os.path.join(HERE, 'results')),
        help='directory of the JSON results (BENCH_RESULTS)',
    )
    opt = parser.parse_args(argv)
    if opt.smoke:
        opt.size, opt.big_size, opt.repeat, opt.slo_threads, opt.disk_dir, opt.diagnostics = (
            32 * MIB,
            64 * MIB,
            1,
            '',
            '',
            0,
        )
    opt.slo_threads = [int(t) for t in opt.slo_threads.split(',') if t.strip()]
    opt.only = [s.strip() for s in opt.only.split(',') if s.strip()]
    unknown = set(opt.only) - {'object', 'slo', 'download', 'rss'}
    if unknown:
        parser.error('unknown section(s) in --only: %s' % ', '.join(sorted(unknown)))
    if opt.size < 1 or opt.big_size < 1 or opt.repeat < 1:
        parser.error('sizes and --repeat must be positive')
    opt.rss_big = 'rss' in opt.only
    return opt


def report(path):
    """Print the table of a results file again, summarized by this version of the script."""
    with open(path, encoding='utf-8') as handle:
        data = json.load(handle)
    config = data['config']
    opt = argparse.Namespace(
        size=config['size'],
        big_size=config['big_size'],
        repeat=config['repeat'],
        slo_threads=config['slo_threads'],
        workdir=config.get('workdir', '/tmp'),
        download_dir=config.get('download_dir', ''),
    )
    for run in data['runs']:
        run.setdefault('round', 1)
        run.setdefault('foreign_cpu_s', 0.0)
    rows, verdicts = summarize(data['runs'], opt)
    machine = data.get('machine', {})
    sys.stdout.write(
        '%s, %s, commit %s, source %s; load at start %s%s\n'
        % (
            data.get('started'),
            path,
            machine.get('commit'),
            config.get('source'),
            ' '.join(machine.get('loadavg_at_start', [])),
            '; stopped early: %s' % data['error'] if data.get('error') else '',
        )
    )
    sys.stdout.write(render(rows, verdicts, opt))
    return 0


def main(argv):
    if argv and argv[0].startswith('peer-'):
        return peer_main(argv)
    opt = options(argv)
    if opt.report:
        return report(opt.report)
    missing = [
        name for name in ('OS_AUTH_URL', 'OS_USERNAME', 'OS_PASSWORD', 'OS_PROJECT_ID') if not os.environ.get(name)
    ]
    if missing:
        sys.stderr.write('missing %s: eval "$(tests/lab/lab env)" first, or use benchmarks/run\n' % ', '.join(missing))
        return 2
    shm = shutil.disk_usage('/dev/shm').free if os.path.isdir('/dev/shm') else None
    need = opt.size * 3 + opt.big_size * 2 + 256 * MIB  # lab data, source files, a download
    if shm is not None and shm < need:
        log('warning: /dev/shm has %s free, the lab may need %s' % (human(shm), human(need)))

    bench = Bench(opt)

    def on_signal(signum, _frame):
        raise KeyboardInterrupt('signal %d' % signum)

    signal.signal(signal.SIGTERM, on_signal)
    started = datetime.datetime.now(datetime.timezone.utc)
    env_info = environment()
    log(
        'container %s, work dir %s, sizes %s / %s, %d round(s)'
        % (bench.container, bench.work, human(opt.size), human(opt.big_size), opt.repeat)
    )
    error = None
    try:
        bench.setup()
        bench.main()
    except (Failed, RuntimeError, KeyboardInterrupt) as exc:
        error = str(exc) or type(exc).__name__
        log('stopped: %s' % error)
    finally:
        log('cleaning up')
        bench.cleanup()
    rows, verdicts = summarize(bench.runs, opt)
    text = render(rows, verdicts, opt)
    sys.stdout.write(text)
    os.makedirs(opt.results, exist_ok=True)
    path = os.path.join(opt.results, '%s.json' % bench.stamp)
    with open(path, 'w', encoding='utf-8') as handle:
        json.dump(
            {
                'started': started.isoformat(),
                'finished': datetime.datetime.now(datetime.timezone.utc).isoformat(),
                'config': {
                    'size': opt.size,
                    'big_size': opt.big_size,
                    'repeat': opt.repeat,
                    'smoke': opt.smoke,
                    'diagnostics': opt.diagnostics,
                    'prime': opt.prime,
                    'slo_threads': opt.slo_threads,
                    'only': opt.only,
                    'workdir': opt.workdir,
                    'download_dir': opt.download_dir,
                    'disk_dir': opt.disk_dir,
                    'source': opt.source,
                    'source_commit': source_commit(opt.source),
                },
                'machine': env_info,
                'error': error,
                'summary': rows,
                'targets': verdicts,
                'runs': bench.runs,
            },
            handle,
            indent=2,
        )
        handle.write('\n')
    sys.stdout.write('results: %s\n' % os.path.relpath(path))
    return 1 if error else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
