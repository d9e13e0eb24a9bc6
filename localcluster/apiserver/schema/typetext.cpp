#include "typetext.h"

#include <string>

// The built-in API types in a compact text form, parsed once by typemodel.cpp.
//
//   pkg ALIAS FULL.PACKAGE        following types live in FULL.PACKAGE; ALIAS.Name refers to them
//   Name [@group/version/Kind]... [=leaf] [<Base] [atomic] ["description"]
//     field[!] TYPE [attrs] ["description"]; field ...     (indented; ! marks a required field)
//
// TYPE is string, int32, int64, bool, double, byte, a type name (looked up in the current
// package, then meta, then core), ALIAS.Name, []TYPE (list) or {}TYPE (map with string keys).
// Attributes: ps=STRATEGY pk=MERGEKEY lt=LISTTYPE lk=KEY,KEY mt=MAPTYPE, and mk=KEY as the usual
// "merge by KEY" shorthand (ps=merge pk=KEY lt=map lk=KEY). Leaves: time, microtime, quantity,
// intorstring, object (contents not checked). <Base copies Base's fields first.
// Field names, types and markers are facts of the Kubernetes API; descriptions are our own.

namespace kd::lc::apiserver::schema {

std::string_view typeText()
{
    static const std::string text = std::string(R"kd(
pkg meta io.k8s.apimachinery.pkg.apis.meta.v1
Time =time "A timestamp in RFC 3339 form, to the second."
MicroTime =microtime "A timestamp in RFC 3339 form with microseconds."
FieldsV1 =object "The set of fields a manager owns, in the FieldsV1 trie encoding."
ObjectMeta "Standard object metadata: name, namespace, labels, annotations and bookkeeping."
  name string "Unique name within the namespace."; generateName string "Prefix for a server-generated name."
  namespace string "The namespace the object lives in."; selfLink string; uid string "Unique id for all time."
  resourceVersion string "Opaque version for optimistic concurrency."; generation int64 "Sequence number of the desired state."
  creationTimestamp Time; deletionTimestamp Time; deletionGracePeriodSeconds int64
  labels {}string "Key/value pairs for selecting objects."; annotations {}string "Unstructured key/value data for tools."
  ownerReferences []OwnerReference ps=merge pk=uid lt=map lk=uid "Objects this object depends on."
  finalizers []string ps=merge lt=set "Tasks to finish before the object is deleted."
  managedFields []ManagedFieldsEntry lt=atomic "Which manager owns which fields."
ListMeta "Metadata of a list."
  selfLink string; resourceVersion string; continue string; remainingItemCount int64
OwnerReference atomic "Points at an owning object in the same namespace."
  apiVersion! string; kind! string; name! string; uid! string; controller bool; blockOwnerDeletion bool
ManagedFieldsEntry "One field manager's ownership record."
  manager string; operation string; apiVersion string; time Time; fieldsType string; fieldsV1 FieldsV1; subresource string
LabelSelector atomic "Selects objects by labels; the requirements are ANDed."
  matchLabels {}string; matchExpressions []LabelSelectorRequirement lt=atomic
LabelSelectorRequirement "One key/operator/values requirement of a label selector."
  key! string; operator! string; values []string lt=atomic
Condition "One observation of an object's state."
  type! string; status! string; observedGeneration int64; lastTransitionTime! Time; reason! string; message! string
Status @/v1/Status "The result of an operation that returns no object."
  apiVersion string; kind string; metadata ListMeta; status string; message string; reason string; details StatusDetails; code int32
StatusDetails
  name string; group string; kind string; uid string; causes []StatusCause lt=atomic; retryAfterSeconds int32
StatusCause
  reason string; message string; field string
Preconditions
  uid string; resourceVersion string
DeleteOptions @/v1/DeleteOptions "Options for deleting an object."
  apiVersion string; kind string; gracePeriodSeconds int64; preconditions Preconditions; orphanDependents bool
  propagationPolicy string; dryRun []string lt=atomic; ignoreStoreReadErrorWithClusterBreakingPotential bool
WatchEvent @/v1/WatchEvent "One change in a watch stream."
  type! string; object! runtime.RawExtension
APIResource
  name! string; singularName! string; namespaced! bool; group string; version string; kind! string
  verbs! []string; shortNames []string lt=atomic; categories []string lt=atomic; storageVersionHash string
APIResourceList @/v1/APIResourceList
  apiVersion string; kind string; groupVersion! string; resources! []APIResource lt=atomic
pkg runtime io.k8s.apimachinery.pkg.runtime
RawExtension =object "An embedded object of any kind."
pkg intstr io.k8s.apimachinery.pkg.util.intstr
IntOrString =intorstring "An integer or a string (such as a named port or a percentage)."
pkg resource io.k8s.apimachinery.pkg.api.resource
Quantity =quantity "A fixed-point number with an optional suffix (100m, 1Gi, 2)."

pkg core io.k8s.api.core.v1
Pod @/v1/Pod "A group of containers scheduled together on one node."
  apiVersion string "Versioned schema of this object."; kind string "The kind of this object."
  metadata ObjectMeta "Standard object metadata."; spec PodSpec "The desired behaviour of the pod."
  status PodStatus "The most recently observed state of the pod."
PodSpec "The desired state of a pod."
  volumes []Volume ps=merge,retainKeys pk=name lt=map lk=name "Volumes the containers can mount."
  initContainers []Container mk=name "Containers run to completion before the app containers."
  containers! []Container mk=name "The containers of the pod."
  ephemeralContainers []EphemeralContainer mk=name "Debugging containers added to a running pod."
  restartPolicy string "Always, OnFailure or Never."; terminationGracePeriodSeconds int64; activeDeadlineSeconds int64
  dnsPolicy string; nodeSelector {}string mt=atomic "Labels a node must have to run the pod."
  serviceAccountName string; serviceAccount string; automountServiceAccountToken bool; nodeName string
  hostNetwork bool; hostPID bool; hostIPC bool; shareProcessNamespace bool
  securityContext PodSecurityContext; imagePullSecrets []LocalObjectReference mk=name
  hostname string; subdomain string; affinity Affinity; schedulerName string; tolerations []Toleration lt=atomic
  hostAliases []HostAlias ps=merge pk=ip lt=map lk=ip; priorityClassName string; priority int32
  dnsConfig PodDNSConfig; readinessGates []PodReadinessGate lt=atomic; runtimeClassName string
  enableServiceLinks bool; preemptionPolicy string; overhead {}Quantity
  topologySpreadConstraints []TopologySpreadConstraint ps=merge pk=topologyKey lt=map lk=topologyKey,whenUnsatisfiable
  setHostnameAsFQDN bool; os PodOS; hostUsers bool; schedulingGates []PodSchedulingGate mk=name
  resourceClaims []PodResourceClaim ps=merge,retainKeys pk=name lt=map lk=name; resources ResourceRequirements
Container "A single application container of a pod."
  name! string "The container's name, unique within the pod."; image string "Container image name."
  command []string lt=atomic "Entrypoint array; not run in a shell."; args []string lt=atomic "Arguments to the entrypoint."
  workingDir string; ports []ContainerPort ps=merge pk=containerPort lt=map lk=containerPort,protocol "Ports to expose."
  envFrom []EnvFromSource lt=atomic; env []EnvVar mk=name "Environment variables to set."
  resources ResourceRequirements "Compute resources the container needs."; resizePolicy []ContainerResizePolicy lt=atomic
  restartPolicy string; volumeMounts []VolumeMount ps=merge pk=mountPath lt=map lk=mountPath
  volumeDevices []VolumeDevice ps=merge pk=devicePath lt=map lk=devicePath
  livenessProbe Probe; readinessProbe Probe; startupProbe Probe; lifecycle Lifecycle
  terminationMessagePath string; terminationMessagePolicy string; imagePullPolicy string "Always, Never or IfNotPresent."
  securityContext SecurityContext; stdin bool; stdinOnce bool; tty bool
EphemeralContainer <Container "A temporary container added to a running pod for debugging."
  targetContainerName string
ContainerPort "A network port of one container."
  name string; hostPort int32; containerPort! int32; protocol string "UDP, TCP or SCTP."; hostIP string
EnvVar "An environment variable of a container."
  name! string; value string; valueFrom EnvVarSource
EnvVarSource
  fieldRef ObjectFieldSelector; resourceFieldRef ResourceFieldSelector; configMapKeyRef ConfigMapKeySelector
  secretKeyRef SecretKeySelector; fileKeyRef FileKeySelector
FileKeySelector atomic
  volumeName! string; path! string; key! string; optional bool
EnvFromSource
  prefix string; configMapRef ConfigMapEnvSource; secretRef SecretEnvSource
ConfigMapEnvSource
  name string; optional bool
SecretEnvSource
  name string; optional bool
ObjectFieldSelector atomic
  apiVersion string; fieldPath! string
ResourceFieldSelector atomic
  containerName string; resource! string; divisor Quantity
ConfigMapKeySelector atomic
  name string; key! string; optional bool
SecretKeySelector atomic
  name string; key! string; optional bool
ResourceRequirements "Compute resource requests and limits."
  limits {}Quantity "The most compute resources allowed."; requests {}Quantity "The least compute resources required."
  claims []ResourceClaim lt=map lk=name
ResourceClaim
  name! string; request string
ContainerResizePolicy
  resourceName! string; restartPolicy! string
VolumeMount "Where a volume is mounted in a container."
  name! string; readOnly bool; recursiveReadOnly string; mountPath! string; subPath string
  mountPropagation string; subPathExpr string
VolumeDevice
  name! string; devicePath! string
Probe "A health check of a container."
  exec ExecAction; httpGet HTTPGetAction; tcpSocket TCPSocketAction; grpc GRPCAction
  initialDelaySeconds int32; timeoutSeconds int32; periodSeconds int32; successThreshold int32
  failureThreshold int32; terminationGracePeriodSeconds int64
ExecAction
  command []string lt=atomic
HTTPGetAction
  path string; port! IntOrString; host string; scheme string; httpHeaders []HTTPHeader lt=atomic
HTTPHeader
  name! string; value! string
TCPSocketAction
  port! IntOrString; host string
GRPCAction
  port! int32; service string
SleepAction
  seconds! int64
Lifecycle
  postStart LifecycleHandler; preStop LifecycleHandler; stopSignal string
LifecycleHandler
  exec ExecAction; httpGet HTTPGetAction; tcpSocket TCPSocketAction; sleep SleepAction
SecurityContext "Security options of one container."
  capabilities Capabilities; privileged bool; seLinuxOptions SELinuxOptions; windowsOptions WindowsSecurityContextOptions
  runAsUser int64; runAsGroup int64; runAsNonRoot bool; readOnlyRootFilesystem bool; allowPrivilegeEscalation bool
  procMount string; seccompProfile SeccompProfile; appArmorProfile AppArmorProfile
Capabilities
  add []string lt=atomic; drop []string lt=atomic
SELinuxOptions
  user string; role string; type string; level string
WindowsSecurityContextOptions
  gmsaCredentialSpecName string; gmsaCredentialSpec string; runAsUserName string; hostProcess bool
SeccompProfile
  type! string; localhostProfile string
AppArmorProfile
  type! string; localhostProfile string
PodSecurityContext "Security options that apply to every container of a pod."
  seLinuxOptions SELinuxOptions; windowsOptions WindowsSecurityContextOptions; runAsUser int64; runAsGroup int64
  runAsNonRoot bool; supplementalGroups []int64 lt=atomic; supplementalGroupsPolicy string; fsGroup int64
  sysctls []Sysctl lt=atomic; fsGroupChangePolicy string; seccompProfile SeccompProfile
  appArmorProfile AppArmorProfile; seLinuxChangePolicy string
Sysctl
  name! string; value! string
LocalObjectReference atomic "Names an object in the same namespace."
  name string
Affinity
  nodeAffinity NodeAffinity; podAffinity PodAffinity; podAntiAffinity PodAntiAffinity
NodeAffinity
  requiredDuringSchedulingIgnoredDuringExecution NodeSelector
  preferredDuringSchedulingIgnoredDuringExecution []PreferredSchedulingTerm lt=atomic
NodeSelector atomic
  nodeSelectorTerms! []NodeSelectorTerm lt=atomic
NodeSelectorTerm atomic
  matchExpressions []NodeSelectorRequirement lt=atomic; matchFields []NodeSelectorRequirement lt=atomic
NodeSelectorRequirement
  key! string; operator! string; values []string lt=atomic
PreferredSchedulingTerm
  weight! int32; preference! NodeSelectorTerm
PodAffinity
  requiredDuringSchedulingIgnoredDuringExecution []PodAffinityTerm lt=atomic
  preferredDuringSchedulingIgnoredDuringExecution []WeightedPodAffinityTerm lt=atomic
PodAntiAffinity <PodAffinity
PodAffinityTerm
  labelSelector LabelSelector; namespaces []string lt=atomic; topologyKey! string; namespaceSelector LabelSelector
  matchLabelKeys []string lt=atomic; mismatchLabelKeys []string lt=atomic
WeightedPodAffinityTerm
  weight! int32; podAffinityTerm! PodAffinityTerm
Toleration
  key string; operator string; value string; effect string; tolerationSeconds int64
HostAlias
  ip! string; hostnames []string lt=atomic
PodDNSConfig
  nameservers []string lt=atomic; searches []string lt=atomic; options []PodDNSConfigOption lt=atomic
PodDNSConfigOption
  name string; value string
PodReadinessGate
  conditionType! string
TopologySpreadConstraint
  maxSkew! int32; topologyKey! string; whenUnsatisfiable! string; labelSelector LabelSelector; minDomains int32
  nodeAffinityPolicy string; nodeTaintsPolicy string; matchLabelKeys []string lt=atomic
PodOS
  name! string
PodSchedulingGate
  name! string
PodResourceClaim
  name! string; resourceClaimName string; resourceClaimTemplateName string
Volume "A named volume the containers of a pod can mount."
  name! string "The volume's name, unique within the pod."
  hostPath HostPathVolumeSource; emptyDir EmptyDirVolumeSource; gcePersistentDisk GCEPersistentDiskVolumeSource
  awsElasticBlockStore AWSElasticBlockStoreVolumeSource; gitRepo GitRepoVolumeSource; secret SecretVolumeSource
  nfs NFSVolumeSource; iscsi ISCSIVolumeSource; glusterfs GlusterfsVolumeSource
  persistentVolumeClaim PersistentVolumeClaimVolumeSource; rbd RBDVolumeSource; flexVolume FlexVolumeSource
  cinder CinderVolumeSource; cephfs CephFSVolumeSource; flocker FlockerVolumeSource
  downwardAPI DownwardAPIVolumeSource; fc FCVolumeSource; azureFile AzureFileVolumeSource
  configMap ConfigMapVolumeSource; vsphereVolume VsphereVirtualDiskVolumeSource; quobyte QuobyteVolumeSource
  azureDisk AzureDiskVolumeSource; photonPersistentDisk PhotonPersistentDiskVolumeSource
  projected ProjectedVolumeSource; portworxVolume PortworxVolumeSource; scaleIO ScaleIOVolumeSource
  storageos StorageOSVolumeSource; csi CSIVolumeSource; ephemeral EphemeralVolumeSource; image ImageVolumeSource
HostPathVolumeSource
  path! string; type string
EmptyDirVolumeSource
  medium string; sizeLimit Quantity
GCEPersistentDiskVolumeSource
  pdName! string; fsType string; partition int32; readOnly bool
AWSElasticBlockStoreVolumeSource
  volumeID! string; fsType string; partition int32; readOnly bool
GitRepoVolumeSource
  repository! string; revision string; directory string
SecretVolumeSource
  secretName string; items []KeyToPath lt=atomic; defaultMode int32; optional bool
KeyToPath
  key! string; path! string; mode int32
NFSVolumeSource
  server! string; path! string; readOnly bool
ISCSIVolumeSource
  targetPortal! string; iqn! string; lun! int32; iscsiInterface string; fsType string; readOnly bool
  portals []string lt=atomic; chapAuthDiscovery bool; chapAuthSession bool; secretRef LocalObjectReference; initiatorName string
GlusterfsVolumeSource
  endpoints! string; path! string; readOnly bool
PersistentVolumeClaimVolumeSource
  claimName! string; readOnly bool
RBDVolumeSource
  monitors! []string lt=atomic; image! string; fsType string; pool string; user string; keyring string
  secretRef LocalObjectReference; readOnly bool
FlexVolumeSource
  driver! string; fsType string; secretRef LocalObjectReference; readOnly bool; options {}string
CinderVolumeSource
  volumeID! string; fsType string; readOnly bool; secretRef LocalObjectReference
CephFSVolumeSource
  monitors! []string lt=atomic; path string; user string; secretFile string; secretRef LocalObjectReference; readOnly bool
FlockerVolumeSource
  datasetName string; datasetUUID string
DownwardAPIVolumeSource
  items []DownwardAPIVolumeFile lt=atomic; defaultMode int32
DownwardAPIVolumeFile
  path! string; fieldRef ObjectFieldSelector; resourceFieldRef ResourceFieldSelector; mode int32
FCVolumeSource
  targetWWNs []string lt=atomic; lun int32; fsType string; readOnly bool; wwids []string lt=atomic
AzureFileVolumeSource
  secretName! string; shareName! string; readOnly bool
ConfigMapVolumeSource
  name string; items []KeyToPath lt=atomic; defaultMode int32; optional bool
VsphereVirtualDiskVolumeSource
  volumePath! string; fsType string; storagePolicyName string; storagePolicyID string
QuobyteVolumeSource
  registry! string; volume! string; readOnly bool; user string; group string; tenant string
AzureDiskVolumeSource
  diskName! string; diskURI! string; cachingMode string; fsType string; readOnly bool; kind string
PhotonPersistentDiskVolumeSource
  pdID! string; fsType string
ProjectedVolumeSource
  sources []VolumeProjection lt=atomic; defaultMode int32
VolumeProjection
  secret SecretProjection; downwardAPI DownwardAPIProjection; configMap ConfigMapProjection
  serviceAccountToken ServiceAccountTokenProjection; clusterTrustBundle ClusterTrustBundleProjection
  podCertificate PodCertificateProjection
SecretProjection
  name string; items []KeyToPath lt=atomic; optional bool
ConfigMapProjection
  name string; items []KeyToPath lt=atomic; optional bool
DownwardAPIProjection
  items []DownwardAPIVolumeFile lt=atomic
ServiceAccountTokenProjection
  audience string; expirationSeconds int64; path! string
ClusterTrustBundleProjection
  name string; signerName string; labelSelector LabelSelector; optional bool; path! string
PodCertificateProjection
  signerName! string; keyType! string; maxExpirationSeconds int32; credentialBundlePath string
  keyPath string; certificateChainPath string
PortworxVolumeSource
  volumeID! string; fsType string; readOnly bool
ScaleIOVolumeSource
  gateway! string; system! string; secretRef! LocalObjectReference; sslEnabled bool; protectionDomain string
  storagePool string; storageMode string; volumeName string; fsType string; readOnly bool
StorageOSVolumeSource
  volumeName string; volumeNamespace string; fsType string; readOnly bool; secretRef LocalObjectReference
CSIVolumeSource
  driver! string; readOnly bool; fsType string; volumeAttributes {}string; nodePublishSecretRef LocalObjectReference
EphemeralVolumeSource
  volumeClaimTemplate PersistentVolumeClaimTemplate
ImageVolumeSource
  reference string; pullPolicy string
PersistentVolumeClaimTemplate
  metadata ObjectMeta; spec! PersistentVolumeClaimSpec
PodStatus "The observed state of a pod."
  observedGeneration int64; phase string "Pending, Running, Succeeded, Failed or Unknown."
  conditions []PodCondition mk=type; message string; reason string; nominatedNodeName string
  hostIP string; hostIPs []HostIP ps=merge pk=ip lt=atomic; podIP string; podIPs []PodIP ps=merge pk=ip lt=map lk=ip
  startTime Time; initContainerStatuses []ContainerStatus lt=atomic; containerStatuses []ContainerStatus lt=atomic
  qosClass string; ephemeralContainerStatuses []ContainerStatus lt=atomic; resize string
  resourceClaimStatuses []PodResourceClaimStatus ps=merge,retainKeys pk=name lt=map lk=name
PodCondition
  type! string; observedGeneration int64; status! string; lastProbeTime Time; lastTransitionTime Time; reason string; message string
HostIP
  ip! string
PodIP
  ip! string
PodResourceClaimStatus
  name! string; resourceClaimName string
ContainerStatus
  name! string; state ContainerState; lastState ContainerState; ready! bool; restartCount! int32; image! string
  imageID! string; containerID string; started bool; allocatedResources {}Quantity; resources ResourceRequirements
  volumeMounts []VolumeMountStatus mk=mountPath; user ContainerUser; allocatedResourcesStatus []ResourceStatus mk=name
  stopSignal string
ContainerUser
  linux LinuxContainerUser
LinuxContainerUser
  uid! int64; gid! int64; supplementalGroups []int64 lt=atomic
ResourceStatus
  name! string; resources []ResourceHealth lt=map lk=resourceID
ResourceHealth
  resourceID! string; health string
VolumeMountStatus
  name! string; mountPath! string; readOnly bool; recursiveReadOnly string
ContainerState
  waiting ContainerStateWaiting; running ContainerStateRunning; terminated ContainerStateTerminated
ContainerStateWaiting
  reason string; message string
ContainerStateRunning
  startedAt Time
ContainerStateTerminated
  exitCode! int32; signal int32; reason string; message string; startedAt Time; finishedAt Time; containerID string
PodTemplateSpec "The pods a controller creates from this template."
  metadata ObjectMeta; spec PodSpec
PodTemplate @/v1/PodTemplate "A template of pods."
  apiVersion string; kind string; metadata ObjectMeta; template PodTemplateSpec
Binding @/v1/Binding "Binds a pod to a node."
  apiVersion string; kind string; metadata ObjectMeta; target! ObjectReference
ObjectReference atomic "A reference to any object."
  kind string; namespace string; name string; uid string; apiVersion string; resourceVersion string; fieldPath string
ConfigMap @/v1/ConfigMap "Configuration data for pods to consume."
  apiVersion string; kind string; metadata ObjectMeta; immutable bool; data {}string "UTF-8 values."
  binaryData {}byte "Binary values, base64 in JSON."
Secret @/v1/Secret "Holds secret data of a certain type."
  apiVersion string; kind string; metadata ObjectMeta; immutable bool; data {}byte "Values, base64 in JSON."
  stringData {}string "Write-only plain-text values merged into data."; type string
Namespace @/v1/Namespace "A scope for names."
  apiVersion string; kind string; metadata ObjectMeta; spec NamespaceSpec; status NamespaceStatus
NamespaceSpec
  finalizers []string lt=atomic
NamespaceStatus
  phase string; conditions []NamespaceCondition mk=type
NamespaceCondition
  type! string; status! string; lastTransitionTime Time; reason string; message string
ServiceAccount @/v1/ServiceAccount "An identity for processes in pods."
  apiVersion string; kind string; metadata ObjectMeta; secrets []ObjectReference ps=merge pk=name lt=map lk=name
  imagePullSecrets []LocalObjectReference lt=atomic; automountServiceAccountToken bool
Service @/v1/Service "A named abstraction of software running on a set of pods."
  apiVersion string; kind string; metadata ObjectMeta; spec ServiceSpec; status ServiceStatus
ServiceSpec
  ports []ServicePort ps=merge pk=port lt=map lk=port,protocol "The ports the service exposes."
  selector {}string mt=atomic; clusterIP string; clusterIPs []string lt=atomic; type string
  externalIPs []string lt=atomic; sessionAffinity string; loadBalancerIP string; loadBalancerSourceRanges []string lt=atomic
  externalName string; externalTrafficPolicy string; healthCheckNodePort int32; publishNotReadyAddresses bool
  sessionAffinityConfig SessionAffinityConfig; ipFamilies []string lt=atomic; ipFamilyPolicy string
  allocateLoadBalancerNodePorts bool; loadBalancerClass string; internalTrafficPolicy string; trafficDistribution string
ServicePort
  name string; protocol string; appProtocol string; port! int32; targetPort IntOrString; nodePort int32
SessionAffinityConfig
  clientIP ClientIPConfig
ClientIPConfig
  timeoutSeconds int32
ServiceStatus
  loadBalancer LoadBalancerStatus; conditions []meta.Condition mk=type
LoadBalancerStatus
  ingress []LoadBalancerIngress lt=atomic
LoadBalancerIngress
  ip string; hostname string; ipMode string; ports []PortStatus lt=atomic
PortStatus
  port! int32; protocol! string; error string
Endpoints @/v1/Endpoints "The addresses that implement a service."
  apiVersion string; kind string; metadata ObjectMeta; subsets []EndpointSubset lt=atomic
EndpointSubset
  addresses []EndpointAddress lt=atomic; notReadyAddresses []EndpointAddress lt=atomic; ports []EndpointPort lt=atomic
EndpointAddress atomic
  ip! string; hostname string; nodeName string; targetRef ObjectReference
EndpointPort atomic
  name string; port! int32; protocol string; appProtocol string
Event @/v1/Event "A report of something that happened in the cluster."
  apiVersion string; kind string; metadata! ObjectMeta; involvedObject! ObjectReference; reason string; message string
  source EventSource; firstTimestamp Time; lastTimestamp Time; count int32; type string; eventTime MicroTime
  series EventSeries; action string; related ObjectReference; reportingComponent string; reportingInstance string
EventSource
  component string; host string
EventSeries
  count int32; lastObservedTime MicroTime
LimitRange @/v1/LimitRange "Per-namespace limits on resource consumption."
  apiVersion string; kind string; metadata ObjectMeta; spec LimitRangeSpec
LimitRangeSpec
  limits! []LimitRangeItem lt=atomic
LimitRangeItem
  type! string; max {}Quantity; min {}Quantity; default {}Quantity; defaultRequest {}Quantity; maxLimitRequestRatio {}Quantity
ResourceQuota @/v1/ResourceQuota "Aggregate resource limits of a namespace."
  apiVersion string; kind string; metadata ObjectMeta; spec ResourceQuotaSpec; status ResourceQuotaStatus
ResourceQuotaSpec
  hard {}Quantity; scopes []string lt=atomic; scopeSelector ScopeSelector
ScopeSelector atomic
  matchExpressions []ScopedResourceSelectorRequirement lt=atomic
ScopedResourceSelectorRequirement
  scopeName! string; operator! string; values []string lt=atomic
ResourceQuotaStatus
  hard {}Quantity; used {}Quantity
ReplicationController @/v1/ReplicationController "Keeps a number of pod replicas running."
  apiVersion string; kind string; metadata ObjectMeta; spec ReplicationControllerSpec; status ReplicationControllerStatus
ReplicationControllerSpec
  replicas int32; minReadySeconds int32; selector {}string mt=atomic; template PodTemplateSpec
ReplicationControllerStatus
  replicas! int32; fullyLabeledReplicas int32; readyReplicas int32; availableReplicas int32; observedGeneration int64
  conditions []ReplicationControllerCondition mk=type
ReplicationControllerCondition
  type! string; status! string; lastTransitionTime Time; reason string; message string
Node @/v1/Node "A worker machine."
  apiVersion string; kind string; metadata ObjectMeta; spec NodeSpec; status NodeStatus
NodeSpec
  podCIDR string; podCIDRs []string ps=merge lt=set; providerID string; unschedulable bool; taints []Taint lt=atomic
  configSource NodeConfigSource; externalID string
NodeConfigSource
  configMap ConfigMapNodeConfigSource
ConfigMapNodeConfigSource
  namespace! string; name! string; uid string; resourceVersion string; kubeletConfigKey! string
Taint
  key! string; value string; effect! string; timeAdded Time
NodeStatus
  capacity {}Quantity; allocatable {}Quantity; phase string; conditions []NodeCondition mk=type
  addresses []NodeAddress mk=type; daemonEndpoints NodeDaemonEndpoints; nodeInfo NodeSystemInfo
  images []ContainerImage lt=atomic; volumesInUse []string lt=atomic; volumesAttached []AttachedVolume lt=atomic
  config NodeConfigStatus; runtimeHandlers []NodeRuntimeHandler lt=atomic; features NodeFeatures
NodeCondition
  type! string; status! string; lastHeartbeatTime Time; lastTransitionTime Time; reason string; message string
NodeAddress
  type! string; address! string
NodeDaemonEndpoints
  kubeletEndpoint DaemonEndpoint
DaemonEndpoint
  Port! int32
NodeSystemInfo
  machineID! string; systemUUID! string; bootID! string; kernelVersion! string; osImage! string
  containerRuntimeVersion! string; kubeletVersion! string; kubeProxyVersion string; operatingSystem! string
  architecture! string; swap NodeSwapStatus
NodeSwapStatus
  capacity int64
ContainerImage
  names []string lt=atomic; sizeBytes int64
AttachedVolume
  name! string; devicePath! string
NodeConfigStatus
  assigned NodeConfigSource; active NodeConfigSource; lastKnownGood NodeConfigSource; error string
NodeRuntimeHandler
  name string; features NodeRuntimeHandlerFeatures
NodeRuntimeHandlerFeatures
  recursiveReadOnlyMounts bool; userNamespaces bool
NodeFeatures
  supplementalGroupsPolicy bool
PersistentVolumeClaim @/v1/PersistentVolumeClaim "A user's request for storage."
  apiVersion string; kind string; metadata ObjectMeta; spec PersistentVolumeClaimSpec; status PersistentVolumeClaimStatus
PersistentVolumeClaimSpec
  accessModes []string lt=atomic; selector LabelSelector; resources VolumeResourceRequirements; volumeName string
  storageClassName string; volumeMode string; dataSource TypedLocalObjectReference
  dataSourceRef TypedObjectReference; volumeAttributesClassName string
VolumeResourceRequirements
  limits {}Quantity; requests {}Quantity
TypedLocalObjectReference atomic
  apiGroup string; kind! string; name! string
TypedObjectReference
  apiGroup string; kind! string; name! string; namespace string
PersistentVolumeClaimStatus
  phase string; accessModes []string lt=atomic; capacity {}Quantity; conditions []PersistentVolumeClaimCondition mk=type
  allocatedResources {}Quantity; allocatedResourceStatuses {}string mt=granular; currentVolumeAttributesClassName string
  modifyVolumeStatus ModifyVolumeStatus
PersistentVolumeClaimCondition
  type! string; status! string; lastProbeTime Time; lastTransitionTime Time; reason string; message string
ModifyVolumeStatus
  targetVolumeAttributesClassName string; status! string
PersistentVolume @/v1/PersistentVolume "A piece of storage provisioned for the cluster."
  apiVersion string; kind string; metadata ObjectMeta; spec PersistentVolumeSpec; status PersistentVolumeStatus
PersistentVolumeSpec
  capacity {}Quantity; accessModes []string lt=atomic; claimRef ObjectReference; persistentVolumeReclaimPolicy string
  storageClassName string; mountOptions []string lt=atomic; volumeMode string; nodeAffinity VolumeNodeAffinity
  volumeAttributesClassName string; hostPath HostPathVolumeSource; nfs NFSVolumeSource; local LocalVolumeSource
  csi CSIPersistentVolumeSource; gcePersistentDisk GCEPersistentDiskVolumeSource
  awsElasticBlockStore AWSElasticBlockStoreVolumeSource; fc FCVolumeSource; flexVolume FlexPersistentVolumeSource
  iscsi ISCSIPersistentVolumeSource; glusterfs GlusterfsPersistentVolumeSource; azureDisk AzureDiskVolumeSource
  azureFile AzureFilePersistentVolumeSource; vsphereVolume VsphereVirtualDiskVolumeSource
  cephfs CephFSPersistentVolumeSource; cinder CinderPersistentVolumeSource; rbd RBDPersistentVolumeSource
  portworxVolume PortworxVolumeSource; quobyte QuobyteVolumeSource; flocker FlockerVolumeSource
  photonPersistentDisk PhotonPersistentDiskVolumeSource; scaleIO ScaleIOPersistentVolumeSource
  storageos StorageOSPersistentVolumeSource
LocalVolumeSource
  path! string; fsType string
VolumeNodeAffinity
  required NodeSelector
SecretReference atomic
  name string; namespace string
CSIPersistentVolumeSource
  driver! string; volumeHandle! string; readOnly bool; fsType string; volumeAttributes {}string
  controllerPublishSecretRef SecretReference; nodeStageSecretRef SecretReference; nodePublishSecretRef SecretReference
  controllerExpandSecretRef SecretReference; nodeExpandSecretRef SecretReference
FlexPersistentVolumeSource
  driver! string; fsType string; secretRef SecretReference; readOnly bool; options {}string
ISCSIPersistentVolumeSource
  targetPortal! string; iqn! string; lun! int32; iscsiInterface string; fsType string; readOnly bool
  portals []string lt=atomic; chapAuthDiscovery bool; chapAuthSession bool; secretRef SecretReference; initiatorName string
GlusterfsPersistentVolumeSource
  endpoints! string; path! string; readOnly bool; endpointsNamespace string
AzureFilePersistentVolumeSource
  secretName! string; shareName! string; readOnly bool; secretNamespace string
CephFSPersistentVolumeSource
  monitors! []string lt=atomic; path string; user string; secretFile string; secretRef SecretReference; readOnly bool
CinderPersistentVolumeSource
  volumeID! string; fsType string; readOnly bool; secretRef SecretReference
RBDPersistentVolumeSource
  monitors! []string lt=atomic; image! string; fsType string; pool string; user string; keyring string
  secretRef SecretReference; readOnly bool
ScaleIOPersistentVolumeSource
  gateway! string; system! string; secretRef! SecretReference; sslEnabled bool; protectionDomain string
  storagePool string; storageMode string; volumeName string; fsType string; readOnly bool
StorageOSPersistentVolumeSource
  volumeName string; volumeNamespace string; fsType string; readOnly bool; secretRef ObjectReference
PersistentVolumeStatus
  phase string; message string; reason string; lastPhaseTransitionTime Time
ComponentStatus @/v1/ComponentStatus "The health of a control-plane component."
  apiVersion string; kind string; metadata ObjectMeta; conditions []ComponentCondition mk=type
ComponentCondition
  type! string; status! string; message string; error string
TopologySelectorTerm atomic
  matchLabelExpressions []TopologySelectorLabelRequirement lt=atomic
TopologySelectorLabelRequirement
  key! string; values! []string lt=atomic
)kd") + R"kd(
pkg apps io.k8s.api.apps.v1
Deployment @apps/v1/Deployment "Declarative updates for pods and replica sets."
  apiVersion string; kind string; metadata ObjectMeta; spec DeploymentSpec; status DeploymentStatus
DeploymentSpec "The desired behaviour of a deployment."
  replicas int32 "Desired number of pods."; selector! LabelSelector "Which pods the deployment manages."
  template! PodTemplateSpec "The pods to create."; strategy DeploymentStrategy ps=retainKeys
  minReadySeconds int32; revisionHistoryLimit int32; paused bool; progressDeadlineSeconds int32
DeploymentStrategy
  type string "Recreate or RollingUpdate."; rollingUpdate RollingUpdateDeployment
RollingUpdateDeployment
  maxUnavailable IntOrString; maxSurge IntOrString
DeploymentStatus
  observedGeneration int64; replicas int32; updatedReplicas int32; readyReplicas int32; availableReplicas int32
  unavailableReplicas int32; terminatingReplicas int32; conditions []DeploymentCondition mk=type; collisionCount int32
DeploymentCondition
  type! string; status! string; lastUpdateTime Time; lastTransitionTime Time; reason string; message string
ReplicaSet @apps/v1/ReplicaSet "Keeps a stable set of replica pods running."
  apiVersion string; kind string; metadata ObjectMeta; spec ReplicaSetSpec; status ReplicaSetStatus
ReplicaSetSpec
  replicas int32; minReadySeconds int32; selector! LabelSelector; template PodTemplateSpec
ReplicaSetStatus
  replicas! int32; fullyLabeledReplicas int32; readyReplicas int32; availableReplicas int32; terminatingReplicas int32
  observedGeneration int64; conditions []ReplicaSetCondition mk=type
ReplicaSetCondition
  type! string; status! string; lastTransitionTime Time; reason string; message string
StatefulSet @apps/v1/StatefulSet "Pods with stable identities and storage."
  apiVersion string; kind string; metadata ObjectMeta; spec StatefulSetSpec; status StatefulSetStatus
StatefulSetSpec
  replicas int32; selector! LabelSelector; template! PodTemplateSpec
  volumeClaimTemplates []core.PersistentVolumeClaim lt=atomic; serviceName string; podManagementPolicy string
  updateStrategy StatefulSetUpdateStrategy; revisionHistoryLimit int32; minReadySeconds int32
  persistentVolumeClaimRetentionPolicy StatefulSetPersistentVolumeClaimRetentionPolicy; ordinals StatefulSetOrdinals
StatefulSetUpdateStrategy
  type string; rollingUpdate RollingUpdateStatefulSetStrategy
RollingUpdateStatefulSetStrategy
  partition int32; maxUnavailable IntOrString
StatefulSetPersistentVolumeClaimRetentionPolicy
  whenDeleted string; whenScaled string
StatefulSetOrdinals
  start int32
StatefulSetStatus
  observedGeneration int64; replicas! int32; readyReplicas int32; currentReplicas int32; updatedReplicas int32
  currentRevision string; updateRevision string; collisionCount int32; conditions []StatefulSetCondition mk=type
  availableReplicas int32
StatefulSetCondition
  type! string; status! string; lastTransitionTime Time; reason string; message string
DaemonSet @apps/v1/DaemonSet "Runs one pod on each eligible node."
  apiVersion string; kind string; metadata ObjectMeta; spec DaemonSetSpec; status DaemonSetStatus
DaemonSetSpec
  selector! LabelSelector; template! PodTemplateSpec; updateStrategy DaemonSetUpdateStrategy
  minReadySeconds int32; revisionHistoryLimit int32
DaemonSetUpdateStrategy
  type string; rollingUpdate RollingUpdateDaemonSet
RollingUpdateDaemonSet
  maxUnavailable IntOrString; maxSurge IntOrString
DaemonSetStatus
  currentNumberScheduled! int32; numberMisscheduled! int32; desiredNumberScheduled! int32; numberReady! int32
  observedGeneration int64; updatedNumberScheduled int32; numberAvailable int32; numberUnavailable int32
  collisionCount int32; conditions []DaemonSetCondition mk=type
DaemonSetCondition
  type! string; status! string; lastTransitionTime Time; reason string; message string
ControllerRevision @apps/v1/ControllerRevision "An immutable snapshot of a controller's state."
  apiVersion string; kind string; metadata ObjectMeta; data runtime.RawExtension; revision! int64

pkg batch io.k8s.api.batch.v1
Job @batch/v1/Job "Runs pods until a number of them succeed."
  apiVersion string; kind string; metadata ObjectMeta; spec JobSpec; status JobStatus
JobSpec
  parallelism int32; completions int32; activeDeadlineSeconds int64; podFailurePolicy PodFailurePolicy
  successPolicy SuccessPolicy; backoffLimit int32; backoffLimitPerIndex int32; maxFailedIndexes int32
  selector LabelSelector; manualSelector bool; template! PodTemplateSpec; ttlSecondsAfterFinished int32
  completionMode string; suspend bool; podReplacementPolicy string; managedBy string
PodFailurePolicy
  rules! []PodFailurePolicyRule lt=atomic
PodFailurePolicyRule
  action! string; onExitCodes PodFailurePolicyOnExitCodesRequirement; onPodConditions []PodFailurePolicyOnPodConditionsPattern lt=atomic
PodFailurePolicyOnExitCodesRequirement
  containerName string; operator! string; values! []int32 lt=set
PodFailurePolicyOnPodConditionsPattern
  type! string; status string
SuccessPolicy
  rules! []SuccessPolicyRule lt=atomic
SuccessPolicyRule
  succeededIndexes string; succeededCount int32
JobStatus
  conditions []JobCondition ps=merge pk=type lt=atomic; startTime Time; completionTime Time; active int32; succeeded int32; failed int32
  terminating int32; completedIndexes string; failedIndexes string; uncountedTerminatedPods UncountedTerminatedPods; ready int32
JobCondition
  type! string; status! string; lastProbeTime Time; lastTransitionTime Time; reason string; message string
UncountedTerminatedPods
  succeeded []string lt=set; failed []string lt=set
CronJob @batch/v1/CronJob "Runs jobs on a time-based schedule."
  apiVersion string; kind string; metadata ObjectMeta; spec CronJobSpec; status CronJobStatus
CronJobSpec
  schedule! string "The schedule in cron format."; timeZone string; startingDeadlineSeconds int64; concurrencyPolicy string
  suspend bool; jobTemplate! JobTemplateSpec; successfulJobsHistoryLimit int32; failedJobsHistoryLimit int32
JobTemplateSpec
  metadata ObjectMeta; spec JobSpec
CronJobStatus
  active []core.ObjectReference lt=atomic; lastScheduleTime Time; lastSuccessfulTime Time

pkg autoscalingv1 io.k8s.api.autoscaling.v1
HorizontalPodAutoscaler @autoscaling/v1/HorizontalPodAutoscaler "Scales a workload on CPU utilisation."
  apiVersion string; kind string; metadata ObjectMeta; spec HorizontalPodAutoscalerSpec; status HorizontalPodAutoscalerStatus
HorizontalPodAutoscalerSpec
  scaleTargetRef! CrossVersionObjectReference; minReplicas int32; maxReplicas! int32; targetCPUUtilizationPercentage int32
CrossVersionObjectReference atomic
  kind! string; name! string; apiVersion string
HorizontalPodAutoscalerStatus
  observedGeneration int64; lastScaleTime Time; currentReplicas! int32; desiredReplicas! int32; currentCPUUtilizationPercentage int32
Scale @autoscaling/v1/Scale "The scale subresource of a workload."
  apiVersion string; kind string; metadata ObjectMeta; spec ScaleSpec; status ScaleStatus
ScaleSpec
  replicas int32
ScaleStatus
  replicas! int32; selector string

pkg autoscaling io.k8s.api.autoscaling.v2
HorizontalPodAutoscaler @autoscaling/v2/HorizontalPodAutoscaler "Scales a workload on any metrics."
  apiVersion string; kind string; metadata ObjectMeta; spec HorizontalPodAutoscalerSpec; status HorizontalPodAutoscalerStatus
HorizontalPodAutoscalerSpec
  scaleTargetRef! CrossVersionObjectReference; minReplicas int32; maxReplicas! int32; metrics []MetricSpec lt=atomic
  behavior HorizontalPodAutoscalerBehavior
CrossVersionObjectReference
  kind! string; name! string; apiVersion string
MetricSpec
  type! string; object ObjectMetricSource; pods PodsMetricSource; resource ResourceMetricSource
  containerResource ContainerResourceMetricSource; external ExternalMetricSource
ObjectMetricSource
  describedObject! CrossVersionObjectReference; target! MetricTarget; metric! MetricIdentifier
PodsMetricSource
  metric! MetricIdentifier; target! MetricTarget
ResourceMetricSource
  name! string; target! MetricTarget
ContainerResourceMetricSource
  name! string; target! MetricTarget; container! string
ExternalMetricSource
  metric! MetricIdentifier; target! MetricTarget
MetricIdentifier
  name! string; selector LabelSelector
MetricTarget
  type! string; value Quantity; averageValue Quantity; averageUtilization int32
HorizontalPodAutoscalerBehavior
  scaleUp HPAScalingRules; scaleDown HPAScalingRules
HPAScalingRules
  stabilizationWindowSeconds int32; selectPolicy string; policies []HPAScalingPolicy lt=atomic; tolerance Quantity
HPAScalingPolicy
  type! string; value! int32; periodSeconds! int32
HorizontalPodAutoscalerStatus
  observedGeneration int64; lastScaleTime Time; currentReplicas int32; desiredReplicas! int32
  currentMetrics []MetricStatus lt=atomic; conditions []HorizontalPodAutoscalerCondition mk=type
MetricStatus
  type! string; object ObjectMetricStatus; pods PodsMetricStatus; resource ResourceMetricStatus
  containerResource ContainerResourceMetricStatus; external ExternalMetricStatus
ObjectMetricStatus
  metric! MetricIdentifier; current! MetricValueStatus; describedObject! CrossVersionObjectReference
PodsMetricStatus
  metric! MetricIdentifier; current! MetricValueStatus
ResourceMetricStatus
  name! string; current! MetricValueStatus
ContainerResourceMetricStatus
  name! string; current! MetricValueStatus; container! string
ExternalMetricStatus
  metric! MetricIdentifier; current! MetricValueStatus
MetricValueStatus
  value Quantity; averageValue Quantity; averageUtilization int32
HorizontalPodAutoscalerCondition
  type! string; status! string; lastTransitionTime Time; reason string; message string

pkg networking io.k8s.api.networking.v1
Ingress @networking.k8s.io/v1/Ingress "Rules for routing outside traffic to services."
  apiVersion string; kind string; metadata ObjectMeta; spec IngressSpec; status IngressStatus
IngressSpec
  ingressClassName string; defaultBackend IngressBackend; tls []IngressTLS lt=atomic; rules []IngressRule lt=atomic
IngressBackend
  service IngressServiceBackend; resource core.TypedLocalObjectReference
IngressServiceBackend
  name! string; port ServiceBackendPort
ServiceBackendPort
  name string; number int32
IngressTLS
  hosts []string lt=atomic; secretName string
IngressRule
  host string; http HTTPIngressRuleValue
HTTPIngressRuleValue
  paths! []HTTPIngressPath lt=atomic
HTTPIngressPath
  path string; pathType! string; backend! IngressBackend
IngressStatus
  loadBalancer IngressLoadBalancerStatus
IngressLoadBalancerStatus
  ingress []IngressLoadBalancerIngress lt=atomic
IngressLoadBalancerIngress
  ip string; hostname string; ports []IngressPortStatus lt=atomic
IngressPortStatus
  port! int32; protocol! string; error string
IngressClass @networking.k8s.io/v1/IngressClass "A class of ingress controller."
  apiVersion string; kind string; metadata ObjectMeta; spec IngressClassSpec
IngressClassSpec
  controller string; parameters IngressClassParametersReference
IngressClassParametersReference
  apiGroup string; kind! string; name! string; scope string; namespace string
NetworkPolicy @networking.k8s.io/v1/NetworkPolicy "Which traffic pods may send and receive."
  apiVersion string; kind string; metadata ObjectMeta; spec NetworkPolicySpec
NetworkPolicySpec
  podSelector LabelSelector; ingress []NetworkPolicyIngressRule lt=atomic; egress []NetworkPolicyEgressRule lt=atomic
  policyTypes []string lt=atomic
NetworkPolicyIngressRule
  ports []NetworkPolicyPort lt=atomic; from []NetworkPolicyPeer lt=atomic
NetworkPolicyEgressRule
  ports []NetworkPolicyPort lt=atomic; to []NetworkPolicyPeer lt=atomic
NetworkPolicyPort
  protocol string; port IntOrString; endPort int32
NetworkPolicyPeer
  podSelector LabelSelector; namespaceSelector LabelSelector; ipBlock IPBlock
IPBlock
  cidr! string; except []string lt=atomic

pkg policy io.k8s.api.policy.v1
PodDisruptionBudget @policy/v1/PodDisruptionBudget "Limits voluntary disruption of a set of pods."
  apiVersion string; kind string; metadata ObjectMeta; spec PodDisruptionBudgetSpec; status PodDisruptionBudgetStatus
PodDisruptionBudgetSpec
  minAvailable IntOrString; selector LabelSelector ps=replace; maxUnavailable IntOrString; unhealthyPodEvictionPolicy string
PodDisruptionBudgetStatus
  observedGeneration int64; disruptedPods {}Time; disruptionsAllowed! int32; currentHealthy! int32
  desiredHealthy! int32; expectedPods! int32; conditions []meta.Condition mk=type
Eviction @policy/v1/Eviction "Evicts a pod, respecting disruption budgets."
  apiVersion string; kind string; metadata ObjectMeta; deleteOptions meta.DeleteOptions

pkg rbac io.k8s.api.rbac.v1
Role @rbac.authorization.k8s.io/v1/Role "Namespaced permissions."
  apiVersion string; kind string; metadata ObjectMeta; rules []PolicyRule lt=atomic
ClusterRole @rbac.authorization.k8s.io/v1/ClusterRole "Cluster-wide permissions."
  apiVersion string; kind string; metadata ObjectMeta; rules []PolicyRule lt=atomic; aggregationRule AggregationRule
PolicyRule
  verbs! []string lt=atomic; apiGroups []string lt=atomic; resources []string lt=atomic
  resourceNames []string lt=atomic; nonResourceURLs []string lt=atomic
AggregationRule
  clusterRoleSelectors []LabelSelector lt=atomic
RoleBinding @rbac.authorization.k8s.io/v1/RoleBinding "Grants a role's permissions in a namespace."
  apiVersion string; kind string; metadata ObjectMeta; subjects []Subject lt=atomic; roleRef! RoleRef
ClusterRoleBinding @rbac.authorization.k8s.io/v1/ClusterRoleBinding "Grants a cluster role's permissions."
  apiVersion string; kind string; metadata ObjectMeta; subjects []Subject lt=atomic; roleRef! RoleRef
Subject atomic
  kind! string; apiGroup string; name! string; namespace string
RoleRef atomic
  apiGroup! string; kind! string; name! string

pkg storage io.k8s.api.storage.v1
StorageClass @storage.k8s.io/v1/StorageClass "A class of dynamically provisioned storage."
  apiVersion string; kind string; metadata ObjectMeta; provisioner! string; parameters {}string
  reclaimPolicy string; mountOptions []string lt=atomic; allowVolumeExpansion bool; volumeBindingMode string
  allowedTopologies []core.TopologySelectorTerm lt=atomic
CSIDriver @storage.k8s.io/v1/CSIDriver "A CSI volume driver installed in the cluster."
  apiVersion string; kind string; metadata ObjectMeta; spec! CSIDriverSpec
CSIDriverSpec
  attachRequired bool; podInfoOnMount bool; volumeLifecycleModes []string lt=set; storageCapacity bool
  fsGroupPolicy string; tokenRequests []TokenRequest lt=atomic; requiresRepublish bool; seLinuxMount bool
  nodeAllocatableUpdatePeriodSeconds int64
TokenRequest
  audience! string; expirationSeconds int64
CSINode @storage.k8s.io/v1/CSINode "The CSI drivers installed on a node."
  apiVersion string; kind string; metadata ObjectMeta; spec! CSINodeSpec
CSINodeSpec
  drivers! []CSINodeDriver mk=name
CSINodeDriver
  name! string; nodeID! string; topologyKeys []string lt=atomic; allocatable VolumeNodeResources
VolumeNodeResources
  count int32
VolumeAttachment @storage.k8s.io/v1/VolumeAttachment "Attaches a volume to a node."
  apiVersion string; kind string; metadata ObjectMeta; spec! VolumeAttachmentSpec; status VolumeAttachmentStatus
VolumeAttachmentSpec
  attacher! string; source! VolumeAttachmentSource; nodeName! string
VolumeAttachmentSource
  persistentVolumeName string; inlineVolumeSpec core.PersistentVolumeSpec
VolumeAttachmentStatus
  attached! bool; attachmentMetadata {}string; attachError VolumeError; detachError VolumeError
VolumeError
  time Time; message string; errorCode int32

pkg events io.k8s.api.events.v1
Event @events.k8s.io/v1/Event "A report of something that happened in the cluster."
  apiVersion string; kind string; metadata ObjectMeta; eventTime! MicroTime; series EventSeries
  reportingController string; reportingInstance string; action string; reason string; regarding core.ObjectReference
  related core.ObjectReference; note string; type string; deprecatedSource core.EventSource
  deprecatedFirstTimestamp Time; deprecatedLastTimestamp Time; deprecatedCount int32
EventSeries
  count! int32; lastObservedTime! MicroTime

pkg coordination io.k8s.api.coordination.v1
Lease @coordination.k8s.io/v1/Lease "A distributed lease."
  apiVersion string; kind string; metadata ObjectMeta; spec LeaseSpec
LeaseSpec
  holderIdentity string; leaseDurationSeconds int32; acquireTime MicroTime; renewTime MicroTime
  leaseTransitions int32; strategy string; preferredHolder string

pkg discovery io.k8s.api.discovery.v1
EndpointSlice @discovery.k8s.io/v1/EndpointSlice "A subset of the endpoints of a service."
  apiVersion string; kind string; metadata ObjectMeta; addressType! string; endpoints! []Endpoint lt=atomic
  ports []EndpointPort lt=atomic
Endpoint
  addresses! []string lt=set; conditions EndpointConditions; hostname string; targetRef core.ObjectReference
  deprecatedTopology {}string; nodeName string; zone string; hints EndpointHints
EndpointConditions
  ready bool; serving bool; terminating bool
EndpointHints
  forZones []ForZone lt=atomic; forNodes []ForNode lt=atomic
ForZone
  name! string
ForNode
  name! string
EndpointPort atomic
  name string; protocol string; port int32; appProtocol string

pkg scheduling io.k8s.api.scheduling.v1
PriorityClass @scheduling.k8s.io/v1/PriorityClass "A mapping from a class name to a scheduling priority."
  apiVersion string; kind string; metadata ObjectMeta; value! int32; globalDefault bool; description string
  preemptionPolicy string

pkg admissionregistration io.k8s.api.admissionregistration.v1
MutatingWebhookConfiguration @admissionregistration.k8s.io/v1/MutatingWebhookConfiguration "Webhooks that may change objects."
  apiVersion string; kind string; metadata ObjectMeta; webhooks []MutatingWebhook mk=name
ValidatingWebhookConfiguration @admissionregistration.k8s.io/v1/ValidatingWebhookConfiguration "Webhooks that may reject objects."
  apiVersion string; kind string; metadata ObjectMeta; webhooks []ValidatingWebhook mk=name
ValidatingWebhook
  name! string; clientConfig! WebhookClientConfig; rules []RuleWithOperations lt=atomic; failurePolicy string
  matchPolicy string; namespaceSelector LabelSelector; objectSelector LabelSelector; sideEffects! string
  timeoutSeconds int32; admissionReviewVersions! []string lt=atomic; matchConditions []MatchCondition mk=name
MutatingWebhook <ValidatingWebhook
  reinvocationPolicy string
WebhookClientConfig
  url string; service ServiceReference; caBundle byte
ServiceReference
  namespace! string; name! string; path string; port int32
RuleWithOperations
  operations []string lt=atomic; apiGroups []string lt=atomic; apiVersions []string lt=atomic
  resources []string lt=atomic; scope string
MatchCondition
  name! string; expression! string

pkg apiextensions io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1
CustomResourceDefinition @apiextensions.k8s.io/v1/CustomResourceDefinition "Defines a custom resource."
  apiVersion string; kind string; metadata ObjectMeta; spec! CustomResourceDefinitionSpec
  status CustomResourceDefinitionStatus
CustomResourceDefinitionSpec
  group! string; names! CustomResourceDefinitionNames; scope! string
  versions! []CustomResourceDefinitionVersion lt=atomic; conversion CustomResourceConversion; preserveUnknownFields bool
CustomResourceDefinitionNames
  plural! string; singular string; shortNames []string lt=atomic; kind! string; listKind string; categories []string lt=atomic
CustomResourceDefinitionVersion
  name! string; served! bool; storage! bool; deprecated bool; deprecationWarning string
  schema CustomResourceValidation; subresources CustomResourceSubresources
  additionalPrinterColumns []CustomResourceColumnDefinition lt=atomic; selectableFields []SelectableField lt=atomic
CustomResourceValidation
  openAPIV3Schema JSONSchemaProps
JSONSchemaProps =object "A JSON schema; checked by the custom resource definition registry."
CustomResourceSubresources
  status CustomResourceSubresourceStatus; scale CustomResourceSubresourceScale
CustomResourceSubresourceStatus =object "Enables the status subresource; has no fields."
CustomResourceSubresourceScale
  specReplicasPath! string; statusReplicasPath! string; labelSelectorPath string
CustomResourceColumnDefinition
  name! string; type! string; format string; description string; priority int32; jsonPath! string
SelectableField
  jsonPath! string
CustomResourceConversion
  strategy! string; webhook WebhookConversion
WebhookConversion
  clientConfig WebhookClientConfig; conversionReviewVersions! []string lt=atomic
WebhookClientConfig
  url string; service ServiceReference; caBundle byte
ServiceReference
  namespace! string; name! string; path string; port int32
CustomResourceDefinitionStatus
  conditions []CustomResourceDefinitionCondition mk=type; acceptedNames CustomResourceDefinitionNames
  storedVersions []string lt=atomic
CustomResourceDefinitionCondition
  type! string; status! string; lastTransitionTime Time; reason string; message string

pkg authentication io.k8s.api.authentication.v1
TokenReview @authentication.k8s.io/v1/TokenReview "Checks a bearer token."
  apiVersion string; kind string; metadata ObjectMeta; spec! TokenReviewSpec; status TokenReviewStatus
TokenReviewSpec
  token string; audiences []string lt=atomic
TokenReviewStatus
  authenticated bool; user UserInfo; audiences []string lt=atomic; error string
UserInfo
  username string; uid string; groups []string lt=atomic; extra {}[]string
SelfSubjectReview @authentication.k8s.io/v1/SelfSubjectReview "Reports who the caller is."
  apiVersion string; kind string; metadata ObjectMeta; status SelfSubjectReviewStatus
SelfSubjectReviewStatus
  userInfo UserInfo
TokenRequest @authentication.k8s.io/v1/TokenRequest "Requests a service account token."
  apiVersion string; kind string; metadata ObjectMeta; spec! TokenRequestSpec; status TokenRequestStatus
TokenRequestSpec
  audiences! []string lt=atomic; expirationSeconds int64; boundObjectRef BoundObjectReference
BoundObjectReference
  kind string; apiVersion string; name string; uid string
TokenRequestStatus
  token! string; expirationTimestamp! Time

pkg authorization io.k8s.api.authorization.v1
SubjectAccessReview @authorization.k8s.io/v1/SubjectAccessReview "Checks whether a user may perform an action."
  apiVersion string; kind string; metadata ObjectMeta; spec! SubjectAccessReviewSpec; status SubjectAccessReviewStatus
LocalSubjectAccessReview @authorization.k8s.io/v1/LocalSubjectAccessReview "Checks an action within one namespace."
  apiVersion string; kind string; metadata ObjectMeta; spec! SubjectAccessReviewSpec; status SubjectAccessReviewStatus
SubjectAccessReviewSpec
  resourceAttributes ResourceAttributes; nonResourceAttributes NonResourceAttributes; user string
  groups []string lt=atomic; extra {}[]string; uid string
ResourceAttributes
  namespace string; verb string; group string; version string; resource string; subresource string; name string
  fieldSelector FieldSelectorAttributes; labelSelector LabelSelectorAttributes
FieldSelectorAttributes
  rawSelector string; requirements []FieldSelectorRequirement lt=atomic
FieldSelectorRequirement
  key! string; operator! string; values []string lt=atomic
LabelSelectorAttributes
  rawSelector string; requirements []LabelSelectorRequirement lt=atomic
NonResourceAttributes
  path string; verb string
SubjectAccessReviewStatus
  allowed! bool; denied bool; reason string; evaluationError string
SelfSubjectAccessReview @authorization.k8s.io/v1/SelfSubjectAccessReview "Checks whether the caller may perform an action."
  apiVersion string; kind string; metadata ObjectMeta; spec! SelfSubjectAccessReviewSpec; status SubjectAccessReviewStatus
SelfSubjectAccessReviewSpec
  resourceAttributes ResourceAttributes; nonResourceAttributes NonResourceAttributes
SelfSubjectRulesReview @authorization.k8s.io/v1/SelfSubjectRulesReview "Lists what the caller may do in a namespace."
  apiVersion string; kind string; metadata ObjectMeta; spec! SelfSubjectRulesReviewSpec; status SubjectRulesReviewStatus
SelfSubjectRulesReviewSpec
  namespace string
SubjectRulesReviewStatus
  resourceRules! []ResourceRule lt=atomic; nonResourceRules! []NonResourceRule lt=atomic; incomplete! bool
  evaluationError string
ResourceRule
  verbs! []string lt=atomic; apiGroups []string lt=atomic; resources []string lt=atomic; resourceNames []string lt=atomic
NonResourceRule
  verbs! []string lt=atomic; nonResourceURLs []string lt=atomic
)kd";
    return text;
}

} // namespace kd::lc::apiserver::schema
