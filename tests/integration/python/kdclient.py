"""Shared helpers of the Python-client integration scripts.

Each script takes the kubeconfig path and a namespace name, drives the bundled API server
through the official Kubernetes Python client, and prints one JSON object of observed facts
on its last stdout line; tst_pythonclient.cpp compares those facts with what upstream does.
A script that cannot even reach that point exits non-zero with a message on stderr.
"""

import faulthandler
import json
import os
import sys

from kubernetes import client, config
from kubernetes.client.rest import ApiException


def connect():
    if len(sys.argv) != 3:
        sys.exit("usage: %s KUBECONFIG NAMESPACE" % sys.argv[0])
    # A script that hangs prints where, and exits before the C++ test gives up on it.
    faulthandler.dump_traceback_later(int(os.environ.get("KD_SCRIPT_TIMEOUT", "90")), exit=True)
    config.load_kube_config(config_file=sys.argv[1])
    return sys.argv[2]


def create_namespace(name):
    client.CoreV1Api().create_namespace(
        client.V1Namespace(metadata=client.V1ObjectMeta(name=name)))


def config_map(name, data=None, labels=None):
    return client.V1ConfigMap(
        metadata=client.V1ObjectMeta(name=name, labels=labels),
        data=data if data is not None else {"k": "v"})


def status_of(call):
    """Runs call, which must fail; returns the HTTP status and the decoded Status body."""
    try:
        call()
    except ApiException as error:
        try:
            body = json.loads(error.body) if error.body else None
        except ValueError:
            body = {"undecodable": error.body.decode("utf-8", "replace")
                    if isinstance(error.body, bytes) else error.body}
        return {"http": error.status, "body": body}
    sys.exit("expected the call to fail, but it succeeded")


def emit(facts):
    print(json.dumps(facts, sort_keys=True))
