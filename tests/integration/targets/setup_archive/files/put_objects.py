#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ncloud.archive contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test helper: create COUNT small objects PREFIX000000... in CONTAINER, 8 PUTs at a time.

Usage: put_objects.py CONTAINER PREFIX COUNT   (credentials from the OS_* environment)
Object i holds the text "<i>\\n". Prints the container's object count afterwards.
"""

from __future__ import annotations

import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import lab_session


def main():
    container, prefix, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    shared = lab_session.session()
    local = threading.local()

    def connection():
        if not hasattr(local, 'conn'):
            local.conn = lab_session.connection(shared)
        return local.conn

    connection().put_container(container)

    def put(index):
        connection().put_object(container, '%s%06d' % (prefix, index), contents='%d\n' % index)

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(put, range(count)))
    print(connection().head_container(container)['x-container-object-count'])


if __name__ == '__main__':
    main()
