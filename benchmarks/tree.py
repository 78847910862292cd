# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ncloud.archive contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark of archive_sync on a 1,000-file tree against the swift CLI, both directions.

Run it with benchmarks/run-tree (lab up, .venv present, collection built: make bench-tree).
Each round, into fresh containers, in alternating order:
- upload: ``swift upload C tree`` against an ansible-playbook run of archive_sync, then both
  again (``--skip-identical``; archive_sync must report 0 uploaded);
- restore: ``swift download C -D DIR`` into an empty directory against archive_sync
  ``mode=download``, then both again (``--skip-identical``; 0 downloaded);
- the archive_upload role's no-op as well (the whole role, for comparison);
- for the restore, two figures without a target that split its time: archive_sync run as a
  module process alone (no ansible-playbook) into another empty directory, and the floor of
  ansible-playbook itself (a play of one debug task).
Then a scale run: a tree of SCALE_FILES 1 KiB files uploaded once by archive_sync under the
prefix ``scale/`` (the names ``swift upload C scale`` gives), then the no-op upload of
archive_sync (run as a module process, its peak RSS read with getrusage) against ``swift
upload --skip-identical`` of the same tree onto the same objects (the listing before and
after must be equal). Prints the medians of the rounds' ratios and writes
benchmarks/results/tree-<timestamp>.json. TREE_FILES, TREE_DIRS, TREE_ROUNDS (0: the scale run only), SCALE_FILES
(0: no scale run) change the size of the run.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from run import prime_memory

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(REPO, '.venv', 'bin')
COLLECTIONS = os.path.join(REPO, 'build', 'collections')
FILES = int(os.environ.get('TREE_FILES', '1000'))
DIRS = int(os.environ.get('TREE_DIRS', '20'))
ROUNDS = int(os.environ.get('TREE_ROUNDS', '3'))
SCALE_FILES = int(os.environ.get('SCALE_FILES', '20000'))
PRIME = os.environ.get('BENCH_PRIME', '1') != '0'

SYNC_PLAYBOOK = """
- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - ncloud.archive.archive_sync:
        mode: {mode}
        path: "{path}"
        container: "{container}"
      register: sync
    - ansible.builtin.debug:
        msg: >-
          uploaded={{{{ sync.summary.uploaded | default('-') }}}}
          downloaded={{{{ sync.summary.downloaded | default('-') }}}}
"""

FLOOR_PLAYBOOK = """
- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - ansible.builtin.debug:
        msg: the floor of ansible-playbook
"""

ROLE_PLAYBOOK = """
- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - ansible.builtin.include_role:
        name: ncloud.archive.archive_upload
      vars:
        archive_upload_src: "{src}"
        archive_upload_container: "{container}"
"""

TARGETS = {
    'upload_first': 0.8,
    'upload_noop': 0.25,
    'restore_first': 1.0,
    'restore_noop': 0.25,
    'scale_noop': 0.25,
}


def make_tree(root, files, dirs, small=False):
    rng = random.Random(20261126)
    total = 0
    for index in range(files):
        directory = os.path.join(root, 'd%02d' % (index % dirs))
        os.makedirs(directory, exist_ok=True)
        size = 1024 if small else rng.randint(1024, 1024 * 1024)
        with open(os.path.join(directory, 'f%05d.bin' % index), 'wb') as handle:
            handle.write(os.urandom(size))
        total += size
    return total


def prime(moves):
    """Before a run that writes ``moves`` bytes: fill and free as much tmpfs (run.prime_memory)."""
    if moves and PRIME:
        prime_memory(moves)


def timed(argv, cwd=None, env=None, expect=None, moves=0):
    """Seconds ``argv`` took; its output must contain ``expect`` when given.

    ``moves``: the bytes it writes (``prime``).
    """
    prime(moves)
    start = time.monotonic()
    done = subprocess.run(argv, cwd=cwd, env=env, check=True, stdout=subprocess.PIPE)
    seconds = time.monotonic() - start
    if expect and expect not in done.stdout.decode('utf-8', 'replace'):
        raise SystemExit('%s: %r not in its output:\n%s' % (argv[0], expect, done.stdout.decode()[-2000:]))
    return seconds


def playbook(work, name, text):
    path = os.path.join(work, name)
    with open(path, 'w', encoding='utf-8') as handle:
        handle.write(text)
    return path


def create(env, container):
    subprocess.run(
        [
            os.path.join(BIN, 'ansible'),
            'localhost',
            '-m',
            'ncloud.archive.archive_container',
            '-a',
            'name=%s' % container,
        ],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )


def drop(env, *containers):
    for container in containers:
        subprocess.run(
            [
                os.path.join(BIN, 'ansible'),
                'localhost',
                '-m',
                'ncloud.archive.archive_container',
                '-a',
                'name=%s state=absent force=true' % container,
            ],
            env=env,
            check=False,
            stdout=subprocess.DEVNULL,
        )


def one_round(work, env, number, stamp, size):
    """CLI and archive_sync on fresh containers, both directions; the order alternates."""
    ours = 'bench-tree-sync-%s-%d' % (stamp.lower(), number)
    theirs = 'bench-tree-cli-%s-%d' % (stamp.lower(), number)
    tree = os.path.join(work, 'tree')
    swift = os.path.join(BIN, 'swift')
    ansible_playbook = os.path.join(BIN, 'ansible-playbook')
    up = playbook(work, 'up-%d.yml' % number, SYNC_PLAYBOOK.format(mode='upload', path=tree, container=ours))
    down = playbook(
        work,
        'down-%d.yml' % number,
        SYNC_PLAYBOOK.format(mode='download', path=os.path.join(work, 'ours-%d' % number), container=ours),
    )
    role = playbook(work, 'role-%d.yml' % number, ROLE_PLAYBOOK.format(src=tree, container=ours))
    floor = playbook(work, 'floor.yml', FLOOR_PLAYBOOK)
    times = {}

    def cli():
        times['cli_upload_s'] = timed([swift, 'upload', theirs, 'tree'], cwd=work, env=env, moves=size)
        times['cli_upload_noop_s'] = timed([swift, 'upload', '--skip-identical', theirs, 'tree'], cwd=work, env=env)
        target = os.path.join(work, 'theirs-%d' % number)
        times['cli_restore_s'] = timed([swift, 'download', theirs, '-D', target], env=env, moves=size)
        times['cli_restore_noop_s'] = timed([swift, 'download', '--skip-identical', theirs, '-D', target], env=env)

    def sync():
        times['sync_upload_s'] = timed([ansible_playbook, up], env=env, expect='uploaded=%d ' % FILES, moves=size)
        times['sync_upload_noop_s'] = timed([ansible_playbook, up], env=env, expect='uploaded=0 ')
        times['role_noop_s'] = timed([ansible_playbook, role], env=env, expect=': 0 uploaded')
        times['sync_restore_s'] = timed([ansible_playbook, down], env=env, expect='downloaded=%d"' % FILES, moves=size)
        times['sync_restore_noop_s'] = timed([ansible_playbook, down], env=env, expect='downloaded=0"')
        alone_path = os.path.join(work, 'alone-%d' % number)
        alone = module_run(env, dict(module_auth(env), mode='download', path=alone_path, container=ours), moves=size)
        assert alone[2]['summary']['downloaded'] == FILES, alone[2]['summary']
        times['module_restore_s'] = alone[0]
        times['playbook_floor_s'] = timed([ansible_playbook, floor], env=env, expect='the floor of ansible-playbook')

    try:
        create(env, ours)
        for contender in (cli, sync) if number % 2 else (sync, cli):
            contender()
    finally:
        drop(env, ours, ours + '_segments', theirs)
        for name in ('ours-%d' % number, 'theirs-%d' % number, 'alone-%d' % number):
            shutil.rmtree(os.path.join(work, name), ignore_errors=True)
    times = dict((key, round(value, 2)) for key, value in times.items())
    times.update(
        upload_first=round(times['sync_upload_s'] / times['cli_upload_s'], 3),
        upload_noop=round(times['sync_upload_noop_s'] / times['cli_upload_noop_s'], 3),
        role_noop=round(times['role_noop_s'] / times['cli_upload_noop_s'], 3),
        restore_first=round(times['sync_restore_s'] / times['cli_restore_s'], 3),
        restore_noop=round(times['sync_restore_noop_s'] / times['cli_restore_noop_s'], 3),
        restore_module=round(times['module_restore_s'] / times['cli_restore_s'], 3),
    )
    return times


def module_run(env, args, moves=0):
    """(seconds, peak RSS in MiB, result) of one archive_sync module process; ``moves`` as
    for ``timed``."""
    args_file = os.path.join(tempfile.mkdtemp(prefix='sync-args-'), 'args.json')
    with open(args_file, 'w', encoding='utf-8') as handle:
        json.dump({'ANSIBLE_MODULE_ARGS': args}, handle)
    module = os.path.join(
        COLLECTIONS, 'ansible_collections', 'ncloud', 'archive', 'plugins', 'modules', 'archive_sync.py'
    )
    # A wrapper process per run, so that its RUSAGE_CHILDREN high-water mark is this module's.
    wrapper = (
        'import json, resource, subprocess, sys, time; t = time.monotonic(); '
        'out = subprocess.run(sys.argv[1:], check=True, stdout=subprocess.PIPE).stdout; '
        'print(json.dumps([time.monotonic() - t, '
        'resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0, json.loads(out)]))'
    )
    prime(moves)
    done = subprocess.run(
        [os.path.join(BIN, 'python'), '-c', wrapper, os.path.join(BIN, 'python'), module, args_file],
        env=dict(env, PYTHONPATH=COLLECTIONS),
        check=True,
        stdout=subprocess.PIPE,
    )
    return json.loads(done.stdout)


LISTING = """
import hashlib, os, sys
from swiftclient.client import Connection
conn = Connection(authurl=os.environ['OS_AUTH_URL'], user=os.environ['OS_USERNAME'],
                  key=os.environ['OS_PASSWORD'], auth_version='3',
                  os_options=dict(project_id=os.environ['OS_PROJECT_ID'],
                                  user_domain_id=os.environ['OS_USER_DOMAIN_ID']))
rows = conn.get_container(sys.argv[1], full_listing=True)[1]
stamps = sorted((r['name'], r['last_modified'], r['hash']) for r in rows)
print(len(rows), hashlib.sha256(repr(stamps).encode()).hexdigest())
"""


def listing_stamps(env, container):
    """Object count and a digest of every (name, last_modified, hash) of ``container``."""
    return subprocess.run(
        [os.path.join(BIN, 'python'), '-c', LISTING, container], env=env, check=True, stdout=subprocess.PIPE
    ).stdout


def module_auth(env):
    """The auth options of a module run, from the lab's OS_* variables."""
    return dict(
        auth_url=env['OS_AUTH_URL'],
        access_key=env['OS_USERNAME'],
        secret_key=env['OS_PASSWORD'],
        project_id=env['OS_PROJECT_ID'],
        domain_id=env['OS_USER_DOMAIN_ID'],
    )


def scale(work, env, stamp):
    tree = os.path.join(work, 'scale')
    make_tree(tree, SCALE_FILES, 100, small=True)
    ours = 'bench-scale-%s' % stamp.lower()
    auth = module_auth(env)
    swift = os.path.join(BIN, 'swift')
    try:
        create(env, ours)
        # prefix 'scale/' names the objects as `swift upload C scale` does, so the CLI's
        # no-op runs on the same objects: each is HEADed and its ETag matches the local md5.
        first = module_run(env, dict(auth, path=tree, container=ours, prefix='scale/'))
        assert first[2]['summary']['uploaded'] == SCALE_FILES, first[2]['summary']
        noop = module_run(env, dict(auth, path=tree, container=ours, prefix='scale/'))
        assert noop[2]['summary']['uploaded'] == 0, noop[2]['summary']
        before = listing_stamps(env, ours)
        cli_noop = timed([swift, 'upload', '--skip-identical', ours, 'scale'], cwd=work, env=env)
        if listing_stamps(env, ours) != before:
            raise SystemExit('the CLI rewrote objects in its no-op run of %s' % ours)
    finally:
        drop(env, ours, ours + '_segments')
    return {
        'files': SCALE_FILES,
        'sync_first_s': round(first[0], 2),
        'sync_first_rss_mib': round(first[1], 1),
        'sync_noop_s': round(noop[0], 2),
        'sync_noop_rss_mib': round(noop[1], 1),
        'cli_noop_s': round(cli_noop, 2),
        'scale_noop': round(noop[0] / cli_noop, 3),
    }


def main():
    work = tempfile.mkdtemp(prefix='ncloud-archive-tree-')
    stamp = time.strftime('%Y%m%dT%H%M%S')
    env = dict(
        os.environ,
        ANSIBLE_COLLECTIONS_PATH=COLLECTIONS,
        ANSIBLE_HOME=os.path.join(REPO, 'build', 'ansible-home'),
        ANSIBLE_PYTHON_INTERPRETER=os.path.join(BIN, 'python'),
        ANSIBLE_LOCALHOST_WARNING='false',
        ANSIBLE_INVENTORY_UNPARSED_WARNING='false',
    )
    try:
        total = make_tree(os.path.join(work, 'tree'), FILES, DIRS)
        print(
            'tree: %d files in %d directories, %.0f MiB; %d round(s), the order alternates'
            % (FILES, DIRS, total / 1048576.0, ROUNDS)
        )
        rounds = []
        for number in range(1, ROUNDS + 1):
            rounds.append(one_round(work, env, number, stamp, total))
            print('round %d: %s' % (number, json.dumps(rounds[-1], sort_keys=True)))
        result = {'files': FILES, 'directories': DIRS, 'bytes': total, 'nproc': os.cpu_count(), 'rounds': rounds}
        for key in ('upload_first', 'upload_noop', 'role_noop', 'restore_first', 'restore_noop', 'restore_module'):
            if rounds:
                result[key] = statistics.median([r[key] for r in rounds])
        if SCALE_FILES:
            result['scale'] = scale(work, env, stamp)
            result['scale_noop'] = result['scale']['scale_noop']
            print('scale: %s' % json.dumps(result['scale'], sort_keys=True))
        print('%-52s %s' % ('median ratio of the rounds (archive_sync / CLI)', 'target'))
        for key, label in (
            ('upload_first', 'upload, first run / swift upload'),
            ('upload_noop', 'upload, no-op / swift upload --skip-identical'),
            ('role_noop', 'archive_upload role, no-op / same'),
            ('restore_first', 'restore into an empty directory / swift download'),
            ('restore_noop', 'restore, no-op / swift download --skip-identical'),
            ('restore_module', 'restore, the module process alone / swift download'),
            ('scale_noop', '%d files, no-op upload / CLI' % SCALE_FILES),
        ):
            if key in result:
                target = TARGETS.get(key)
                print(
                    '%-52s %6.3f  %s'
                    % (
                        label,
                        result[key],
                        '<= %.2f %s' % (target, 'met' if result[key] <= target else 'NOT MET') if target else '',
                    )
                )
        if SCALE_FILES:
            rss = result['scale']['sync_noop_rss_mib']
            verdict = 'met' if rss <= 150 else 'NOT MET'
            print('%-52s %6.1f  <= 150 MiB %s' % ('peak RSS of the no-op module (MiB)', rss, verdict))
        if rounds:
            floor = statistics.median([r['playbook_floor_s'] for r in rounds])
            print('%-52s %6.2f' % ('ansible-playbook of one debug task (s)', floor))
        os.makedirs(os.path.join(REPO, 'benchmarks', 'results'), exist_ok=True)
        with open(os.path.join(REPO, 'benchmarks', 'results', 'tree-%s.json' % stamp), 'w', encoding='utf-8') as handle:
            json.dump(result, handle, indent=2)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
