"""The report as readable tables (the JSON is the same data, in tests/output/bench.json)."""


def _numeric(cell):
    try:
        float(cell.split('/')[0])
    except ValueError:
        return cell == '-'
    return True


def table(headers, rows, title=None):
    rows = [['-' if c is None else str(c) for c in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]
    lines = []
    if title:
        lines += ['', title, '=' * len(title)]
    lines.append('  '.join(h.ljust(w) for h, w in zip(headers, widths)).rstrip())
    lines.append('  '.join('-' * w for w in widths))
    for row in rows:
        lines.append('  '.join(c.rjust(w) if i and _numeric(c) else c.ljust(w)
                               for i, (c, w) in enumerate(zip(row, widths))).rstrip())
    return '\n'.join(lines)


def _ops(calls):
    return ', '.join('%s %s' % (op, n) for op, n in sorted(calls.items())) or 'none'


def _verdict(ok):
    return 'PASS' if ok else ('n/a' if ok is None else 'FAIL')


def _s(value):
    return None if value is None else '%.2f' % value


def module_calls(section):
    out = []
    rows = [[s['step'], s['total'], s['reads'], s['writes'], s['rules_after'],
             'FAILED: ' + s['msg'] if s['failed'] else _ops(s['calls'])] for s in section['steps']]
    out.append(table(['alb_sorry_rule step', 'calls', 'reads', 'writes', 'rules after', 'by operation'], rows,
                     title='1. Module API calls at the wire, one listener with %d foreign rules' % section['foreign_rules']))
    if 'lbc_restored_exactly' in section:
        out.append('after the lbc removals the listener is %s' % (
            'exactly as before (every priority and tag)' if section['lbc_restored_exactly'] else 'NOT as before'))
    if section.get('baseline'):
        rows = [[s['step'], s['total'], s['reads'], s['writes'], s['rules_after'],
                 'FAILED: ' + s['msg'] if s['failed'] else _ops(s['calls'])] for s in section['baseline']]
        out.append(table(['amazon.aws.elb_application_lb (baseline)', 'calls', 'reads', 'writes', 'rules after',
                          'by operation'], rows))
        out.append('baseline: its two rules go behind the 20 (priorities 21, 22): it cannot place them in front;'
                   ' after its way out the listener is %s' % (
                       'as before' if section['baseline_restored_exactly'] else 'NOT as before'))
    rows = [[_verdict(t['ok']), t['target'], t['step'], t['measured']] for t in section['targets']]
    out.append(table(['', 'issue 3 target', 'step', 'measured'], rows, title='Issue 3 targets'))
    return '\n'.join(out)


def _side_row(label, side, listeners):
    if side is None:
        return None
    tts = side['time_to_sorry']
    return [label, _s(tts['first']), _s(tts['median']), _s(tts['last']), _s(side['on_wall']), _s(side['off_wall']),
            _s(side['time_to_app_after_off']),
            side['calls'].get('on', {}).get('total'), side['calls'].get('rerun', {}).get('total'),
            side['calls'].get('off', {}).get('total'),
            '%s/%s' % (side['users_after_on']['public_sorry'], listeners),
            'yes' if side['restored_exactly'] else 'NO', 'ok' if side['ok'] else 'FAILED']


def runbook(section):
    out = []
    rows = []
    for sc in section['scenarios']:
        for key, label in (('ours', 'runbook'), ('baseline', 'elb_application_lb')):
            row = _side_row('%s | %s' % (sc['name'], label), sc[key], sc['listeners'])
            if row:
                rows.append(row)
    out.append(table(['scenario | switch', 'sorry first', 'median', 'last', 'on wall', 'off wall', 'app back',
                      'calls on', 'rerun', 'off', 'public 503', 'restored', 'runs'], rows,
                     title='2. Runbook: time-to-sorry per listener and wall times (s, medians), API calls'))
    out.append('sorry first/median/last: seconds from the start of ansible-playbook until a listener first answers a'
               ' public request (Host: the ALB DNS name) with the 503 page; app back: until the last listener stops'
               ' answering it after off; public 503: listeners where the public gets the page on the application\'s'
               ' host name.')
    ratio_rows = [[sc['name'], sc['ratios'].get('time_to_sorry_first'), sc['ratios'].get('time_to_sorry_last'),
                   sc['ratios'].get('on_wall'), sc['ratios'].get('off_wall'), sc['ratios'].get('calls_on'),
                   sc['ratios'].get('calls_rerun'), sc['ratios'].get('calls_off')]
                  for sc in section['scenarios'] if sc.get('ratios')]
    if ratio_rows:
        out.append(table(['scenario', 'sorry first', 'sorry last', 'on wall', 'off wall', 'calls on', 'rerun', 'off'],
                         ratio_rows, title='Ratios runbook / elb_application_lb (same run; < 1: the runbook is lower)'))
    for sc in section['scenarios']:
        sides = [(key, label) for key, label in (('ours', 'runbook'), ('baseline', 'elb_application_lb')) if sc[key]]
        ops = sorted({op for key, _l in sides for step in sc[key]['calls_per_listener'].values() for op in step})
        headers, steps = ['operation'], []
        for key, label in sides:
            for step in ('on', 'rerun', 'off'):
                if step in sc[key]['calls_per_listener']:
                    headers.append('%s %s' % ('runbook' if key == 'ours' else 'baseline', step))
                    steps.append((key, step))
        rows = [[op] + [sc[key]['calls_per_listener'][step].get(op, 0) for key, step in steps] for op in ops]
        rows.append(['total'] + [round(sc[key]['calls'][step]['total'] / float(sc['listeners']), 2) for key, step in steps])
        out.append(table(headers, rows, title='Calls per listener: %s (%d listener(s); baseline: elb_application_lb)'
                         % (sc['title'], sc['listeners'])))
        for key, label in sides:
            if not sc[key]['calls_stable']:
                out.append('WARNING: %s: the counts differed between runs (the JSON has every run)' % label)
            if sc[key]['failures']:
                out.append('FAILURES (%s): %s' % (label, ' | '.join(sc[key]['failures'])))
    curve = [sc for sc in section['scenarios'] if sc['name'] in ('1x1', 'curve-5', 'curve-20')]
    if curve:
        rows = []
        for sc in curve:
            for key, label in (('ours', 'runbook'), ('baseline', 'elb_application_lb')):
                side = sc[key]
                if side:
                    rows.append([label, sc['listeners'], side['calls'].get('on', {}).get('total'),
                                 round(side['calls'].get('on', {}).get('total', 0) / float(sc['listeners']), 2),
                                 _s(side['on_wall']), _s(side['module_seconds_on']), _s(side['off_wall']),
                                 _s(side['time_to_sorry']['first']), _s(side['time_to_sorry']['last'])])
        out.append(table(['switch', 'listeners', 'calls on', 'per listener', 'on wall', 'module s', 'off wall',
                          'sorry first', 'sorry last'], rows, title='The curve: one site, 1 / 5 / 20 listeners'))
    rows = [[_verdict(t['ok']), t['target'], t['measured']] for t in section['targets']]
    out.append(table(['', 'issue 7 target', 'measured'], rows, title='Issue 7 targets'))
    return '\n'.join(out)
