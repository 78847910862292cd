#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ncloud.archive contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test helper: PUT objects whose names have '.', '..' or empty path segments, over raw HTTP.

Usage: raw_put.py CONTAINER NAME...   (credentials from the OS_* environment)
http.client sends the path as given; swiftclient and requests would resolve the dot segments
before sending, and the object would land under another name. Each object holds b'evil'.
Prints the names Swift then lists under the first name's first segment.
"""

from __future__ import annotations

import http.client
import json
import sys
from urllib.parse import quote, urlsplit

import lab_session


def main():
    container, names = sys.argv[1], sys.argv[2:]
    shared = lab_session.session()
    token = shared.get_token()
    url = urlsplit(shared.get_endpoint(service_type='object-store', interface='public'))
    conn = http.client.HTTPConnection(url.hostname, url.port)
    for name in names:
        path = '%s/%s/%s' % (url.path.rstrip('/'), quote(container), quote(name, safe='/.'))
        conn.request('PUT', path, body=b'evil', headers={'X-Auth-Token': token})
        answer = conn.getresponse()
        answer.read()
        if answer.status != 201:
            sys.exit('PUT %s: %d %s' % (path, answer.status, answer.reason))
    conn.request(
        'GET',
        '%s/%s?format=json&prefix=%s' % (url.path.rstrip('/'), quote(container), quote(names[0].split('/')[0] + '/')),
        headers={'X-Auth-Token': token},
    )
    answer = conn.getresponse()
    print(json.dumps(sorted(entry['name'] for entry in json.loads(answer.read()))))


if __name__ == '__main__':
    main()
