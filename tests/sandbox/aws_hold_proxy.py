"""The hold proxy of ``k8s_hold_proxy`` in front of moto, its requests labelled by AWS operation.

Labels are operation names as the counting proxy reads them (``CreateRule``,
``DescribeRules``, ``SetRulePriorities`` ...), so a test says

    b_created = proxy_b.answered('^CreateRule$')
    proxy_a.hold('^CreateRule$', until=b_created)

and gives each run its proxy's ``url`` as endpoint_url.
"""
from tests.sandbox.counting_proxy import operation_name
from tests.sandbox.k8s_hold_proxy import HoldProxy, Timeline

__all__ = ['AwsHoldProxy', 'Timeline']


class AwsHoldProxy(HoldProxy):
    """HoldProxy whose labels are AWS operation names."""

    label = staticmethod(operation_name)
