"""The local sandbox: AWS (moto), a stand-in Kubernetes API and an ALB data plane, on loopback."""
