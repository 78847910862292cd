"""Lab only: the proxy's answers as NAVER Cloud's Swift 2.15.1 (Pike) gives them.

The lab runs Swift 2.38; the real service runs 2.15.1, and the collection must work against
what 2.15.1 says, which is less. In the default (pike) mode tests/lab/lab puts this filter in
the proxy pipeline right after listing_formats (so every account and container listing below
it is JSON), with `[filter:tempurl] allowed_digests = sha1`, `[filter:slo] max_manifest_size`
at 2.15.1's 2 MiB and without the symlink middleware. The filter removes what 2.15.1 never
sends:

- container listings: `slo_etag` (added in 2.19) and every `symlink_*` key (2.17);
- `GET /info`: in `swift`, `slo` and `tempurl` every key that 2.15.1's source does not
  register (`tempurl.allowed_digests` and `deprecated_digests`: 2.15.1 signs HMAC-SHA1 only;
  `slo.yield_frequency`, `slo.allow_async_delete`, `swift.max_request_line`,
  `swift.allow_open_expired`), and the `symlink` section;
- object responses: the `X-Manifest-Etag` header of an SLO (2.38's slo.py; not in 2.15.1's).

Only the standard library: it is imported by the lab's Swift proxy (paste's
`lab_pike:filter_factory`, from the lab's swift_dir, where lab_swift_daemon.py runs).
`LAB_MODERN=1 tests/lab/lab up` leaves it out and gives 2.38's own answers.
"""

import json

# The keys 2.15.1 registers in /info (swift/proxy/server.py with constraints.DEFAULT_CONSTRAINTS,
# middleware/slo.py and middleware/tempurl.py at tag 2.15.1). Other sections pass unchanged.
INFO_KEYS = {
    'swift': {
        'version',
        'strict_cors_mode',
        'policies',
        'allow_account_management',
        'account_autocreate',
        'max_file_size',
        'max_meta_name_length',
        'max_meta_value_length',
        'max_meta_count',
        'max_meta_overall_size',
        'max_header_size',
        'max_object_name_length',
        'container_listing_limit',
        'account_listing_limit',
        'max_account_name_length',
        'max_container_name_length',
        'valid_api_versions',
        'extra_header_count',
    },
    'slo': {'max_manifest_segments', 'max_manifest_size', 'min_segment_size'},
    'tempurl': {
        'methods',
        'incoming_remove_headers',
        'incoming_allow_headers',
        'outgoing_remove_headers',
        'outgoing_allow_headers',
    },
}
INFO_SECTIONS_ADDED = ('symlink',)


def pike_info(info):
    for section in INFO_SECTIONS_ADDED:
        info.pop(section, None)
    for section, keys in INFO_KEYS.items():
        if isinstance(info.get(section), dict):
            info[section] = {key: value for key, value in info[section].items() if key in keys}
    return info


def pike_listing(listing):
    for entry in listing:
        if isinstance(entry, dict):
            for key in [k for k in entry if k == 'slo_etag' or k.startswith('symlink_')]:
                del entry[key]
    return listing


class LabPike:
    def __init__(self, app):
        self.app = app

    def __call__(self, env, start_response):
        method, path = env.get('REQUEST_METHOD'), env.get('PATH_INFO', '')
        parts = path.split('/', 4)  # '', version, account, container, object
        if method == 'GET' and path == '/info':
            return self.rewrite(env, start_response, pike_info, dict)
        container = len(parts) == 4 or (len(parts) == 5 and not parts[4])
        if method == 'GET' and container and parts[3]:
            return self.rewrite(env, start_response, pike_listing, list)
        if len(parts) == 5 and parts[4]:

            def drop_manifest_etag(status, headers, exc_info=None):
                headers = [(name, value) for name, value in headers if name.lower() != 'x-manifest-etag']
                return start_response(status, headers, exc_info)

            return self.app(env, drop_manifest_etag)
        return self.app(env, start_response)

    def rewrite(self, env, start_response, change, kind):
        """Read the whole answer (listings and /info are small); change a 200 JSON body."""
        answer = []

        def capture(status, headers, exc_info=None):
            answer[:] = [status, headers, exc_info]

        app_iter = self.app(env, capture)
        try:
            body = b''.join(app_iter)
        finally:
            if hasattr(app_iter, 'close'):
                app_iter.close()
        status, headers, exc_info = answer
        content_type = next((v for k, v in headers if k.lower() == 'content-type'), '')
        if status.startswith('200 ') and content_type.startswith('application/json'):
            try:
                data = json.loads(body)
            except ValueError:
                data = None
            if isinstance(data, kind):
                body = json.dumps(change(data)).encode('ascii')
                headers = [(k, v) for k, v in headers if k.lower() != 'content-length']
                headers.append(('Content-Length', str(len(body))))
        start_response(status, headers, exc_info)
        return [body]


def filter_factory(global_conf, **local_conf):
    return LabPike
