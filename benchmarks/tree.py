# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ncloud.archive contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark of the archive_upload role on a 1,000-file tree against the swift CLI.

Run it with benchmarks/run-tree (lab up, .venv present, collection built: make bench-tree).
Each round uploads the tree with the swift CLI and with the role into fresh containers, then
repeats both (CLI: --skip-identical); the order alternates. Prints the times and the median of
the rounds' ratios role / CLI, and writes benchmarks/results/tree-<timestamp>.json.
TREE_FILES, TREE_DIRS and TREE_ROUNDS change the size of the run.
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

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(REPO, '.venv', 'bin')
FILES = int(os.environ.get('TREE_FILES', '1000'))
DIRS = int(os.environ.get('TREE_DIRS', '20'))
ROUNDS = int(os.environ.get('TREE_ROUNDS', '3'))

PLAYBOOK = """
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


def make_tree(root):
    rng = random.Random(20261126)
    total = 0
    for index in range(FILES):
        directory = os.path.join(root, 'd%02d' % (index % DIRS))
        os.makedirs(directory, exist_ok=True)
        size = rng.randint(1024, 1024 * 1024)
        with open(os.path.join(directory, 'f%04d.bin' % index), 'wb') as handle:
            handle.write(os.urandom(size))
        total += size
    return total


def timed(argv, cwd=None, env=None, expect=None):
    """Seconds ``argv`` took; its output must contain ``expect`` when given."""
    start = time.monotonic()
    done = subprocess.run(argv, cwd=cwd, env=env, check=True, stdout=subprocess.PIPE)
    seconds = time.monotonic() - start
    if expect and expect not in done.stdout.decode('utf-8', 'replace'):
        raise SystemExit('%s: %r not in its output:\n%s' % (argv[0], expect, done.stdout.decode()[-2000:]))
    return seconds


def one_round(work, env, number, stamp):
    """CLI and role on fresh containers; the order alternates from round to round."""
    role_container = 'bench-tree-role-%s-%d' % (stamp.lower(), number)
    cli_container = 'bench-tree-cli-%s-%d' % (stamp.lower(), number)
    playbook = os.path.join(work, 'upload-%d.yml' % number)
    with open(playbook, 'w', encoding='utf-8') as handle:
        handle.write(PLAYBOOK.format(src=os.path.join(work, 'tree'), container=role_container))
    swift = os.path.join(BIN, 'swift')
    ansible_playbook = os.path.join(BIN, 'ansible-playbook')
    times = {}

    def cli():
        times['cli_first_s'] = timed([swift, 'upload', cli_container, 'tree'], cwd=work, env=env)
        times['cli_skip_identical_s'] = timed([swift, 'upload', '--skip-identical', cli_container, 'tree'],
                                              cwd=work, env=env)

    def role():
        times['role_first_s'] = timed([ansible_playbook, playbook], env=env,
                                      expect=': %d uploaded (0 as SLO)' % FILES)
        times['role_noop_s'] = timed([ansible_playbook, playbook], env=env,
                                     expect=': 0 uploaded (0 as SLO), %d skipped as identical' % (FILES + min(FILES, DIRS)))

    try:
        for contender in ((cli, role) if number % 2 else (role, cli)):
            contender()
    finally:
        # The role also makes <container>_segments for its large files (none in this tree).
        for container in (role_container, role_container + '_segments', cli_container):
            subprocess.run([os.path.join(BIN, 'ansible'), 'localhost', '-m',
                            'ncloud.archive.archive_container', '-a',
                            'name=%s state=absent force=true' % container],
                           env=env, check=False, stdout=subprocess.DEVNULL)
    times = dict((key, round(value, 2)) for key, value in times.items())
    times['first_ratio'] = round(times['role_first_s'] / times['cli_first_s'], 2)
    times['noop_ratio'] = round(times['role_noop_s'] / times['cli_skip_identical_s'], 2)
    return times


def main():
    work = tempfile.mkdtemp(prefix='ncloud-archive-tree-')
    stamp = time.strftime('%Y%m%dT%H%M%S')
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(REPO, 'build', 'collections'),
               ANSIBLE_HOME=os.path.join(REPO, 'build', 'ansible-home'),
               ANSIBLE_PYTHON_INTERPRETER=os.path.join(BIN, 'python'),
               ANSIBLE_LOCALHOST_WARNING='false', ANSIBLE_INVENTORY_UNPARSED_WARNING='false')
    try:
        total = make_tree(os.path.join(work, 'tree'))
        print('tree: %d files in %d directories, %.0f MiB; %d round(s), the order alternates'
              % (FILES, DIRS, total / 1048576.0, ROUNDS))
        rounds = []
        for number in range(1, ROUNDS + 1):
            rounds.append(one_round(work, env, number, stamp))
            print('round %d: %s' % (number, json.dumps(rounds[-1], sort_keys=True)))
        result = {'files': FILES, 'directories': DIRS, 'bytes': total, 'nproc': os.cpu_count(),
                  'rounds': rounds,
                  'first_ratio': statistics.median([r['first_ratio'] for r in rounds]),
                  'noop_ratio': statistics.median([r['noop_ratio'] for r in rounds])}
        print('%-40s %s' % ('median seconds', ''))
        for key, label in (('cli_first_s', 'swift upload (CLI defaults)'),
                           ('role_first_s', 'archive_upload role, first upload'),
                           ('cli_skip_identical_s', 'swift upload --skip-identical (no-op)'),
                           ('role_noop_s', 'archive_upload role, no-op re-run')):
            print('%-40s %8.2f' % (label, statistics.median([r[key] for r in rounds])))
        print('first upload: role / CLI = %.2f (median of the rounds; target <= 1.5)' % result['first_ratio'])
        print('no-op re-run: role / CLI --skip-identical = %.2f (median of the rounds; target <= 1.0)'
              % result['noop_ratio'])
        os.makedirs(os.path.join(REPO, 'benchmarks', 'results'), exist_ok=True)
        with open(os.path.join(REPO, 'benchmarks', 'results', 'tree-%s.json' % stamp), 'w',
                  encoding='utf-8') as handle:
            json.dump(result, handle, indent=2)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
