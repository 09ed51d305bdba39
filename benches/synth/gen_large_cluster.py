#!/usr/bin/env python3
"""Write a synthetic large OpenEBS cluster in bundle layout, for the collect-vs-kubectl benchmark.

    gen_large_cluster.py --out /tmp/mayadiag-large --pods 3000 --log-kib 128

Defaults: 3,000 pods x 2 containers, each container with a log of --log-kib KiB (3000 x 2 x 128 KiB =
768 MiB), 30,000 events, 2,000 PVs + 2,000 PVCs, 1,000 custom resources (LVMVolume, ZFSVolume,
DiskPool, CStorVolumeReplica) with their CRDs, 50 nodes, StorageClasses and CSIDrivers. Every pod is
either an OpenEBS component (labels as in the real charts) or an application pod that mounts an
OpenEBS PVC, so `mayadiag collect --app-logs` collects every log. Deterministic for a given set of
arguments (seeded random, uuid5 uids). Standard library only.
"""

import argparse
import json
import os
import random
import shutil
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone

BASE = datetime(2026, 11, 30, 12, 0, 0, tzinfo=timezone.utc)
UUID_NS = uuid.UUID("0b6c1e5e-8d0f-4d7e-9a61-3f1c2b4d5e6f")
HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.normpath(os.path.join(HERE, "..", "..", "tests", "fixtures", "clusters"))
ALNUM = "bcdfghjklmnpqrstvwxz2456789"


def ts(sec):
    return (BASE + timedelta(seconds=sec)).strftime("%Y-%m-%dT%H:%M:%SZ")


def uid(*parts):
    return str(uuid.uuid5(UUID_NS, "/".join(parts)))


def sfx(rng, n=5):
    return "".join(rng.choice(ALNUM) for _ in range(n))


def dump(path, obj):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, sort_keys=True, separators=(",", ":"))
        f.write("\n")


def klist(kind, api, items):
    return {"kind": kind + "List", "apiVersion": api, "metadata": {"resourceVersion": "999999"}, "items": items}


class Meta:
    def __init__(self):
        self.rv = 10000

    def __call__(self, kind, name, ns=None, labels=None, created=-86400, owner=None, annotations=None):
        self.rv += 3
        m = {"name": name, "uid": uid(kind, ns or "", name), "creationTimestamp": ts(created), "resourceVersion": str(self.rv)}
        if ns:
            m["namespace"] = ns
        if labels:
            m["labels"] = labels
        if annotations:
            m["annotations"] = annotations
        if owner:
            m["ownerReferences"] = [{"apiVersion": owner[0], "kind": owner[1], "name": owner[2], "uid": uid(owner[1], ns or "", owner[2]),
                                     "controller": True, "blockOwnerDeletion": True}]
        return m


# ---- logs ---------------------------------------------------------------------------------------------

def line_pool(rng, n=4000):
    """Varied klog, JSON and Rust tracing lines, built once."""
    files = ["controller.go", "reconcile.go", "grpc.go", "volume.go", "node.go", "server.go", "leaderelection.go", "mount.go"]
    words = ["volume", "replica", "pool", "nexus", "node", "snapshot", "claim", "target", "controller", "device", "path", "lease"]
    states = ["Online", "Healthy", "Ready", "Bound", "Degraded", "Pending", "Created", "Running"]
    out = []
    for i in range(n):
        t = BASE + timedelta(seconds=-86400 + i * 21, microseconds=rng.randrange(1000000))
        vol = "pvc-" + uid("v", str(rng.randrange(2000)))
        kind = i % 5
        if kind in (0, 1):
            out.append("%s%s %7d %s:%d] %s %s %s reconciled state=%s latency=%dms" % (
                rng.choice("IIIIIW"), t.strftime("%m%d %H:%M:%S.%f"), 1, rng.choice(files), rng.randrange(40, 900),
                rng.choice(words), vol, rng.choice(words), rng.choice(states), rng.randrange(1, 900)))
        elif kind == 2:
            out.append(json.dumps({"level": rng.choice(["info", "info", "debug", "warn"]), "ts": t.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                                   "caller": "%s:%d" % (rng.choice(files), rng.randrange(40, 900)),
                                   "msg": "%s %s" % (rng.choice(words), rng.choice(["synced", "updated", "published", "watching"])),
                                   "volume": vol, "node": "node-%02d" % rng.randrange(50), "attempt": rng.randrange(5)}, sort_keys=True))
        elif kind == 3:
            out.append("[%s  %s io_engine::bdev::nexus:nexus_bdev.rs:%d] %s: child nvmf://10.0.%d.%d:8420/nqn.2019-05.io.openebs:%s state %s" % (
                t.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), rng.choice(["INFO", "INFO", "DEBUG", " WARN"]), rng.randrange(100, 1500),
                vol[4:], rng.randrange(255), rng.randrange(255), vol[4:], rng.choice(states)))
        else:
            out.append('time="%s" level=%s msg="%s %s %s" component=%s' % (
                t.strftime("%Y-%m-%dT%H:%M:%SZ"), rng.choice(["info", "info", "warning"]), rng.choice(words), vol,
                rng.choice(["attached", "detached", "mounted", "resized", "published"]), rng.choice(words)))
    return out


def log_buffer(rng, kib):
    """A buffer a bit over 4x the log size, plus line start offsets, so each log is a different slice."""
    pool = line_pool(rng)
    target = max(kib * 1024 * 4, 1 << 20)
    parts, size, starts = [], 0, []
    while size < target:
        line = rng.choice(pool) + "\n"
        starts.append(size)
        parts.append(line)
        size += len(line)
    return "".join(parts).encode(), starts


# ---- objects ------------------------------------------------------------------------------------------

IMAGES = {
    "io-engine": ("docker.io/openebs/mayastor-io-engine:v2.8.0", "docker.io/openebs/mayastor-metrics-exporter-io-engine:v2.8.0", "metrics-exporter-io-engine"),
    "csi-node": ("docker.io/openebs/mayastor-csi-node:v2.8.0", "registry.k8s.io/sig-storage/csi-node-driver-registrar:v2.10.0", "csi-driver-registrar"),
    "openebs-lvm-node": ("openebs/lvm-driver:1.6.2", "registry.k8s.io/sig-storage/csi-node-driver-registrar:v2.8.0", "csi-node-driver-registrar"),
}


def pod_obj(meta, rng, name, ns, labels, node, node_ip, containers, owner, pvc=None, created=-86400 * 3, restarts=0):
    specs, statuses = [], []
    for cname, image in containers:
        specs.append({"name": cname, "image": image, "imagePullPolicy": "IfNotPresent", "resources": {},
                      "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File",
                      "volumeMounts": [{"name": "data", "mountPath": "/data"}] if pvc else []})
        st = {"name": cname, "image": image, "imageID": image.split(":")[0] + "@sha256:" + uid("img", image).replace("-", "") * 2,
              "containerID": "containerd://" + uid("ctr", ns, name, cname).replace("-", "") * 2, "ready": True, "started": True,
              "restartCount": restarts, "state": {"running": {"startedAt": ts(created + 15)}}, "lastState": {}}
        if restarts:
            st["lastState"] = {"terminated": {"exitCode": 1, "reason": "Error", "startedAt": ts(created + 10), "finishedAt": ts(-7200)}}
        statuses.append(st)
    spec = {"containers": specs, "nodeName": node, "restartPolicy": "Always", "schedulerName": "default-scheduler",
            "serviceAccountName": "default", "dnsPolicy": "ClusterFirst", "terminationGracePeriodSeconds": 30}
    if pvc:
        spec["volumes"] = [{"name": "data", "persistentVolumeClaim": {"claimName": pvc}}]
    ip = "10.%d.%d.%d" % (100 + rng.randrange(100), rng.randrange(256), rng.randrange(1, 255))
    return {"kind": "Pod", "apiVersion": "v1", "metadata": meta("Pod", name, ns, labels, created, owner),
            "spec": spec,
            "status": {"phase": "Running", "hostIP": node_ip, "podIP": ip, "podIPs": [{"ip": ip}], "startTime": ts(created + 1),
                       "qosClass": "BestEffort", "containerStatuses": statuses,
                       "conditions": [{"type": t, "status": "True", "lastProbeTime": None, "lastTransitionTime": ts(created + 20)}
                                      for t in ("Initialized", "Ready", "ContainersReady", "PodScheduled")]}}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--pods", type=int, default=3000)
    ap.add_argument("--log-kib", type=int, default=128)
    ap.add_argument("--events", type=int, default=30000)
    ap.add_argument("--pvs", type=int, default=2000)
    ap.add_argument("--crs", type=int, default=1000)
    ap.add_argument("--nodes", type=int, default=50)
    ap.add_argument("--namespaces", type=int, default=30, help="application namespaces (plus openebs)")
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args()
    t0 = time.time()
    rng = random.Random(a.seed)
    meta = Meta()
    out = a.out
    if os.path.exists(out):
        shutil.rmtree(out)
    cr = os.path.join(out, "cluster-resources")
    os.makedirs(cr)
    with open(os.path.join(out, "version.yaml"), "w") as f:
        f.write("apiVersion: troubleshoot.sh/v1beta2\nkind: SupportBundle\nspec:\n  versionNumber: v0.107.1\n")
    dump(os.path.join(out, "cluster-info", "cluster_version.json"), {"info": {"major": "1", "minor": "30", "gitVersion": "v1.30.2", "platform": "linux/amd64",
                                                                             "gitCommit": "39683505b630ff2121012f3c5b16215a1449d5ed", "gitTreeState": "clean",
                                                                             "buildDate": "2024-06-11T20:20:00Z", "goVersion": "go1.22.4", "compiler": "gc"},
                                                                    "string": "v1.30.2"})
    dump(os.path.join(out, "mayadiag", "manifest.json"), {"collected_at": "2026-11-30T12:05:00Z", "tool": "gen_large_cluster"})

    nodes = ["node-%02d" % i for i in range(a.nodes)]
    node_ip = {n: "10.0.%d.%d" % (i // 200, 10 + i % 200) for i, n in enumerate(nodes)}
    app_ns = ["app-%02d" % i for i in range(a.namespaces)]
    all_ns = ["openebs"] + app_ns
    dump(os.path.join(cr, "namespaces.json"), klist("Namespace", "v1", [
        {"kind": "Namespace", "apiVersion": "v1", "metadata": meta("Namespace", n, labels={"kubernetes.io/metadata.name": n}, created=-86400 * 30),
         "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}} for n in ["default", "kube-system"] + all_ns]))
    node_objs = []
    for n in nodes:
        node_objs.append({"kind": "Node", "apiVersion": "v1", "metadata": meta("Node", n, labels={
            "kubernetes.io/hostname": n, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64", "openebs.io/engine": "mayastor"}, created=-86400 * 30),
            "spec": {}, "status": {
                "addresses": [{"type": "InternalIP", "address": node_ip[n]}, {"type": "Hostname", "address": n}],
                "allocatable": {"cpu": "16", "memory": "63Gi", "pods": "110", "hugepages-2Mi": "2Gi", "ephemeral-storage": "190Gi"},
                "capacity": {"cpu": "16", "memory": "64Gi", "pods": "110", "hugepages-2Mi": "2Gi", "ephemeral-storage": "200Gi"},
                "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady", "message": "kubelet is posting ready status",
                                "lastHeartbeatTime": ts(-10), "lastTransitionTime": ts(-86400 * 30)}],
                "nodeInfo": {"kernelVersion": "6.8.0-49-generic", "osImage": "Ubuntu 24.04.1 LTS", "containerRuntimeVersion": "containerd://1.7.22",
                             "kubeletVersion": "v1.30.2", "kubeProxyVersion": "v1.30.2", "operatingSystem": "linux", "architecture": "amd64",
                             "machineID": uid("m", n).replace("-", ""), "systemUUID": uid("s", n), "bootID": uid("b", n)}}})
    dump(os.path.join(cr, "nodes.json"), klist("Node", "v1", node_objs))
    scs = [("openebs-hostpath", "openebs.io/local", {}), ("openebs-lvmpv", "local.csi.openebs.io", {"volgroup": "lvmvg"}),
           ("openebs-zfspv", "zfs.csi.openebs.io", {"poolname": "zfspv-pool"}), ("mayastor-3", "io.openebs.csi-mayastor", {"repl": "3", "protocol": "nvmf"})]
    dump(os.path.join(cr, "storage-classes.json"), klist("StorageClass", "storage.k8s.io/v1", [
        {"kind": "StorageClass", "apiVersion": "storage.k8s.io/v1", "metadata": meta("StorageClass", n, created=-86400 * 30), "provisioner": p, "parameters": prm,
         "reclaimPolicy": "Delete", "volumeBindingMode": "WaitForFirstConsumer"} for n, p, prm in scs]))
    dump(os.path.join(cr, "csidrivers.json"), klist("CSIDriver", "storage.k8s.io/v1", [
        {"kind": "CSIDriver", "apiVersion": "storage.k8s.io/v1", "metadata": meta("CSIDriver", d, created=-86400 * 30),
         "spec": {"attachRequired": False, "podInfoOnMount": True, "volumeLifecycleModes": ["Persistent"], "fsGroupPolicy": "ReadWriteOnceWithFSType"}}
        for d in ("local.csi.openebs.io", "zfs.csi.openebs.io")]))
    dump(os.path.join(cr, "csinodes.json"), klist("CSINode", "storage.k8s.io/v1", [
        {"kind": "CSINode", "apiVersion": "storage.k8s.io/v1", "metadata": meta("CSINode", n, created=-86400 * 30),
         "spec": {"drivers": [{"name": d, "nodeID": n, "topologyKeys": ["kubernetes.io/hostname"]} for d in
                              ("io.openebs.csi-mayastor", "local.csi.openebs.io", "zfs.csi.openebs.io")]}} for n in nodes]))

    # PVCs / PVs
    pvcs = {ns: [] for ns in app_ns}
    pvs, vas, claims = [], [], []
    for i in range(a.pvs):
        ns = app_ns[i % len(app_ns)]
        sc, prov, _ = scs[i % len(scs)]
        name = "data-%05d" % i
        puid = uid("PersistentVolumeClaim", ns, name)
        pv = "pvc-" + puid
        node = nodes[i % len(nodes)]
        claims.append((ns, name, node))
        pvcs[ns].append({"kind": "PersistentVolumeClaim", "apiVersion": "v1", "metadata": dict(meta("PersistentVolumeClaim", name, ns, created=-86400 * 3), uid=puid,
                                                                                             annotations={"volume.kubernetes.io/storage-provisioner": prov, "pv.kubernetes.io/bind-completed": "yes"}),
                         "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "10Gi"}}, "storageClassName": sc, "volumeName": pv, "volumeMode": "Filesystem"},
                         "status": {"phase": "Bound", "accessModes": ["ReadWriteOnce"], "capacity": {"storage": "10Gi"}}})
        spec = {"accessModes": ["ReadWriteOnce"], "capacity": {"storage": "10Gi"}, "storageClassName": sc, "persistentVolumeReclaimPolicy": "Delete",
                "claimRef": {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "name": name, "namespace": ns, "uid": puid}, "volumeMode": "Filesystem"}
        labels = None
        if prov == "openebs.io/local":
            spec["local"] = {"path": "/var/openebs/local/" + pv}
            labels = {"openebs.io/cas-type": "local-hostpath"}
        else:
            spec["csi"] = {"driver": prov, "volumeHandle": pv[4:] if "mayastor" in prov else pv, "fsType": "ext4"}
        pvs.append({"kind": "PersistentVolume", "apiVersion": "v1", "metadata": meta("PersistentVolume", pv, labels=labels, created=-86400 * 3,
                                                                                     annotations={"pv.kubernetes.io/provisioned-by": prov}),
                    "spec": spec, "status": {"phase": "Bound"}})
        if "mayastor" in prov:
            vas.append({"kind": "VolumeAttachment", "apiVersion": "storage.k8s.io/v1", "metadata": meta("VolumeAttachment", "csi-" + uid("va", pv).replace("-", ""), created=-86400 * 3),
                        "spec": {"attacher": prov, "nodeName": node, "source": {"persistentVolumeName": pv}}, "status": {"attached": True}})
    dump(os.path.join(cr, "pvs.json"), klist("PersistentVolume", "v1", pvs))
    dump(os.path.join(cr, "volumeattachments.json"), klist("VolumeAttachment", "storage.k8s.io/v1", vas))

    # pods: OpenEBS DaemonSet pods on every node (until the budget runs out), the rest application pods
    pods = {ns: [] for ns in all_ns}
    ds_specs = [("openebs-io-engine", {"app": "io-engine", "openebs.io/release": "openebs", "openebs.io/version": "2.8.0"}, "io-engine"),
                ("openebs-csi-node", {"app": "csi-node", "openebs.io/release": "openebs", "openebs.io/version": "2.8.0"}, "csi-node"),
                ("openebs-lvm-localpv-node", {"name": "openebs-lvm-node", "openebs.io/component-name": "openebs-lvm-node", "role": "openebs-lvm"}, "openebs-lvm-node")]
    budget = a.pods
    ds_budget = min(len(ds_specs) * len(nodes), a.pods // 5)
    for ds_name, labels, key in ds_specs:
        main_img, side_img, side = IMAGES[key]
        for n in nodes:
            if ds_budget <= 0:
                break
            ds_budget -= 1
            name = "%s-%s" % (ds_name, sfx(rng))
            pods["openebs"].append(pod_obj(meta, rng, name, "openebs", labels, n, node_ip[n], [(key if key != "openebs-lvm-node" else "openebs-lvm-plugin", main_img), (side, side_img)],
                                           ("apps/v1", "DaemonSet", ds_name), restarts=1 if rng.random() < 0.05 else 0))
            budget -= 1
    app_images = [("postgres:16.4", "postgres"), ("redis:7.4.1", "redis"), ("mysql:8.0.39", "mysql"), ("nginx:1.27.2", "web")]
    i = 0
    while budget > 0:
        ns, claim, node = claims[i % len(claims)]
        img, app = app_images[i % len(app_images)]
        name = "%s-%04d-%s" % (app, i, sfx(rng))
        pods[ns].append(pod_obj(meta, rng, name, ns, {"app": app, "app.kubernetes.io/name": app}, node, node_ip[node],
                                [(app, img), ("log-shipper", "fluent/fluent-bit:3.1.9")], ("apps/v1", "ReplicaSet", "%s-%04d" % (app, i)),
                                pvc=claim, restarts=1 if rng.random() < 0.03 else 0))
        i += 1
        budget -= 1

    # events about pods, PVCs and CRs
    events = {ns: [] for ns in all_ns}
    flat_pods = [(ns, p) for ns in all_ns for p in pods[ns]]
    reasons = [("Normal", "Pulled", "Container image \"%s\" already present on machine"), ("Normal", "Started", "Started container %s"),
               ("Normal", "Created", "Created container %s"), ("Warning", "Unhealthy", "Readiness probe failed: HTTP probe failed with statuscode: 503 (%s)"),
               ("Normal", "SuccessfulAttachVolume", "AttachVolume.Attach succeeded for volume \"%s\""), ("Warning", "BackOff", "Back-off restarting failed container %s")]
    for e in range(a.events):
        ns, p = flat_pods[e % len(flat_pods)]
        typ, reason, fmt = reasons[e % len(reasons)]
        c0 = p["spec"]["containers"][0]
        arg = c0["image"] if reason == "Pulled" else c0["name"]
        md = p["metadata"]
        first = -rng.randrange(60, 86400)
        events[ns].append({"kind": "Event", "apiVersion": "v1", "metadata": meta("Event", "%s.%016x" % (md["name"], e), ns, created=first),
                           "involvedObject": {"kind": "Pod", "namespace": ns, "name": md["name"], "uid": md["uid"], "apiVersion": "v1",
                                              "resourceVersion": md["resourceVersion"], "fieldPath": "spec.containers{%s}" % c0["name"]},
                           "reason": reason, "message": fmt % arg, "type": typ, "count": 1 + rng.randrange(5),
                           "firstTimestamp": ts(first), "lastTimestamp": ts(first + rng.randrange(0, 50)),
                           "source": {"component": "kubelet", "host": p["spec"]["nodeName"]}, "eventTime": None,
                           "reportingComponent": "kubelet", "reportingInstance": p["spec"]["nodeName"]})
    for ns in all_ns:
        dump(os.path.join(cr, "pods", ns + ".json"), klist("Pod", "v1", pods[ns]))
        dump(os.path.join(cr, "events", ns + ".json"), klist("Event", "v1", events[ns]))
        dump(os.path.join(cr, "pvcs", ns + ".json"), klist("PersistentVolumeClaim", "v1", pvcs.get(ns, [])))
        for d, kind, api in (("deployments", "Deployment", "apps/v1"), ("daemonsets", "DaemonSet", "apps/v1"), ("services", "Service", "v1"),
                             ("configmaps", "ConfigMap", "v1")):
            dump(os.path.join(cr, d, ns + ".json"), klist(kind, api, []))
    dump(os.path.join(cr, "daemonsets", "openebs.json"), klist("DaemonSet", "apps/v1", [
        {"kind": "DaemonSet", "apiVersion": "apps/v1", "metadata": meta("DaemonSet", n, "openebs", labels, created=-86400 * 3),
         "spec": {"selector": {"matchLabels": labels}, "template": {"metadata": {"labels": labels}, "spec": {"containers": [{"name": k, "image": IMAGES[k][0]}]}}},
         "status": {"desiredNumberScheduled": len(nodes), "numberReady": len(nodes), "currentNumberScheduled": len(nodes), "numberAvailable": len(nodes),
                    "updatedNumberScheduled": len(nodes), "numberMisscheduled": 0}} for n, labels, k in ds_specs]))

    # CRDs from the committed fixtures, and custom resources of those kinds
    crds = []
    for fx in ("openebs-4x", "openebs-3x"):
        with open(os.path.join(FIXTURES, fx, "cluster-resources", "custom-resource-definitions.json")) as f:
            crds += json.load(f)["items"]
    seen, uniq = set(), []
    for c in crds:
        if c["metadata"]["name"] not in seen:
            seen.add(c["metadata"]["name"])
            uniq.append(c)
    dump(os.path.join(cr, "custom-resource-definitions.json"), klist("CustomResourceDefinition", "apiextensions.k8s.io/v1", uniq))
    crs = {"lvmvolumes.local.openebs.io": [], "zfsvolumes.zfs.openebs.io": [], "diskpools.openebs.io": [], "cstorvolumereplicas.cstor.openebs.io": []}
    for k in range(a.crs):
        which = k % 4
        node = nodes[k % len(nodes)]
        if which == 0:
            n = "pvc-" + uid("lvm", str(k))
            crs["lvmvolumes.local.openebs.io"].append({"kind": "LVMVolume", "apiVersion": "local.openebs.io/v1alpha1", "metadata": meta("LVMVolume", n, "openebs", {"kubernetes.io/nodename": node}),
                                                        "spec": {"capacity": "10737418240", "ownerNodeID": node, "volGroup": "lvmvg", "vgPattern": "^lvmvg$", "shared": "no", "thinProvision": "no"},
                                                        "status": {"state": "Ready"}})
        elif which == 1:
            n = "pvc-" + uid("zfs", str(k))
            crs["zfsvolumes.zfs.openebs.io"].append({"kind": "ZFSVolume", "apiVersion": "zfs.openebs.io/v1", "metadata": meta("ZFSVolume", n, "openebs", {"kubernetes.io/nodename": node}),
                                                      "spec": {"capacity": "10737418240", "ownerNodeID": node, "poolName": "zfspv-pool", "fsType": "zfs", "volumeType": "DATASET",
                                                               "compression": "off", "dedup": "off", "recordsize": "128k", "thinProvision": "no"},
                                                      "status": {"state": "Ready"}})
        elif which == 2:
            n = "pool-%04d-on-%s" % (k, node)
            crs["diskpools.openebs.io"].append({"kind": "DiskPool", "apiVersion": "openebs.io/v1beta2", "metadata": meta("DiskPool", n, "openebs"),
                                                 "spec": {"node": node, "disks": ["aio:///dev/disk/by-id/nvme-%04d" % k]},
                                                 "status": {"cr_state": "Created", "pool_status": "Online", "capacity": 107374182400, "used": 10737418240, "available": 96636764160}})
        else:
            n = "pvc-%s-cstor-disk-pool-%s" % (uid("cvr", str(k)), sfx(rng, 4))
            crs["cstorvolumereplicas.cstor.openebs.io"].append({"kind": "CStorVolumeReplica", "apiVersion": "cstor.openebs.io/v1", "metadata": meta("CStorVolumeReplica", n, "openebs"),
                                                                 "spec": {"capacity": "10Gi", "replicaid": uid("rid", str(k))[:16].upper(), "targetIP": "10.96.1.%d" % (k % 250 + 1)},
                                                                 "status": {"phase": "Healthy", "capacity": {"total": "112M", "used": "112M"}}})
    for pg, items in crs.items():
        dump(os.path.join(cr, "custom-resources", pg, "openebs.json"), items)
    t_objects = time.time() - t0

    # logs: slices of one pre-built buffer, written in one call per file
    buf, starts = log_buffer(rng, a.log_kib)
    size = a.log_kib * 1024
    view = memoryview(buf)
    limit = len(buf) - size
    nfiles, nbytes = 0, 0
    first_idx = [i for i, s in enumerate(starts) if s <= limit]
    for ns in all_ns:
        for p in pods[ns]:
            d = os.path.join(cr, "pods", "logs", ns, p["metadata"]["name"])
            os.makedirs(d)
            for st in p["status"]["containerStatuses"]:
                for prev in ([False, True] if st["restartCount"] else [False]):
                    start = starts[first_idx[rng.randrange(len(first_idx))]]
                    end = buf.rfind(b"\n", start, start + size) + 1 - start  # whole lines only
                    chunk = view[start:start + end]
                    fd = os.open(os.path.join(d, st["name"] + ("-previous.log" if prev else ".log")), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
                    os.write(fd, chunk)
                    os.close(fd)
                    nfiles += 1
                    nbytes += end
    total_pods = sum(len(v) for v in pods.values())
    print("wrote %s: %d pods, %d events, %d PVs, %d CRs, %d log files (%.1f MiB) in %.1fs (objects %.1fs)" % (
        out, total_pods, sum(len(v) for v in events.values()), len(pvs), sum(len(v) for v in crs.values()), nfiles, nbytes / 1048576.0,
        time.time() - t0, t_objects), file=sys.stderr)
    # every JSON file must parse
    for root, _, files in os.walk(cr):
        if "/logs" in root:
            continue
        for fn in files:
            with open(os.path.join(root, fn)) as f:
                json.load(f)


if __name__ == "__main__":
    main()
