"""References shared by several transforms, written once.

URLs point at the public text of each standard; the Azure Policy entries
name the built-in policy definitions that AKS users see in the portal.
"""

from hardener.model import Reference

PSS = "Pod Security Standards"
PSS_URL = "https://kubernetes.io/docs/concepts/security/pod-security-standards/"
CIS = "CIS Kubernetes Benchmark"
NSA = "NSA/CISA Kubernetes Hardening Guide"
NSA_URL = "https://media.defense.gov/2022/Aug/29/2003066362/-1/-1/0/CTR_KUBERNETES_HARDENING_GUIDANCE_1.2_20220829.PDF"
AZURE = "Azure Policy"
AZURE_URL = "https://learn.microsoft.com/azure/aks/policy-reference"


def pss(control: str, level: str) -> Reference:
    anchor = "restricted" if level == "restricted" else "baseline"
    return Reference(PSS, f"{level}/{control}", f"{control} ({level})", f"{PSS_URL}#{anchor}")


def cis(item: str, title: str) -> Reference:
    return Reference(CIS, item, title, "https://www.cisecurity.org/benchmark/kubernetes")


def nsa(title: str) -> Reference:
    return Reference(NSA, "pod-security", title, NSA_URL)


def azure(title: str) -> Reference:
    return Reference(AZURE, title, title, AZURE_URL)
