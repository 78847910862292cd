# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ncloud.archive contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The options that several modules share: one argument spec and one validator per group,
documented once in plugins/doc_fragments/archive.py (the fragment of the same name).

Internal use only: this file is not a public API of the collection. No Ansible import: the
specs are plain dicts that a module merges into its ``argument_spec``; a validator takes the
module's params and raises ArchiveError naming the option and the fix.

Groups: ``metadata`` (metadata, purge_metadata), ``retention`` (delete_after, delete_at),
``transfer`` (threads), ``slo_writing`` (segment_size, segment_container,
stale_segment_age). An old name kept for a while is an alias with a deprecation
(``deprecated_aliases``), or, where its type differs, an option of its own whose value the
validator maps onto the new one.
"""

from __future__ import annotations

from ansible_collections.ncloud.archive.plugins.module_utils import _swift
from ansible_collections.ncloud.archive.plugins.module_utils._errors import ArchiveError

COLLECTION = 'ncloud.archive'
# The release that drops the deprecated names.
REMOVED_IN = '1.0.0'

GROUPS = dict(
    metadata=dict(
        metadata=dict(type='dict'),
        purge_metadata=dict(type='bool', default=False),
    ),
    retention=dict(
        delete_after=dict(type='int'),
        delete_at=dict(type='str'),
    ),
    transfer=dict(
        threads=dict(type='int', default=8),
    ),
    slo_writing=dict(
        segment_size=dict(type='raw'),
        segment_container=dict(type='str'),
        stale_segment_age=dict(type='int', default=86400),
    ),
)

# Options of a group that may not be given together.
EXCLUSIVE = dict(retention=[('delete_after', 'delete_at')])


def spec(*groups, **changes):
    """The argument spec of ``groups``, merged; ``changes`` ({option: {key: value}}) adds to
    one option's spec (an alias, say) without touching the shared one."""
    merged = {}
    for group in groups:
        for option, option_spec in GROUPS[group].items():
            merged[option] = dict(option_spec, **changes.get(option, {}))
    return merged


def exclusive(*groups):
    """The mutually_exclusive lists of ``groups``."""
    return [pair for group in groups for pair in EXCLUSIVE.get(group, [])]


def deprecated_alias(name):
    """A ``deprecated_aliases`` entry: ``name`` still works, with a deprecation warning."""
    return dict(name=name, version=REMOVED_IN, collection_name=COLLECTION)


def at_least(params, option, low):
    """An integer option's value, refused below ``low`` (None stays None)."""
    value = params[option]
    if value is not None and value < low:
        raise ArchiveError('%s must be at least %d, not %d' % (option, low, value))
    return value


def threads(params):
    """The transfer group: connections in flight."""
    return at_least(params, 'threads', 1)


def metadata(params, reserved=()):
    """The metadata group: the user metadata, normalised (lower-case keys, Swift's limits),
    refusing the keys the module writes itself (``reserved``: ('mtime',) where it records it)."""
    normalized = _swift.normalize_metadata(params['metadata'], 'metadata')
    if 'mtime' in reserved and 'mtime' in (normalized or ()):
        raise ArchiveError("metadata: the key 'mtime' is reserved for the file's modification time")
    return normalized


def retention(params):
    """The retention group: (delete_at as epoch seconds or 0 for 'never', or None;
    delete_after in seconds or None)."""
    if params['delete_after'] is not None and params['delete_after'] < 1:
        raise ArchiveError('delete_after must be a positive number of seconds')
    return _swift.parse_delete_at(params['delete_at']), params['delete_after']


def slo_writing(params):
    """The checks of the SLO-writing group that need no server (segment_size is parsed by
    the module, which knows the server's limits)."""
    return at_least(params, 'stale_segment_age', 0)


def compare(params, default):
    """The identity rule, ``compare`` (``default`` when not given); the deprecated boolean
    ``checksum`` of archive_slo maps onto it: true is checksum, false size_and_mtime (the
    module declares the two mutually exclusive)."""
    if params.get('checksum') is not None:
        return 'checksum' if params['checksum'] else 'size_and_mtime'
    return params.get('compare') or default
