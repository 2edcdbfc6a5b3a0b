"""Lets plain `pytest tests/unit` import the collection the way ansible-test units does."""
import os
import sys

_here = os.path.dirname(os.path.abspath(__file__))
_repo = os.path.dirname(os.path.dirname(_here))
_collections = os.path.join(_repo, '.collections')
if os.path.isdir(_collections) and _collections not in sys.path:
    sys.path.insert(0, _collections)
