"""Seed the sandbox with a realistic estate.

``seed_site`` builds an ALB shaped like one the AWS Load Balancer Controller
manages from Ingresses: its tags, rules numbered from 1 on every listener,
host-header + path-pattern conditions for two products on one ALB, a fixed
404 as the default action, HTTP and HTTPS listeners. ``seed_ingress`` puts in
the stand-in Kubernetes API the Ingress(es) the controller would have built
those rules from (for the Ingress mode of ``LbcReconciler``). ``seed_assets``
makes the assets bucket and a CloudFront distribution in front of it.
"""
import hashlib
import json

REGION = 'us-east-1'
DEFAULT_HOSTS = ('shop.example.test', 'blog.example.test')


def _suffix(*parts):
    return hashlib.sha256('/'.join(parts).encode()).hexdigest()[:10]


def _network(ec2, name):
    vpc = ec2.create_vpc(CidrBlock='10.20.0.0/16')['Vpc']['VpcId']
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock='10.20.%d.0/24' % i, AvailabilityZone='%s%s' % (REGION, az))['Subnet']['SubnetId']
        for i, az in enumerate('ab')
    ]
    sg = ec2.create_security_group(GroupName='k8s-%s-sg' % name, Description='ALB', VpcId=vpc)['GroupId']
    return vpc, subnets, sg


def _server_certificate(iam, name):
    """An IAM server certificate for the HTTPS listener (moto does not check it)."""
    body = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n'
    key = '-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n'
    meta = iam.upload_server_certificate(ServerCertificateName='%s-cert' % name,
                                         CertificateBody=body, PrivateKey=key)
    return meta['ServerCertificateMetadata']['Arn']


def seed_site(aws, name='shop', hosts=DEFAULT_HOSTS, cluster_name='sandbox', controller_managed=True,
              https=True, redirect_http=False, ip_address_type='ipv4', ingress_group=None, path_routed=True):
    """Create one site (one ALB) and return what tests and inventories need.

    ``aws`` is a MotoServer (anything with ``client(service)``). Two products
    share the ALB by host name: ``hosts[0]`` has ``/api/*`` and ``/*`` rules
    (two target groups; only ``/*`` with ``path_routed=False``), ``hosts[1]``
    one ``/*`` rule. The controller's stack
    is the Ingress ``<name>/main`` (no group), or the IngressGroup
    ``ingress_group`` when given.
    """
    elbv2, ec2 = aws.client('elbv2'), aws.client('ec2')
    vpc, subnets, sg = _network(ec2, name)
    stack = ingress_group or '%s/main' % name
    sfx = _suffix(cluster_name, stack)
    lb_name = ('k8s-%s-main-%s' % (name, sfx))[:32] if controller_managed else ('%s-alb' % name)[:32]

    lb_tags = [{'Key': 'Team', 'Value': name}]
    if controller_managed:
        lb_tags += [{'Key': 'elbv2.k8s.aws/cluster', 'Value': cluster_name},
                    {'Key': 'ingress.k8s.aws/stack', 'Value': stack},
                    {'Key': 'ingress.k8s.aws/resource', 'Value': 'LoadBalancer'}]
    lb = elbv2.create_load_balancer(Name=lb_name, Subnets=subnets, SecurityGroups=[sg], Scheme='internet-facing',
                                    Type='application', IpAddressType=ip_address_type, Tags=lb_tags)['LoadBalancers'][0]

    product_a, product_b = hosts[0].split('.')[0], hosts[1].split('.')[0]
    tg_specs = [('%s-web' % product_a, hosts[0], '/*'), ('%s-api' % product_a, hosts[0], '/api/*'),
                ('%s-web' % product_b, hosts[1], '/*')]
    target_groups = {}
    for tg_name, _host, _path in tg_specs:
        tg_tags = [{'Key': 'elbv2.k8s.aws/cluster', 'Value': cluster_name},
                   {'Key': 'ingress.k8s.aws/stack', 'Value': stack}] if controller_managed else []
        full = ('k8s-%s-%s' % (tg_name, _suffix(lb_name, tg_name)[:8]))[:32]
        tg = elbv2.create_target_group(Name=full, Protocol='HTTP', Port=8080, VpcId=vpc, TargetType='ip',
                                       HealthCheckPath='/healthz', **({'Tags': tg_tags} if tg_tags else {}))
        target_groups[tg_name] = tg['TargetGroups'][0]['TargetGroupArn']

    if controller_managed:
        default_actions = [{'Type': 'fixed-response', 'FixedResponseConfig': {
            'StatusCode': '404', 'ContentType': 'text/plain', 'MessageBody': ''}}]
    else:
        default_actions = [{'Type': 'forward', 'TargetGroupArn': target_groups['%s-web' % product_a]}]

    # Controller order: the more specific path first, then host catch-alls.
    ordered = [tg_specs[1], tg_specs[0], tg_specs[2]] if path_routed else [tg_specs[0], tg_specs[2]]
    listeners = {}
    ports = [(80, 'HTTP')] + ([(443, 'HTTPS')] if https else [])
    cert = _server_certificate(aws.client('iam'), lb_name) if https else None
    for port, proto in ports:
        kwargs = {}
        if proto == 'HTTPS':
            kwargs = {'Certificates': [{'CertificateArn': cert}], 'SslPolicy': 'ELBSecurityPolicy-TLS13-1-2-2021-06'}
        if port == 80 and redirect_http:
            actions = [{'Type': 'redirect', 'RedirectConfig': {'Protocol': 'HTTPS', 'Port': '443', 'StatusCode': 'HTTP_301'}}]
        else:
            actions = default_actions
        listener = elbv2.create_listener(LoadBalancerArn=lb['LoadBalancerArn'], Protocol=proto, Port=port,
                                         DefaultActions=actions, **kwargs)['Listeners'][0]
        listeners[port] = listener['ListenerArn']
        if port == 80 and redirect_http:
            continue
        for index, (tg_name, host, path) in enumerate(ordered, start=1):
            tags = [{'Key': 'elbv2.k8s.aws/cluster', 'Value': cluster_name},
                    {'Key': 'ingress.k8s.aws/stack', 'Value': stack},
                    {'Key': 'ingress.k8s.aws/resource', 'Value': '%d:%d' % (port, index)}] if controller_managed else []
            elbv2.create_rule(
                ListenerArn=listener['ListenerArn'], Priority=index,
                Conditions=[{'Field': 'host-header', 'HostHeaderConfig': {'Values': [host]}},
                            {'Field': 'path-pattern', 'PathPatternConfig': {'Values': [path]}}],
                Actions=[{'Type': 'forward', 'TargetGroupArn': target_groups[tg_name]}],
                **({'Tags': tags} if tags else {}))

    return {
        'name': name,
        'load_balancer_name': lb_name,
        'load_balancer_arn': lb['LoadBalancerArn'],
        'dns_name': lb['DNSName'],
        'listeners': listeners,
        'target_groups': target_groups,
        'hosts': list(hosts),
        'cluster_name': cluster_name if controller_managed else None,
        'controller_managed': controller_managed,
        'stack': stack if controller_managed else None,
        'https': https,
        'redirect_http': redirect_http,
        'path_routed': path_routed,
    }


def _path(path, service):
    return {'path': path, 'pathType': 'ImplementationSpecific',
            'backend': {'service': {'name': service, 'port': {'number': 80}}}}


def seed_app_deployment(api, namespace, service, version='1.0', replicas=2):
    """The application's Deployment behind ``service``: labels and selector ``{'app': service}``, image ``<service>:<version>``.

    Its pods start out ready, each with its podIP (the targets a ``target-type: ip`` target group registers).
    """
    labels = {'app': service}
    return api.create({'apiVersion': 'apps/v1', 'kind': 'Deployment', 'metadata': {
        'name': service, 'namespace': namespace, 'labels': dict(labels)}, 'spec': {
        'replicas': replicas, 'selector': {'matchLabels': dict(labels)},
        'template': {'metadata': {'labels': dict(labels)}, 'spec': {'containers': [{
            'name': 'app', 'image': '%s:%s' % (service, version),
            'ports': [{'name': 'http', 'containerPort': 8080, 'protocol': 'TCP'}]}]}}}})


def seed_ingress(api, site, ingress_class='alb', app_pods=False):
    """The Ingress(es) the controller built ``site``'s rules from, in the stand-in API ``api`` (a K8sApi).

    Without a group (the stack ``<namespace>/<name>``): one Ingress with
    ``spec.rules`` hosts[0] (``/api/*``, ``/*``) then hosts[1] (``/*``). With
    an IngressGroup: one Ingress per host in namespace ``site['name']``,
    ``group.order`` 1 and 2. Paths are ImplementationSpecific, so the path
    patterns are the seeded ones exactly; backends are Services named like
    the target groups (also created, port 80). ``app_pods``: also one
    application Deployment per Service (``seed_app_deployment``: 2 replicas,
    image ``<service>:1.0``), so the Services have pods with podIPs. Returns ``{'stack',
    'ingresses': ['ns/name', ...], 'target_groups': {'ns/service': arn}}``,
    what ``LbcReconciler(ingress_stack=..., target_groups=...)`` takes.
    """
    if not site.get('controller_managed'):
        raise ValueError('site %s is not controller-managed: no Ingress builds its rules' % site['name'])
    stack = site['stack']
    namespace = stack.split('/')[0] if '/' in stack else site['name']
    if not api.get('namespaces', namespace):
        api.create({'apiVersion': 'v1', 'kind': 'Namespace', 'metadata': {'name': namespace}})
    product_a, product_b = site['hosts'][0].split('.')[0], site['hosts'][1].split('.')[0]
    services = ['%s-api' % product_a, '%s-web' % product_a, '%s-web' % product_b]
    for service in services:
        if not api.get('services', service, namespace):
            api.create({'apiVersion': 'v1', 'kind': 'Service', 'metadata': {'name': service, 'namespace': namespace},
                        'spec': {'type': 'ClusterIP', 'selector': {'app': service},
                                 'ports': [{'name': 'http', 'port': 80, 'targetPort': 8080}]}})
        if app_pods and not api.get('deployments', service, namespace):
            seed_app_deployment(api, namespace, service)
    ports = [{'HTTP': 80}] + ([{'HTTPS': 443}] if site.get('https', True) else [])
    base = {'alb.ingress.kubernetes.io/scheme': 'internet-facing', 'alb.ingress.kubernetes.io/target-type': 'ip',
            'alb.ingress.kubernetes.io/listen-ports': json.dumps(ports)}
    if site.get('redirect_http'):
        base['alb.ingress.kubernetes.io/ssl-redirect'] = '443'
    first_paths = [_path('/api/*', services[0])] if site.get('path_routed', True) else []
    rules = [{'host': site['hosts'][0], 'http': {'paths': first_paths + [_path('/*', services[1])]}},
             {'host': site['hosts'][1], 'http': {'paths': [_path('/*', services[2])]}}]
    if '/' in stack:
        shaped = [(stack.split('/')[1], base, rules)]
    else:
        shaped = [('%s-%s' % (site['name'], product), dict(base, **{
            'alb.ingress.kubernetes.io/group.name': stack, 'alb.ingress.kubernetes.io/group.order': str(order)}), [rule])
            for order, (product, rule) in enumerate(zip((product_a, product_b), rules), start=1)]
    names = []
    for ing_name, annotations, ing_rules in shaped:
        api.create({'apiVersion': 'networking.k8s.io/v1', 'kind': 'Ingress', 'metadata': {
            'name': ing_name, 'namespace': namespace, 'annotations': annotations},
            'spec': {'ingressClassName': ingress_class, 'rules': ing_rules},
            'status': {'loadBalancer': {'ingress': [{'hostname': site['dns_name']}]}}})
        names.append('%s/%s' % (namespace, ing_name))
    return {'stack': stack, 'ingresses': names,
            'target_groups': {'%s/%s' % (namespace, svc): site['target_groups'][svc] for svc in services}}


def seed_assets(aws, bucket='sorrypage-assets', prefix='sorry/'):
    """The assets bucket and a CloudFront distribution in front of it."""
    s3, cloudfront = aws.client('s3'), aws.client('cloudfront')
    s3.create_bucket(Bucket=bucket)
    origin_domain = '%s.s3.%s.amazonaws.com' % (bucket, REGION)
    dist = cloudfront.create_distribution(DistributionConfig={
        'CallerReference': 'sorrypage-%s' % bucket,
        'Comment': 'Sorry page assets',
        'Enabled': True,
        'Origins': {'Quantity': 1, 'Items': [{
            'Id': 's3-assets', 'DomainName': origin_domain,
            'S3OriginConfig': {'OriginAccessIdentity': ''}}]},
        'DefaultCacheBehavior': {
            'TargetOriginId': 's3-assets', 'ViewerProtocolPolicy': 'redirect-to-https',
            'MinTTL': 0, 'ForwardedValues': {'QueryString': False, 'Cookies': {'Forward': 'none'}},
            'TrustedSigners': {'Enabled': False, 'Quantity': 0}},
    })['Distribution']
    # CloudFront's own domain does not resolve here; browsers load the assets
    # from the moto S3 endpoint, path-style, as they would from the CDN.
    return {
        'bucket': bucket,
        'prefix': prefix,
        'distribution_id': dist['Id'],
        'distribution_domain': dist['DomainName'],
        'public_url': '%s/%s/%s' % (aws.url, bucket, prefix.rstrip('/')),
    }


def snapshot_listener(elbv2, listener_arn):
    """Every rule of a listener with its tags, in a form two snapshots compare equal."""
    rules = []
    marker = None
    while True:
        kwargs = {'ListenerArn': listener_arn, 'PageSize': 400}
        if marker:
            kwargs['Marker'] = marker
        page = elbv2.describe_rules(**kwargs)
        rules.extend(page['Rules'])
        marker = page.get('NextMarker')
        if not marker:
            break
    arns = [r['RuleArn'] for r in rules if not r.get('IsDefault')]
    tags = {}
    for i in range(0, len(arns), 20):
        for desc in elbv2.describe_tags(ResourceArns=arns[i:i + 20])['TagDescriptions']:
            tags[desc['ResourceArn']] = sorted((t['Key'], t['Value']) for t in desc['Tags'])
    return sorted(
        (r['Priority'], r['RuleArn'], repr(r['Conditions']), repr(r['Actions']), tuple(tags.get(r['RuleArn'], ())))
        for r in rules)
