# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The controller pause record, kept in annotations on the controller's Deployment.

Pure functions: read a record from annotations, and plan what a site joining
(pause) or leaving (resume) it writes. The format is the one the first
version of the collection wrote (JSON list of holders, replica count as a
decimal string, UTC time), and a comma-separated holder list written by hand
is read too.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import collections
import json
import re

KEY_REPLICAS = 'sorrypage.aws/paused-replicas'
KEY_HOLDERS = 'sorrypage.aws/holders'
KEY_AT = 'sorrypage.aws/paused-at'
KEYS = (KEY_REPLICAS, KEY_HOLDERS, KEY_AT)
TIME_FORMAT = '%Y-%m-%dT%H:%M:%SZ'

_COUNT_RE = re.compile(r'^[0-9]+$')

# present: the Deployment carries a record; recorded: the replica count from
# before the first pause (None without a record); holders: the sites holding it.
Record = collections.namedtuple('Record', 'present recorded holders at')
NO_RECORD = Record(False, None, [], None)

# What one site's pause or resume writes: ``patch`` is the merge patch
# (metadata.annotations and maybe spec.replicas), None when nothing needs
# writing; ``after`` is the record once written.
Plan = collections.namedtuple('Plan', 'action patch after')


class DamagedRecord(Exception):
    """The replica count annotation is there but is not a count."""

    def __init__(self, value):
        super(DamagedRecord, self).__init__(value)
        self.value = value


def unique(items):
    """``items`` without repeats and empty strings, first occurrence kept."""
    out = []
    for item in items:
        if item and item not in out:
            out.append(item)
    return out


def parse_holders(raw):
    """The holders from the annotation: a JSON list, or names separated by commas."""
    raw = ('' if raw is None else str(raw)).strip()
    if not raw:
        return []
    if raw.startswith('['):
        try:
            values = json.loads(raw)
        except ValueError:
            values = raw.strip('[]').replace('"', '').split(',')
        if not isinstance(values, list):
            values = [values]
    else:
        values = raw.split(',')
    return unique(str(value).strip() for value in values)


def read_record(annotations):
    """The record in ``annotations`` (a Deployment's), or NO_RECORD; DamagedRecord when the count is not one."""
    annotations = annotations or {}
    if KEY_REPLICAS not in annotations:
        return NO_RECORD
    value = annotations.get(KEY_REPLICAS)
    if value is None or not _COUNT_RE.match(str(value).strip()):
        raise DamagedRecord('' if value is None else str(value))
    return Record(True, int(str(value).strip()), parse_holders(annotations.get(KEY_HOLDERS)), annotations.get(KEY_AT) or None)


def holders_value(holders):
    return json.dumps(list(holders))


def plan_pause(record, replicas, site, now):
    """This site joins the holders and the controller goes to zero, in one write.

    The first holder records the replicas as they are (0 included); later
    holders keep the recorded count, so a second `on` never records 0.
    ``replicas`` is the Deployment's spec.replicas now; ``now`` the time to
    record when this is the first pause (a string).
    """
    holders = unique(list(record.holders) + [site])
    recorded = record.recorded if record.present else replicas
    at = record.at or now
    after = Record(True, recorded, holders, at)
    patch = {}
    if not record.present or site not in record.holders:
        patch['metadata'] = {'annotations': {KEY_REPLICAS: str(recorded), KEY_HOLDERS: holders_value(holders), KEY_AT: at}}
    if replicas != 0:
        patch['spec'] = {'replicas': 0}
    action = 'already_paused' if record.present and replicas == 0 else 'paused'
    return Plan(action, patch or None, after)


def plan_resume(record, site, replicas=None):
    """This site leaves the holders; the last one out sets the recorded count and removes the record, in one write.

    So a site pausing at that moment sees either the record (and joins it)
    or the controller back at its count (and records that). Without a
    record, or when this site does not hold it, nothing is written. The last
    one out does what the record says, whatever the Deployment says now
    (``replicas``, its spec.replicas, None when unknown): a controller
    recorded at 0 but scaled by hand while paused is set back to 0, one
    recorded at 2 is set to 2; a count already right is not written.
    """
    if not record.present:
        return Plan('nothing_recorded', None, NO_RECORD)
    if site not in record.holders:
        return Plan('not_paused', None, record)
    left = [holder for holder in record.holders if holder != site]
    if left:
        return Plan('still_held', {'metadata': {'annotations': {KEY_HOLDERS: holders_value(left)}}},
                    Record(True, record.recorded, left, record.at))
    patch = {'metadata': {'annotations': dict((key, None) for key in KEYS)}}
    if replicas != record.recorded and (record.recorded > 0 or replicas is not None):
        patch['spec'] = {'replicas': record.recorded}
    return Plan('resumed', patch, Record(False, record.recorded, [], record.at))


def with_precondition(patch, resource_version):
    """``patch`` carrying the resourceVersion just read: the write fails with 409 if anyone wrote in between."""
    out = dict(patch)
    metadata = dict(out.get('metadata') or {})
    metadata['resourceVersion'] = resource_version
    out['metadata'] = metadata
    return out
