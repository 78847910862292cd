"""Open the built docs site in headless Chromium and check every module and role page.

Usage: python docs_check.py HTML_DIR COLLECTION_DIR CHROMIUM

The site is served on 127.0.0.1 (as a reader's browser gets it, not from file://). For every
module of the action group in meta/runtime.yml and every role under roles/, the page that
Chromium renders must hold the options table with one entry per option of the module's
argument spec (from ansible-doc) or of the role's meta/argument_specs.yml. Every guide that
docs/docsite/extra-docs.yml lists (and at least those of GUIDES) must be linked from the
collection's index and render: its title as the page's heading, some paragraphs, and the
texts GUIDES expects of it. A screenshot of the index goes to HTML_DIR/../index.png.
"""

import functools
import html as html_text
import http.server
import json
import os
import re
import subprocess
import sys
import tempfile
import threading

import yaml

# The guides of docs/docsite that must be on the site, with texts each must show.
GUIDES = {
    'getting_started': ['archive_slo', 'module_defaults'],
    'nightly_backups': ['delete_after', 'RRULE:FREQ=DAILY', 'archive_download'],
    'troubleshooting': ['authentication failed: check access_key', 'progress_timeout', 'transaction id'],
}
SITE = 'collections/ncloud/archive/'
# Sphinx's smartquotes curl the quotes of prose; the rst has straight ones.
STRAIGHT_QUOTES = str.maketrans('\u2018\u2019\u201c\u201d', "''\"\"")

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


def guides(collection):
    """{name: title} of the guides that docs/docsite/extra-docs.yml lists, titles from their rst."""
    with open(os.path.join(collection, 'docs', 'docsite', 'extra-docs.yml'), encoding='utf-8') as handle:
        sections = yaml.safe_load(handle)['sections']
    found = {}
    for name in (entry for section in sections for entry in section['toctree']):
        with open(os.path.join(collection, 'docs', 'docsite', 'rst', name + '.rst'), encoding='utf-8') as handle:
            lines = handle.read().splitlines()
        found[name] = next(
            line for line, under in zip(lines, lines[1:]) if line.strip() and under and set(under) == {'='}
        )
    return found


def visible_text(dom):
    """The text of a rendered page's body, without tags, scripts and styles, whitespace collapsed."""
    body = re.sub(r'(?s)<(script|style)\b.*?</\1>', ' ', dom)
    text = html_text.unescape(re.sub(r'<[^>]+>', ' ', body)).translate(STRAIGHT_QUOTES)
    return ' '.join(text.split())


def check_guide(browser, base, name, title, index):
    """Problems of the rendered guide ``name`` (empty when it renders as it should)."""
    page = 'docsite/%s.html' % name
    if 'href="%s"' % page not in index:
        return ['%s: not linked from the collection index' % page]
    dom = chromium(browser, '--dump-dom', base + SITE + page)
    heading = re.search(r'(?s)<h1[^>]*>(.*?)</h1>', dom)
    # Without the heading's link to itself (an icon font's glyph).
    shown = heading and visible_text(re.sub(r'(?s)<a class="headerlink".*?</a>', '', heading.group(1)))
    problems = []
    if shown != title:
        problems.append('%s: no heading %r (found %r)' % (page, title, shown))
    paragraphs = len(re.findall(r'<p[ >]', dom))
    if paragraphs < 3:
        problems.append('%s: %d paragraphs rendered' % (page, paragraphs))
    text = visible_text(dom)
    problems += ['%s: %r is not shown' % (page, wanted) for wanted in GUIDES.get(name, ()) if wanted not in text]
    if not problems:
        print('ok   %-32s %r, %d paragraphs' % (page, title, paragraphs))
    return problems


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
            dom = chromium(browser, '--dump-dom', base + SITE + page)
            missing = [i for i in ids if 'id="%s"' % i not in dom]
            if 'ansible-option-table' not in dom or missing:
                problems.append(
                    '%s: options table %s; missing %s'
                    % (page, 'present' if 'ansible-option-table' in dom else 'absent', missing)
                )
            else:
                print('ok   %-32s options table with all %d options' % (page, len(ids)))
        listed = guides(collection)
        problems += ['docsite/%s.html: not in extra-docs.yml' % name for name in sorted(set(GUIDES) - set(listed))]
        index = chromium(browser, '--dump-dom', base + SITE + 'index.html')
        for name, title in listed.items():
            problems += check_guide(browser, base, name, title, index)
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
