# -*- coding: utf-8 -*-
# Copyright: sorrypage.aws contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which driver switches a site, and why (pure).

A driver is the role that puts the page up and takes it down. ``alb`` edits
the ALB's listener rules directly (and pauses the AWS Load Balancer
Controller on an ALB it manages, so it does not delete them): the way for an
EKS outage. ``ingress`` edits the Ingress and lets the running controller
program the ALB: the way for normal times (releases during the window).

Two steps. ``choose`` reads sorry_driver and sorry_eks_outage before
anything is read: ``alb`` (asked for, or forced by an outage) needs nothing
more. ``resolve`` then decides from what the site says: the ALB's tags and
rules (alb_sorry_info), the controller (lbc_pause status) and our record in
the Ingress (ingress_sorry status). A site is switched off by the driver
that switched it on: the ALB's rules tagged by us record ``alb``, our record
annotation in the Ingress records ``ingress``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.module_utils.six import string_types

from ansible_collections.sorrypage.aws.plugins.module_utils import _site_state

DRIVERS = ('alb', 'ingress')
CHOICES = ('auto',) + DRIVERS
STEPS = ('on', 'off', 'status', 'prepare', 'verify')
STACK_TAG = 'ingress.k8s.aws/stack'
SWITCHED = ('sorry', 'bypass')
INGRESS_UNREADABLE = 'the Ingresses could not be read'


def choose(requested, eks_outage='auto'):
    """{driver, requested, reason, eks_outage, resolved, site_read} for sorry_driver and sorry_eks_outage, both read
    here once.

    ``resolved`` is False when the site must be read first (``resolve``); ``site_read`` is False: nothing was read.
    Raises ValueError naming the variable, its value and the choices.
    """
    mode = _site_state.parse_eks_outage(eks_outage)
    text = requested.strip().lower() if isinstance(requested, string_types) else requested
    if text not in CHOICES:
        raise ValueError("sorry_driver must be one of %s, got '%s'" % (', '.join(CHOICES), requested))
    if text == 'alb':
        return dict(driver='alb', requested=text, reason='sorry_driver=alb', eks_outage=mode, resolved=True,
                    site_read=False)
    if text == 'auto' and mode == 'true':
        return dict(driver='alb', requested=text, resolved=True, eks_outage=mode, site_read=False,
                    reason='auto: sorry_eks_outage=true switches on the ALB itself and pauses the controller')
    if text == 'ingress' and mode == 'true':
        raise ValueError('sorry_driver=ingress and sorry_eks_outage=true contradict each other: in an EKS outage the '
                         'controller cannot program the ALB from the Ingress; use sorry_driver=alb (or auto)')
    return dict(driver=text, requested=text, reason='', eks_outage=mode, resolved=False, site_read=False)


def _owned_kinds(info, made_by):
    return set(rule.get('kind') for listener in (info or {}).get('listeners') or []
               for rule in listener.get('owned_rules') or [] if (rule.get('made_by') or 'sorrypage') == made_by)


def ingress_record(ingress):
    """Where our record in the Ingress holds a maintenance (on or bypass only), or '' when none (or not read)."""
    ingress = ingress or {}
    if not ingress.get('readable') or ingress.get('maintenance') not in ('on', 'bypass_only'):
        return ''
    return ingress.get('our_ingress') or ', '.join(sorted(k for k, v in (ingress.get('record') or {}).items() if v)) or '?'


def recorded(info, ingress):
    """('alb' | 'ingress' | None, why): the driver whose state is on the site. Rules of ours on the ALB win (the
    ALB driver's ``off`` also takes an edit of ours out of the Ingress before it resumes the controller)."""
    where = ingress_record(ingress)
    if _owned_kinds(info, 'sorrypage') & set(SWITCHED):
        also = ('; our edit is also in the Ingress (%s): the ALB driver takes it out before the controller resumes'
                % where) if where else ''
        return 'alb', 'switched on by the ALB driver (rules tagged sorrypage:* on the ALB)' + also
    if where:
        return 'ingress', 'switched on through the Ingress (our record on %s)' % where
    return None, ''


def stack_of(info, ingresses=None):
    """The Ingresses to edit: sorry_ingress when given, else the ALB's stack tag (None when neither)."""
    if ingresses:
        return None
    tags = ((info or {}).get('load_balancer') or {}).get('tags') or {}
    return tags.get(STACK_TAG) or None


def _why_not_ingress(info, lbc, ingress, ingresses, ingress_problem=''):
    """Why the Ingress driver cannot switch this site now; '' when it can."""
    lb = (info or {}).get('load_balancer') or {}
    if not lb.get('controller_managed'):
        return 'the ALB carries no AWS Load Balancer Controller tags (elbv2.k8s.aws/cluster, ingress.k8s.aws/*)'
    if not ingresses and not stack_of(info):
        return 'the ALB carries no ingress.k8s.aws/stack tag, so its Ingresses are unknown (set sorry_ingress)'
    if not lb.get('cluster_name'):
        return 'the ALB carries no elbv2.k8s.aws/cluster tag, so the kube context cannot be checked against it'
    lbc = lbc or {}
    if lbc.get('action') in (None, '', 'unknown', 'not_needed'):
        why = '; '.join(lbc.get('warnings') or []) or lbc.get('message') or 'not looked at'
        return 'the controller could not be read: %s' % why
    if lbc.get('cluster_problem'):
        return 'the controller of the kube context does not serve this ALB: %s' % lbc['cluster_problem']
    if lbc.get('holders'):
        return ('the controller is paused (held by %s): an Ingress change would not reach the ALB'
                % ', '.join(lbc['holders']))
    if not lbc.get('available_replicas'):
        return 'the controller %s has no available replica (%s wanted)' % (lbc.get('deployment') or '?',
                                                                           lbc.get('replicas'))
    ingress = ingress or {}
    if not ingress.get('readable'):
        return '%s: %s' % (INGRESS_UNREADABLE, ingress.get('error') or 'not looked at')
    if ingress_problem:
        return 'the Ingress driver cannot take these inputs: %s' % ingress_problem
    return ''


def resolve(mode, info, lbc=None, ingress=None, step='on', ingresses=None, ingress_problem=''):
    """The driver of this site for ``step``, from ``choose``'s ``mode`` and what the site says.

    ``info``: alb_sorry_info's result; ``lbc``: lbc_pause status's
    ``controller`` (None: not read); ``ingress``: ingress_sorry status's
    result (None: not read); ``ingresses``: sorry_ingress;
    ``ingress_problem``: why the Ingress driver cannot take the inputs of
    ``on`` / ``prepare`` ('' when it can: _ingress_inputs.ingress_problem).

    Returns ``mode`` with ``driver``, ``reason``, ``resolved`` True,
    ``recorded`` (the driver whose state is on the site, or None),
    ``ingress_record`` (where our record in the Ingress holds a maintenance,
    '' when none: the ALB driver's ``off`` takes it out), ``stack`` and
    ``ingresses`` (what the Ingress driver edits) and ``site_read``: True
    when ``info`` was given, so the ALB driver's read of this step uses it
    (alb_sorry_info with the same options) instead of reading again. Raises ValueError,
    before any change, when ``sorry_driver=ingress`` cannot switch this site
    on, or when it would switch on a site the ALB driver holds.
    """
    if step not in STEPS:
        raise ValueError('step must be one of %s, got %r' % (', '.join(STEPS), step))
    mode = dict(mode or {})
    out = dict(mode, resolved=True, stack=stack_of(info, ingresses), ingresses=list(ingresses or []), site_read=bool(info))
    if mode.get('resolved'):
        out.setdefault('recorded', None)
        out.setdefault('ingress_record', '')
        return out
    held, held_why = recorded(info, ingress)
    out['recorded'] = held
    out['ingress_record'] = ingress_record(ingress)
    unseen = ''
    if ((info or {}).get('load_balancer') or {}).get('controller_managed') and not (ingress or {}).get('readable'):
        unseen = (' (the Ingress could not be read, so a maintenance switched on through it is not seen: %s)'
                  % ((ingress or {}).get('error') or 'not read'))
    requested = mode.get('requested') or mode.get('driver')
    if held and step != 'on':
        out.update(driver=held, reason=held_why + ('' if requested in (held, 'auto') else ', whatever sorry_driver=%s says' % requested))
        return out
    if held:
        if requested == 'ingress' and held == 'alb':
            raise ValueError('sorry_driver=ingress, but this site is %s: run `off` first (it uses the ALB driver), or run '
                             '`on` with sorry_driver=auto to keep the ALB driver. Nothing was changed.' % held_why)
        out.update(driver=held, reason=held_why + ' - kept until `off`')
        return out
    why_not = _why_not_ingress(info, lbc, ingress, ingresses, ingress_problem if step in ('on', 'prepare') else '')
    if requested == 'ingress':
        if why_not and step in ('on', 'prepare'):
            raise ValueError('sorry_driver=ingress cannot switch this site: %s. Run with sorry_driver=alb (the ALB rules, '
                             'with the controller paused) or fix that first. Nothing was changed.' % why_not)
        out.update(driver='ingress', reason='sorry_driver=ingress' + (' (%s)' % why_not if why_not else ''))
        return out
    if why_not:
        if step != 'on' and not why_not.startswith(INGRESS_UNREADABLE):
            why_not += unseen
        out.update(driver='alb', reason='auto: ' + why_not)
        return out
    lbc = lbc or {}
    lb = (info or {}).get('load_balancer') or {}
    out.update(driver='ingress', reason='auto: the controller %s of cluster %s runs (%s available) and manages this ALB (%s)' % (
        lbc.get('deployment') or '?', lb.get('cluster_name'), lbc.get('available_replicas'),
        ('Ingresses ' + ', '.join(ingresses)) if ingresses else 'stack ' + (out['stack'] or '?')))
    return out


def controller_cannot_act(lbc, site=''):
    """Why the controller cannot put an Ingress change on the ALB now ('' when it can): paused (another site holds
    the pause in an outage) or no available replica. ``lbc``: lbc_pause status's ``controller``; unknown says ''."""
    lbc = lbc or {}
    if lbc.get('action') in (None, '', 'unknown', 'not_needed'):
        return ''
    holders = [h for h in lbc.get('holders') or [] if h != site]
    if holders:
        return 'the controller is paused, held by %s (EKS-outage mode)' % ', '.join(holders)
    if not lbc.get('available_replicas'):
        return 'the controller %s has no available replica' % (lbc.get('deployment') or '?')
    return ''
