#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ncloud.archive contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test helper: the requests clients sent to the lab's proxy, from its log.

Usage: client_requests.py PROXY_LOG FIRST_LINE
Prints a JSON list of "METHOD container/object?query" (unquoted, account left out) of the
requests logged from line FIRST_LINE (1-based) on that came from a client; the proxy's own
subrequests (a copy's GET, an SLO's segment reads) are logged without a client address and
left out. These are the requests a user is billed for.
"""

from __future__ import annotations

import json
import sys
from urllib.parse import unquote


def main():
    log, first = sys.argv[1], int(sys.argv[2])
    found = []
    with open(log, encoding='utf-8', errors='replace') as handle:
        for number, line in enumerate(handle, 1):
            fields = line.split()
            if number < first or len(fields) < 6 or fields[0] != 'proxy-server:' or fields[1] == '-':
                continue
            method, path = fields[4], unquote(fields[5])
            parts = path.split('/', 3)
            found.append('%s %s' % (method, parts[3] if len(parts) > 3 else ''))
    print(json.dumps(found))


if __name__ == '__main__':
    main()
