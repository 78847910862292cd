# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ncloud.archive contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # Connection and authentication options shared by every module.
    DOCUMENTATION = r"""
options:
  auth_url:
    description:
      - Keystone v3 endpoint of NAVER Cloud Archive Storage, an C(http) or C(https) URL.
      - If not set, the E(OS_AUTH_URL) environment variable is used.
      - A URL with a user name or password in it (C(https://user:pass@host/v3)) is refused,
        and hidden in the output like O(secret_key); give them as O(access_key) and
        O(secret_key) instead.
    type: str
    default: https://kr.archive.ncloudstorage.com:5000/v3
  access_key:
    description:
      - NAVER Cloud API access key id, used as the Keystone user name.
      - If not set, E(NCLOUD_ACCESS_KEY) is used, then E(OS_USERNAME).
    type: str
    aliases: [username]
  secret_key:
    description:
      - NAVER Cloud API secret key, used as the Keystone password.
      - If not set, E(NCLOUD_SECRET_KEY) is used, then E(OS_PASSWORD).
      - Never shown in results, diffs or error messages.
    type: str
    aliases: [password]
  project_id:
    description:
      - Id of the project (tenant) the token is scoped to, as shown in the NAVER Cloud console.
      - If not set, E(OS_PROJECT_ID) is used.
    type: str
  domain_id:
    description:
      - Id of the user's domain.
      - If not set, E(OS_USER_DOMAIN_ID) is used.
    type: str
    aliases: [user_domain_id]
  region_name:
    description:
      - Region of the object-store endpoint to pick from the service catalog.
      - If not set, E(OS_REGION_NAME) is used; without it the first object-store endpoint is used.
    type: str
  storage_url:
    description:
      - Swift storage URL (C(https://host/v1/AUTH_<project_id>)) to use instead of the catalog's.
      - If not set, E(OS_STORAGE_URL) is used.
    type: str
  validate_certs:
    description:
      - Whether to verify TLS certificates of Keystone and Swift.
    type: bool
    default: true
  ca_cert:
    description:
      - Path of a CA bundle used to verify Keystone and Swift.
      - If not set, E(OS_CACERT) is used.
    type: path
  timeout:
    description:
      - Seconds to wait for a connection or a response before giving up.
    type: int
    default: 60
  retries:
    description:
      - How many times a failed Swift request (connection error, HTTP 5xx, 408, 429) is retried,
        with exponential back-off starting at one second.
    type: int
    default: 5
  progress_timeout:
    description:
      - Most seconds the task may go without progress, that is without a byte sent or received
        by any of its requests and without an answer from Keystone or Swift. Once they have passed, no request and
        no retry starts, each attempt waits at most the time that is left, and the task fails
        saying nothing moved. A transfer that keeps moving bytes is never stopped by it,
        however long it takes.
      - So a dead, unreachable or hanging endpoint fails after about O(progress_timeout)
        seconds plus at most one retry back-off (up to 16 seconds), about 2 minutes with the
        defaults, instead of O(timeout) times (O(retries) + 1).
      - V(0) turns it off.
    type: int
    default: 120
  deadline:
    description:
      - Most seconds the whole task may take talking to Keystone and Swift, moving or not
        (a wall-clock limit, for a job that must end by a time). Once it has passed, no
        request and no retry starts and the task fails saying so.
      - V(0), the default, means none; it was 3600 before version 0.2.0, which stopped healthy
        transfers of more than an hour. O(progress_timeout) stops a dead endpoint.
      - Clean-up after a failure (for example M(ncloud.archive.archive_slo)'s
        O(ncloud.archive.archive_slo#module:on_failure=delete)) gets O(timeout) more seconds.
    type: int
    default: 0
requirements:
  - python-swiftclient >= 3.5
  - keystoneauth1 >= 3.4
notes:
  - Authentication is Keystone v3 password authentication scoped to O(project_id) with the
    user's O(domain_id), exactly as NAVER Cloud Archive Storage expects.
  - An expired token is renewed transparently during long transfers.
"""

    # Attributes for modules that change things and support check and diff mode.
    ATTRIBUTES = r"""
attributes:
  check_mode:
    support: full
    description: Can run in check_mode and return the changed status prediction without
      modifying the target.
  diff_mode:
    support: full
    description: Will return details on what has changed (or possibly needs changing in
      check_mode), when in diff mode.
  action_group:
    support: full
    membership:
      - ncloud.archive.archive
    description: Use C(group/ncloud.archive.archive) in C(module_defaults) to set defaults for
      this module.
"""

    # Attributes for read-only modules.
    INFO_ATTRIBUTES = r"""
attributes:
  check_mode:
    support: full
    description: This module never changes anything, so it runs the same in check mode.
  diff_mode:
    support: N/A
    description: This module never changes anything.
  action_group:
    support: full
    membership:
      - ncloud.archive.archive
    description: Use C(group/ncloud.archive.archive) in C(module_defaults) to set defaults for
      this module.
"""

    # The metadata group (module_utils/_options.py): archive_object, archive_slo.
    METADATA = r"""
options:
  metadata:
    description:
      - User metadata of the object. Keys may hold letters, digits and C(-); they are compared
        case-insensitively.
      - Keys not listed are kept unless O(purge_metadata=true).
      - Where the module records the file's modification time (an SLO), the key C(mtime) is
        reserved for it.
    type: dict
  purge_metadata:
    description:
      - Remove metadata keys that are not in O(metadata) (a recorded C(mtime) is always kept).
    type: bool
    default: false
"""

    # The retention group (module_utils/_options.py): archive_object, archive_slo.
    RETENTION = r"""
options:
  delete_after:
    description:
      - Have Swift delete the object this many seconds after it is written. It is sent as the
        absolute C(X-Delete-At) (now plus O(delete_after)), because Swift 2.15.1 computes
        C(X-Delete-After) on each replica.
      - An SLO's manifest B(and every segment) get the same expiry, so that no segment is left
        behind, billed, after the manifest expired.
      - Set only when the object is uploaded or has no expiry yet, so that a re-run changes
        nothing; use O(delete_at) to move an expiry.
      - Mutually exclusive with O(delete_at).
    type: int
  delete_at:
    description:
      - When Swift deletes the object (C(X-Delete-At)), as epoch seconds or an ISO 8601 date and
        time (UTC unless it says otherwise), for example C(2027-06-30T00:00:00Z).
      - V(never) removes the expiry.
      - An existing object is converged with a POST, nothing is uploaded again; for an SLO the
        manifest and every segment whose own expiry differs from it.
    type: str
"""

    # The transfer group (module_utils/_options.py): every module that moves data or reads
    # segments.
    TRANSFER = r"""
options:
  threads:
    description:
      - How many requests run at the same time, each on its own connection, wherever the task
        has several to send - the segments of an SLO uploaded or downloaded, the files of a
        tree, the HEADs that read the segments' expiries.
      - Each transfer holds about 2 MiB of memory.
    type: int
    default: 8
"""

    # The SLO-writing group (module_utils/_options.py): archive_slo, archive_sync.
    SLO_WRITING = r"""
options:
  segment_size:
    description:
      - Size of each segment of an SLO, in bytes or as a number with a unit, for example
        C(128MiB), C(128 MiB), C(128MB) or C(1GiB). MB and MiB both mean 2**20 bytes (KB and KiB
        2**10, GB and GiB 2**30), as in Ansible's C(human_to_bytes).
      - Without it, the smallest power of two of at least 64 MiB that keeps the number of
        segments within the server's C(max_manifest_segments). A size that would need more
        segments fails with the smallest size that works.
    type: raw
  segment_container:
    description:
      - Container of the segments; created when missing. Defaults to C(<container>_segments), as
        the C(swift) CLI does.
    type: str
  stale_segment_age:
    description:
      - Seconds after which a segment of an object this task writes (under C(<name>/slo/) in
        O(segment_container)) that the new manifest does not use counts as left behind by a
        failed or killed run, and is deleted after a successful upload.
      - Younger ones are kept, since another run may still be uploading them. V(0) deletes them
        all; use it only when no other run writes the object.
    type: int
    default: 86400
"""
