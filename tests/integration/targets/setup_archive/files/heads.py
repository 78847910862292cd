#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ncloud.archive contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test helper: HEAD objects straight through python-swiftclient, not through the modules.

Usage: heads.py CONTAINER PREFIX   (credentials from the OS_* environment)
Prints JSON {name: {"delete_at": int or null, "etag": str}} of every object listed under
PREFIX (null for one that is listed but answers 404: expired, not yet reaped), so a test
checks what Swift stores with a client other than the one under test.
"""

from __future__ import annotations

import json
import sys

import lab_session
from swiftclient import client


def main():
    container, prefix = sys.argv[1], sys.argv[2]
    conn = lab_session.connection()
    found = {}
    try:
        listing = conn.get_container(container, prefix=prefix, full_listing=True)[1]
    except client.ClientException as exc:
        if exc.http_status != 404:
            raise
        listing = []
    for entry in listing:
        try:
            headers = conn.head_object(container, entry['name'])
        except client.ClientException as exc:
            if exc.http_status != 404:
                raise
            found[entry['name']] = None  # listed, but expired or deleted: not reaped yet
            continue
        delete_at = headers.get('x-delete-at')
        found[entry['name']] = {
            'delete_at': int(delete_at) if delete_at else None,
            'etag': headers.get('etag', '').strip('"'),
        }
    print(json.dumps(found, sort_keys=True))


if __name__ == '__main__':
    main()
