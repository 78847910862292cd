#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ncloud.archive contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test helper: damage an archive the way bad luck or another client does, straight through
python-swiftclient (credentials from the OS_* environment), not through the modules.

Usage:
  damage.py replace CONTAINER NAME      PUT random bytes of the object's size over it, with no
                                        metadata (as curl or a careless script would)
  damage.py delete CONTAINER NAME       delete one object (a segment)
  damage.py expire CONTAINER NAME SECS  POST an X-Delete-At SECS seconds ahead
"""

from __future__ import annotations

import os
import sys
import time

import lab_session


def main():
    action, container, name = sys.argv[1:4]
    conn = lab_session.connection()
    if action == 'replace':
        size = int(conn.head_object(container, name)['content-length'])
        conn.put_object(container, name, os.urandom(size), content_type='application/octet-stream')
    elif action == 'delete':
        conn.delete_object(container, name)
    elif action == 'expire':
        conn.post_object(container, name, headers={'X-Delete-At': str(int(time.time()) + int(sys.argv[4]))})
    else:
        sys.exit('unknown action %r' % action)


if __name__ == '__main__':
    main()
