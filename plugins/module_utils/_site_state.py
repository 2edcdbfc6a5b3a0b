# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A site's maintenance state, read from what alb_sorry_info returned (pure).

``build_state`` turns that read (and the controller pause fact ``sorry_lbc``)
into the normalised ``sorry_state`` every driver sets: per listener, what the
public and the office get, and the status block ``lines`` that ``status``
prints. ``summary_lines`` is the short block that ends ``on``, ``off`` and
``status``. The controller pause tags that ``on`` writes on the rules are
decided here too (``lbc_rule_tags``, ``lbc_tags_stale``).
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible.module_utils.parsing.convert_bool import BOOLEANS_FALSE, BOOLEANS_TRUE
from ansible.module_utils.six import string_types

EKS_OUTAGE_MODES = ('auto', 'true', 'false')
# lbc_pause actions after which the rules carry the pause state.
PAUSED_ACTIONS = ('paused', 'already_paused', 'pending')
# Kinds of rules that make a listener part of maintenance (preview rules stay on).
SWITCHED_KINDS = ('sorry', 'bypass')
TARGET_GROUP_NAME = re.compile(r'^.*:targetgroup/([^/]+)/.*$')


def parse_eks_outage(value):
    """sorry_eks_outage as 'auto', 'true' or 'false'; Ansible's booleans are accepted."""
    if isinstance(value, string_types):
        text = value.strip().lower()
        if text == 'auto':
            return 'auto'
        if text in BOOLEANS_TRUE:
            return 'true'
        if text in BOOLEANS_FALSE:
            return 'false'
    elif isinstance(value, (bool, int, float)):
        if value in BOOLEANS_TRUE:
            return 'true'
        if value in BOOLEANS_FALSE:
            return 'false'
    raise ValueError("sorry_eks_outage must be auto, true or false, got '%s'" % (value,))


def _unique(values):
    out = []
    for value in values:
        if value not in out:
            out.append(value)
    return out


def _tags(rule):
    return rule.get('tags') or {}


def _condition_values(rules, field, config_key, value_key='values'):
    out = []
    for rule in rules:
        for condition in rule.get('conditions') or []:
            if condition.get('field') == field:
                value = (condition.get(config_key) or {}).get(value_key)
                out.extend(value if isinstance(value, list) else [value] if value is not None else [])
    return out


def _hosts(rule):
    return _condition_values([rule], 'host-header', 'host_header_config')


def _has_host_condition(rule):
    return any(c.get('field') == 'host-header' for c in rule.get('conditions') or [])


def is_passthrough(rule):
    """A bypass rule that lets everyone through (paths only): no source-ip and no http-header condition."""
    return not any(c.get('field') in ('source-ip', 'http-header') for c in rule.get('conditions') or [])


def _target_group_name(arn):
    match = TARGET_GROUP_NAME.match(arn)
    return match.group(1) if match else arn


def default_action_text(default):
    """The listener's default action in a few words: 'forward to shop-tg', 'fixed-response 404'."""
    default = default or {}
    text = '%s' % (default.get('type'),)
    if default.get('status_code'):
        text += ' %s' % (default['status_code'],)
    if default.get('target_groups'):
        text += ' to ' + ', '.join(_target_group_name(arn) for arn in default['target_groups'])
    return text


def _replicas(value):
    text = '%s' % (value,) if value not in (None, '') else ''
    return int(text) if text.isdigit() else None


def listener_state(listener):
    """One listener of alb_sorry_info as the state holds it."""
    owned = listener.get('owned_rules') or []
    sorry = [r for r in owned if r.get('kind') == 'sorry']
    bypass = [r for r in owned if r.get('kind') == 'bypass']
    passthrough = [r for r in bypass if is_passthrough(r)]
    office_rules = len(bypass) - len(passthrough)
    first = _tags(sorry[0]) if sorry else {}
    cidrs = _unique(_condition_values(bypass, 'source-ip', 'source_ip_config'))
    headers = _unique(_condition_values(bypass, 'http-header', 'http_header_config', 'http_header_name'))
    paths = _unique(_condition_values(passthrough, 'path-pattern', 'path_pattern_config'))
    default_text = default_action_text(listener.get('default_action'))
    all_hosts = any(not _has_host_condition(r) for r in sorry)

    if sorry:
        public = '503, the Sorry page'
        if not all_hosts:
            public += " for those hosts; other hosts -> the listener's own rules (default: %s)" % default_text
        if passthrough:
            public += ', except %s (passthrough: the application)' % ', '.join(paths)
    else:
        public = "the listener's own rules (%s rules, default: %s)" % (listener.get('rule_count'), default_text)
    if office_rules:
        office = 'the application (%d bypass rule(s)' % office_rules
        office += (': source ' + ', '.join(cidrs)) if cidrs else ''
        office += ('; header ' + ', '.join(headers)) if headers else ''
        office += ')'
    elif sorry:
        office = 'the Sorry page too (no bypass rule)'
    else:
        office = 'the same as the public'

    lbc_states = _unique(_tags(r).get('sorrypage:lbc') for r in owned if r.get('kind') in SWITCHED_KINDS)
    lbc_tag = 'pending' if 'pending' in lbc_states else ('paused' if 'paused' in lbc_states else '')
    replicas = [_tags(r).get('sorrypage:lbc-replicas') for r in owned if _tags(r).get('sorrypage:lbc-replicas')]
    return {
        'port': listener.get('port'),
        'protocol': listener.get('protocol'),
        'where': '%s:%s' % (listener.get('protocol'), listener.get('port')),
        'redirect_only': bool(listener.get('redirect_only')),
        'default': default_text,
        'on': bool(sorry),
        'since': first.get('sorrypage:at', ''),
        'by': first.get('sorrypage:by', ''),
        'why': first.get('sorrypage:why', ''),
        'until': first.get('sorrypage:until', ''),
        'hosts': [] if all_hosts else _unique(h for r in sorry for h in _hosts(r)),
        'public': public,
        'office': office,
        'office_bypass': office_rules > 0,
        'bypass_cidrs': cidrs,
        'bypass_headers': headers,
        'passthrough_paths': paths,
        'bypass_rules': len(bypass),
        'sorry_rules': [{'name': r.get('name'), 'priority': r.get('priority'), 'status_code': r.get('status_code'),
                         'body_chars': r.get('body_chars'), 'page': _tags(r).get('sorrypage:page', ''),
                         'marker': _tags(r).get('sorrypage:marker', ''), 'hosts': _hosts(r)} for r in sorry],
        'previews': _unique(r.get('name') for r in owned if r.get('kind') == 'preview'),
        'moved_rules': list(listener.get('moved_rules') or []),
        'drifted': ['%s rule %s (priority %s)' % (r.get('kind'), r.get('name'), r.get('priority')) for r in owned if r.get('drift')],
        'owned': bool(owned),
        'lbc_tag': lbc_tag,
        'lbc_replicas': _replicas(replicas[0]) if replicas else None,
    }


def _listener_lines(state):
    """The status block lines of one listener, and its warnings."""
    where = state['where']
    lines, warnings = [], []
    if state['on']:
        line = '  %s ON since %s by %s' % (where, state['since'] or '?', state['by'] or '?')
        line += (' - why: ' + state['why']) if state['why'] else ''
        line += (' - until: ' + state['until']) if state['until'] else ''
        lines.append(line)
        replicas = state['lbc_replicas']
        if state['lbc_tag'] == 'pending':
            lines.append("    controller pause PENDING (from the rules' tags)"
                         + ((', %s replicas recorded before' % replicas) if replicas is not None else ''))
            warnings.append("%s: controller pause PENDING (from the rules' tags): the Sorry page went on while the Kubernetes API "
                            'could not be reached, so the AWS Load Balancer Controller was NOT paused; run `on` again as soon as '
                            'the API is back' % where)
        elif state['lbc_tag'] == 'paused':
            lines.append("    controller PAUSED (from the rules' tags"
                         + ((', %s replicas recorded' % replicas) if replicas is not None else '') + ')')
        for rule in state['sorry_rules']:
            lines.append('    sorry %s (priority %s): %s, %s chars, page %s, marker %s, hosts %s' % (
                rule['name'], rule['priority'], rule['status_code'], rule['body_chars'], rule['page'] or '?',
                rule['marker'] or '?', ', '.join(rule['hosts']) or 'all'))
        lines.append('    public -> ' + state['public'])
    elif state['redirect_only'] and not state['owned']:
        lines.append('  %s only redirects (%s; e.g. ssl-redirect): nothing to switch here, the page is on the listener '
                     'it redirects to' % (where, state['default']))
    else:
        lines.append('  %s off - public -> %s' % (where, state['public']))
    if state['office_bypass'] or state['on']:
        lines.append('    office -> ' + state['office'])
    if state['on'] and not state['office_bypass']:
        warnings.append('%s: a sorry rule without its bypass: internal users get the Sorry page too' % where)
    if state['bypass_rules'] and not state['on']:
        warnings.append('%s: bypass rules without a sorry rule (an `on` or `off` cut short): run on or off again' % where)
    for rule in state['drifted']:
        warnings.append('%s: %s was changed by someone else (the controller does that at priorities it wants); '
                        '`on` puts it right' % (where, rule))
    moved = state['moved_rules']
    if moved and not state['owned']:
        warnings.append('%s: %d rule(s) still shifted with no rule of ours in front (priorities still shifted): '
                        'run off to put them back' % (where, len(moved)))
    elif moved:
        lines.append('    %d foreign rule(s) moved from %s to %s (put back by off)' % (
            len(moved), ','.join('%s' % m.get('original_priority') for m in moved),
            ','.join('%s' % m.get('priority') for m in moved)))
    if state['previews']:
        lines.append('    preview rules: ' + ', '.join(state['previews']))
    return lines, warnings


def _with_ingress_info(info, ingress):
    """``info`` with who/why/until/at of our record in the Ingress added to the tags of the rules the controller made
    from it (alb_sorry_info's made_by controller: they carry the controller's tags, not ours)."""
    extra = dict((k, v) for k, v in ((ingress or {}).get('info') or {}).items() if v not in (None, ''))
    if not extra:
        return info
    listeners = []
    for listener in info.get('listeners') or []:
        rules = [dict(r, tags=dict(extra, **_tags(r))) if r.get('made_by') == 'controller' else r
                 for r in listener.get('owned_rules') or []]
        listeners.append(dict(listener, owned_rules=rules))
    return dict(info, listeners=listeners)


def _ingress_lines(ingress, on_listeners):
    """The status block lines and warnings of our edit in the Ingress (ingress_sorry's result); ``on_listeners``: how
    many listeners of the ALB have our page in front now."""
    if not isinstance(ingress, dict) or not ingress:
        return ['  Ingress: not read'], []
    if ingress.get('readable') is False:
        return ['  Ingress: could not be read (%s)' % (ingress.get('error') or '?')], []
    lines = ['  Ingress: ' + (ingress.get('message') or ingress.get('maintenance') or '?')]
    warnings = []
    for key, drift in sorted((ingress.get('drift') or {}).items()):
        if not drift or not drift.get('drifted'):
            continue
        gone = ['the spec.rules entry of %s' % (host or 'every host') for host in drift.get('missing_rules') or []]
        gone += ['annotation %s' % name for name in drift.get('missing_annotations') or []]
        changed = ['annotation %s' % name for name in drift.get('changed_annotations') or []]
        parts = (['gone: ' + ', '.join(gone)] if gone else []) + (['changed: ' + ', '.join(changed)] if changed else [])
        if drift.get('not_first'):
            parts.append('our entries are no longer first')
        warnings.append('DRIFT: our edit in the Ingress %s is no longer all there (a helm upgrade or a GitOps sync replaced '
                        'it?) - %s: the public may get the application. Run `on` again: it puts it back.'
                        % (key, '; '.join(parts) or 'changed'))
    warnings.extend(ingress.get('gitops') or [])
    if ingress.get('maintenance') == 'on' and not on_listeners:
        warnings.append('DRIFT: our record in the Ingress says the Sorry page is on, but no listener of the ALB answers with it '
                        '(the controller has not acted, or a release replaced our edit). Run `on` again.')
    return lines, warnings


def build_state(info, lbc=None, eks_outage='auto', driver='alb', driver_reason='', site='', ingress=None):
    """The normalised sorry_state of a site from alb_sorry_info's result ``info`` and the
    controller pause fact ``lbc`` (None or {} when the pause was not looked at).

    Ingress driver: ``ingress`` is ingress_sorry's result (the record's
    who/why/until/at, the drift of our edit); our rules in ``info`` are the
    controller's, found by the page markers; nothing is for the ALB driver's
    ``off`` (off_ports empty)."""
    eks_outage = parse_eks_outage(eks_outage)
    info = info or {}
    if driver == 'ingress':
        info = _with_ingress_info(info, ingress)
    lb = info.get('load_balancer') or {}
    lbc = lbc or {}
    listeners = [listener_state(listener) for listener in info.get('listeners') or []]
    on = [s for s in listeners if s['on']]
    # A listener that only redirects (HTTP to HTTPS) is not switched by default:
    # with nothing of ours on it, it does not make the site partly on.
    off = [s for s in listeners if not s['on'] and not (s['redirect_only'] and not s['owned'])]
    maintenance = ('partly' if off else 'on') if on else 'off'
    looked_at = eks_outage != 'false' and bool(lbc)
    controller = {
        'managed': bool(lb.get('controller_managed')),
        'cluster_name': lb.get('cluster_name'),
        'looked_at': looked_at,
        'action': (lbc.get('action') or '') if looked_at else '',
        'message': (lbc.get('message') or '') if looked_at else '',
    }

    lines = ['%s: %s (%s, %s%s): maintenance %s' % (
        site, lb.get('name'), lb.get('scheme'), lb.get('ip_address_type'),
        (', managed by the AWS Load Balancer Controller of cluster %s' % (lb.get('cluster_name') or '?'))
        if lb.get('controller_managed') else ', no controller',
        'ON' if on else 'off')]
    lines.append('  driver: %s (%s)' % (driver, driver_reason) if driver_reason else '  driver: %s' % driver)
    warnings = []
    for state in listeners:
        more_lines, more_warnings = _listener_lines(state)
        lines.extend(more_lines)
        warnings.extend(more_warnings)
    if driver == 'ingress':
        more_lines, more_warnings = _ingress_lines(ingress, len(on))
        lines.extend(more_lines)
        warnings.extend(more_warnings)
    if looked_at:
        lines.append('  controller: %s' % (controller['message'] or controller['action'] or '?'))
    elif controller['managed']:
        lines.append('  controller: not looked at' + (' (sorry_eks_outage=false)' if eks_outage == 'false' else ''))
    if maintenance == 'partly':
        warnings.append('partly on: %d listener(s) on, %d off: run on or off again' % (len(on), len(off)))

    return {
        'site': site,
        'driver': driver,
        'driver_reason': driver_reason or '',
        'load_balancer': {'name': lb.get('name'), 'arn': lb.get('arn'), 'scheme': lb.get('scheme'),
                          'ip_address_type': lb.get('ip_address_type'), 'controller_managed': controller['managed'],
                          'cluster_name': lb.get('cluster_name')},
        'maintenance': maintenance,
        'listeners': [_public_listener(s) for s in listeners],
        'markers': markers_on_alb(info),
        'off_ports': off_ports(info) if driver != 'ingress' else [],
        'controller': controller,
        'warnings': warnings,
        'lines': lines + ['WARNING: ' + w for w in warnings],
    }


_LISTENER_KEYS = ('port', 'protocol', 'where', 'on', 'since', 'by', 'why', 'until', 'hosts', 'public', 'office', 'bypass_cidrs',
                  'bypass_headers', 'passthrough_paths', 'sorry_rules', 'previews', 'moved_rules', 'lbc_tag', 'lbc_replicas')


def _public_listener(state):
    return dict((key, state[key]) for key in _LISTENER_KEYS)


def markers_on_alb(info):
    """The unique build markers of the sorry pages on the ALB (a tag of each sorry rule), in order."""
    return _unique(m for listener in (info or {}).get('listeners') or [] for r in listener.get('owned_rules') or []
                   if r.get('kind') == 'sorry' for m in [_tags(r).get('sorrypage:marker')] if m)


def off_ports(info):
    """Ports whose listener holds a sorry or bypass rule of ours, a rule we moved or a record of a move left on a
    rule already back: what `off` works on."""
    return [listener.get('port') for listener in (info or {}).get('listeners') or []
            if listener.get('moved_rules') or listener.get('stale_shift_records')
            or any(r.get('kind') in SWITCHED_KINDS for r in listener.get('owned_rules') or [])]


def lbc_rule_tags(lbc, eks_outage):
    """The controller pause state `on` writes into the rules' tags: sorrypage:lbc (paused or pending) and
    sorrypage:lbc-replicas (the recorded count, when known). {} when the pause did not act."""
    lbc = lbc or {}
    action = lbc.get('action') or ''
    if action not in PAUSED_ACTIONS or parse_eks_outage(eks_outage) == 'false':
        return {}
    tags = {'sorrypage:lbc': 'pending' if action == 'pending' else 'paused'}
    if lbc.get('replicas_recorded') is not None:
        tags['sorrypage:lbc-replicas'] = '%s' % (lbc['replicas_recorded'],)
    return tags


def lbc_tags_stale(listeners, wanted):
    """Whether a sorry or bypass rule just put on (alb_sorry_site's listeners, each with rules and
    their tags) lacks one of the wanted pause tags."""
    if not wanted:
        return False
    for listener in listeners or []:
        for rule in listener.get('rules') or []:
            tags = _tags(rule)
            if tags.get('sorrypage:kind', '') in SWITCHED_KINDS and any(tags.get(k, '') != v for k, v in wanted.items()):
                return True
    return False


# ------------------------------------------------------------------ summary

def _playbook(name, site):
    return '`ansible-playbook playbooks/maintenance_%s.yml -l %s`' % (name, site)


def _seconds(elapsed):
    if isinstance(elapsed, (int, float)):
        return ('%.1f' % elapsed).rstrip('0').rstrip('.') if isinstance(elapsed, float) else '%d' % elapsed
    return '%s' % (elapsed,)


def controller_text(state):
    """The controller in a few words: paused, pause PENDING, running, not managed."""
    controller = state.get('controller') or {}
    action = controller.get('action') or ''
    if not controller.get('managed') and action in ('', 'not_needed'):
        return 'not managed (no AWS Load Balancer Controller on this ALB)'
    if controller.get('looked_at'):
        if action in ('paused', 'already_paused'):
            return 'PAUSED'
        if action == 'pending':
            return 'pause PENDING (Kubernetes API unreachable): it may delete the Sorry rules'
        if action == 'still_held':
            return 'still PAUSED (other sites hold the pause)'
        if action in ('resumed', 'not_paused', 'nothing_recorded', 'not_needed'):
            return 'running'
        return action or '?'
    tags = [s.get('lbc_tag') for s in state.get('listeners') or []]
    if 'pending' in tags:
        return "pause PENDING (from the rules' tags)"
    if 'paused' in tags:
        return "PAUSED (from the rules' tags)"
    return 'not looked at'


def _public_line(on_listeners):
    codes = _unique(r['status_code'] for s in on_listeners for r in s['sorry_rules'])
    first = on_listeners[0]
    if any(not s['hosts'] for s in on_listeners):
        hosts = 'all hosts'
    else:
        hosts = ', '.join(_unique(h for s in on_listeners for h in s['hosts']))
    line = 'public: %s Sorry page on %s' % ('/'.join('%s' % c for c in codes) or '503', hosts)
    paths = _unique(p for s in on_listeners for p in s['passthrough_paths'])
    line += (' (except %s)' % ', '.join(paths)) if paths else ''
    line += ('; why: ' + first['why']) if first['why'] else ''
    line += ('; until: ' + first['until']) if first['until'] else ''
    return line


def _bypass_line(on_listeners):
    cidrs = _unique(c for s in on_listeners for c in s['bypass_cidrs'])
    headers = _unique(h for s in on_listeners for h in s['bypass_headers'])
    if not cidrs and not headers:
        return 'bypass: nobody: internal users get the page too'
    parts = (['source ' + ', '.join(cidrs)] if cidrs else []) + (['header ' + ', '.join(headers)] if headers else [])
    return 'bypass: ' + '; '.join(parts)


def _next_line(state, action, check_mode):
    site = state.get('site') or '<site>'
    maintenance = state.get('maintenance')
    if check_mode and action in ('on', 'off'):
        return 'next: nothing was changed (check mode): run the same command without --check to do it'
    if maintenance == 'partly':
        return 'next: partly on: run %s or %s again' % (_playbook('on', site), _playbook('off', site))
    if action == 'on':
        if maintenance == 'on':
            return 'next: check with %s; end it with %s' % (_playbook('status', site), _playbook('off', site))
        return 'next: maintenance is NOT on: read the errors above and run %s again' % _playbook('on', site)
    if action == 'off':
        if maintenance == 'off':
            return 'next: nothing to do; check with %s' % _playbook('status', site)
        return 'next: maintenance is still ON: run %s again' % _playbook('off', site)
    if maintenance == 'on':
        return 'next: end it with %s' % _playbook('off', site)
    return 'next: nothing to do; start it with %s' % _playbook('on', site)


NO_RETRY_AFTER = ('no Retry-After header: an ALB fixed response cannot carry custom headers; the page refreshes '
                  'itself and says until when')


def summary_lines(state, action, elapsed=None, check_mode=False):
    """The short per-site block that ends `on`, `off` and `status` (action)."""
    if action not in ('on', 'off', 'status'):
        raise ValueError("summary action must be on, off or status, got '%s'" % (action,))
    listeners = state.get('listeners') or []
    on_listeners = [s for s in listeners if s.get('on')]
    maintenance = state.get('maintenance')
    lb_name = (state.get('load_balancer') or {}).get('name')
    if maintenance == 'on':
        first = '%s: maintenance ON on %s (%d listener(s))' % (state.get('site'), lb_name, len(on_listeners))
    elif maintenance == 'partly':
        first = '%s: maintenance PARTLY ON on %s (%d of %d listener(s))' % (
            state.get('site'), lb_name, len(on_listeners), len(listeners))
    else:
        first = '%s: maintenance off on %s (%d listener(s))' % (state.get('site'), lb_name, len(listeners))
    first += (' in %ss' % _seconds(elapsed)) if elapsed is not None else ''
    first += ' (check mode: predicted)' if check_mode else ''
    lines = [first]
    if on_listeners:
        lines.append(_public_line(on_listeners))
        lines.append(_bypass_line(on_listeners))
        if action == 'status':
            lines.append(NO_RETRY_AFTER)
    else:
        lines.append("public: the application (no Sorry page)")
    driver = state.get('driver') or '?'
    lines.append('driver: %s%s; controller: %s' % (driver, (' (%s)' % state['driver_reason']) if state.get('driver_reason') else '',
                                                   controller_text(state)))
    lines.append(_next_line(state, action, check_mode))
    lines.extend('WARNING: ' + w for w in _unique(state.get('warnings') or []))
    return lines
