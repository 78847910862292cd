"""gunicorn entry point for the lab's keystone (copied into the lab dir).

keystone parses sys.argv when it configures itself; under gunicorn that is gunicorn's
own command line and the workers die with "unrecognized arguments". Reset it first.
"""

import sys

sys.argv = sys.argv[:1]

from keystone.wsgi.api import application  # noqa: E402  pylint: disable=wrong-import-position

__all__ = ['application']
