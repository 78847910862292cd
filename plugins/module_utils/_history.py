# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ncloud.archive contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""History: where the versions that a run replaces or deletes are kept, how they are named,
and which version of each path was live at a given time.

Internal use only: this file is not a public API of the collection. Plain Python: no
Ansible, no HTTP (docs/design.md, "History").

A version of object ``<name>`` in container ``<container>`` is kept, before it is replaced
or deleted, as the object ``<name>/<created>`` of the history container (by default
``<container>_history``), copied on the server (``PUT`` with ``X-Copy-From``; an SLO's or a
DLO's manifest only, with ``multipart-manifest=get``). ``<created>`` is the version's own
``last_modified`` (UTC, ``20261204T223000.123450Z``): the names sort by time, one prefix
listing returns a path's versions in order, and copying the same version twice (a killed run,
then its re-run) writes the same name. The moment the version stopped being live is the
history object's own ``last_modified``: the copy is made just before the replacement, on the
server's clock, like ``<created>``.
"""

from __future__ import annotations

import collections
import datetime
import math
import re

from ansible_collections.ncloud.archive.plugins.module_utils import _swift
from ansible_collections.ncloud.archive.plugins.module_utils._errors import ArchiveError

SUFFIX = '_history'
_UTC = datetime.timezone.utc
_STAMP_RE = re.compile(r'^(\d{8}T\d{6})(?:\.(\d{1,6}))?Z$')
_LISTED_RE = re.compile(r'^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))?')

# A version of a path: created and replaced (epoch seconds, the server's clock), the history
# object's name and its listing entry.
Version = collections.namedtuple('Version', ('created', 'replaced', 'object', 'entry'))


def container_for(container, given=None):
    """The history container of ``container``: ``given``, or ``<container>_history``."""
    return _swift.validate_container_name(given or container + SUFFIX, 'history_container')


def _epoch(text, fraction, layout):
    moment = datetime.datetime.strptime(text, layout).replace(tzinfo=_UTC)
    return moment.timestamp() + (int(fraction.ljust(6, '0')) / 1e6 if fraction else 0.0)


def listed_time(entry):
    """A listing entry's ``last_modified`` as epoch seconds to the microsecond, or None."""
    found = _LISTED_RE.match(entry.get('last_modified') or '')
    return _epoch(found.group(1), found.group(2), '%Y-%m-%dT%H:%M:%S') if found else None


def stamp(epoch):
    """``20261204T223000.123450Z`` of epoch seconds (UTC, to the microsecond)."""
    micros = int(round(epoch * 1e6))
    moment = datetime.datetime.fromtimestamp(micros // 1000000, _UTC)
    return '%s.%06dZ' % (moment.strftime('%Y%m%dT%H%M%S'), micros % 1000000)


def parse_stamp(text):
    """Epoch seconds of a stamp(), or None when ``text`` is not one."""
    found = _STAMP_RE.match(text)
    return _epoch(found.group(1), found.group(2), '%Y%m%dT%H%M%S') if found else None


def iso(epoch):
    """``2026-12-04T22:30:00.123450Z`` of epoch seconds (UTC, to the microsecond)."""
    text = stamp(epoch)
    return '%s-%s-%sT%s:%s:%s' % (text[0:4], text[4:6], text[6:8], text[9:11], text[11:13], text[13:])


def parse_moment(value, option):
    """Epoch seconds (a float) from epoch seconds or an ISO 8601 date and time (UTC unless it
    says otherwise), for ``option``."""
    text = str(value).strip()
    try:
        number = float(text)
    except ValueError:
        number = None
    if number is not None:
        if not math.isfinite(number) or number < 0:
            raise ArchiveError(
                '%s: %r is not a time; give epoch seconds or an ISO 8601 date and time' % (option, value)
            )
        return number
    try:
        moment = datetime.datetime.fromisoformat(text.replace('Z', '+00:00'))
    except ValueError:
        raise ArchiveError(
            "%s: %r is neither epoch seconds nor an ISO 8601 date and time such as "
            "'2026-12-01T03:00:00Z'" % (option, value)
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_UTC)
    return moment.timestamp()


def version_name(name, created):
    """The history object of the version of ``name`` created at ``created``."""
    return '%s/%s' % (name, stamp(created))


def split_version(history_name):
    """(name, created) of a history object's name, or None when it is not one."""
    name, _sep, tail = history_name.rpartition('/')
    created = parse_stamp(tail)
    if not name or created is None:
        return None
    return name, created


def versions(entries):
    """{name: [Version, ...] oldest first} of a listing of the history container."""
    found = collections.defaultdict(list)
    for entry in entries:
        parsed = split_version(entry.get('name') or '')
        replaced = listed_time(entry)
        if parsed is None or replaced is None:
            continue
        found[parsed[0]].append(Version(parsed[1], replaced, entry['name'], entry))
    return dict((name, sorted(items)) for name, items in found.items())


def live_at(live, kept, moment):
    """Which version of each path was live at ``moment`` (epoch seconds).

    ``live``: {name: listing entry} of the container; ``kept``: versions() of its history.
    Returns {name: (entry, history object name or None)}: the live object when it was
    created at or before ``moment``, else the version kept in history that was created at or
    before it and replaced after it (the latest such, should copies overlap). A path with
    neither did not exist then and is left out.
    """
    state = {}
    for name in set(live) | set(kept):
        entry = live.get(name)
        created = listed_time(entry) if entry is not None else None
        if created is not None and created <= moment:
            state[name] = (entry, None)
            continue
        covering = [v for v in kept.get(name, ()) if v.created <= moment < v.replaced]
        if covering:
            version = covering[-1]
            state[name] = (dict(version.entry, name=name), version.object)
    return state
