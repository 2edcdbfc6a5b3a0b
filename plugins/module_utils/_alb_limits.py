# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Application Load Balancer's documented limits, as numbers.

Only what AWS fixes lives here; what this collection chooses (default paths,
status codes) lives with the code that uses it. Checks against these limits
are in ``_validate``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

# Fixed-response action.
MAX_BODY_CHARS = 1024
CONTENT_TYPES = ('text/plain', 'text/css', 'text/html', 'application/javascript', 'application/json')
STATUS_CODE_PATTERN = r'^(2|4|5)\d\d$'

# Rule conditions.
MAX_CONDITION_VALUES = 5
MAX_HEADER_NAME_CHARS = 40
MAX_CONDITION_VALUE_CHARS = 128

# Rule priorities, unique per listener.
MIN_PRIORITY = 1
MAX_PRIORITY = 50000

# The default quota; the real one (rules-per-application-load-balancer) can be
# raised, so it is only used to refuse a rule set that could never fit.
DEFAULT_RULES_QUOTA = 100

# API paging: ARNs per DescribeTags / AddTags / RemoveTags call, and the
# largest DescribeRules page.
DESCRIBE_TAGS_BATCH = 20
DESCRIBE_RULES_PAGE = 400

# Tags.
MAX_TAG_KEY_CHARS = 128
MAX_TAG_VALUE_CHARS = 256
MAX_TAGS_PER_RESOURCE = 50
