"""Open the built docs site in headless Chromium and check every module and role page.

Usage: python docs_check.py HTML_DIR COLLECTION_DIR CHROMIUM

The site is served on 127.0.0.1 (as a reader's browser gets it, not from file://). For every
module of the action group in meta/runtime.yml and every role under roles/, the page that
Chromium renders must hold the options table with one entry per option of the module's
argument spec (from ansible-doc) or of the role's meta/argument_specs.yml; the guide must
render too. A screenshot of the index goes to HTML_DIR/../index.png.
"""

import functools
import http.server
import json
import os
import subprocess
import sys
import tempfile
import threading

import yaml

FLAGS = [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
]


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def chromium(browser, *args):
    with tempfile.TemporaryDirectory(prefix='docs-check-chromium-') as profile:
        done = subprocess.run(
            [browser] + FLAGS + ['--user-data-dir=%s' % profile] + list(args),
            capture_output=True,
            timeout=120,
            check=False,
        )
    if done.returncode != 0:
        raise SystemExit('chromium %s failed (%d): %s' % (args[-1], done.returncode, done.stderr.decode()[-2000:]))
    return done.stdout.decode('utf-8', 'replace')


def module_options(collection, module):
    done = subprocess.run(
        ['ansible-doc', '--json', 'ncloud.archive.%s' % module],
        stdout=subprocess.PIPE,
        check=True,
        env=dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.dirname(os.path.dirname(os.path.dirname(collection)))),
    )
    doc = json.loads(done.stdout)['ncloud.archive.%s' % module]['doc']
    return ['parameter-%s' % name for name in doc['options']]


def role_options(collection, role):
    with open(os.path.join(collection, 'roles', role, 'meta', 'argument_specs.yml'), encoding='utf-8') as handle:
        specs = yaml.safe_load(handle)['argument_specs']
    return ['parameter-%s--%s' % (entry, name) for entry, spec in specs.items() for name in spec['options']]


def main(html, collection, browser):
    handler = functools.partial(QuietHandler, directory=html)
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = 'http://127.0.0.1:%d/' % server.server_address[1]
    with open(os.path.join(collection, 'meta', 'runtime.yml'), encoding='utf-8') as handle:
        modules = yaml.safe_load(handle)['action_groups']['archive']
    roles = sorted(os.listdir(os.path.join(collection, 'roles')))
    pages = [('%s_module.html' % m, module_options(collection, m)) for m in modules]
    pages += [('%s_role.html' % r, role_options(collection, r)) for r in roles]
    problems = []
    try:
        for page, ids in pages:
            dom = chromium(browser, '--dump-dom', base + 'collections/ncloud/archive/' + page)
            missing = [i for i in ids if 'id="%s"' % i not in dom]
            if 'ansible-option-table' not in dom or missing:
                problems.append(
                    '%s: options table %s; missing %s'
                    % (page, 'present' if 'ansible-option-table' in dom else 'absent', missing)
                )
            else:
                print('ok   %-32s options table with all %d options' % (page, len(ids)))
        guide = chromium(browser, '--dump-dom', base + 'collections/ncloud/archive/docsite/getting_started.html')
        if 'Getting started with NAVER Cloud Archive Storage' not in guide or 'archive_slo' not in guide:
            problems.append('docsite/getting_started.html: the guide did not render')
        else:
            print('ok   %-32s the guide' % 'docsite/getting_started.html')
        shot = os.path.join(os.path.dirname(os.path.abspath(html)), 'index.png')
        chromium(browser, '--window-size=1280,1400', '--screenshot=%s' % shot, base + 'index.html')
        if not os.path.getsize(shot):
            problems.append('the screenshot of the index is empty')
        print('screenshot of the index: %s' % shot)
    finally:
        server.shutdown()
    if problems:
        raise SystemExit('docs check failed:\n  ' + '\n  '.join(problems))
    return 0


if __name__ == '__main__':
    sys.exit(main(*sys.argv[1:]))
