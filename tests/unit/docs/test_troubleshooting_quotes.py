# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ncloud.archive contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The messages that docs/docsite/rst/troubleshooting.rst quotes are the modules' real ones.

The page's convention: every line of every ``.. code-block:: text`` block is one quoted
message, the fixed text of one message string of the code under plugins/, with ``...`` where
the code fills in a value. A quote is found when its pieces (split at ``...``) occur, in that
order, in one string literal of plugins/ (adjacent literals joined, as Python joins them;
docstrings and the DOCUMENTATION, EXAMPLES and RETURN texts left out). So the page fails
this test the day a message it quotes changes, and every HTTP status hint must be on it.
"""

from __future__ import annotations

import ast
import os
import re

import pytest

from ansible_collections.ncloud.archive.plugins.module_utils import _connection

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
PAGE = os.path.join(ROOT, 'docs', 'docsite', 'rst', 'troubleshooting.rst')
PLUGINS = os.path.join(ROOT, 'plugins')
BLOCK_RE = re.compile(r'^\.\. code-block:: text\n\n((?:(?:   .*)?\n)+)', re.M)
DOC_NAMES = {'DOCUMENTATION', 'EXAMPLES', 'RETURN', 'ATTRIBUTES', 'INFO_ATTRIBUTES'}
GAP = '...'


def page_quotes(text):
    """Every line of the page's ``text`` code blocks, unindented."""
    return [line.strip() for body in BLOCK_RE.findall(text) for line in body.splitlines() if line.strip()]


def _doc_nodes(tree):
    """The string nodes of ``tree`` that are documentation, not messages."""
    skip = set()
    for node in ast.walk(tree):
        body = getattr(node, 'body', None)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef)) and body:
            first = body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                skip.add(id(first.value))
        if isinstance(node, ast.Assign) and any(getattr(t, 'id', None) in DOC_NAMES for t in node.targets):
            skip.add(id(node.value))
    return skip


def code_strings(root):
    """Every string literal of the Python files under ``root``, but documentation."""
    strings = []
    for directory, _dirs, files in os.walk(root):
        for name in sorted(files):
            if not name.endswith('.py'):
                continue
            with open(os.path.join(directory, name), encoding='utf-8') as handle:
                tree = ast.parse(handle.read())
            skip = _doc_nodes(tree)
            strings += [
                node.value.replace('%%', '%')
                for node in ast.walk(tree)
                if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip
            ]
    return strings


def found(quote, strings):
    """Whether the pieces of ``quote`` occur, in order, in one of ``strings``."""
    pattern = re.compile('.*?'.join(re.escape(piece) for piece in quote.split(GAP)), re.S)
    return any(pattern.search(text) for text in strings)


with open(PAGE, encoding='utf-8') as _handle:
    QUOTES = page_quotes(_handle.read())
STRINGS = code_strings(PLUGINS)


def test_the_page_quotes_messages():
    # A page whose blocks the pattern no longer finds must not pass for a page without errors.
    assert len(QUOTES) >= 40, QUOTES


@pytest.mark.parametrize('quote', QUOTES, ids=lambda q: q[:60])
def test_quote_is_a_message_of_the_code(quote):
    assert max(len(piece.strip()) for piece in quote.split(GAP)) >= 10, 'a quote must hold some fixed text'
    assert found(quote, STRINGS), 'no message string under plugins/ reads %r (with %r for a value)' % (quote, GAP)


@pytest.mark.parametrize('status', sorted(_connection._STATUS_HINTS))
def test_every_status_hint_is_quoted(status):
    assert _connection._STATUS_HINTS[status] in QUOTES


def test_a_changed_message_is_not_found():
    # The matching itself: fixed text must match exactly, values only where the quote says.
    strings = ["container '%s' still holds %d object(s): set force=true to delete them"]
    assert found("container '...' still holds ... object(s): set force=true to delete them", strings)
    assert not found("container '...' still holds ... objects: set force=true to delete them", strings)
    assert not found("container 'a' still holds ... object(s): set force=true", strings)
    assert not found("... object(s): set force=true to ... container '...'", strings)


def test_documentation_is_not_a_message():
    tree = ast.parse('"""Module doc."""\nDOCUMENTATION = "docs"\nx = "message"\n')
    assert [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and id(n) not in _doc_nodes(tree)] == [
        'message'
    ]
