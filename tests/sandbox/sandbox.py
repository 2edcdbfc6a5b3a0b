"""The whole sandbox in one object: AWS, Kubernetes, the controller, the data plane.

Used by ``python -m tests.sandbox`` (``make sandbox``, ``make demo``), the
benchmarks and the end-to-end tests.
"""
import os
import shutil
import tempfile

from tests.sandbox.aws import MotoServer
from tests.sandbox.counting_proxy import CountingProxy
from tests.sandbox.dataplane import DataPlane
from tests.sandbox.k8s_api import K8sApi
from tests.sandbox.lbc_reconciler import LbcReconciler
from tests.sandbox.sample_app import SampleApp
from tests.sandbox.seed import seed_assets, seed_ingress, seed_site

CLUSTER = 'sandbox'
OFFICE_CIDR = '127.0.0.2/32'


def take_moto():
    """The sandbox's moto server: a reset one this process released before, or a new one (tests/sandbox/aws.py)."""
    return MotoServer.take()


class Sandbox:
    """Start with ``start()`` (or ``with Sandbox() as sb``); ``env()`` feeds inventories/local.

    ``ingress=True`` also seeds each site's Ingress (``seed_ingress``, kept in
    ``ingresses``) and, with ``controller``, runs the controller in Ingress
    mode: one reconciler per site (``reconcilers``; ``reconciler`` is the
    first one) building the rules from the Ingresses. ``path_routed=False``
    seeds hosts that go to one target group each (the Ingress driver's
    bypass forwards to one); ``ingress_group`` seeds an IngressGroup;
    ``redirect_http`` an HTTP listener that only redirects (ssl-redirect).

    ``app_pods=True`` (with ``ingress``) makes the target groups real ones of
    ``target-type: ip``: each Service gets its application Deployment (2
    pods, image ``<service>:1.0``), the controller registers the ready pods'
    podIPs while it acts (``register_targets``; without ``controller`` nobody
    does, so forwards answer 503), and the data plane forwards
    only to a registered target whose pod runs (``app_targets()``), saying
    which (``X-Sandbox-Target``, ``X-Sandbox-Version``): no registered target
    503, only gone ones 502.
    """

    def __init__(self, site_names=('shop',), pod_delay=1.0, controller=False, controller_interval=1.0, workdir=None,
                 ingress=False, path_routed=True, ingress_group=None, redirect_http=False, app_pods=False):
        if app_pods and not ingress:
            raise ValueError('app_pods needs ingress=True: the pods back the Services of the seeded Ingresses')
        self.site_names = list(site_names)
        self.pod_delay = pod_delay
        self.controller = controller
        self.controller_interval = controller_interval
        self.ingress = ingress
        self.path_routed = path_routed
        self.ingress_group = ingress_group
        self.redirect_http = redirect_http
        self.app_pods = app_pods
        self.ingresses = []
        self.reconcilers = []
        self._own_workdir = workdir is None
        self.workdir = workdir or tempfile.mkdtemp(prefix='sorrypage-sandbox-')
        self.moto = self.proxy = self.kube = self.app = self.reconciler = None
        self.sites = []
        self.assets = None
        self.dataplane = None
        self.kubeconfig = os.path.join(self.workdir, 'kubeconfig')

    def start(self):
        try:
            self._start()
        except Exception:
            self.stop()
            raise
        return self

    def _start(self):
        self.moto = take_moto()
        self.proxy = CountingProxy(self.moto.url).start()
        self.sites = [seed_site(self.moto, name=name, cluster_name=CLUSTER, path_routed=self.path_routed,
                                ingress_group=self.ingress_group, redirect_http=self.redirect_http)
                      for name in self.site_names]
        self.assets = seed_assets(self.moto)
        self.kube = K8sApi(pod_delay=self.pod_delay).start()
        self.kube.seed_lbc(cluster_name=CLUSTER)
        self.kube.write_kubeconfig(self.kubeconfig)
        if self.ingress:
            self.ingresses = [seed_ingress(self.kube, site, app_pods=self.app_pods) for site in self.sites]
        self.app = SampleApp().start()
        elbv2 = self.moto.client('elbv2')
        # Rule changes show at once; a test that needs a real ALB's propagation lag holds it
        # (self.dataplane.hold_propagation) and says when it ends.
        self.dataplane = DataPlane(elbv2, [s['load_balancer_arn'] for s in self.sites], self.app.url,
                                   refresh_interval=0.05, live_targets=self.app_targets if self.app_pods else None).start()
        if self.controller and self.ingress:
            for site, seeded in zip(self.sites, self.ingresses):
                self.reconcilers.append(LbcReconciler(
                    self.kube, elbv2=elbv2, listener_arns=list(site['listeners'].values()), interval=self.controller_interval,
                    ingress_stack=seeded['stack'], target_groups=seeded['target_groups'], cluster_name=CLUSTER,
                    register_targets=self.app_pods).start())
            self.reconciler = self.reconcilers[0]
        elif self.controller:
            listeners = [arn for s in self.sites for arn in s['listeners'].values()]
            self.reconciler = LbcReconciler(self.kube, elbv2=elbv2, listener_arns=listeners,
                                            interval=self.controller_interval).start()
            self.reconcilers = [self.reconciler]
        for reconciler in self.reconcilers:
            # A client's write to the Kubernetes API (a playbook's) wakes the controller at once, as a watch event
            # does the real one. It does not watch the ALB: changes there wait for its next pass.
            self.kube.write_listeners.append(reconciler.poke)

    def app_targets(self):
        """{podIP: image} of the pods running now (Terminating ones too: their process still answers)."""
        found = {}
        for pod in self.kube.list('pods'):
            status = pod.get('status') or {}
            containers = (pod.get('spec') or {}).get('containers') or [{}]
            if status.get('phase') == 'Running' and status.get('podIP'):
                found[status['podIP']] = containers[0].get('image') or '-'
        return found

    def url_for(self, port=80, site=0):
        return self.dataplane.url_for(port, self.sites[site]['load_balancer_arn'])

    def env(self, site=0):
        """The environment variables inventories/local reads."""
        chosen = self.sites[site]
        return {
            'SORRY_AWS_ENDPOINT_URL': self.proxy.url,
            'SORRY_REGION': 'us-east-1',
            'SORRY_LOAD_BALANCER_NAME': chosen['load_balancer_name'],
            'SORRY_KUBECONFIG': self.kubeconfig,
            'SORRY_ASSETS_BUCKET': self.assets['bucket'],
            'SORRY_ASSETS_PREFIX': self.assets['prefix'],
            'SORRY_PUBLIC_URL': self.assets['public_url'],
            'SORRY_CLOUDFRONT_DISTRIBUTION_ID': self.assets['distribution_id'],
            'SORRY_VERIFY_URL': self.url_for(80, site) + '/',
            'SORRY_BYPASS_CIDRS': OFFICE_CIDR,
            'AWS_ACCESS_KEY_ID': 'testing',
            'AWS_SECRET_ACCESS_KEY': 'testing',
            'AWS_DEFAULT_REGION': 'us-east-1',
        }

    def stop(self):
        for part in (self.reconcilers or [self.reconciler]) + [self.dataplane, self.app, self.kube, self.proxy]:
            if part is not None:
                part.stop()
        if self.moto is not None:
            self.moto.release()   # reset, for the next sandbox of this process: nothing uses it any more
            self.moto = None
        if self._own_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
