"""List, then watch from the list's resourceVersion: exactly the later changes, in order."""

from kubernetes import client, watch

import kdclient

namespace = kdclient.connect()
core = client.CoreV1Api()
kdclient.create_namespace(namespace)
core.create_namespaced_config_map(namespace, kdclient.config_map("before"))
listed = core.list_namespaced_config_map(namespace)
list_version = int(listed.metadata.resource_version)

core.create_namespaced_config_map(namespace, kdclient.config_map("a"))
core.patch_namespaced_config_map("a", namespace, {"data": {"k": "changed"}})
core.create_namespaced_config_map(namespace, kdclient.config_map("b"))
core.delete_namespaced_config_map("a", namespace)


def collect(resource_version, count):
    events = []
    watcher = watch.Watch()
    for event in watcher.stream(core.list_namespaced_config_map, namespace,
                                resource_version=resource_version, timeout_seconds=5):
        events.append(event)
        if len(events) == count:
            watcher.stop()
    return events


events = collect(listed.metadata.resource_version, 4)
versions = [int(e["object"].metadata.resource_version) for e in events]
facts = {
    "events": [[e["type"], e["object"].metadata.name] for e in events],
    "typed_objects": all(isinstance(e["object"], client.V1ConfigMap) for e in events),
    "versions_increase": versions == sorted(set(versions)),
    "versions_after_list": all(v > list_version for v in versions),
    "modified_data": [e["object"].data for e in events if e["type"] == "MODIFIED"],
}
# Resuming from the second event's version replays only what came after it.
resumed = collect(events[1]["object"].metadata.resource_version, 2)
facts["resumed"] = [[e["type"], e["object"].metadata.name] for e in resumed]
kdclient.emit(facts)
