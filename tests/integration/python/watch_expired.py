"""A watch from a resourceVersion the server no longer holds ends in 410 Gone; a relist and a
watch from the new version then works, as the client's documentation tells users to recover."""

import sys

from kubernetes import client, watch
from kubernetes.client.rest import ApiException

import kdclient

namespace = kdclient.connect()
core = client.CoreV1Api()
kdclient.create_namespace(namespace)
old_version = core.list_namespaced_config_map(namespace).metadata.resource_version
core.create_namespaced_config_map(namespace, kdclient.config_map("churn"))
# More writes than the test cluster's event ring holds push old_version out of it.
for i in range(60):
    core.patch_namespaced_config_map("churn", namespace, {"data": {"i": str(i)}})


def expire(**kwargs):
    try:
        for event in watch.Watch().stream(core.list_namespaced_config_map, namespace,
                                          resource_version=old_version, **kwargs):
            return {"unexpected_event": event["type"]}
    except ApiException as error:
        return {"http": error.status, "reason": error.reason}
    return {"unexpected": "the watch ended without an error"}


facts = {
    "old_version": old_version,
    # With a timeout the client raises on the first ERROR event; without one it retries once
    # from the same version and raises on the second.
    "with_timeout": expire(timeout_seconds=5),
    "with_retry": expire(),
}

relisted = core.list_namespaced_config_map(namespace)
watcher = watch.Watch()
core.create_namespaced_config_map(namespace, kdclient.config_map("after"))
seen = []
for event in watcher.stream(core.list_namespaced_config_map, namespace,
                            resource_version=relisted.metadata.resource_version,
                            timeout_seconds=5):
    seen.append([event["type"], event["object"].metadata.name])
    watcher.stop()
facts["after_relist"] = seen
kdclient.emit(facts)
sys.exit(0)
