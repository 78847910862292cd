"""Run a swift background daemon with the lab's swift.conf (copied into the lab dir).

The WSGI servers honour `swift_dir`, but the daemons (updaters) read swift.conf from
/etc/swift regardless. Usage: python lab_swift_daemon.py MODULE CONF_FILE [-v]
"""

import importlib
import os
import sys

from swift.common import utils


def main():
    module, conf_file = sys.argv[1], sys.argv[2]
    utils.set_swift_dir(os.path.dirname(os.path.abspath(conf_file)))
    sys.argv = [module] + sys.argv[2:]
    return importlib.import_module(module).main()


if __name__ == '__main__':
    sys.exit(main())
