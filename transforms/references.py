"""References shared by several transforms, written once.

Every reference names its standard, an item id, the item's title and a URL
a reader can open. Two standards are cited item by item, so their ids and
titles live in one table each and a transform names only the id:

* the CIS Kubernetes Benchmark is cited in one version, v1.10.0, with its
  numbering (section 5.2 follows the Pod Security Standards there: 5.2.6 is
  allowPrivilegeEscalation, 5.2.7 root containers; older versions numbered
  them 5.2.5 and 5.2.6). The benchmark's item pages need a CIS WorkBench
  account, so the URL is the benchmark's public page;
* Azure Policy items are built-in policy definitions: the id is the
  definition's name (the GUID in its resource id), the title its display
  name, and the URL the definition's source in the Azure/azure-policy
  repository, which AKS's policy reference links to.
"""

from hardener.model import Reference

PSS = "Pod Security Standards"
PSS_URL = "https://kubernetes.io/docs/concepts/security/pod-security-standards/"
CIS_VERSION = "v1.10.0"
CIS = f"CIS Kubernetes Benchmark {CIS_VERSION}"
CIS_URL = "https://www.cisecurity.org/benchmark/kubernetes"
NSA = "NSA/CISA Kubernetes Hardening Guide"
NSA_URL = "https://media.defense.gov/2022/Aug/29/2003066362/-1/-1/0/CTR_KUBERNETES_HARDENING_GUIDANCE_1.2_20220829.PDF"
AZURE = "Azure Policy"
AZURE_SOURCE = "https://github.com/Azure/azure-policy/blob/master/built-in-policies/policyDefinitions/Kubernetes/"

CIS_ITEMS = {
    "5.1.5": "Ensure that default service accounts are not actively used",
    "5.1.6": "Ensure that Service Account Tokens are only mounted where necessary",
    "5.2.2": "Minimize the admission of privileged containers",
    "5.2.3": "Minimize the admission of containers wishing to share the host process ID namespace",
    "5.2.4": "Minimize the admission of containers wishing to share the host IPC namespace",
    "5.2.5": "Minimize the admission of containers wishing to share the host network namespace",
    "5.2.6": "Minimize the admission of containers with allowPrivilegeEscalation",
    "5.2.7": "Minimize the admission of root containers",
    "5.2.8": "Minimize the admission of containers with the NET_RAW capability",
    "5.2.9": "Minimize the admission of containers with added capabilities",
    "5.2.10": "Minimize the admission of containers with capabilities assigned",
    "5.2.11": "Minimize the admission of Windows HostProcess containers",
    "5.2.12": "Minimize the admission of HostPath volumes",
    "5.2.13": "Minimize the admission of containers which use HostPorts",
    "5.7.2": "Ensure that the seccomp profile is set to docker/default in your pod definitions",
    "5.7.3": "Apply Security Context to Your Pods and Containers",
}
"""The CIS Kubernetes Benchmark v1.10.0 items hardener cites, by number."""

AZURE_DEFINITIONS = {  # fmt: skip
    "ContainerNoPrivilege": ("95edb821-ddaf-4404-9732-666045e056b4", "Kubernetes cluster should not allow privileged containers"),
    "ContainerNoPrivilegeEscalation": ("1c6e92c9-99f0-4e55-9cf2-0c234dc48f99", "Kubernetes clusters should not allow container privilege escalation"),
    "ContainerAllowedCapabilities": ("c26596ff-4d70-4e6a-9a30-c2506bd2f80c", "Kubernetes cluster containers should only use allowed capabilities"),
    "ReadOnlyRootFileSystem": ("df49d893-a74c-421d-bc95-c663042e5b80", "Kubernetes cluster containers should run with a read only root file system"),
    "AllowedUsersGroups": ("f06ddb64-5fa3-4b77-b166-acb36f7f6042", "Kubernetes cluster pods and containers should only run with approved user and group IDs"),
    "BlockHostNamespace": ("47a1ee2f-2a2a-4576-bf2a-e0e36709c2b8", "Kubernetes cluster containers should not share host process ID or host IPC namespace"),
    "HostNetworkPorts": ("82985f06-dc18-4a48-bc1c-b9f4f0098cfe", "Kubernetes cluster pods should only use approved host network and port range"),
    "AllowedHostPaths": ("098fc59e-46c7-4d99-9b16-64990e543d75", "Kubernetes cluster pod hostPath volumes should only use allowed host paths"),
    "AllowedVolumeTypes": ("16697877-1118-4fb1-9b65-9898ec2509ec", "Kubernetes cluster pods should only use allowed volume types"),
    "AllowedSeccompProfile": ("975ce327-682c-4f2e-aa46-b9598289b86c", "Kubernetes cluster containers should only use allowed seccomp profiles"),
    "BlockAutomountToken": ("423dd1ba-798e-40e4-9c4d-b6902674b423", "Kubernetes clusters should disable automounting API credentials"),
}
"""The Azure Policy built-in definitions hardener cites: source file name -> (definition name, display name)."""


def pss(control: str, level: str) -> Reference:
    anchor = "restricted" if level == "restricted" else "baseline"
    return Reference(PSS, f"{level}/{control}", f"{control} ({level})", f"{PSS_URL}#{anchor}")


def cis(item: str) -> Reference:
    """A CIS Kubernetes Benchmark v1.10.0 item by its number; its title comes from the table."""
    return Reference(CIS, item, CIS_ITEMS[item], CIS_URL)


def nsa(title: str) -> Reference:
    return Reference(NSA, "pod-security", title, NSA_URL)


def azure(source: str) -> Reference:
    """An Azure Policy built-in definition, by the name of its file in the Azure/azure-policy repository."""
    name, title = AZURE_DEFINITIONS[source]
    return Reference(AZURE, name, title, f"{AZURE_SOURCE}{source}.json")
