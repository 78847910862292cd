# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ncloud.archive contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run the getting-started guide against the lab, as written.

Every ``yaml+jinja`` block of the guide runs, and every ``ansible`` command line of its
console blocks. Only two things are changed: absolute paths (``/var/...``, ``/srv/...``) move
under a scratch directory that holds the files they name, and every host is one local host,
``db01``, in each group the plays name. Each task list runs twice: the second run must report
``changed: false`` for each of its archive tasks, as the guide promises. The backup play and
the restore play then run, and the restored tree must equal the one backed up, empty
directories and mtimes included. The guide's containers (``backups``, ``old-backups``) are
deleted before and after: this runs against the lab only.

Usage: guide_check.py GUIDE   (the lab's OS_* variables in the environment; ansible-playbook
and ansible beside this Python, the collection on ANSIBLE_COLLECTIONS_PATH)
"""

import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import textwrap

import yaml

BIN = os.path.dirname(sys.executable)
CONTAINERS = ('backups', 'old-backups')
MODULE_PREFIX = 'ncloud.archive.'


def blocks(text, language):
    """The bodies of the guide's ``.. code-block:: <language>`` directives, dedented."""
    pattern = r'^\.\. code-block:: %s\n\n((?:(?:   .*)?\n)+)' % re.escape(language)
    return [textwrap.dedent(body) for body in re.findall(pattern, text, re.M)]


def relocate(value, root):
    """The same data with every absolute /var/ or /srv/ path moved under ``root``."""
    if isinstance(value, dict):
        return {key: relocate(item, root) for key, item in value.items()}
    if isinstance(value, list):
        return [relocate(item, root) for item in value]
    if isinstance(value, str) and value.startswith(('/var/', '/srv/')):
        return root + value
    return value


def archive_task(task):
    return any(key.startswith(MODULE_PREFIX) for key in task)


def twice(number, tasks):
    """The block's tasks, then its archive tasks again, then an assert that those changed nothing."""
    again = []
    for index, task in enumerate(tasks):
        if archive_task(task):
            repeat = dict(task, name='again: %s' % task.get('name', index), register='guide_%d_%d' % (number, index))
            again.append(repeat)
    checks = ['guide_%d_%d is not changed' % (number, index) for index, task in enumerate(tasks) if archive_task(task)]
    check = {
        'name': 'guide block %d: the second run changed nothing' % number,
        'ansible.builtin.assert': {'that': checks},
    }
    return tasks + again + [check]


def make_files(root):
    """The files the guide's tasks name, under ``root``; returns the tree the backup play archives."""
    os.makedirs(os.path.join(root, 'var', 'lib', 'images'))
    tree = os.path.join(root, 'var', 'backups', 'db')
    for rel in ('base/0001.dat', 'base/0002.dat', 'wal/000000010000000000000001', 'empty/'):
        path = os.path.join(tree, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if not rel.endswith('/'):
            with open(path, 'wb') as handle:
                handle.write(os.urandom(20000))
    for rel, size in (('var/backups/db.dump', 300000), ('var/lib/images/vm.qcow2', 3 << 20)):
        with open(os.path.join(root, rel), 'wb') as handle:
            handle.write(os.urandom(size))
    os.utime(os.path.join(tree, 'base', '0001.dat'), (1700000000, 1700000000))
    return tree


def tree_facts(top):
    """Relative path -> (kind, bytes, mtime) of every directory and file under ``top``."""
    facts = {}
    for directory, dirs, files in os.walk(top):
        for name in dirs:
            facts[os.path.relpath(os.path.join(directory, name), top) + '/'] = 'dir'
        for name in files:
            path = os.path.join(directory, name)
            with open(path, 'rb') as handle:
                facts[os.path.relpath(path, top)] = (handle.read(), int(os.stat(path).st_mtime))
    return facts


def run(argv, cwd):
    print('+ ' + ' '.join(shlex.quote(arg) for arg in argv), flush=True)
    done = subprocess.run(argv, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False)
    if done.returncode != 0:
        sys.stdout.write(done.stdout)
        raise SystemExit('guide_check: %s failed (exit %d)' % (argv[0], done.returncode))
    recap = done.stdout[done.stdout.find('PLAY RECAP') :] if 'PLAY RECAP' in done.stdout else done.stdout[-2000:]
    sys.stdout.write(recap)
    return done.stdout


def main():
    with open(sys.argv[1], encoding='utf-8') as handle:
        text = handle.read()
    work = tempfile.mkdtemp(prefix='ncloud-archive-guide-')
    root = os.path.join(work, 'root')
    source = make_files(root)

    task_blocks, plays = [], []
    for body in blocks(text, 'yaml+jinja'):
        data = relocate(yaml.safe_load(body), root)
        if 'hosts' in data[0]:
            plays.extend(data)
        else:
            task_blocks.append(data)
    if len(task_blocks) < 10 or len(plays) < 3:
        raise SystemExit('guide_check: found %d task lists and %d plays in the guide' % (len(task_blocks), len(plays)))

    groups = sorted(set(play['hosts'] for play in plays))
    inventory = {
        'all': {
            'hosts': {'db01': {'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable}},
            'children': {group: {'hosts': {'db01': {}}} for group in groups},
        }
    }
    # The credentials of the module_defaults play, from the lab's environment.
    credentials = {
        'ncloud_access_key': os.environ['OS_USERNAME'],
        'ncloud_secret_key': os.environ['OS_PASSWORD'],
        'ncloud_project_id': os.environ['OS_PROJECT_ID'],
        'ncloud_domain_id': os.environ['OS_USER_DOMAIN_ID'],
    }
    tidy = {
        'hosts': 'db01',
        'gather_facts': False,
        'tasks': [
            {
                'name': 'The guide containers go',
                'ncloud.archive.archive_container': {'name': '{{ item }}', 'state': 'absent', 'force': True},
                'loop': list(CONTAINERS),
            }
        ],
    }
    recipes = {'hosts': 'db01', 'gather_facts': False, 'tasks': []}
    for number, tasks in enumerate(task_blocks):
        recipes['tasks'].extend(twice(number, tasks))
    backup, restore = plays[-2], plays[-1]
    for name, content in (
        ('inventory.json', inventory),
        ('credentials.json', credentials),
        ('tidy.yml', [tidy]),
        ('guide.yml', [tidy] + plays[:-2] + [recipes, backup, restore]),
    ):
        with open(os.path.join(work, name), 'w', encoding='utf-8') as handle:
            json.dump(content, handle, indent=1)

    playbook = [os.path.join(BIN, 'ansible-playbook'), '-i', 'inventory.json', '-e', '@credentials.json']
    try:
        run(playbook + ['guide.yml'], work)
        for body in blocks(text, 'console'):
            for line in body.splitlines():
                if line.startswith('$ ansible '):
                    argv = shlex.split(line[2:])
                    run([os.path.join(BIN, argv[0])] + argv[1:], work)
        restored = restore['roles'][0]['vars']['archive_download_dest']
        want, got = tree_facts(source), tree_facts(restored)
        if want != got:
            names = sorted(set(want) ^ set(got))
            raise SystemExit(
                'guide_check: the restored tree differs from the backup: %s'
                % (', '.join(names) if names else 'the same names, other bytes or mtimes')
            )
        print(
            'guide_check: %d task lists (each run twice) and %d plays ran; the restore equals the backup'
            % (len(task_blocks), len(plays))
        )
    finally:
        run(playbook + ['tidy.yml'], work)
        subprocess.run(['rm', '-rf', work], check=False)


if __name__ == '__main__':
    main()
