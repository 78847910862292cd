# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ncloud.archive contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark of the archive_upload role on a 1,000-file tree against the swift CLI.

Run it with benchmarks/run-tree (lab up, .venv present). Prints the times and the ratios
role / CLI for the first upload and for a no-op re-run (CLI: --skip-identical), both measured
in the same run, and writes benchmarks/results/tree-<timestamp>.json.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(REPO, '.venv', 'bin')
FILES = int(os.environ.get('TREE_FILES', '1000'))
DIRS = int(os.environ.get('TREE_DIRS', '20'))

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


def timed(argv, cwd=None, env=None):
    start = time.monotonic()
    subprocess.run(argv, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.monotonic() - start


def main():
    work = tempfile.mkdtemp(prefix='ncloud-archive-tree-')
    stamp = time.strftime('%Y%m%dT%H%M%S')
    role_container, cli_container = 'bench-tree-role-' + stamp.lower(), 'bench-tree-cli-' + stamp.lower()
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(REPO, 'build', 'collections'),
               ANSIBLE_HOME=os.path.join(REPO, 'build', 'ansible-home'),
               ANSIBLE_PYTHON_INTERPRETER=os.path.join(BIN, 'python'))
    try:
        total = make_tree(os.path.join(work, 'tree'))
        playbook = os.path.join(work, 'upload.yml')
        with open(playbook, 'w', encoding='utf-8') as handle:
            handle.write(PLAYBOOK.format(src=os.path.join(work, 'tree'), container=role_container))
        swift = os.path.join(BIN, 'swift')
        cli_first = timed([swift, 'upload', cli_container, 'tree'], cwd=work, env=env)
        cli_noop = timed([swift, 'upload', '--skip-identical', cli_container, 'tree'], cwd=work, env=env)
        role_first = timed([os.path.join(BIN, 'ansible-playbook'), playbook], env=env)
        role_noop = timed([os.path.join(BIN, 'ansible-playbook'), playbook], env=env)
        result = {
            'files': FILES, 'directories': DIRS, 'bytes': total, 'nproc': os.cpu_count(),
            'cli_first_s': round(cli_first, 2), 'cli_skip_identical_s': round(cli_noop, 2),
            'role_first_s': round(role_first, 2), 'role_noop_s': round(role_noop, 2),
            'first_ratio': round(role_first / cli_first, 2),
            'noop_ratio': round(role_noop / cli_noop, 2),
        }
        print('tree: %d files in %d directories, %.0f MiB' % (FILES, DIRS, total / 1048576.0))
        print('%-40s %8s' % ('', 'seconds'))
        print('%-40s %8.2f' % ('swift upload (CLI defaults)', cli_first))
        print('%-40s %8.2f' % ('archive_upload role, first upload', role_first))
        print('%-40s %8.2f' % ('swift upload --skip-identical (no-op)', cli_noop))
        print('%-40s %8.2f' % ('archive_upload role, no-op re-run', role_noop))
        print('first upload: role / CLI = %.2f (target <= 1.5)' % result['first_ratio'])
        print('no-op re-run: role / CLI --skip-identical = %.2f (target <= 1.0)' % result['noop_ratio'])
        os.makedirs(os.path.join(REPO, 'benchmarks', 'results'), exist_ok=True)
        with open(os.path.join(REPO, 'benchmarks', 'results', 'tree-%s.json' % stamp), 'w',
                  encoding='utf-8') as handle:
            json.dump(result, handle, indent=2)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        for container in (role_container, cli_container):
            subprocess.run([os.path.join(BIN, 'ansible'), 'localhost', '-m',
                            'ncloud.archive.archive_container', '-a',
                            'name=%s state=absent force=true' % container],
                           env=env, check=False, stdout=subprocess.DEVNULL)
    return 0


if __name__ == '__main__':
    sys.exit(main())
