"""Stand-in for ansible-test's downloaded get-pip script.

ansible-test downloads a get-pip script before it makes a virtual
environment; this network blocks that download. This script does the same
job offline: it bootstraps pip from the interpreter's own ``ensurepip`` and
then runs ``pip install`` with the arguments ansible-test passed.

ensurepip deletes every PIP_* variable from os.environ while it runs, which
would drop the machine's pip settings (CA bundle, index, find-links) for the
install that follows, so the environment is saved and put back.
"""
import os
import subprocess
import sys


def main():
    saved = dict(os.environ)
    try:
        import ensurepip
        ensurepip.bootstrap(upgrade=True, default_pip=True)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    args = [a for a in sys.argv[1:] if a not in ('--no-setuptools', '--no-wheel')]
    if args:
        subprocess.check_call([sys.executable, '-m', 'pip', 'install'] + args)


if __name__ == '__main__':
    main()
