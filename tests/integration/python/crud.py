"""Create, get, list, patch, replace and delete through CoreV1Api and AppsV1Api."""

from kubernetes import client

import kdclient

namespace = kdclient.connect()
core = client.CoreV1Api()
apps = client.AppsV1Api()
kdclient.create_namespace(namespace)
facts = {}

created = core.create_namespaced_config_map(
    namespace, kdclient.config_map("cm", labels={"app": "web"}))
facts["created_name"] = created.metadata.name
facts["created_namespace"] = created.metadata.namespace
facts["created_has_uid"] = bool(created.metadata.uid)
core.create_namespaced_config_map(namespace, kdclient.config_map("other", labels={"app": "db"}))

read = core.read_namespaced_config_map("cm", namespace)
facts["read_data"] = read.data
facts["read_same_version"] = read.metadata.resource_version == created.metadata.resource_version

listed = core.list_namespaced_config_map(namespace, label_selector="app=web")
facts["list_names"] = [item.metadata.name for item in listed.items]
facts["list_has_version"] = bool(listed.metadata.resource_version)

patched = core.patch_namespaced_config_map("cm", namespace, {"data": {"k2": "v2"}})
facts["patched_data"] = dict(patched.data)
facts["patch_bumped_version"] = (
    int(patched.metadata.resource_version) > int(read.metadata.resource_version))

patched.data["k"] = "replaced"
replaced = core.replace_namespaced_config_map("cm", namespace, patched)
facts["replaced_data"] = replaced.data

deployment = client.V1Deployment(
    metadata=client.V1ObjectMeta(name="web"),
    spec=client.V1DeploymentSpec(
        replicas=1,
        selector=client.V1LabelSelector(match_labels={"app": "web"}),
        template=client.V1PodTemplateSpec(
            metadata=client.V1ObjectMeta(labels={"app": "web"}),
            spec=client.V1PodSpec(containers=[client.V1Container(name="c", image="nginx")]))))
apps.create_namespaced_deployment(namespace, deployment)
scaled = apps.patch_namespaced_deployment("web", namespace, {"spec": {"replicas": 3}})
facts["deployment_replicas"] = scaled.spec.replicas
facts["deployment_generation"] = scaled.metadata.generation
facts["deployment_defaulted_strategy"] = scaled.spec.strategy.type
scale = apps.read_namespaced_deployment_scale("web", namespace)
facts["scale_replicas"] = scale.spec.replicas
facts["deployments"] = [d.metadata.name for d in apps.list_namespaced_deployment(namespace).items]

deleted = core.delete_namespaced_config_map("cm", namespace)
facts["delete_status"] = deleted.status
facts["get_after_delete"] = kdclient.status_of(
    lambda: core.read_namespaced_config_map("cm", namespace))
apps.delete_namespaced_deployment("web", namespace)
facts["deployments_after_delete"] = [
    d.metadata.name for d in apps.list_namespaced_deployment(namespace).items]
facts["config_maps_after_delete"] = sorted(
    item.metadata.name for item in core.list_namespaced_config_map(namespace).items)

kdclient.emit(facts)
