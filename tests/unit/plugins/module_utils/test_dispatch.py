# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ncloud.archive contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A plan's actions are carried out by one table per module: an action that nothing carries
out is a bug, and it stops the run before anything is done."""

from __future__ import annotations

import pytest

from ansible_collections.ncloud.archive.plugins.module_utils import _plan
from ansible_collections.ncloud.archive.plugins.module_utils._errors import ArchiveError


def test_dispatch_runs_each_action_in_order_with_its_arguments():
    done = []
    _plan.dispatch(
        [('put', {'h': 1}, 'text/plain'), ('post', {'x': 2}), ('delete',)],
        {
            'put': lambda headers, content_type: done.append(('put', headers, content_type)),
            'post': lambda headers: done.append(('post', headers)),
            'delete': lambda: done.append(('delete',)),
        },
    )
    assert done == [('put', {'h': 1}, 'text/plain'), ('post', {'x': 2}), ('delete',)]


def test_an_unknown_action_raises_before_anything_is_done():
    done = []
    with pytest.raises(ArchiveError, match=r"action\(s\) cleanup, manifest that nothing carries out"):
        _plan.dispatch(
            [('upload', []), ('manifest',), ('cleanup',)],
            {'upload': lambda jobs: done.append('upload')},
        )
    assert done == []


def test_grouped_gives_every_kind_and_refuses_others():
    actions = [('mkdir', 'a'), ('get', {'n': 1}), ('mkdir', 'b')]
    assert _plan.grouped(actions, ('mkdir', 'get', 'remove')) == {
        'mkdir': [('a',), ('b',)],
        'get': [({'n': 1},)],
        'remove': [],
    }
    with pytest.raises(ArchiveError, match='remove_temp'):
        _plan.grouped(actions + [('remove_temp', 'x')], ('mkdir', 'get'))
