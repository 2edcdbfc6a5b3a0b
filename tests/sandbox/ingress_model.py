"""The listener rules the AWS Load Balancer Controller would program for one stack of Ingresses.

Pure: Ingress dicts (as the API serves them) in, ELBv2 rule specs out, in the
form CreateRule/ModifyRule accept. Written after reading the controller's
``pkg/ingress`` (listener rules, path sorting, group ordering, actions,
annotations); what it does, in the controller's order:

- the stack: an IngressGroup (``alb.ingress.kubernetes.io/group.name``,
  every member in any namespace) or one Ingress without a group
  (``namespace/name``); only Ingresses of the ``alb`` class, not being deleted;
- members by ``group.order`` (-1000..1000, default 0), ties by namespace/name;
- per member, its ``spec.rules`` in order; inside one entry the paths sorted
  Exact, then Prefix longest first, then ImplementationSpecific (or no
  pathType), each kind keeping its written order;
- host-header (the rule's host) and path-pattern (Prefix ``/x`` -> ``/x``,
  ``/x/*``; Prefix ``/`` -> ``/*``; Exact as written; ImplementationSpecific
  as written) conditions, plus ``conditions.<service>`` JSON conditions;
- the action: ``actions.<service>`` JSON when the backend's port name is
  ``use-annotation`` (fixed-response, redirect, forward to targetGroupARN(s)),
  else a forward to the target group of that service (``target_groups``
  maps ``namespace/service:port`` or ``namespace/service`` to its ARN: the
  controller creates one per service port, here the seed made them);
- rules on each member's ``listen-ports`` (default HTTP:80, HTTPS:443 when
  it has ``certificate-arn``), numbered 1..N per listener port; with
  ``ssl-redirect`` no rules on HTTP listeners, whose default action redirects;
- on each rule the controller's tags: ``elbv2.k8s.aws/cluster``,
  ``ingress.k8s.aws/stack``, ``ingress.k8s.aws/resource`` (``port:priority``).

Not modelled: the rule optimizer (infinite/overshadowed redirects), auth
actions, transforms, regex paths, ``defaultBackend``, service lookups by
name. Anything the controller would refuse raises ``IngressModelError``
(then the real controller changes nothing on the ALB, and neither does the
stand-in).
"""
import json

PREFIX = 'alb.ingress.kubernetes.io/'
GROUP_NAME = PREFIX + 'group.name'
GROUP_ORDER = PREFIX + 'group.order'
LISTEN_PORTS = PREFIX + 'listen-ports'
SSL_REDIRECT = PREFIX + 'ssl-redirect'
CERTIFICATE_ARN = PREFIX + 'certificate-arn'
CLASS_ANNOTATION = 'kubernetes.io/ingress.class'
USE_ANNOTATION = 'use-annotation'
CLUSTER_TAG, STACK_TAG, RESOURCE_TAG = 'elbv2.k8s.aws/cluster', 'ingress.k8s.aws/stack', 'ingress.k8s.aws/resource'
MIN_ORDER, MAX_ORDER = -1000, 1000
NOT_FOUND_DEFAULT = [{'Type': 'fixed-response', 'FixedResponseConfig': {
    'StatusCode': '404', 'ContentType': 'text/plain', 'MessageBody': ''}}]

# annotation JSON key (lower-cased) -> (API field, API config key, API keys of the config)
_CONDITIONS = {
    'http-header': ('httpheaderconfig', 'HttpHeaderConfig', {'httpheadername': 'HttpHeaderName', 'values': 'Values'}),
    'http-request-method': ('httprequestmethodconfig', 'HttpRequestMethodConfig', {'values': 'Values'}),
    'query-string': ('querystringconfig', 'QueryStringConfig', {'values': 'Values'}),
    'source-ip': ('sourceipconfig', 'SourceIpConfig', {'values': 'Values'}),
}
_REDIRECT_KEYS = ('host', 'path', 'port', 'protocol', 'query', 'statuscode')
_API_REDIRECT = {'host': 'Host', 'path': 'Path', 'port': 'Port', 'protocol': 'Protocol', 'query': 'Query',
                 'statuscode': 'StatusCode'}


class IngressModelError(ValueError):
    """The controller would refuse to build this stack (bad annotation, unknown backend...)."""


def _name(ing):
    return '%s/%s' % (ing['metadata'].get('namespace', ''), ing['metadata']['name'])


def _annotations(ing):
    return ing['metadata'].get('annotations') or {}


def _lower_keys(value):
    """Go's JSON decoding matches keys case-insensitively: so does this model."""
    if isinstance(value, dict):
        return {str(k).lower(): _lower_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_lower_keys(v) for v in value]
    return value


def _json_annotation(ing, key):
    raw = _annotations(ing).get(PREFIX + key)
    if raw is None:
        return None
    try:
        return _lower_keys(json.loads(raw))
    except ValueError as exc:
        raise IngressModelError('Ingress %s: annotation %s%s is not valid JSON: %s' % (_name(ing), PREFIX, key, exc)) from exc


def ingress_class(ing):
    return (ing.get('spec') or {}).get('ingressClassName') or _annotations(ing).get(CLASS_ANNOTATION)


def stack_of(ing):
    """The stack an Ingress belongs to: its group name, or ``namespace/name`` without a group."""
    group = _annotations(ing).get(GROUP_NAME)
    return group if group else _name(ing)


def group_order(ing):
    raw = _annotations(ing).get(GROUP_ORDER)
    if raw is None:
        return 0
    try:
        order = int(str(raw).strip())
    except ValueError as exc:
        raise IngressModelError('Ingress %s: group.order %r is not an integer' % (_name(ing), raw)) from exc
    if not MIN_ORDER <= order <= MAX_ORDER:
        raise IngressModelError('Ingress %s: group.order %d is outside %d..%d' % (_name(ing), order, MIN_ORDER, MAX_ORDER))
    return order


def in_stack(ingresses, stack, ingress_class_name='alb'):
    """The Ingresses of ``stack`` as listed (never raises: for reporting on a stack the model refuses)."""
    return [i for i in ingresses if stack_of(i) == stack and ingress_class(i) == ingress_class_name
            and not i['metadata'].get('deletionTimestamp')]


def stack_members(ingresses, stack, ingress_class_name='alb'):
    """The Ingresses of ``stack``, in the controller's order (group.order, then namespace/name)."""
    return sorted(in_stack(ingresses, stack, ingress_class_name), key=lambda i: (group_order(i), _name(i)))


def listen_ports(ing):
    """[(protocol, port)] of one Ingress."""
    raw = _json_annotation(ing, 'listen-ports')
    if raw is None:
        return [('HTTPS', 443)] if _annotations(ing).get(CERTIFICATE_ARN) else [('HTTP', 80)]
    ports = []
    try:
        for entry in raw:
            for proto, port in entry.items():
                proto = proto.upper()
                if proto not in ('HTTP', 'HTTPS'):
                    raise IngressModelError('Ingress %s: listen-ports protocol %r: only HTTP or HTTPS' % (_name(ing), proto))
                ports.append((proto, int(port)))
    except (AttributeError, TypeError, ValueError) as exc:
        if isinstance(exc, IngressModelError):
            raise
        raise IngressModelError('Ingress %s: listen-ports must be like [{"HTTP": 80}, {"HTTPS": 443}]: %s'
                                % (_name(ing), exc)) from exc
    return ports


def ssl_redirect_port(members):
    """The port of the group's ``ssl-redirect`` (None: no redirect); members must agree."""
    values = {_annotations(i)[SSL_REDIRECT].strip() for i in members if _annotations(i).get(SSL_REDIRECT)}
    if len(values) > 1:
        raise IngressModelError('conflicting ssl-redirect values in the group: %s' % ', '.join(sorted(values)))
    return values.pop() if values else None


def sort_paths(paths):
    """Exact first, then Prefix longest first, then ImplementationSpecific (or none); stable within each."""
    exact, prefix, other = [], [], []
    for path in paths:
        kind = path.get('pathType') or 'ImplementationSpecific'
        if kind == 'Exact':
            exact.append(path)
        elif kind == 'Prefix':
            prefix.append(path)
        elif kind == 'ImplementationSpecific':
            other.append(path)
        else:
            raise IngressModelError('unknown pathType %r for path %s' % (kind, path.get('path')))
    return exact + sorted(prefix, key=lambda p: -len(p.get('path') or '')) + other


def path_patterns(path, path_type):
    """The path-pattern values of one Ingress path."""
    path_type = path_type or 'ImplementationSpecific'
    if path_type == 'Prefix':
        if path == '/':
            return ['/*']
        if '*' in path or '?' in path:
            raise IngressModelError('prefix path must not contain wildcards: %s' % path)
        trimmed = path[:-1] if path.endswith('/') else path
        return [trimmed, trimmed + '/*']
    if path_type == 'Exact' and ('*' in path or '?' in path):
        raise IngressModelError('exact path must not contain wildcards: %s' % path)
    return [path]


def _annotation_conditions(ing, service):
    """``conditions.<service>``: host/path values to merge, and the other conditions in API form."""
    raw = _json_annotation(ing, 'conditions.' + service)
    hosts, paths, others = [], [], []
    for cond in raw or []:
        field = cond.get('field') if isinstance(cond, dict) else None
        if field == 'host-header':
            hosts += (cond.get('hostheaderconfig') or {}).get('values') or []
        elif field == 'path-pattern':
            paths += (cond.get('pathpatternconfig') or {}).get('values') or []
        elif field in _CONDITIONS:
            key, api_key, names = _CONDITIONS[field]
            config = cond.get(key)
            if not config:
                raise IngressModelError('Ingress %s: conditions.%s: %s needs %s' % (_name(ing), service, field, key))
            api = {names[k]: v for k, v in config.items() if k in names}
            if field == 'query-string':
                api['Values'] = [dict({'Value': v.get('value', '')}, **({'Key': v['key']} if v.get('key') else {}))
                                 for v in api.get('Values') or []]
            others.append({'Field': field, api_key: api})
        else:
            raise IngressModelError('Ingress %s: conditions.%s: unknown field %r' % (_name(ing), service, field))
    return hosts, paths, others


def _forward(groups):
    if len(groups) == 1:
        return {'Type': 'forward', 'TargetGroupArn': groups[0][0]}
    return {'Type': 'forward', 'ForwardConfig': {'TargetGroups': [
        {'TargetGroupArn': arn, 'Weight': weight} for arn, weight in groups]}}


def _service_target_group(ing, service, port, target_groups):
    namespace = ing['metadata'].get('namespace', '')
    for key in ('%s/%s:%s' % (namespace, service, port), '%s/%s' % (namespace, service)):
        if key in target_groups:
            return target_groups[key]
    raise IngressModelError('Ingress %s: no target group for service %s/%s port %s (the stand-in controller '
                            'creates none: give it in target_groups)' % (_name(ing), namespace, service, port))


def _annotation_action(ing, service, target_groups):
    raw = _json_annotation(ing, 'actions.' + service)
    if raw is None:
        raise IngressModelError('Ingress %s: missing annotation %sactions.%s (the backend says use-annotation)'
                                % (_name(ing), PREFIX, service))
    kind = raw.get('type') if isinstance(raw, dict) else None
    if kind == 'fixed-response':
        cfg = raw.get('fixedresponseconfig') or {}
        if not cfg.get('statuscode'):
            raise IngressModelError('Ingress %s: actions.%s: fixedResponseConfig.statusCode is required' % (_name(ing), service))
        api = {'StatusCode': str(cfg['statuscode'])}
        if cfg.get('contenttype') is not None:
            api['ContentType'] = cfg['contenttype']
        if cfg.get('messagebody') is not None:
            api['MessageBody'] = cfg['messagebody']
        return {'Type': 'fixed-response', 'FixedResponseConfig': api}
    if kind == 'redirect':
        cfg = raw.get('redirectconfig') or {}
        if not cfg.get('statuscode'):
            raise IngressModelError('Ingress %s: actions.%s: redirectConfig.statusCode is required' % (_name(ing), service))
        return {'Type': 'redirect', 'RedirectConfig': {_API_REDIRECT[k]: str(cfg[k]) for k in _REDIRECT_KEYS if cfg.get(k) is not None}}
    if kind == 'forward':
        if raw.get('targetgrouparn'):
            return _forward([(raw['targetgrouparn'], 1)])
        tuples = (raw.get('forwardconfig') or {}).get('targetgroups') or []
        if not tuples:
            raise IngressModelError('Ingress %s: actions.%s: forward needs targetGroupARN or forwardConfig.targetGroups'
                                    % (_name(ing), service))
        if len(tuples) > 1 and any(t.get('weight') is None for t in tuples):
            raise IngressModelError('Ingress %s: actions.%s: weight must be set when forwarding to several target groups'
                                    % (_name(ing), service))
        groups = []
        for item in tuples:
            if item.get('targetgrouparn'):
                arn = item['targetgrouparn']
            elif item.get('servicename'):
                arn = _service_target_group(ing, item['servicename'], item.get('serviceport'), target_groups)
            else:
                raise IngressModelError('Ingress %s: actions.%s: a target group needs targetGroupARN or serviceName'
                                        % (_name(ing), service))
            groups.append((arn, int(item.get('weight') if item.get('weight') is not None else 1)))
        return _forward(groups)
    raise IngressModelError('Ingress %s: actions.%s: unknown type %r (fixed-response, forward or redirect)'
                            % (_name(ing), service, kind))


def path_rule(ing, host, path, target_groups):
    """(conditions, actions) of one Ingress path."""
    backend = (path.get('backend') or {}).get('service')
    if not backend or not backend.get('name'):
        raise IngressModelError('Ingress %s: path %s: missing backend service' % (_name(ing), path.get('path')))
    service, port = backend['name'], backend.get('port') or {}
    extra_hosts, extra_paths, conditions = _annotation_conditions(ing, service)
    if port.get('name') == USE_ANNOTATION:
        action = _annotation_action(ing, service, target_groups)
    else:
        action = _forward([(_service_target_group(ing, service, port.get('name') or port.get('number'), target_groups), 1)])
    hosts = ([host] if host else []) + extra_hosts
    paths = (path_patterns(path['path'], path.get('pathType')) if path.get('path') else []) + extra_paths
    if hosts:
        conditions.append({'Field': 'host-header', 'HostHeaderConfig': {'Values': hosts}})
    if paths:
        conditions.append({'Field': 'path-pattern', 'PathPatternConfig': {'Values': paths}})
    if not conditions:
        conditions.append({'Field': 'path-pattern', 'PathPatternConfig': {'Values': ['/*']}})
    return conditions, [action]


def listener_rules(ingresses, stack, target_groups=None, cluster_name='sandbox', ingress_class_name='alb'):
    """{port: {'protocol', 'rules': [{'priority', 'conditions', 'actions', 'tags'}], 'default_actions'}}.

    ``ingresses``: every Ingress the controller sees (others are filtered
    out); ``stack``: the group name or ``namespace/name``; ``target_groups``:
    ``namespace/service[:port]`` -> target group ARN for plain backends.
    """
    target_groups = target_groups or {}
    members = stack_members(ingresses, stack, ingress_class_name)
    redirect_port = ssl_redirect_port(members)
    listeners = {}
    for ing in members:
        ports = listen_ports(ing)
        for proto, port in ports:
            have = listeners.setdefault(port, {'protocol': proto, 'entries': []})
            if have['protocol'] != proto:
                raise IngressModelError('port %d is both %s and %s in stack %s' % (port, have['protocol'], proto, stack))
        built = []
        for entry in (ing.get('spec') or {}).get('rules') or []:
            if not entry.get('http'):
                continue
            for path in sort_paths(entry['http'].get('paths') or []):
                built.append(path_rule(ing, entry.get('host'), path, target_groups))
        for proto, port in ports:
            if not (redirect_port and proto == 'HTTP'):
                listeners[port]['entries'] += built
    out = {}
    for port, info in sorted(listeners.items()):
        rules = []
        for priority, (conditions, actions) in enumerate(info['entries'], start=1):
            rules.append({'priority': priority, 'conditions': conditions, 'actions': actions,
                          'tags': {CLUSTER_TAG: cluster_name, STACK_TAG: stack, RESOURCE_TAG: '%d:%d' % (port, priority)}})
        if redirect_port and info['protocol'] == 'HTTP':
            default = [{'Type': 'redirect', 'RedirectConfig': {'Port': redirect_port, 'Protocol': 'HTTPS', 'StatusCode': 'HTTP_301'}}]
        else:
            default = [dict(a) for a in NOT_FOUND_DEFAULT]
        out[port] = {'protocol': info['protocol'], 'rules': rules, 'default_actions': default}
    return out
