"""From the measured runs to the numbers of the report and the issue 7 targets.

Every target is a comparison inside one bench run (counts, or times against
other times of the same run), never an absolute time threshold.
"""
from tests.bench.runs import median, per_listener, spread

# A per-listener step may add this much over the module runs it needs (the
# loop's own templating is inside the module tasks' durations already).
WALL_SLOPE_TOLERANCE = 1.10
MODULE = 'sorrypage.aws.alb_sorry_rule'
# The runbook's own module runs: since the site switch, on/off are one alb_sorry_site run.
OUR_MODULES = (MODULE, 'sorrypage.aws.alb_sorry_site', 'sorrypage.aws.alb_sorry_info')
BASELINE_MODULE = 'amazon.aws.elb_application_lb'


def _site_times(times):
    """Per site: when all its listeners showed it (None if one never did)."""
    sites = {}
    for key, value in times.items():
        site = key.rsplit(':', 1)[0]
        if site not in sites:
            sites[site] = value
        elif sites[site] is not None:
            sites[site] = None if value is None else max(sites[site], value)
    return sites


def _part(times, prefix):
    """The poller times of one kind (``sorry``, ``bypass``, ``app``), keyed SITE:PORT."""
    return {k[len(prefix) + 1:]: v for k, v in times.items() if k.startswith(prefix + ' ')}


def side(runs, key, listeners):
    """Medians and counts of one side (``ours`` / ``baseline``) over the runs of a scenario."""
    runs = [r[key] for r in runs if key in r]
    if not runs:
        return None
    first = runs[0]
    ons, offs = [r['on'] for r in runs], [r['off'] for r in runs]
    tts = [spread(_part(r['time_to'], 'sorry')) for r in ons]
    bypass = [spread(_part(r['time_to'], 'bypass')) for r in ons]
    sites = [spread(_site_times(_part(r['time_to'], 'sorry'))) for r in ons]
    site_bypass = [spread(_site_times(_part(r['time_to'], 'bypass'))) for r in ons]
    offt = [spread(_part(r['time_to'], 'app')) for r in offs]
    out = {
        'ok': all(r.ok for r in ons + offs) and all(r.get('rerun') is None or r['rerun'].ok for r in runs),
        'failures': [f for r in ons + offs + [x['rerun'] for x in runs if x.get('rerun')] for f in r['failures']][:10],
        'on_wall': median([r['wall'] for r in ons]),
        'off_wall': median([r['wall'] for r in offs]),
        'on_walls': [r['wall'] for r in ons],
        'off_walls': [r['wall'] for r in offs],
        'time_to_sorry': {k: median([t[k] for t in tts]) for k in ('first', 'median', 'last')},
        'time_to_sorry_missing': max(t['missing'] for t in tts),
        'site_time_to_sorry': {k: median([t[k] for t in sites]) for k in ('first', 'median', 'last')},
        'time_to_bypass': {k: median([t[k] for t in bypass]) for k in ('first', 'median', 'last')},
        'site_time_to_bypass': {k: median([t[k] for t in site_bypass]) for k in ('first', 'median', 'last')},
        'per_site_sorry': _site_times(_part(ons[0]['time_to'], 'sorry')),
        'per_site_bypass': _site_times(_part(ons[0]['time_to'], 'bypass')),
        'time_to_app_after_off': median([t['last'] for t in offt]),
        'resolution': max(r['resolution'] for r in ons),
        'module_seconds_on': median([sum(v for a, v in r['task_seconds'].items() if a in OUR_MODULES + (BASELINE_MODULE,))
                                     for r in ons]),
        'module_seconds_off': median([sum(v for a, v in r['task_seconds'].items() if a in OUR_MODULES + (BASELINE_MODULE,))
                                      for r in offs]),
        'restored_exactly': all(r['restored_exactly'] for r in runs),
        'users_after_on': {k: v for k, v in first['users_after_on'].items() if k != 'statuses'},
        'calls': {}, 'calls_per_listener': {}, 'calls_stable': True,
    }
    for step in ('on', 'rerun', 'off'):
        if step not in first:
            continue
        calls = first[step]['calls']
        out['calls'][step] = {'total': first[step]['total'], 'reads': first[step]['reads'],
                              'writes': first[step]['writes'], 'by_operation': calls}
        out['calls_per_listener'][step] = per_listener(calls, listeners)
        if any(r[step]['calls'] != calls for r in runs if step in r):
            out['calls_stable'] = False
    return out


def _ratio(a, b):
    return round(a / b, 2) if a is not None and b else None


def scenario(result):
    ours = side(result['runs'], 'ours', result['listeners'])
    base = side(result['runs'], 'baseline', result['listeners'])
    out = {'name': result['name'], 'title': result['title'], 'sites': result['sites'],
           'listeners': result['listeners'], 'forks': result['forks'], 'strategy': result['strategy'],
           'runs': len(result['runs']), 'ours': ours, 'baseline': base}
    if ours and base:
        out['ratios'] = {
            'time_to_sorry_first': _ratio(ours['time_to_sorry']['first'], base['time_to_sorry']['first']),
            'time_to_sorry_last': _ratio(ours['time_to_sorry']['last'], base['time_to_sorry']['last']),
            'on_wall': _ratio(ours['on_wall'], base['on_wall']),
            'off_wall': _ratio(ours['off_wall'], base['off_wall']),
        }
        for step in ('on', 'rerun', 'off'):
            if step in ours['calls'] and step in base['calls']:
                out['ratios']['calls_%s' % step] = _ratio(ours['calls'][step]['total'], base['calls'][step]['total'])
    if result['runs'] and 'pods_gone' in result['runs'][0]['ours']['on']:
        out['pods_gone'] = result['runs'][0]['ours']['on']['pods_gone']
    return out


# -- targets --------------------------------------------------------------------

def _target(name, ok, measured, detail=''):
    return {'target': name, 'ok': ok, 'measured': measured, 'detail': detail}


def _missing(name, why):
    return {'target': name, 'ok': None, 'measured': 'not measured: ' + why, 'detail': why}


def target_pods(scenarios):
    name = "time-to-sorry does not wait for the controller's pods to terminate"
    eks = scenarios.get('eks')
    if not eks or not eks['ours']:
        return _missing(name, 'the eks scenario did not run')
    last = eks['ours']['time_to_sorry']['last']
    gone = eks.get('pods_gone')
    if last is None or gone is None:
        return _target(name, False, 'page %s, pods gone %s' % (_s(last), _s(gone)),
                       'one of the two was never seen while on ran')
    return _target(name, last < gone, 'page at %s, controller pods gone at %s, on done at %s' % (
        _s(last), _s(gone), _s(eks['ours']['on_wall'])), 'the page must be up before the pods are gone')


def _s(value):
    return '-' if value is None else '%.2fs' % value


def target_calls_constant(scenarios, side_key='ours'):
    """Calls per listener do not grow with listeners (1, 5, 20 on one site) nor with sites (10 x 2 against 1 x 1)."""
    name = 'API calls per listener stay constant as sites and listeners grow'
    if not scenarios.get('1x1') or not scenarios['1x1'][side_key]:
        return _missing(name, 'needs 1x1')
    fit, ok, parts = {}, True, []
    for step in ('on', 'rerun', 'off'):
        points = []
        for scenario_name in ('1x1', 'curve-5', 'curve-20', '10x2'):
            found = scenarios.get(scenario_name)
            if found and found[side_key] and step in found[side_key]['calls']:
                points.append((scenario_name, found['listeners'], found[side_key]['calls'][step]['total']))
        if len(points) < 2:
            continue
        per = {n: round(total / float(listeners), 2) for n, listeners, total in points}
        one_site = [(listeners, total) for n, listeners, total in points if n != '10x2']
        ordered = sorted(one_site)
        steady = all(b / float(lb) <= a / float(la) for (la, a), (lb, b) in zip(ordered, ordered[1:]))
        if '10x2' in per:
            steady = steady and per['10x2'] <= per['1x1']
        marginal = ['%d->%d: %.2f' % (la, lb, (b - a) / float(lb - la)) for (la, a), (lb, b) in zip(ordered, ordered[1:])]
        fit[step] = {'per_listener': per, 'per_extra_listener': marginal, 'steady': steady}
        ok = ok and steady
        parts.append('%s per listener %s%s' % (step, ' / '.join('%s %s' % (n, v) for n, v in per.items()),
                                               '' if steady else ' (GROWS)'))
    if not fit:
        return _missing(name, 'needs 1x1 and one of curve-5, curve-20, 10x2')
    return dict(_target(name, ok, '; '.join(parts), 'calls / listeners must not grow from 1 to 5 to 20 listeners, and'
                        ' 10 sites x 2 must not cost more per listener than 1 x 1 (batched reads make it fall)'), fit=fit)


def target_wall_per_listener(scenarios):
    name = 'wall time per extra listener <= the module runs that listener needs'
    five, twenty = scenarios.get('curve-5'), scenarios.get('curve-20')
    if not five or not twenty or not five['ours'] or not twenty['ours']:
        return _missing(name, 'needs curve-5 and curve-20')
    parts, ok, fit = [], True, {}
    for step in ('on', 'off'):
        wall = (twenty['ours']['%s_wall' % step] - five['ours']['%s_wall' % step]) / 15.0
        module = (twenty['ours']['module_seconds_%s' % step] - five['ours']['module_seconds_%s' % step]) / 15.0
        good = wall <= module * WALL_SLOPE_TOLERANCE
        ok = ok and good
        fit[step] = {'wall_per_listener': round(wall, 3), 'module_runs_per_listener': round(module, 3)}
        parts.append('%s: +%.2fs per listener, of which module runs %.2fs' % (step, wall, module))
        if twenty['baseline'] and five['baseline']:
            base = (twenty['baseline']['%s_wall' % step] - five['baseline']['%s_wall' % step]) / 15.0
            fit[step]['baseline_wall_per_listener'] = round(base, 3)
    return dict(_target(name, ok, '; '.join(parts), 'wall slope within %d%% of the slope of our module runs (alb_sorry_site, alb_sorry_info)'
                        ' (5 -> 20 listeners, one site)' % round((WALL_SLOPE_TOLERANCE - 1) * 100)), fit=fit)


def target_first_site(scenarios):
    """The 1-listener site beside the 5-listener one: free strategy against linear, same sites, same run."""
    name = 'the first site shows its page without waiting for every other site'
    free, linear = scenarios.get('first-site'), scenarios.get('first-site-linear')
    if not free or not linear or not free['ours'] or not linear['ours']:
        return _missing(name, 'needs first-site and first-site-linear')
    small, big = 'c1', sorted(set(free['ours']['per_site_sorry']) - {'c1'})[0]
    page_free, page_linear = free['ours']['per_site_sorry'].get(small), linear['ours']['per_site_sorry'].get(small)
    big_bypass = free['ours']['per_site_bypass'].get(big)
    ok = None not in (page_free, page_linear, big_bypass) and page_free < page_linear and page_free < big_bypass
    text = ('%s page: %s with the free strategy, %s with linear; %s had its bypass rules at %s (free)' % (
        small, _s(page_free), _s(page_linear), big, _s(big_bypass)))
    ten = scenarios.get('10x2')
    if ten and ten['ours']:
        t = ten['ours']
        text += '; 10x2 (free): first site page %s, last %s' % (_s(t['site_time_to_sorry']['first']),
                                                                _s(t['site_time_to_sorry']['last']))
    return _target(name, ok, text, 'with the free strategy the small site must show its page before the big one has'
                   ' its bypass rules, and earlier than with linear')


def targets(scenarios):
    return [target_pods(scenarios), target_calls_constant(scenarios), target_wall_per_listener(scenarios),
            target_first_site(scenarios)]
