#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ncloud.archive contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test helper: print what a restore must reproduce of a tree, as JSON.

Usage: tree_facts.py DIR [--no-mtime]
{relative path: [md5, size, mtime in whole seconds]} for files, {relative path: 'dir'} for
directories; symlinks are left out (archive_sync skips them).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys


def main():
    root = sys.argv[1]
    facts = {}
    for top, dirs, files in os.walk(root):
        for name in dirs:
            path = os.path.join(top, name)
            if not os.path.islink(path):
                facts[os.path.relpath(path, root)] = 'dir'
        for name in files:
            path = os.path.join(top, name)
            if os.path.islink(path):
                continue
            with open(path, 'rb') as handle:
                digest = hashlib.md5(handle.read()).hexdigest()
            info = os.stat(path)
            facts[os.path.relpath(path, root)] = [digest, info.st_size] + (
                [] if '--no-mtime' in sys.argv else [int(info.st_mtime)]
            )
    print(json.dumps(facts, sort_keys=True))


if __name__ == '__main__':
    main()
