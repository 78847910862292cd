# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ncloud.archive contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The WAN profile: archive_sync, the swift CLI and rclone on one tree, through a slow link.

Run it with benchmarks/run-wan (lab up, .venv present). For each case (an RTT and a number
of files), benchmarks/relay.py is started with that RTT (and --bandwidth, default 1 Gbit/s)
in front of the lab, a tree of random files (--min-kib to --max-kib) is written on tmpfs, and
each contender, in an order that rotates from round to round, runs four jobs through the
relay:

- ``upload``: the tree into an empty container (``prefix tree/``, the names ``swift upload C
  tree`` gives); ``upload_noop``: the same again (nothing to send);
- ``restore``: the container into an empty directory; ``restore_noop``: the same again.

The contenders: archive_sync run as a module process (``python .../archive_sync.py
args.json``, Ansible's direct execution, defaults: 8 threads growing up to 32, directory markers), the venv's
``swift`` CLI (defaults: 10 object threads; ``--skip-identical`` for the no-ops) and rclone's
``copy`` (defaults: 4 transfers, 8 checkers), when an rclone binary is found (--rclone, PATH,
or Debian's package extracted into build/wan-tools with apt-get download + dpkg-deb -x).
Everyone authenticates at the relay's ``/v3`` and is given the relay's storage URL
(Keystone's catalog holds the lab's real one): the module's ``storage_url``, the CLI's
``--os-storage-url``, rclone's ``storage_url``.

Per job: seconds, the ratio to the CLI's same job in the same round, the relay's request
count by kind and its own CPU seconds. Everything is written to
benchmarks/results/wan-<timestamp>.json; the containers (``bench-wan-*``) and files are
deleted afterwards, those of a killed run by the next one.
"""

from __future__ import annotations

import argparse
import filecmp
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

from run import descendants, lab_pids, prime_memory, proc_cpu_seconds

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(REPO, '.venv', 'bin')
PYTHON = os.path.join(BIN, 'python')
TOOLS = os.path.join(REPO, 'build', 'wan-tools')
PREFIX = 'bench-wan-'
JOBS = ('upload', 'upload_noop', 'restore', 'restore_noop')
CONTENDERS = ('sync', 'cli', 'rclone')
LABELS = {'sync': 'archive_sync', 'cli': 'swift CLI', 'rclone': 'rclone'}
GNU_TIME = '/usr/bin/time'  # for each job's peak RSS, as benchmarks/run.py measures it


def log(message):
    print(message, flush=True)


def lab_cpu():
    """CPU seconds (user + system) each lab service has used so far: the process in
    ``$LAB_DIR/run/<service>.pid`` and every live descendant (keystone's gunicorn workers),
    with the children they have reaped. Read before and after a job, it says whether the
    server's CPU decided it. Empty when the lab's pid files are not readable."""
    return {
        service: sum(proc_cpu_seconds(each, reaped=True) for each in [pid] + descendants(pid))
        for service, pid in lab_pids().items()
    }


def make_tree(root, files, dirs, low, high, seed=20261204):
    rng = random.Random(seed)
    total = 0
    for index in range(files):
        directory = os.path.join(root, 'd%02d' % (index % dirs))
        os.makedirs(directory, exist_ok=True)
        size = rng.randint(low, high)
        with open(os.path.join(directory, 'f%05d.bin' % index), 'wb') as handle:
            handle.write(os.urandom(size))
        total += size
    return total


def same_tree(source, copy):
    """True when ``copy`` holds every file of ``source`` with the same bytes."""
    for base, _dirs, names in os.walk(source):
        other = os.path.join(copy, os.path.relpath(base, source))
        for name in names:
            theirs = os.path.join(other, name)
            if not os.path.isfile(theirs) or not filecmp.cmp(os.path.join(base, name), theirs, shallow=False):
                return False
    return True


def find_rclone(wanted):
    """An rclone binary: --rclone, PATH, or Debian's package extracted under build/wan-tools."""
    if wanted:
        return wanted if wanted != 'none' else None
    found = shutil.which('rclone')
    if found:
        return found
    local = os.path.join(TOOLS, 'usr', 'bin', 'rclone')
    if os.path.isfile(local):
        return local
    os.makedirs(TOOLS, exist_ok=True)
    try:
        subprocess.run(
            ['apt-get', 'download', 'rclone'], cwd=TOOLS, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        debs = [name for name in os.listdir(TOOLS) if name.startswith('rclone_') and name.endswith('.deb')]
        subprocess.run(['dpkg-deb', '-x', os.path.join(TOOLS, debs[0]), TOOLS], check=True)
    except (OSError, IndexError, subprocess.CalledProcessError) as exc:
        log('rclone: not installed and not installable here (%s): skipped' % exc)
        return None
    return local if os.path.isfile(local) else None


class RelayProcess:
    def __init__(self, rtt_ms, bandwidth, handshake_rtts):
        self.proc = subprocess.Popen(
            [
                PYTHON,
                os.path.join(REPO, 'benchmarks', 'relay.py'),
                '--rtt-ms',
                str(rtt_ms),
                '--bandwidth',
                bandwidth,
                '--handshake-rtts',
                str(handshake_rtts),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        line = self.proc.stdout.readline().strip()
        if not line.startswith('listening '):
            self.stop()
            raise SystemExit('relay did not start: %r' % line)
        self.url = line.split(' ', 1)[1]

    def call(self, path, method='GET'):
        request = urllib.request.Request(self.url + path, method=method, data=b'' if method == 'POST' else None)
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(request, timeout=30) as answer:
            return json.loads(answer.read())

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class Wan:
    def __init__(self, options):
        self.opt = options
        self.stamp = time.strftime('%Y%m%dT%H%M%S')
        self.work = tempfile.mkdtemp(prefix='ncloud-archive-wan-', dir=options.workdir)
        collections = os.path.join(self.work, 'collections', 'ansible_collections', 'ncloud')
        os.makedirs(collections)
        os.symlink(REPO, os.path.join(collections, 'archive'))
        self.module = os.path.join(collections, 'archive', 'plugins', 'modules', 'archive_sync.py')
        self.lab_env = dict(os.environ, PYTHONWARNINGS='ignore', LC_ALL='C.UTF-8')
        self.lab_env.setdefault('no_proxy', '127.0.0.1,localhost')
        self.account = 'AUTH_' + os.environ['OS_PROJECT_ID']
        self.rclone = find_rclone(options.rclone) if 'rclone' in options.contenders else None
        self.contenders = [name for name in options.contenders if name != 'rclone' or self.rclone]
        self.containers = []

    # --- the lab, directly (setup and cleanup, never measured) ---------------------------

    def lab_swift(self, *args, check=True):
        return subprocess.run(
            [os.path.join(BIN, 'swift')] + list(args),
            env=self.lab_env,
            check=check,
            capture_output=True,
            text=True,
        )

    def sweep(self, everything=False):
        """Delete this run's containers, or (``everything``) every ``bench-wan-`` container."""
        if everything:
            listed = self.lab_swift('list', check=False).stdout.split()
            names = [name for name in listed if name.startswith(PREFIX)]
        else:
            names = self.containers + [name + '_segments' for name in self.containers]
        for name in names:
            self.lab_swift('delete', name, check=False)

    # --- the contenders ------------------------------------------------------------------

    def relay_env(self, relay):
        storage = '%s/v1/%s' % (relay.url, self.account)
        env = dict(self.lab_env, OS_AUTH_URL=relay.url + '/v3', OS_STORAGE_URL=storage)
        if self.rclone:
            env.update(
                RCLONE_CONFIG=os.path.join(self.work, 'rclone.conf'),
                RCLONE_CONFIG_WAN_TYPE='swift',
                RCLONE_CONFIG_WAN_ENV_AUTH='true',
                RCLONE_CONFIG_WAN_STORAGE_URL=storage,
            )
        return env, storage

    def commands(self, contender, job, container, restore, relay):
        """argv, cwd and the expected output (a string in it, or a module summary)."""
        env, storage = self.relay_env(relay)
        tree = os.path.join(self.work, 'tree')
        if contender == 'sync':
            args = dict(
                auth_url=env['OS_AUTH_URL'],
                storage_url=storage,
                access_key=env['OS_USERNAME'],
                secret_key=env['OS_PASSWORD'],
                project_id=env['OS_PROJECT_ID'],
                domain_id=env['OS_USER_DOMAIN_ID'],
                container=container,
                prefix='tree/',
            )
            if self.opt.threads:
                args['threads'] = self.opt.threads
            if self.opt.max_threads:
                args['max_threads'] = self.opt.max_threads
            if job.startswith('upload'):
                args.update(mode='upload', path=tree)
            else:
                args.update(mode='download', path=os.path.join(restore, 'tree'))
            path = os.path.join(self.work, 'args-%s-%s.json' % (container, job))
            with open(path, 'w', encoding='utf-8') as handle:
                json.dump({'ANSIBLE_MODULE_ARGS': args}, handle)
            env = dict(env, PYTHONPATH=os.path.join(self.work, 'collections'))
            return [PYTHON, self.module, path], self.work, env
        if contender == 'cli':
            swift = [os.path.join(BIN, 'swift'), '--os-storage-url', storage]
            if job == 'upload':
                argv = swift + ['upload', container, 'tree']
            elif job == 'upload_noop':
                argv = swift + ['upload', '--skip-identical', container, 'tree']
            elif job == 'restore':
                argv = swift + ['download', container, '-D', restore]
            else:
                argv = swift + ['download', '--skip-identical', container, '-D', restore]
            if self.opt.large and job == 'upload':
                argv[argv.index('upload') + 1 : argv.index('upload') + 1] = ['--use-slo', '--segment-size', '64M']
            return argv, self.work, env
        rclone = [self.rclone, '--config', env['RCLONE_CONFIG']]
        if job.startswith('upload'):
            return rclone + ['copy', tree, 'wan:%s/tree' % container], self.work, env
        return rclone + ['copy', 'wan:%s' % container, restore], self.work, env

    def job(self, relay, contender, job, container, restore, size):
        argv, cwd, env = self.commands(contender, job, container, restore, relay)
        if job in ('upload', 'restore') and self.opt.prime:
            prime_memory(size)
        relay.call('/_relay/reset', 'POST')
        before = relay.call('/_relay/stats')['cpu_s']
        lab_before = lab_cpu()
        rss_file = os.path.join(self.work, 'maxrss')
        if os.access(GNU_TIME, os.X_OK):  # its own fork and exec: about a millisecond, for every contender
            argv = [GNU_TIME, '-f', '%M %U %S', '-o', rss_file] + list(argv)
        start = time.monotonic()
        done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True)
        seconds = time.monotonic() - start
        rss_mib = cpu_s = None
        if argv[0] == GNU_TIME:
            with open(rss_file, encoding='utf-8') as handle:
                rss_kib, user, system = handle.read().split()[-3:]
            rss_mib = round(int(rss_kib) / 1024, 1)
            cpu_s = round(float(user) + float(system), 2)
        stats = relay.call('/_relay/stats')
        lab_after = lab_cpu()
        lab = {k: round(v - lab_before.get(k, 0.0), 2) for k, v in sorted(lab_after.items()) if k in lab_before}
        if done.returncode != 0:
            raise SystemExit(
                '%s %s failed (%d):\n%s\n%s'
                % (contender, job, done.returncode, done.stdout[-3000:], done.stderr[-3000:])
            )
        result = {
            'seconds': round(seconds, 3),
            'requests': stats['requests'],
            'counts': stats['counts'],
            'connections': stats['connections'],
            'relay_cpu_s': round(stats['cpu_s'] - before, 3),
            'mb_up': round(stats['bytes_up'] / 1e6, 2),
            'mb_down': round(stats['bytes_down'] / 1e6, 2),
            'rss_mib': rss_mib,
            'cpu_s': cpu_s,
            'lab_cpu_s': round(sum(lab.values()), 2),
            'lab_cpu_by_service': {k: v for k, v in lab.items() if v >= 0.01},
        }
        if contender == 'sync':
            result['summary'] = json.loads(done.stdout).get('summary')
        return result

    def check(self, contender, job, result, files):
        """The module's summary must say what the job should have done."""
        summary = result.get('summary')
        if not summary:
            return
        moved = summary.get('uploaded' if job.startswith('upload') else 'downloaded')
        wanted = 0 if job.endswith('noop') else files
        if moved != wanted:
            raise SystemExit('archive_sync %s moved %s files, not %d: %s' % (job, moved, wanted, summary))

    def one_round(self, relay, case, number, size):
        order = self.contenders[number % len(self.contenders) :] + self.contenders[: number % len(self.contenders)]
        results = {}
        for contender in order:
            container = '%s%s-%d-%s-%d' % (PREFIX, self.stamp.lower(), case['rtt_ms'], contender, number)
            self.containers.append(container)
            if contender == 'sync':  # archive_sync wants an existing container; the others make theirs
                self.lab_swift('post', container)
            restore = os.path.join(self.work, 'restore-%s' % contender)
            shutil.rmtree(restore, ignore_errors=True)
            os.makedirs(restore)
            results[contender] = {}
            try:
                for job in JOBS:
                    results[contender][job] = self.job(relay, contender, job, container, restore, size)
                    self.check(contender, job, results[contender][job], case['files'])
                    log(
                        '  rtt %g ms, round %d, %-12s %-12s %7.2f s  %4d requests  relay CPU %.2f s  CPU %s s'
                        '  lab CPU %.2f s  RSS %s MiB'
                        % (
                            case['rtt_ms'],
                            number,
                            LABELS[contender],
                            job,
                            results[contender][job]['seconds'],
                            results[contender][job]['requests'],
                            results[contender][job]['relay_cpu_s'],
                            results[contender][job]['cpu_s'],
                            results[contender][job]['lab_cpu_s'],
                            results[contender][job]['rss_mib'],
                        )
                    )
                if not same_tree(os.path.join(self.work, 'tree'), os.path.join(restore, 'tree')):
                    raise SystemExit('%s restored a tree that differs from the source' % contender)
            finally:
                shutil.rmtree(restore, ignore_errors=True)
                self.sweep()
                self.containers = []
        if 'cli' in results:
            for jobs in results.values():
                for job, result in jobs.items():
                    result['ratio'] = round(result['seconds'] / results['cli'][job]['seconds'], 3)
        return {'order': order, 'jobs': results}

    def case(self, rtt_ms, files):
        tree = os.path.join(self.work, 'tree')
        shutil.rmtree(tree, ignore_errors=True)
        size = make_tree(tree, files, self.opt.dirs, self.opt.min_kib * 1024, self.opt.max_kib * 1024)
        for index in range(self.opt.large):
            with open(os.path.join(tree, 'large%d.bin' % index), 'wb') as handle:
                for _ in range(self.opt.large_mib):
                    handle.write(os.urandom(1 << 20))
            size += self.opt.large_mib << 20
        files += self.opt.large
        log(
            'case: RTT %g ms, %d files (%.0f MiB) in %d directories, bandwidth %s, %d round(s)'
            % (rtt_ms, files, size / 1048576.0, self.opt.dirs, self.opt.bandwidth, self.opt.rounds)
        )
        relay = RelayProcess(rtt_ms, self.opt.bandwidth, self.opt.handshake_rtts)
        case = {'rtt_ms': rtt_ms, 'files': files, 'bytes': size, 'rounds': []}
        try:
            idle = relay.call('/_relay/stats')['cpu_s']
            for number in range(1, self.opt.rounds + 1):
                case['rounds'].append(self.one_round(relay, case, number, size))
            case['relay_cpu_total_s'] = round(relay.call('/_relay/stats')['cpu_s'] - idle, 2)
        finally:
            relay.stop()
        summarize(case)
        return case

    def main(self):
        self.sweep(everything=True)
        result = {
            'stamp': self.stamp,
            'commit': subprocess.run(
                ['git', '-C', REPO, 'rev-parse', '--short', 'HEAD'], capture_output=True, text=True
            ).stdout.strip(),
            'nproc': os.cpu_count(),
            'loadavg_start': os.getloadavg(),
            'options': vars(self.opt),
            'contenders': self.contenders,
            'rclone': self.rclone
            and subprocess.run([self.rclone, 'version'], capture_output=True, text=True).stdout.split('\n')[0],
            'cases': [],
        }
        try:
            for rtt_ms, files in self.opt.cases:
                result['cases'].append(self.case(rtt_ms, files))
        finally:
            self.sweep()
            shutil.rmtree(self.work, ignore_errors=True)
        result['loadavg_end'] = os.getloadavg()
        os.makedirs(os.path.join(REPO, 'benchmarks', 'results'), exist_ok=True)
        path = os.path.join(REPO, 'benchmarks', 'results', 'wan-%s.json' % self.stamp)
        with open(path, 'w', encoding='utf-8') as handle:
            json.dump(result, handle, indent=2)
        render(result)
        log('written: %s' % os.path.relpath(path, REPO))
        return 0


def _median(values):
    known = [v for v in values if v is not None]
    return statistics.median(known) if known else None


def summarize(case):
    """Medians over the rounds: seconds, ratio to the CLI, requests (and by kind) per job."""
    summary = {}
    rounds = case['rounds']
    for contender in rounds[0]['jobs']:
        for job in JOBS:
            samples = [r['jobs'][contender][job] for r in rounds]
            row = {
                'seconds': statistics.median(s['seconds'] for s in samples),
                'requests': statistics.median(s['requests'] for s in samples),
                'counts': samples[-1]['counts'],
                'connections': samples[-1]['connections'],
                'relay_cpu_s': statistics.median(s['relay_cpu_s'] for s in samples),
                'cpu_s': _median(s.get('cpu_s') for s in samples),
                'lab_cpu_s': _median(s.get('lab_cpu_s') for s in samples),
            }
            if 'ratio' in samples[0]:
                row['ratio'] = statistics.median(s['ratio'] for s in samples)
                row['ratio_range'] = [min(s['ratio'] for s in samples), max(s['ratio'] for s in samples)]
            summary['%s/%s' % (contender, job)] = row
    case['summary'] = summary


SHORT = {
    'keystone token': 'token',
    'listing GET': 'list',
    'PUT object': 'PUT',
    'PUT marker': 'PUT marker',
    'GET object': 'GET',
    'HEAD object': 'HEAD',
    'POST object': 'POST',
    'DELETE object': 'DELETE',
    'container HEAD': 'HEAD container',
    'container PUT': 'PUT container',
    'account HEAD': 'HEAD account',
    'account GET': 'GET account',
}


def render(result):
    for case in result['cases']:
        log('')
        log(
            'RTT %g ms, %d files, %.0f MiB; medians of %d round(s); relay CPU %.2f s in all'
            % (
                case['rtt_ms'],
                case['files'],
                case['bytes'] / 1048576.0,
                len(case['rounds']),
                case.get('relay_cpu_total_s', 0),
            )
        )
        log(
            '%-13s %-13s %8s %7s %6s %6s %9s %7s %7s  %s'
            % (
                'job',
                'contender',
                'seconds',
                'ratio',
                'reqs',
                'conns',
                'relay CPU',
                'CPU',
                'lab CPU',
                'requests by kind',
            )
        )
        for job in JOBS:
            for contender in result['contenders']:
                row = case['summary'].get('%s/%s' % (contender, job))
                if not row:
                    continue
                kinds = ', '.join(
                    '%s %d' % (SHORT.get(kind, kind), count)
                    for kind, count in sorted(row['counts'].items(), key=lambda item: -item[1])
                )
                log(
                    '%-13s %-13s %8.2f %7s %6d %6d %8.2fs %7s %7s  %s'
                    % (
                        job,
                        LABELS[contender],
                        row['seconds'],
                        '%.3f' % row['ratio'] if 'ratio' in row else '-',
                        row['requests'],
                        row['connections'],
                        row['relay_cpu_s'],
                        '-' if row.get('cpu_s') is None else '%.2fs' % row['cpu_s'],
                        '-' if row.get('lab_cpu_s') is None else '%.2fs' % row['lab_cpu_s'],
                        kinds,
                    )
                )


def parse_cases(text):
    cases = []
    for item in text.split(','):
        rtt, _, files = item.partition(':')
        cases.append((float(rtt), int(files)))
    return cases


def options(argv):
    parser = argparse.ArgumentParser(
        description='archive_sync, the swift CLI and rclone through a relay with an RTT (docs/benchmarks.md).'
    )
    parser.add_argument(
        '--cases',
        type=parse_cases,
        default=os.environ.get('WAN_CASES', '2:1000,20:1000,100:300'),
        help='RTT_MS:FILES,... (default 2:1000,20:1000,100:300; WAN_CASES)',
    )
    parser.add_argument('--rounds', type=int, default=int(os.environ.get('WAN_ROUNDS', '1')), help='default 1')
    parser.add_argument('--min-kib', type=int, default=1, help='smallest file (default 1 KiB)')
    parser.add_argument('--max-kib', type=int, default=256, help='largest file (default 256 KiB)')
    parser.add_argument('--dirs', type=int, default=20, help='directories of the tree (default 20)')
    parser.add_argument('--large', type=int, default=0, help='add this many large files (default 0)')
    parser.add_argument('--large-mib', type=int, default=1024, help='size of each large file in MiB (default 1024)')
    parser.add_argument('--bandwidth', default=os.environ.get('WAN_BANDWIDTH', '1G'), help='bits/s (default 1G)')
    parser.add_argument('--handshake-rtts', type=float, default=1.0, help='RTTs of a new connection (default 1)')
    parser.add_argument(
        '--contenders',
        type=lambda text: [name for name in text.split(',') if name],
        default=list(CONTENDERS),
        help='comma-separated, of sync,cli,rclone (default all)',
    )
    parser.add_argument('--threads', type=int, default=0, help="archive_sync's threads (default: its default)")
    parser.add_argument('--max-threads', type=int, default=0, help="archive_sync's max_threads (default: its default)")
    parser.add_argument('--rclone', default='', help='rclone binary; "none" skips rclone')
    parser.add_argument('--workdir', default='/dev/shm' if os.path.isdir('/dev/shm') else None)
    parser.add_argument('--no-prime', dest='prime', action='store_false', help='do not prime memory (run.py)')
    parser.add_argument('--smoke', action='store_true', help='one case: 20 ms, 40 files, one round')
    opt = parser.parse_args(argv)
    if opt.smoke:
        opt.cases, opt.rounds = [(20.0, 40)], 1
    unknown = set(opt.contenders) - set(CONTENDERS)
    if unknown:
        parser.error('unknown contenders: %s' % ', '.join(sorted(unknown)))
    return opt


def main(argv):
    opt = options(argv)
    missing = [
        name for name in ('OS_AUTH_URL', 'OS_USERNAME', 'OS_PASSWORD', 'OS_PROJECT_ID') if not os.environ.get(name)
    ]
    if missing:
        raise SystemExit(
            'wan.py: %s not set (benchmarks/run-wan sets them from tests/lab/lab env)' % ', '.join(missing)
        )
    return Wan(opt).main()


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
