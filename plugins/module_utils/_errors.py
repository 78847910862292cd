# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ncloud.archive contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection's error type, secret scrubbing and a cluster's default limits.

Internal use only: this file is not a public API of the collection. It imports nothing but the
standard library, so the pure layers (_swift, _plan) can depend on it.
"""

from __future__ import annotations

import re

_USERINFO_RE = re.compile(r'(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)[^/\s@]+@')
_QUERY_RE = re.compile(r'(?P<url>[a-zA-Z][a-zA-Z0-9+.-]*://[^\s?\'"]*)\?[^\s\'"]*')
_TOKEN_RE = re.compile(r'(?i)(x-auth-token|x-subject-token|x-storage-token)(["\']?\s*[:=]\s*["\']?)[^\s"\',}]+')


class ArchiveError(Exception):
    """A failure explained for the user: message already scrubbed of secrets. ``details``:
    result keys the failed task returns beside the message (a restore drill's findings)."""

    def __init__(self, message, status=None, transaction_id=None, details=None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.transaction_id = transaction_id
        self.details = details


def scrub(text):
    """Remove user:password@ from URLs, query strings and token values from a text."""
    text = _USERINFO_RE.sub(r'\g<scheme>', str(text))
    text = _QUERY_RE.sub(r'\g<url>', text)
    return _TOKEN_RE.sub(r'\1\2<redacted>', text)


# Limits of a Swift cluster without /info (Swift's own defaults, also those of 2.15.1).
DEFAULT_LIMITS = {
    'max_file_size': 5368709122,
    'max_object_name_length': 1024,
    'container_listing_limit': 10000,
    'max_meta_name_length': 128,
    'max_meta_value_length': 256,
    'max_meta_count': 90,
    'max_meta_overall_size': 4096,
    'slo_max_manifest_segments': 1000,
    'slo_max_manifest_size': 2097152,  # Swift 2.15.1's default (8 MiB since 2.17)
    'slo_min_segment_size': 1,
    'bulk_delete': False,
    'bulk_max_deletes_per_request': 10000,
    'bulk_upload': False,
    'bulk_max_failed_extractions': 1000,
}


def parse_limits(info):
    limits = dict(DEFAULT_LIMITS)
    swift = info.get('swift') or {}
    for key in (
        'max_file_size',
        'max_object_name_length',
        'container_listing_limit',
        'max_meta_name_length',
        'max_meta_value_length',
        'max_meta_count',
        'max_meta_overall_size',
    ):
        if isinstance(swift.get(key), int):
            limits[key] = swift[key]
    slo = info.get('slo')
    if isinstance(slo, dict):
        for key in ('max_manifest_segments', 'max_manifest_size', 'min_segment_size'):
            if isinstance(slo.get(key), int):
                limits['slo_' + key] = slo[key]
    limits['slo'] = 'slo' in info if info else True
    tempurl = info.get('tempurl')
    limits['tempurl'] = isinstance(tempurl, dict) if info else True
    if isinstance(tempurl, dict) and isinstance(tempurl.get('allowed_digests'), list):
        limits['tempurl_digests'] = tempurl['allowed_digests']
    bulk = info.get('bulk_delete')
    if isinstance(bulk, dict):
        limits['bulk_delete'] = True
        if isinstance(bulk.get('max_deletes_per_request'), int):
            limits['bulk_max_deletes_per_request'] = bulk['max_deletes_per_request']
    upload = info.get('bulk_upload')
    if isinstance(upload, dict):
        limits['bulk_upload'] = True
        if isinstance(upload.get('max_failed_extractions'), int):
            limits['bulk_max_failed_extractions'] = upload['max_failed_extractions']
    return limits
