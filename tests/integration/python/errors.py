"""Failures as the client sees them: 409 Conflict and AlreadyExists, 404 and 422 Status bodies."""

import copy

from kubernetes import client

import kdclient

namespace = kdclient.connect()
core = client.CoreV1Api()
apps = client.AppsV1Api()
kdclient.create_namespace(namespace)
facts = {}

stale = core.create_namespaced_config_map(namespace, kdclient.config_map("c"))
fresh = copy.deepcopy(stale)
fresh.data = {"k": "first"}
core.replace_namespaced_config_map("c", namespace, fresh)
stale.data = {"k": "second"}
facts["stale_replace"] = kdclient.status_of(
    lambda: core.replace_namespaced_config_map("c", namespace, stale))
facts["stale_patch"] = kdclient.status_of(lambda: core.patch_namespaced_config_map(
    "c", namespace,
    {"metadata": {"resourceVersion": stale.metadata.resource_version}, "data": {"k": "third"}}))
facts["data_after_conflicts"] = core.read_namespaced_config_map("c", namespace).data

facts["already_exists"] = kdclient.status_of(
    lambda: core.create_namespaced_config_map(namespace, kdclient.config_map("c")))
facts["missing_namespace"] = kdclient.status_of(
    lambda: core.create_namespaced_config_map("nope-" + namespace, kdclient.config_map("x")))
facts["missing_object"] = kdclient.status_of(
    lambda: apps.read_namespaced_deployment("ghost", namespace))
facts["invalid_name"] = kdclient.status_of(
    lambda: core.create_namespaced_config_map(namespace, kdclient.config_map("Bad_Name")))

names = sorted(item.metadata.name for item in core.list_namespaced_config_map(namespace).items)
facts["config_maps"] = names
kdclient.emit(facts)
