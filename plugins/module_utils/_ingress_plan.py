# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Ingress driver's plan: what to write into Kubernetes so that the AWS
Load Balancer Controller itself puts the Sorry page in front (pure).

Nothing here talks to Kubernetes or AWS: the caller reads the Ingresses and
the ALB, calls these functions, and sends what they return.

Two shapes, after where the controller puts paths (``controller_order``):

* An Ingress without a group (the controller's implicit group of one): edit
  it in place. ``plan_on_in_place`` returns ONE JSON patch (RFC 6902) that
  adds, as the first ``spec.rules`` entries, one entry per host holding only
  our paths, our prefix-named ``actions.*`` / ``conditions.*`` annotations and
  the record annotation (``RECORD_ANNOTATION``) listing exactly what was added.
  ``plan_off_in_place`` removes only what the record (and our naming) says is
  ours, so an edit someone else made to the rest of the Ingress survives.
* An explicit IngressGroup: touch no Ingress of the user's; ``our_ingress``
  returns the manifest of our own Ingress in the group, ordered first.

Why a JSON patch and not a merge patch: a merge patch replaces whole lists,
so adding our ``spec.rules`` entries would rewrite the user's entries with
the copy we read; a JSON patch adds and removes single entries by index. Its
first op is ``test`` on ``/metadata/resourceVersion`` (the one just read), so
the API server applies either the whole patch to the object we planned from,
or nothing. A failed test comes back as an error (422 on current API servers,
409 when the resourceVersion itself conflicts): re-read, re-plan, resend.

What else changed: the first write of a window keeps in the record a
fingerprint of the rest of the Ingress (``fingerprint``, hashes only);
``changed_during`` compares the Ingress with it at the window's end.

Secrets: header VALUES of a bypass live in the ``conditions.*`` annotations,
field ``[].httpHeaderConfig.values`` (as the controller needs them; anyone
allowed to read the Ingress reads them). They are never in an error message
nor in the record annotation (which keeps a hash of each annotation); pass a
patch or a manifest through ``redact`` before showing it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import hashlib
import json
import re

from ansible.module_utils.six import string_types

from ansible_collections.sorrypage.aws.plugins.module_utils._alb_limits import DEFAULT_RULES_QUOTA
from ansible_collections.sorrypage.aws.plugins.module_utils._alb_limits import MAX_BODY_CHARS
from ansible_collections.sorrypage.aws.plugins.module_utils._alb_limits import MAX_CONDITION_VALUES
from ansible_collections.sorrypage.aws.plugins.module_utils._budget import count_chars
from ansible_collections.sorrypage.aws.plugins.module_utils._validate import check_hosts
from ansible_collections.sorrypage.aws.plugins.module_utils._validate import check_http_headers
from ansible_collections.sorrypage.aws.plugins.module_utils._validate import check_paths
from ansible_collections.sorrypage.aws.plugins.module_utils._validate import check_source_ips

# Behind CloudFront: the viewer's address:port, which the distribution's origin request policy forwards.
VIEWER_ADDRESS_HEADER = 'CloudFront-Viewer-Address'

# The controller's tags on the ALB.
STACK_TAG = 'ingress.k8s.aws/stack'
CLUSTER_TAG = 'elbv2.k8s.aws/cluster'

# The controller's annotations (default --annotations-prefix).
ALB_PREFIX = 'alb.ingress.kubernetes.io/'
GROUP_NAME = ALB_PREFIX + 'group.name'
GROUP_ORDER = ALB_PREFIX + 'group.order'
LISTEN_PORTS = ALB_PREFIX + 'listen-ports'
CERTIFICATE_ARN = ALB_PREFIX + 'certificate-arn'
CLASS_ANNOTATION = 'kubernetes.io/ingress.class'
USE_REGEX_PATH_MATCH = ALB_PREFIX + 'use-regex-path-match'
MIN_GROUP_ORDER = -1000
MAX_GROUP_ORDER = 1000
OUR_GROUP_ORDER = MIN_GROUP_ORDER
USE_ANNOTATION = 'use-annotation'

# Ours.
RECORD_ANNOTATION = 'sorrypage.aws/ingress-edit'
MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by'
MANAGED_BY = 'sorrypage.aws'
DEFAULT_NAME_PREFIX = 'sorrypage'
SORRY_PATH = '/*'
SORRY_STATUS = '503'
SORRY_CONTENT_TYPE = 'text/html'
RECORD_VERSION = 1
# A set's variants: sorry pages for some of its visitors (a language, API clients), in front of its default page.
VARIANT_NAME_RE = re.compile(r'^[a-z0-9-]{1,12}$')
VARIANT_CONTENT_TYPES = ('text/html', 'application/json')
# Where the secrets are: header values, in [].httpHeaderConfig.values of
# every annotation whose key starts with this.
SECRET_ANNOTATION_PREFIX = ALB_PREFIX + 'conditions.'
REDACTED = '********'

# A forward action takes at most 5 target groups, each weighted 0..999.
MAX_FORWARD_TARGET_GROUPS = 5
MAX_WEIGHT = 999

# A backend service name is a DNS-1035 label; an annotation key's name part
# is at most 63 characters, and 'conditions.' takes 11 of them.
_LABEL_RE = re.compile(r'^[a-z]([-a-z0-9]*[a-z0-9])?$')
MAX_ACTION_NAME_CHARS = 63 - len('conditions.')
# An Ingress host: a lowercase DNS name, '*.' only as its first label.
_INGRESS_HOST_RE = re.compile(r'^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$')
_TARGET_GROUP_RE = re.compile(r'^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:targetgroup/[A-Za-z0-9-]+/[0-9a-f]+$')
_ORDER_RE = re.compile(r'^[+-]?\d+$')
# A page's build marker: the first 10 hex digits of a sha256 (_pages.make_marker).
_MARKER_RE = re.compile(r'^[0-9a-f]{10}$')
# The maintenance info rides in the record annotation; an Ingress's annotations share 256 KiB in all.
MAX_INFO_CHARS = 4096
START_KEY = 'sorrypage:at'
# The always-on preview: its part of the record, and the ALB's limit on a path-pattern value.
PREVIEW_KEY = 'preview'
MAX_PREVIEW_PATH_CHARS = 128
# An exact path the ALB matches as written: the path-pattern characters without the wildcards (and without the
# quotes and '&' the annotations would have to escape).
_PREVIEW_PATH_RE = re.compile(r'^/[A-Za-z0-9_.$/~@:+-]*$')
# The fingerprint of the rest of an Ingress taken at the first write of a window, in the record: what else a release
# changed by the end of it. kubectl's last-applied-configuration is a copy of the rest, changed by any apply: left out.
OTHERS_KEY = 'others'
LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration'
_FINGERPRINTED_SPEC = ('ingressClassName', 'defaultBackend', 'tls')

# Where the controller puts the paths of one spec.rules entry.
_PATH_TYPE_RANK = {'Exact': 0, 'Prefix': 1}


# ------------------------------------------------------------ the ALB's tags

def _tag_dict(tags):
    """Tags as a dict, from a dict or boto3's [{'Key': .., 'Value': ..}]."""
    if isinstance(tags, dict):
        return tags
    return dict((tag.get('Key'), tag.get('Value')) for tag in tags or [])


def stack_of(load_balancer_tags):
    """('group', name) for an IngressGroup, ('ingress', 'namespace/name') for an
    Ingress without a group, None when the ALB has no controller stack tag."""
    value = _tag_dict(load_balancer_tags).get(STACK_TAG)
    if not value:
        return None
    # A group name cannot hold '/'; the implicit group of one Ingress is named namespace/name.
    return ('ingress', value) if '/' in value else ('group', value)


def cluster_of(tags):
    """The cluster name the controller tagged the ALB with, or None."""
    return _tag_dict(tags).get(CLUSTER_TAG) or None


# ---------------------------------------------------------- the controller

def _meta(ingress):
    return ingress.get('metadata') or {}


def _annotations(ingress):
    return _meta(ingress).get('annotations') or {}


def ingress_key(ingress):
    meta = _meta(ingress)
    return '%s/%s' % (meta.get('namespace') or 'default', meta.get('name'))


def group_order(ingress):
    """The Ingress's group.order as the controller reads it (default 0).

    Raises ValueError naming the Ingress and the limit."""
    raw = _annotations(ingress).get(GROUP_ORDER)
    if raw is None:
        return 0
    text = str(raw).strip()
    if not _ORDER_RE.match(text):
        raise ValueError("Ingress %s: %s '%s' is not an integer; it must be an integer from %d to %d"
                         % (ingress_key(ingress), GROUP_ORDER, raw, MIN_GROUP_ORDER, MAX_GROUP_ORDER))
    order = int(text)
    if not MIN_GROUP_ORDER <= order <= MAX_GROUP_ORDER:
        raise ValueError("Ingress %s: %s %d is outside %d..%d"
                         % (ingress_key(ingress), GROUP_ORDER, order, MIN_GROUP_ORDER, MAX_GROUP_ORDER))
    return order


def _sorted_paths(paths):
    """Exact, then Prefix longest first, then ImplementationSpecific, each
    keeping the order written (a stable sort)."""
    def rank(item):
        index, path = item
        kind = _PATH_TYPE_RANK.get(path.get('pathType'), 2)
        length = -len(path.get('path') or '') if kind == 1 else 0
        return (kind, length, index)
    return [path for _index, path in sorted(enumerate(paths), key=rank)]


def controller_order(ingresses):
    """The order in which the controller turns the paths of a group's
    Ingresses into listener rules (priority 1, 2, ...):
    [(ingress key, rule index, host, path, pathType, backend)].

    Ingresses by group.order (-1000..1000, default 0), ties by namespace/name;
    then each Ingress's spec.rules in order; inside one entry Exact, then
    Prefix longest first, then ImplementationSpecific. host is None for an
    entry without one. Raises ValueError for an invalid group.order."""
    errors = []
    keyed = []
    for ingress in ingresses:
        try:
            keyed.append((group_order(ingress), ingress_key(ingress), ingress))
        except ValueError as e:
            errors.append(str(e))
    if errors:
        raise ValueError('; '.join(errors))
    result = []
    for _order, key, ingress in sorted(keyed, key=lambda item: (item[0], item[1])):
        for index, rule in enumerate((ingress.get('spec') or {}).get('rules') or []):
            paths = (rule.get('http') or {}).get('paths') or []
            for path in _sorted_paths(paths):
                result.append((key, index, rule.get('host'), path.get('path'),
                               path.get('pathType'), path.get('backend')))
    return result


# ---------------------------------------------------------- the input

def _check_prefix(name_prefix):
    if not isinstance(name_prefix, string_types) or not _LABEL_RE.match(name_prefix):
        return ["name_prefix '%s' must be a DNS-1035 label: lowercase letters, digits and '-', starting with a letter"
                % (name_prefix,)]
    return []


def _target_groups(label, target_groups):
    """[(arn, weight or None)] and errors."""
    errors = []
    groups = []
    for item in target_groups or []:
        arn, weight = (item.get('arn'), item.get('weight')) if isinstance(item, dict) else (item, None)
        if not isinstance(arn, string_types) or not _TARGET_GROUP_RE.match(arn):
            errors.append("%s.target_groups: '%s' is not a target group ARN" % (label, arn))
            continue
        if weight is not None and (isinstance(weight, bool) or not isinstance(weight, int)
                                   or not 0 <= weight <= MAX_WEIGHT):
            errors.append("%s.target_groups: weight '%s' of %s must be an integer from 0 to %d"
                          % (label, weight, arn, MAX_WEIGHT))
            continue
        groups.append((arn, weight))
    if len(groups) > MAX_FORWARD_TARGET_GROUPS:
        errors.append('%s.target_groups: %d target groups; a forward action takes at most %d'
                      % (label, len(groups), MAX_FORWARD_TARGET_GROUPS))
    return groups, errors


def _check_ingress_hosts(label, hosts):
    errors = ['%s.%s' % (label, e.replace('host_headers:', 'hosts:', 1)) for e in check_hosts(hosts)]
    if errors:
        return errors
    return ["%s.hosts: '%s' is not a host an Ingress accepts (lowercase DNS name, '*.' only as its first label)"
            % (label, host) for host in hosts if not _INGRESS_HOST_RE.match(host)]


def _forward_action(groups):
    if len(groups) == 1 and groups[0][1] is None:
        return {'type': 'forward', 'targetGroupARN': groups[0][0]}
    return {'type': 'forward', 'forwardConfig': {'targetGroups': [
        {'targetGroupARN': arn, 'weight': 1 if weight is None else weight} for arn, weight in groups]}}


def _sorry_action(body, content_type=SORRY_CONTENT_TYPE):
    return {'type': 'fixed-response', 'fixedResponseConfig': {
        'contentType': content_type, 'statusCode': SORRY_STATUS, 'messageBody': body}}


def _dump(value):
    return json.dumps(value, sort_keys=True, separators=(',', ':'), ensure_ascii=False)


def _backend(name):
    return {'service': {'name': name, 'port': {'name': USE_ANNOTATION}}}


def _path(name, path=SORRY_PATH):
    return {'path': path, 'pathType': 'ImplementationSpecific', 'backend': _backend(name)}


def action_key(name):
    return '%sactions.%s' % (ALB_PREFIX, name)


def conditions_key(name):
    return '%sconditions.%s' % (ALB_PREFIX, name)


def _bypass_chunks(cidrs, headers, size, viewer_values=(), origin_header=None):
    """One list of conditions per bypass path: source-ip and http-header are
    ANDed inside one rule, so each gets paths of its own, split so that no
    rule has more than the ALB's condition values. Behind CloudFront the
    office's addresses are CloudFront-Viewer-Address values, each of their
    paths also requiring the distribution's origin header (ANDed)."""
    chunks = []
    if viewer_values and origin_header:
        origin = {'field': 'http-header', 'httpHeaderConfig': {
            'httpHeaderName': origin_header['name'], 'values': [origin_header['value']]}}
        values = list(viewer_values)
        for start in range(0, len(values), size - 1):
            chunks.append([{'field': 'http-header', 'httpHeaderConfig': {
                'httpHeaderName': VIEWER_ADDRESS_HEADER, 'values': values[start:start + size - 1]}}, origin])
    for start in range(0, len(cidrs), size):
        chunks.append([{'field': 'source-ip', 'sourceIPConfig': {'values': cidrs[start:start + size]}}])
    for header in headers:
        values = list(header.get('values') or [])
        for start in range(0, len(values), size):
            chunks.append([{'field': 'http-header', 'httpHeaderConfig': {
                'httpHeaderName': header['name'], 'values': values[start:start + size]}}])
    return chunks


def _check_marker(label, marker):
    if marker is None or (isinstance(marker, string_types) and _MARKER_RE.match(marker)):
        return []
    return ["%s.marker '%s' is not a page build marker: 10 lowercase hex characters (marker of "
            "sorrypage.aws.sorry_asset_upload)" % (label, marker)]


def markers_of(sets):
    """The build markers of the sets and of their variants, in order (a set's, then its variants'), each once."""
    found = []
    for page in sets or []:
        if not isinstance(page, dict):
            continue
        variants = page.get('variants') if isinstance(page.get('variants'), list) else []
        for marker in [page.get('marker')] + [v.get('marker') for v in variants if isinstance(v, dict)]:
            if marker and marker not in found:
                found.append(marker)
    return found


def check_info(info):
    """Errors of the maintenance info (a dict of str to str), each naming the key and the limit."""
    if info is None:
        return []
    if not isinstance(info, dict):
        return ['info must be a dict of strings (sorrypage:by, sorrypage:why, sorrypage:until, sorrypage:at), not %s'
                % type(info).__name__]
    errors = []
    for key in sorted(info, key=str):
        value = info[key]
        if not isinstance(key, string_types) or not key:
            errors.append("info: key '%s' must be a non-empty string" % (key,))
        elif not isinstance(value, string_types):
            errors.append("info['%s'] is %s, not a string: quote it" % (key, type(value).__name__))
    if not errors:
        chars = len(_dump(info))
        if chars > MAX_INFO_CHARS:
            errors.append('info is %d characters as JSON, over the %d-character limit of the record annotation'
                          % (chars, MAX_INFO_CHARS))
    return errors


def kept_info(info, old_record):
    """The info to record: ``info`` as given, but the start time (sorrypage:at)
    of the maintenance already recorded, so a rerun of ``on`` keeps it."""
    info = dict(info or {})
    old_info = (old_record or {}).get('info')
    if isinstance(old_info, dict) and old_info.get(START_KEY):
        info[START_KEY] = old_info[START_KEY]
    return info


def desired(sets, name_prefix=DEFAULT_NAME_PREFIX):
    """The spec.rules entries and annotations of a maintenance, in order.

    ``sets``: a list of dicts, one per page::

        hosts:            [host, ...]; [] (or absent) for every host
        body:             the page (<= 1024 characters as the ALB counts them)
        source_ips:       CIDRs that bypass the page
        allow_any_source: allow 0.0.0.0/0 or ::/0 in source_ips
        http_headers:     [{name, values}] that bypass the page (values: secrets)
        target_groups:    the ARNs the host's rules forward to, read from the ALB:
                          [arn, ...] or [{arn, weight}, ...] (at most 5)
        marker:           the page's build marker (10 hex characters), optional;
                          recorded, see ``markers_of``
        viewer_values:    behind CloudFront: CloudFront-Viewer-Address values of
                          the office (each of their rules also requires
                          ``origin_header``)
        origin_header:    {name, value}: the distribution's secret origin header
        variants:         optional, in priority order: pages for some visitors
                          (a language, API clients) in front of ``body``:
                          [{name, body, content_type, path_patterns,
                          http_headers, marker}], see ``check_variants``

    Returns (rules, annotations): rules in the order they go first in
    spec.rules, one per host: the bypass path(s), then each variant's paths
    (one per path pattern, all to the variant's action, its http-header
    conditions in ``conditions.<action>``), then the sorry ``/*``; each
    action named ``<prefix>-h<N>-bypass<K>`` / ``<prefix>-h<N>-v<K>`` /
    ``<prefix>-h<N>-sorry``. Raises ValueError naming every bad input and the
    limit, values of bypass headers never shown.
    """
    errors = _check_prefix(name_prefix)
    if not sets:
        errors.append('sets is empty: give at least one set (hosts, body, bypass)')
    rules = []
    annotations = {}
    seen_hosts = {}
    for number, page in enumerate(sets or []):
        label = 'sets[%d]' % number
        hosts = list(page.get('hosts') or [])
        errors += _check_ingress_hosts(label, hosts)
        for host in hosts or [None]:
            if host in seen_hosts:
                errors.append('%s: %s is already in sets[%d]'
                              % (label, "host '%s'" % host if host else 'every host ([])', seen_hosts[host]))
            seen_hosts[host] = number
        body = page.get('body')
        if not body or not isinstance(body, string_types):
            errors.append('%s.body is empty: the Sorry page is required' % label)
            body = ''
        chars = count_chars(body)
        if chars > MAX_BODY_CHARS:
            errors.append('%s.body is %d characters, %d over the %d-character limit of an ALB fixed response'
                          % (label, chars, chars - MAX_BODY_CHARS, MAX_BODY_CHARS))
        ip_errors, cidrs = check_source_ips(page.get('source_ips') or [], page.get('allow_any_source'))
        errors += ['%s.%s' % (label, e) for e in ip_errors]
        headers = page.get('http_headers') or []
        errors += ['%s.%s' % (label, e) for e in check_http_headers(headers)]
        viewer = list(page.get('viewer_values') or [])
        origin = page.get('origin_header') or None
        if viewer and not (origin and origin.get('name') and origin.get('value')):
            errors.append('%s: viewer_values need origin_header (the distribution\'s secret origin header): without '
                          'it anyone reaching the ALB directly could forge CloudFront-Viewer-Address' % label)
            origin = None
        elif viewer:
            errors += ['%s.origin_header: %s' % (label, e.replace('http_headers: ', '')) for e in
                       check_http_headers([{'name': origin['name'], 'values': [origin['value']]}])]
            errors += ['%s.viewer_values: %s' % (label, e.replace('http_headers: ', '')) for e in
                       check_http_headers([{'name': VIEWER_ADDRESS_HEADER, 'values': viewer}])]
        cidrs_or_viewer = cidrs or viewer
        groups, tg_errors = _target_groups(label, page.get('target_groups'))
        errors += tg_errors
        errors += _check_marker(label, page.get('marker'))
        variants, variant_errors = check_variants(label, page.get('variants'), bool(hosts))
        errors += variant_errors
        if (cidrs_or_viewer or headers) and not groups and not tg_errors:
            errors.append('%s: a bypass (source_ips or http_headers) needs target_groups: the ARNs the '
                          "host's rules forward to, read from the ALB" % label)
        for host in hosts or [None]:
            entry_number = len(rules)
            base = (1 if host else 0) + 1   # the host-header and path-pattern values of each rule
            paths = []
            for part, conditions in enumerate(_bypass_chunks(cidrs, headers, MAX_CONDITION_VALUES - base,
                                                             viewer, origin)):
                name = '%s-h%d-bypass%d' % (name_prefix, entry_number, part)
                annotations[action_key(name)] = _dump(_forward_action(groups))
                annotations[conditions_key(name)] = _dump(conditions)
                paths.append(_path(name))
            for part, variant in enumerate(variants):
                name = '%s-h%d-v%d' % (name_prefix, entry_number, part)
                annotations[action_key(name)] = _dump(_sorry_action(variant['body'], variant['content_type']))
                if variant['http_headers']:
                    annotations[conditions_key(name)] = _dump(_header_conditions(variant['http_headers']))
                paths.extend(_path(name, pattern) for pattern in variant['path_patterns'])
            name = '%s-h%d-sorry' % (name_prefix, entry_number)
            annotations[action_key(name)] = _dump(_sorry_action(body))
            paths.append(_path(name))
            entry = {'http': {'paths': paths}}
            if host:
                entry['host'] = host
            rules.append(entry)
    if not errors:
        longest = max(len(p['backend']['service']['name']) for r in rules for p in r['http']['paths'])
        if longest > MAX_ACTION_NAME_CHARS:
            errors.append("name_prefix '%s' is too long: action names would be %d characters; at most %d fit "
                          'in an annotation key' % (name_prefix, longest, MAX_ACTION_NAME_CHARS))
        total = sum(len(r['http']['paths']) for r in rules)
        if total > DEFAULT_RULES_QUOTA:
            errors.append('the maintenance needs %d listener rules (%d values per rule beside host and path); '
                          'an ALB has %d rules by default (quota rules-per-application-load-balancer)'
                          % (total, MAX_CONDITION_VALUES, DEFAULT_RULES_QUOTA))
    if errors:
        raise ValueError('; '.join(errors))
    return rules, annotations


def _header_conditions(headers):
    return [{'field': 'http-header', 'httpHeaderConfig': {'httpHeaderName': h['name'], 'values': list(h['values'])}}
            for h in headers]


def _check_variant(label, variant, host_values):
    """(the variant as planned, errors) of one variant; see ``check_variants``."""
    errors = []
    body = variant.get('body')
    if not body or not isinstance(body, string_types):
        errors.append("%s.body is empty: the variant's page is required" % label)
        body = ''
    chars = count_chars(body)
    if chars > MAX_BODY_CHARS:
        errors.append('%s.body is %d characters, %d over the %d-character limit of an ALB fixed response'
                      % (label, chars, chars - MAX_BODY_CHARS, MAX_BODY_CHARS))
    content_type = variant.get('content_type') or SORRY_CONTENT_TYPE
    if content_type not in VARIANT_CONTENT_TYPES:
        errors.append("%s.content_type '%s' is not one of %s" % (label, content_type, ', '.join(VARIANT_CONTENT_TYPES)))
    elif content_type == 'application/json' and body:
        try:
            json.loads(body)
        except ValueError as e:
            errors.append('%s.body is not valid JSON, as content_type application/json says: %s' % (label, e))
    patterns = variant.get('path_patterns')
    patterns = [SORRY_PATH] if patterns is None else patterns
    if not isinstance(patterns, list) or not patterns \
            or not all(isinstance(p, string_types) and p for p in patterns):
        errors.append("%s.path_patterns must be a list of paths like /api/* (default ['/*'])" % label)
        patterns = []
    errors += ['%s.%s' % (label, e) for e in check_paths(patterns)]
    errors += ["%s.path_patterns: '%s' must start with '/': an Ingress path is absolute" % (label, p)
               for p in patterns if not p.startswith('/')]
    unique = []
    for pattern in patterns:
        if pattern not in unique:
            unique.append(pattern)
    headers = variant.get('http_headers') or []
    if not isinstance(headers, list) or not all(isinstance(h, dict) for h in headers):
        errors.append('%s.http_headers must be a list of {name, values}' % label)
        headers = []
    else:
        errors += ['%s.%s' % (label, e) for e in check_http_headers(headers)]
        headers = [{'name': h.get('name'), 'values': list(h.get('values') or [])} for h in headers]
    errors += _check_marker(label, variant.get('marker'))
    header_values = sum(len(h['values']) for h in headers)
    values = host_values + 1 + header_values
    if values > MAX_CONDITION_VALUES:
        errors.append('%s: each of its rules would have %d condition values (%s1 path pattern, %d header values), '
                      'over the %d of an ALB rule: drop header values or split it into two variants'
                      % (label, values, '1 host, ' if host_values else '', header_values, MAX_CONDITION_VALUES))
    if SORRY_PATH in unique and not headers:
        errors.append("%s matches every request (path_patterns /* and no http_headers), so the set's own body "
                      'would never be served: give it http_headers or narrower path_patterns' % label)
    return {'body': body, 'content_type': content_type, 'path_patterns': unique, 'http_headers': headers}, errors


def check_variants(label, variants, has_hosts):
    """(variants as planned, errors) of a set's ``variants`` (``label``: 'sets[i]').

    Each variant, a dict::

        name:          [a-z0-9-]{1,12}, unique within the set
        body:          its page, <= 1024 characters as the ALB counts them
        content_type:  text/html (default) or application/json (then the body must parse)
        path_patterns: default ['/*']; each an absolute ALB path pattern
        http_headers:  [{name, values}] ANDed with the path (not secrets: they are shown)
        marker:        the body's build marker (10 hex), optional

    Every rule of a variant holds the host (when the set has hosts), one path
    pattern and the header values: at most 5 values. A variant of ``/*``
    without headers would take every request: refused. Planned:
    [{body, content_type, path_patterns (without repeats), http_headers}].
    Errors name ``sets[i].variants[j]`` and the limit."""
    if variants is None:
        return [], []
    if not isinstance(variants, list):
        return [], ['%s.variants must be a list of variants (name, body, content_type, path_patterns, http_headers), '
                    'not %s' % (label, type(variants).__name__)]
    planned, errors, names = [], [], {}
    for index, variant in enumerate(variants):
        where = '%s.variants[%d]' % (label, index)
        if not isinstance(variant, dict):
            errors.append('%s must be a dict (name, body, content_type, path_patterns, http_headers), not %s'
                          % (where, type(variant).__name__))
            continue
        name = variant.get('name')
        if not isinstance(name, string_types) or not VARIANT_NAME_RE.match(name):
            errors.append("%s.name '%s' must be 1 to 12 lowercase letters, digits or '-', like ja or api"
                          % (where, name))
        elif name in names:
            errors.append("%s.name '%s' is already the name of %s.variants[%d]: names are unique within a set"
                          % (where, name, label, names[name]))
        else:
            names[name] = index
        one, variant_errors = _check_variant(where, variant, 1 if has_hosts else 0)
        errors += variant_errors
        planned.append(one)
    return planned, errors


def check_preview_path(preview_path):
    """Errors of the preview's path, each naming it and the limit."""
    if not isinstance(preview_path, string_types) or not preview_path:
        return ['preview_path is empty: give a secret path like /_sorry-preview']
    errors = []
    if len(preview_path) > MAX_PREVIEW_PATH_CHARS:
        errors.append("preview_path is %d characters, over the ALB's %d-character limit of a path pattern"
                      % (len(preview_path), MAX_PREVIEW_PATH_CHARS))
    if '*' in preview_path or '?' in preview_path:
        errors.append("preview_path '%s' holds a wildcard (* or ?): give one exact path like /_sorry-preview"
                      % preview_path)
    elif not _PREVIEW_PATH_RE.match(preview_path):
        errors.append("preview_path '%s' must start with '/' and hold only letters, digits and _ . $ / ~ @ : + -"
                      % preview_path)
    elif preview_path == '/':
        errors.append("preview_path '/' is the home page: give a secret path like /_sorry-preview")
    return errors


def preview_part(sets, preview_path, name_prefix=DEFAULT_NAME_PREFIX):
    """The always-on preview: {'path', 'rules', 'annotations'}.

    One spec.rules entry per host of ``sets`` (see ``desired``, which checks
    them) holding only ``preview_path`` (ImplementationSpecific, so the ALB
    matches exactly that path) to the fixed-response action
    ``<prefix>-h<N>-preview``: the set's page, 503, text/html. N numbers the
    hosts as ``desired`` does. Raises ValueError naming every bad input.
    """
    errors = check_preview_path(preview_path)
    try:
        desired(sets, name_prefix)
    except ValueError as e:
        errors.append(str(e))
    if errors:
        raise ValueError('; '.join(errors))
    rules = []
    annotations = {}
    for page in sets:
        for host in list(page.get('hosts') or []) or [None]:
            name = '%s-h%d-preview' % (name_prefix, len(rules))
            if len(name) > MAX_ACTION_NAME_CHARS:
                raise ValueError("name_prefix '%s' is too long: action names would be %d characters; at most %d fit "
                                 'in an annotation key' % (name_prefix, len(name), MAX_ACTION_NAME_CHARS))
            annotations[action_key(name)] = _dump(_sorry_action(page['body']))
            entry = {'http': {'paths': [{'path': preview_path, 'pathType': 'ImplementationSpecific',
                                         'backend': _backend(name)}]}}
            if host:
                entry['host'] = host
            rules.append(entry)
    return {'path': preview_path, 'rules': rules, 'annotations': annotations}


# ---------------------------------------------------------- the record

def _hash(value):
    return hashlib.sha256(value.encode('utf-8')).hexdigest()[:20]


def _record(name_prefix, rules, annotations, created, markers=None, info=None, preview=None, others=None):
    """What we added, not a copy of the Ingress: our spec.rules entries (no
    secrets in them) and a hash of each of our annotations; and, so that
    ``off`` and ``status`` work from the record alone, the pages' build
    markers and the maintenance info (each only when there is one, so a
    record without them reads as 0.2.0 wrote it). ``preview``: the preview's
    part, already in record form (``_preview_record``), kept under its own key;
    ``rules`` and ``annotations`` stay the maintenance's only. ``others``:
    the fingerprint of the rest of the Ingress (``fingerprint``), when given."""
    record = {'version': RECORD_VERSION, 'prefix': name_prefix, 'rules': rules,
              'annotations': dict((key, _hash(value)) for key, value in annotations.items()),
              'created': sorted(created)}
    if markers:
        record['markers'] = list(markers)
    if info:
        record['info'] = dict(info)
    if preview:
        record[PREVIEW_KEY] = preview
    if others is not None:
        record[OTHERS_KEY] = others
    return record


def _preview_record(part, name_prefix):
    """The preview's part of the record: its path, spec.rules entries and a hash of each of its annotations."""
    if not part:
        return None
    return {'prefix': name_prefix, 'path': part['path'], 'rules': part['rules'],
            'annotations': dict((key, _hash(value)) for key, value in part['annotations'].items())}


def recorded_preview(record):
    """The preview's part of a record (path, rules, annotations by hash), or None."""
    preview = (record or {}).get(PREVIEW_KEY)
    return preview if isinstance(preview, dict) and preview.get('rules') else None


def preview_in(records):
    """What the records say of the preview: {'path', 'hosts'} (the path of the first record holding one, the
    hosts of all in order, None for an entry of every host), or None when none holds a preview."""
    path, hosts = None, []
    for record in records:
        preview = recorded_preview(record)
        if preview is None:
            continue
        path = path or preview.get('path')
        for rule in preview.get('rules') or []:
            if rule.get('host') not in hosts:
                hosts.append(rule.get('host'))
    return None if path is None else {'path': path, 'hosts': hosts}


def _maintenance_empty(record):
    return not (record.get('rules') or record.get('annotations'))


def _without_maintenance(record):
    """The record once the maintenance is out and the preview stays (the containers we created kept listed)."""
    return {'version': record.get('version', RECORD_VERSION), 'prefix': record.get('prefix') or DEFAULT_NAME_PREFIX,
            'rules': [], 'annotations': {}, 'created': record.get('created') or [], PREVIEW_KEY: record[PREVIEW_KEY]}


def read_record(ingress):
    """The record annotation of an Ingress, parsed; None when absent or unreadable."""
    raw = _annotations(ingress).get(RECORD_ANNOTATION)
    if not raw:
        return None
    try:
        record = json.loads(raw)
    except ValueError:
        return None
    return record if isinstance(record, dict) else None


def markers_in(records):
    """The build markers of the records (None ones skipped), in order, each once."""
    found = []
    for record in records:
        for marker in (record or {}).get('markers') or []:
            if isinstance(marker, string_types) and marker not in found:
                found.append(marker)
    return found


def info_in(records):
    """The maintenance info of the first record that has one, or {}."""
    for record in records:
        info = (record or {}).get('info')
        if isinstance(info, dict) and info:
            return dict(info)
    return {}


def _our_name_re(name_prefix):
    return re.compile(r'^%s-h\d+-(sorry|bypass\d+|v\d+)$' % re.escape(name_prefix))


_SORRY_NAME_RE = re.compile(r'-(sorry|v\d+)$')


def is_sorry_name(name):
    """Whether a maintenance action name of ours answers with a page (the default sorry or a variant), not a bypass:
    what the first write of ``off`` takes out."""
    return bool(name) and bool(_SORRY_NAME_RE.search(name))


def _preview_name_re(name_prefix):
    return re.compile(r'^%s-h\d+-preview$' % re.escape(name_prefix))


def _name_of_key(key):
    for kind in ('actions.', 'conditions.'):
        if key.startswith(ALB_PREFIX + kind):
            return key[len(ALB_PREFIX + kind):]
    return None


# ---------------------------------------------------------- what else changed

def _all_ours(name_prefix, record):
    """Whether an action name is ours, of any part: recorded, or named like the maintenance's or the preview's."""
    names = _recorded_names(record) | _recorded_names(recorded_preview(record))
    maintenance, preview = _our_name_re(name_prefix), _preview_name_re(name_prefix)
    return lambda name: bool(name) and (name in names or bool(maintenance.match(name)) or bool(preview.match(name)))


def fingerprint(ingress, name_prefix=DEFAULT_NAME_PREFIX, record=None):
    """A hash of each part of the Ingress that is not ours: {'annotations': {key: hash}, 'rules': {host: [hash, ...]}
    ('' for the entries of every host, in order), 'spec': {field: hash}} (ingressClassName, defaultBackend, tls, when
    there). Ours (``record``'s names and names like ours, the record itself) are left out; from a ``spec.rules`` entry
    someone added a path to, only our paths. Hashes only: annotation values may be secrets."""
    is_ours = _all_ours(name_prefix, record)
    annotations = {}
    for key, value in _annotations(ingress).items():
        if key in (RECORD_ANNOTATION, LAST_APPLIED) or is_ours(_name_of_key(key)):
            continue
        annotations[key] = _hash(value if isinstance(value, string_types) else _dump(value))
    spec = ingress.get('spec') or {}
    rules = {}
    for rule in spec.get('rules') or []:
        paths = (rule.get('http') or {}).get('paths') or []
        theirs = [p for p in paths if not is_ours(_backend_name(p))]
        if paths and not theirs:
            continue
        if len(theirs) != len(paths):
            rule = dict(rule, http=dict(rule['http'], paths=theirs))
        rules.setdefault(rule.get('host') or '', []).append(_hash(_dump(rule)))
    fields = dict((field, _hash(_dump(spec[field]))) for field in _FINGERPRINTED_SPEC if spec.get(field) is not None)
    return {'annotations': annotations,
            'rules': rules,
            'spec': fields}


def _entries_text(host):
    return 'spec.rules entry for %s' % (('host %s' % host) if host else 'every host')


def _how(before, after):
    """added, removed, changed, reordered or None: a value's hash, or a host's entries' hashes in order."""
    if before == after:
        return None
    if before is None:
        return 'added'
    if after is None:
        return 'removed'
    if not isinstance(before, list) or not isinstance(after, list):
        return 'changed'
    if sorted(before) == sorted(after):
        return 'reordered'
    extra = list(after)
    for value in before:
        if value in extra:
            extra.remove(value)
    if len(after) - len(extra) == len(before):
        return 'added'  # every entry there before is still there
    missing = list(before)
    for value in after:
        if value in missing:
            missing.remove(value)
    return 'removed' if len(before) - len(missing) == len(after) else 'changed'


def _compare(before, after, text):
    lines = []
    for key in sorted(set(before) | set(after)):
        how = _how(before.get(key), after.get(key))
        if how:
            lines.append('%s %s' % (text(key), how))
    return lines


def changed_during(ingress):
    """What else in the Ingress changed since the first write of the window, one short line per change
    ('annotation X changed', 'spec.rules entry for host Y added', 'spec.tls removed'), never a value; [] when
    nothing did, or its record holds no fingerprint (none, or written before 0.3.0)."""
    record = read_record(ingress)
    before = (record or {}).get(OTHERS_KEY)
    if not isinstance(before, dict):
        return []
    now = fingerprint(ingress, record.get('prefix') or DEFAULT_NAME_PREFIX, record)
    lines = _compare(before.get('annotations') or {}, now['annotations'], lambda key: 'annotation %s' % key)
    lines += _compare(before.get('rules') or {}, now['rules'], _entries_text)
    lines += _compare(before.get('spec') or {}, now['spec'], lambda field: 'spec.%s' % field)
    return lines


def kept_fingerprint(ingress, name_prefix, old_record):
    """The fingerprint a write of ``present`` records: the one of the first write of this window, kept from
    ``old_record`` while its maintenance is there; none when that record was written without one (before 0.3.0:
    it would not be of the window's start); a new one of ``ingress`` as read when no maintenance is there yet."""
    if old_record is not None and not _maintenance_empty(old_record):
        others = old_record.get(OTHERS_KEY)
        return others if isinstance(others, dict) else None
    return fingerprint(ingress, name_prefix, old_record)


# ---------------------------------------------------------- JSON patch

def _pointer(*parts):
    return ''.join('/' + str(part).replace('~', '~0').replace('/', '~1') for part in parts)


def _backend_name(path):
    service = (path.get('backend') or {}).get('service') or {}
    if (service.get('port') or {}).get('name') != USE_ANNOTATION:
        return None
    return service.get('name')


def _remove_ours(work, is_ours, ops):
    """Remove from ``work`` (and append to ``ops``) our paths and annotations.

    An entry whose paths are all ours goes whole; from an entry someone else
    added a path to, only our paths go. Indices are taken from the end so each
    op stays valid after the ones before it."""
    rules = (work.get('spec') or {}).get('rules') or []
    for index in range(len(rules) - 1, -1, -1):
        paths = (rules[index].get('http') or {}).get('paths') or []
        ours = [j for j, path in enumerate(paths) if is_ours(_backend_name(path))]
        if not ours:
            continue
        if len(ours) == len(paths):
            ops.append({'op': 'remove', 'path': _pointer('spec', 'rules', index)})
            del rules[index]
            continue
        for j in reversed(ours):
            ops.append({'op': 'remove', 'path': _pointer('spec', 'rules', index, 'http', 'paths', j)})
            del paths[j]
    annotations = _meta(work).get('annotations') or {}
    for key in sorted(annotations):
        if is_ours(_name_of_key(key)):
            ops.append({'op': 'remove', 'path': _pointer('metadata', 'annotations', key)})
            del annotations[key]


def _resource_version_test(ingress):
    version = _meta(ingress).get('resourceVersion')
    if not version:
        raise ValueError('Ingress %s has no metadata.resourceVersion: plan from the object as read from the API'
                         % ingress_key(ingress))
    return {'op': 'test', 'path': '/metadata/resourceVersion', 'value': version}


def _ours_predicate(name_prefix, recorded_names, only=None, pattern=None):
    """Whether an action name is ours: recorded, or named like ours (the maintenance's names unless ``pattern``)."""
    pattern = pattern or _our_name_re(name_prefix)

    def is_ours(name):
        if not name or not (name in recorded_names or pattern.match(name)):
            return False
        return only is None or is_sorry_name(name)  # only='sorry': the pages, default and variants
    return is_ours


def _recorded_names(record):
    names = set()
    for rule in (record or {}).get('rules') or []:
        for path in (rule.get('http') or {}).get('paths') or []:
            names.add(_backend_name(path))
    for key in (record or {}).get('annotations') or {}:
        names.add(_name_of_key(key))
    names.discard(None)
    return names


def _in_group(ingress):
    group = _annotations(ingress).get(GROUP_NAME)
    if group:
        raise ValueError('Ingress %s is in IngressGroup %s: leave it alone and add our own Ingress to the group '
                         '(our_ingress)' % (ingress_key(ingress), group))


def _regex_paths(ingress):
    # The controller reads every ImplementationSpecific path of such an
    # Ingress as a regular expression (without its leading '/'): our '/*'
    # would become the invalid regex '*'.
    value = _annotations(ingress).get(USE_REGEX_PATH_MATCH)
    if str(value).strip().lower() in ('1', 't', 'true'):
        raise ValueError("Ingress %s sets %s: '%s': the controller would read our '/*' path as a regular expression; "
                         "switch this site with the alb driver" % (ingress_key(ingress), USE_REGEX_PATH_MATCH, value))


def plan_on_in_place(ingress, sets, name_prefix=DEFAULT_NAME_PREFIX, info=None):
    """The JSON patch that switches the page on in an Ingress without a group,
    or None when the Ingress already holds exactly that.

    The patch: test resourceVersion; remove what an earlier run of ours left
    (another page, a half-removed maintenance); add our entries as the first
    spec.rules entries, our annotations, and the record (with the sets'
    markers and ``info``, its sorrypage:at kept from the record already
    there: ``kept_info``; and the fingerprint of the rest of the Ingress,
    ``kept_fingerprint``: the first write of the window's, so a rerun writes
    nothing for it). See ``desired`` for ``sets``. Raises ValueError before
    planning anything on bad input.
    """
    info_errors = check_info(info)
    if info_errors:
        raise ValueError('; '.join(info_errors))
    _in_group(ingress)
    _regex_paths(ingress)
    rules, annotations = desired(sets, name_prefix)
    test = _resource_version_test(ingress)
    old = read_record(ingress)
    current_rules = (ingress.get('spec') or {}).get('rules')
    current_annotations = _meta(ingress).get('annotations')
    if old is not None:
        created = set(old.get('created') or [])
    else:
        created = set()
        if current_rules is None:
            created.add('rules')
        if current_annotations is None:
            created.add('annotations')
    preview = recorded_preview(old)
    record = _record(name_prefix, rules, annotations, created, markers_of(sets), kept_info(info, old), preview,
                     kept_fingerprint(ingress, name_prefix, old))
    wanted = dict(annotations)
    wanted[RECORD_ANNOTATION] = _dump(record)

    is_ours = _ours_predicate(name_prefix, _recorded_names(old))
    current_rules = current_rules or []
    current_annotations = current_annotations or {}
    # The preview's entries still there stay first, ahead of ours (moved back there if something got in front).
    kept = [rule for rule in (preview or {}).get('rules') or [] if rule in current_rules]
    first = kept + rules
    done = (current_rules[:len(first)] == first
            and not any(is_ours(_backend_name(p)) for r in current_rules[len(first):]
                        for p in (r.get('http') or {}).get('paths') or [])
            and all(current_annotations.get(key) == value for key, value in wanted.items())
            and not [key for key in current_annotations if is_ours(_name_of_key(key)) and key not in wanted])
    if done:
        return None

    work = copy.deepcopy(ingress)
    ops = [test]
    work_rules = (work.get('spec') or {}).get('rules') or []
    for index in range(len(work_rules) - 1, -1, -1):
        if work_rules[index] in kept:
            ops.append({'op': 'remove', 'path': _pointer('spec', 'rules', index)})
            del work_rules[index]
    return _put_ours_first(work, is_ours, ops, first, wanted)


def _put_ours_first(work, is_ours, ops, rules, wanted):
    """``ops`` completed: what is ours comes out of ``work`` (a copy of the Ingress), then ``rules`` go first in
    spec.rules and the ``wanted`` annotations in, containers created where missing."""
    _remove_ours(work, is_ours, ops)
    if (work.get('spec') or {}).get('rules') is None:
        ops.append({'op': 'add', 'path': '/spec/rules', 'value': []})
    for index, rule in enumerate(rules):
        ops.append({'op': 'add', 'path': _pointer('spec', 'rules', index), 'value': rule})
    if _meta(work).get('annotations') is None:
        ops.append({'op': 'add', 'path': '/metadata/annotations', 'value': {}})
    for key in sorted(wanted):
        ops.append({'op': 'add', 'path': _pointer('metadata', 'annotations', key), 'value': wanted[key]})
    return ops


def plan_off_in_place(ingress, only=None):
    """The JSON patch that takes our edit back out of an Ingress, or None when
    it holds nothing of ours.

    Removes what the record lists and whatever bears our names, nothing else;
    the containers (annotations, spec.rules) only when we created them and
    they are empty again. ``only='sorry'`` removes the sorry paths and actions
    (the default page's and the variants') only, keeping the bypass and updating the record: the first of the two
    writes of ``off`` (so no internal user ever sees the page); a second call
    without ``only`` removes the rest.
    """
    record = read_record(ingress)
    if record is None:
        return None
    if only not in (None, 'sorry'):
        raise ValueError("only must be None or 'sorry', not '%s'" % (only,))
    name_prefix = record.get('prefix') or DEFAULT_NAME_PREFIX
    work = copy.deepcopy(ingress)
    ops = [_resource_version_test(ingress)]
    _remove_ours(work, _ours_predicate(name_prefix, _recorded_names(record), only), ops)
    annotations = _meta(work).get('annotations')
    if not only and recorded_preview(record) is not None:
        # the preview stays, and so do the record (now of the preview alone) and the containers
        rest = _dump(_without_maintenance(record))
        if len(ops) == 1 and annotations.get(RECORD_ANNOTATION) == rest:
            return None
        ops.append({'op': 'add', 'path': _pointer('metadata', 'annotations', RECORD_ANNOTATION), 'value': rest})
        return ops
    if only:
        remaining_rules = []
        for rule in record.get('rules') or []:
            paths = [p for p in rule['http']['paths'] if not is_sorry_name(_backend_name(p))]
            if paths:
                kept = copy.deepcopy(rule)
                kept['http']['paths'] = paths
                remaining_rules.append(kept)
        record = dict(record, rules=remaining_rules,
                      annotations=dict((k, v) for k, v in (record.get('annotations') or {}).items()
                                       if not is_sorry_name(_name_of_key(k))))
        ops.append({'op': 'add', 'path': _pointer('metadata', 'annotations', RECORD_ANNOTATION), 'value': _dump(record)})
        return ops if len(ops) > 2 or annotations.get(RECORD_ANNOTATION) != _dump(record) else None
    _drop_record(work, record, ops)
    return ops


def _drop_record(work, record, ops):
    """Remove the record, and the containers we created once they are empty again."""
    annotations = _meta(work).get('annotations')
    ops.append({'op': 'remove', 'path': _pointer('metadata', 'annotations', RECORD_ANNOTATION)})
    del annotations[RECORD_ANNOTATION]
    created = record.get('created') or []
    if 'rules' in created and (work.get('spec') or {}).get('rules') == []:
        ops.append({'op': 'remove', 'path': '/spec/rules'})
    if 'annotations' in created and not annotations:
        ops.append({'op': 'remove', 'path': '/metadata/annotations'})


def _preview_predicate(name_prefix, preview):
    return _ours_predicate(name_prefix, _recorded_names(preview), pattern=_preview_name_re(name_prefix))


def plan_preview_on_in_place(ingress, sets, preview_path, name_prefix=DEFAULT_NAME_PREFIX):
    """The JSON patch that puts the always-on preview (``preview_part``) into
    an Ingress without a group, or None when it already holds exactly that.

    The preview's entries go first, ahead of a maintenance's, so the preview
    path answers the page during a maintenance too; nothing of the
    maintenance is touched. The record keeps the preview under its own key
    (``PREVIEW_KEY``). Raises ValueError before planning anything on bad input.
    """
    _in_group(ingress)
    _regex_paths(ingress)
    part = preview_part(sets, preview_path, name_prefix)
    test = _resource_version_test(ingress)
    old = read_record(ingress)
    current_rules = (ingress.get('spec') or {}).get('rules')
    current_annotations = _meta(ingress).get('annotations')
    preview = _preview_record(part, name_prefix)
    if old is not None:
        record = dict(old)
        record[PREVIEW_KEY] = preview
    else:
        created = [what for what, value in (('rules', current_rules), ('annotations', current_annotations))
                   if value is None]
        record = _record(name_prefix, [], {}, created, preview=preview)
    wanted = dict(part['annotations'])
    wanted[RECORD_ANNOTATION] = _dump(record)
    is_ours = _preview_predicate(name_prefix, recorded_preview(old))
    rules = part['rules']
    current_rules = current_rules or []
    current_annotations = current_annotations or {}
    done = (current_rules[:len(rules)] == rules
            and not any(is_ours(_backend_name(p)) for r in current_rules[len(rules):]
                        for p in (r.get('http') or {}).get('paths') or [])
            and all(current_annotations.get(key) == value for key, value in wanted.items())
            and not [key for key in current_annotations if is_ours(_name_of_key(key)) and key not in wanted])
    if done:
        return None
    work = copy.deepcopy(ingress)
    ops = [test]
    return _put_ours_first(work, is_ours, ops, rules, wanted)


def plan_preview_off_in_place(ingress):
    """The JSON patch that takes the preview back out of an Ingress, or None
    when its record holds no preview. A maintenance there stays as it is;
    without one, the record goes too (and the containers we created, once
    empty), so the Ingress is again exactly as before."""
    record = read_record(ingress)
    preview = recorded_preview(record)
    if preview is None:
        return None
    name_prefix = preview.get('prefix') or record.get('prefix') or DEFAULT_NAME_PREFIX
    work = copy.deepcopy(ingress)
    ops = [_resource_version_test(ingress)]
    _remove_ours(work, _preview_predicate(name_prefix, preview), ops)
    rest = dict(record)
    del rest[PREVIEW_KEY]
    if _maintenance_empty(rest):
        _drop_record(work, rest, ops)
    else:
        ops.append({'op': 'add', 'path': _pointer('metadata', 'annotations', RECORD_ANNOTATION), 'value': _dump(rest)})
    return ops


# ---------------------------------------------------------- an IngressGroup

def our_ingress_name(name_prefix=DEFAULT_NAME_PREFIX):
    return '%s-maintenance' % name_prefix


def _is_our_ingress(ingress):
    return ((_meta(ingress).get('labels') or {}).get(MANAGED_BY_LABEL) == MANAGED_BY
            or RECORD_ANNOTATION in _annotations(ingress))


def _listen_ports(ingress):
    """The listeners an Ingress's rules go on, as sorted [(protocol, port)]:
    the controller's default is HTTPS:443 with an explicit certificate-arn
    (spec.tls alone does not count), HTTP:80 otherwise."""
    raw = _annotations(ingress).get(LISTEN_PORTS)
    if raw is None:
        if _annotations(ingress).get(CERTIFICATE_ARN):
            return [('HTTPS', 443)]
        return [('HTTP', 80)]
    try:
        items = json.loads(raw)
        ports = sorted(set((str(proto), int(port)) for item in items for proto, port in item.items()))
    except (ValueError, TypeError, AttributeError):
        raise ValueError("Ingress %s: %s '%s' is not a JSON list like [{\"HTTPS\": 443}]"
                         % (ingress_key(ingress), LISTEN_PORTS, raw))
    return ports


def _disagree(what, values):
    """values: [(ingress key, value text)]."""
    return ('the members of the group disagree on %s (%s): our Ingress cannot land on the same listeners; '
            'make them agree first' % (what, ', '.join('%s: %s' % item for item in values)))


def our_ingress(group_ingresses, namespace, sets, name_prefix=DEFAULT_NAME_PREFIX, info=None, preview=None):
    """The manifest of our own Ingress in an explicit IngressGroup, in
    ``namespace``: group.order -1000 so its paths come first, the class,
    listen-ports and certificate-arn of the group's members, our rules and
    annotations, and the record (for ``drift``; with the sets' markers and
    ``info`` as given: keep a start time with ``kept_info`` first).

    ``group_ingresses``: the group's members as read (our own Ingress among
    them is ignored). ``preview``: the preview to keep in it (``parts_of``
    our Ingress as read, or ``preview_part``), its entries first. Raises
    ValueError, naming the Ingresses, when the members disagree on class,
    listen-ports or certificate-arn, when another member already uses
    group.order -1000, or on bad input (``desired``)."""
    errors = []
    maintenance = None
    try:
        rules, annotations = desired(sets, name_prefix)
        maintenance = {'rules': rules, 'annotations': annotations, 'markers': markers_of(sets), 'info': info}
    except ValueError as e:
        errors.append(str(e))
    errors += check_info(info)
    return our_ingress_of(group_ingresses, namespace, name_prefix, maintenance, preview, errors)


def parts_of(ingress):
    """(maintenance, preview) that our own Ingress as read holds, by its record,
    with the annotations' values as read, each None when absent:
    maintenance {'rules', 'annotations', 'markers', 'info'}, preview
    {'path', 'rules', 'annotations'}; what ``our_ingress_of`` keeps."""
    record = read_record(ingress)
    if record is None:
        return None, None
    annotations = _annotations(ingress)

    def values(recorded):
        return dict((key, annotations[key]) for key in recorded.get('annotations') or {} if key in annotations)
    maintenance = None
    if record.get('rules'):
        maintenance = {'rules': record['rules'], 'annotations': values(record),
                       'markers': record.get('markers') or [], 'info': record.get('info') or {}}
    preview = recorded_preview(record)
    if preview is not None:
        preview = {'path': preview.get('path'), 'rules': preview['rules'], 'annotations': values(preview)}
    return maintenance, preview


def our_ingress_of(group_ingresses, namespace, name_prefix=DEFAULT_NAME_PREFIX, maintenance=None, preview=None,
                   errors=None):
    """The manifest of our own Ingress holding the parts given (see
    ``parts_of`` for their shape): the preview's entries first, then the
    maintenance's. ``errors``: input errors found so far, raised with those
    of the members. See ``our_ingress``."""
    errors = list(errors or [])
    members = sorted((ing for ing in group_ingresses or [] if not _is_our_ingress(ing)), key=ingress_key)
    if not members:
        raise ValueError('no Ingress of the group was given: our Ingress copies its listeners from the members')
    groups = sorted(set(_annotations(ing).get(GROUP_NAME) or '' for ing in members))
    if len(groups) != 1 or not groups[0]:
        errors.append(_disagree(GROUP_NAME, [(ingress_key(ing), _annotations(ing).get(GROUP_NAME) or '(none)')
                                             for ing in members]))
    first = []
    for ing in members:
        try:
            if group_order(ing) == OUR_GROUP_ORDER:
                first.append(ingress_key(ing))
        except ValueError as e:
            errors.append(str(e))
    if first:
        errors.append('%s already use %s %d, the place our Ingress needs to come first; give them a higher order'
                      % (', '.join(first), GROUP_ORDER, OUR_GROUP_ORDER))

    classes = [(ingress_key(ing), (ing.get('spec') or {}).get('ingressClassName')
                or _annotations(ing).get(CLASS_ANNOTATION) or '(default class)') for ing in members]
    if len(set(value for _key, value in classes)) > 1:
        errors.append(_disagree('the ingress class', classes))
    ports = []
    for ing in members:
        try:
            ports.append((ingress_key(ing), _listen_ports(ing)))
        except ValueError as e:
            errors.append(str(e))
    if len(set(tuple(value) for _key, value in ports)) > 1:
        errors.append(_disagree(LISTEN_PORTS, [(key, ','.join('%s:%d' % p for p in value)) for key, value in ports]))
    certificates = [(ingress_key(ing), sorted(a.strip() for a in _annotations(ing)[CERTIFICATE_ARN].split(',') if a.strip()))
                    for ing in members if _annotations(ing).get(CERTIFICATE_ARN)]
    if len(set(tuple(value) for _key, value in certificates)) > 1:
        errors.append(_disagree(CERTIFICATE_ARN, [(key, ','.join(value)) for key, value in certificates]))
    if not errors and not (maintenance or preview):
        errors.append('our Ingress would hold nothing: give the maintenance or the preview')
    if errors:
        raise ValueError('; '.join(errors))

    maintenance = maintenance or {'rules': [], 'annotations': {}}
    rules = list((preview or {}).get('rules') or []) + list(maintenance['rules'])
    annotations = dict(maintenance['annotations'])
    annotations.update((preview or {}).get('annotations') or {})
    meta_annotations = dict(annotations)
    meta_annotations[GROUP_NAME] = groups[0]
    meta_annotations[GROUP_ORDER] = str(OUR_GROUP_ORDER)
    meta_annotations[LISTEN_PORTS] = _dump([{proto: port} for proto, port in ports[0][1]])
    if certificates:
        meta_annotations[CERTIFICATE_ARN] = ','.join(certificates[0][1])
    spec = {'rules': rules}
    class_names = [(ing.get('spec') or {}).get('ingressClassName') for ing in members]
    if any(class_names):
        spec['ingressClassName'] = [c for c in class_names if c][0]
    elif _annotations(members[0]).get(CLASS_ANNOTATION):
        meta_annotations[CLASS_ANNOTATION] = _annotations(members[0])[CLASS_ANNOTATION]
    meta_annotations[RECORD_ANNOTATION] = _dump(_record(
        name_prefix, maintenance['rules'], maintenance['annotations'], [], maintenance.get('markers'),
        maintenance.get('info'), _preview_record(preview, name_prefix)))
    return {
        'apiVersion': 'networking.k8s.io/v1',
        'kind': 'Ingress',
        'metadata': {'name': our_ingress_name(name_prefix), 'namespace': namespace,
                     'labels': {MANAGED_BY_LABEL: MANAGED_BY}, 'annotations': meta_annotations},
        'spec': spec,
    }


# ---------------------------------------------------------- drift and output

def drift(ingress):
    """What of our recorded additions the Ingress no longer holds (a helm
    upgrade replaced its spec or annotations), or None when it has no record.

    {'drifted': bool, 'missing_rules': [host or None, ...],
     'missing_annotations': [key, ...], 'changed_annotations': [key, ...],
     'not_first': bool (our entries are there, but no longer first, in order)}

    Both parts count: the preview's entries (first) and annotations, then the maintenance's.
    """
    record = read_record(ingress)
    if record is None:
        return None
    rules = (ingress.get('spec') or {}).get('rules') or []
    preview = recorded_preview(record) or {}
    recorded = (preview.get('rules') or []) + (record.get('rules') or [])  # the preview's entries go first
    missing_rules = [rule.get('host') for rule in recorded if rule not in rules]
    annotations = _annotations(ingress)
    missing, changed = [], []
    hashes = dict(record.get('annotations') or {})
    hashes.update(preview.get('annotations') or {})
    for key, value_hash in sorted(hashes.items()):
        if key not in annotations:
            missing.append(key)
        elif _hash(annotations[key]) != value_hash:
            changed.append(key)
    not_first = not missing_rules and rules[:len(recorded)] != recorded
    return {'drifted': bool(missing_rules or missing or changed or not_first),
            'missing_rules': missing_rules, 'missing_annotations': missing,
            'changed_annotations': changed, 'not_first': not_first}


def _redact_conditions(text):
    try:
        conditions = json.loads(text)
    except (ValueError, TypeError):
        return REDACTED
    if not isinstance(conditions, list):
        return REDACTED
    for condition in conditions:
        config = isinstance(condition, dict) and condition.get('httpHeaderConfig')
        if isinstance(config, dict) and 'values' in config:
            config['values'] = [REDACTED for _value in config['values'] or []]
    return _dump(conditions)


def redact(value):
    """A copy of a patch, manifest or Ingress with the header values of every
    conditions.* annotation replaced by '********', for output and diffs."""
    if isinstance(value, list):
        result = []
        for item in value:
            path = isinstance(item, dict) and item.get('path') or ''
            if (isinstance(path, string_types) and _pointer(SECRET_ANNOTATION_PREFIX) in path
                    and isinstance(item.get('value'), string_types)):
                item = dict(item, value=_redact_conditions(item['value']))
                result.append(item)
            else:
                result.append(redact(item))
        return result
    if isinstance(value, dict):
        result = {}
        for key, item in value.items():
            if isinstance(key, string_types) and key.startswith(SECRET_ANNOTATION_PREFIX) and isinstance(item, string_types):
                result[key] = _redact_conditions(item)
            else:
                result[key] = redact(item)
        return result
    return value
