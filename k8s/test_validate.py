"""Tests of k8s/validate.py: every overlay passes, and every check fails on a drifted copy.

$MCPGW_PYTHON -m unittest discover -s k8s -p 'test_*.py'
"""

import copy
import dataclasses
import json
import tempfile
import unittest
from pathlib import Path

import validate as v

INPUTS = v.load_inputs()
RENDERER = v.find_renderer()
RENDERED = {overlay: v.render(v.K8S_DIR / "overlays" / overlay, RENDERER) for overlay in v.OVERLAYS}


def rendered(overlay: str) -> list[dict]:
    return copy.deepcopy(RENDERED[overlay])


def find(objs, kind: str, name: str) -> dict:
    return next(obj for obj in objs if obj["kind"] == kind and obj["metadata"]["name"] == name)


def config_map(objs, prefix: str) -> dict:
    return next(
        obj for obj in objs if obj["kind"] == "ConfigMap" and obj["metadata"]["name"].startswith(prefix)
    )


def variable(app: dict, name: str) -> dict:
    return next(var for var in app["spec"]["variables"] if var["name"] == name)


def inputs_with(**changes) -> v.Inputs:
    return dataclasses.replace(copy.deepcopy(INPUTS), **changes)


class Overlays(unittest.TestCase):
    def test_every_overlay_renders_and_passes_every_check(self):
        for overlay, objs in RENDERED.items():
            with self.subTest(overlay=overlay):
                self.assertTrue(objs)
                self.assertEqual(v.validate(objs, INPUTS), [])

    def test_split_runs_two_spinapps_that_each_keep_auth(self):
        apps = [obj for obj in RENDERED["split"] if obj["kind"] == "SpinApp"]
        self.assertEqual(sorted(app["metadata"]["name"] for app in apps), ["mcp-gateway", "mcp-gateway-rest"])
        for app in apps:
            self.assertIn("auth", app["spec"]["components"])


class Readme(unittest.TestCase):
    def test_subnets_the_bridge_must_not_reach_are_the_ones_the_readme_creates(self):
        readme = (v.K8S_DIR / "README.md").read_text()
        policy = find(RENDERED["aks"], "NetworkPolicy", "bridge-egress")
        excluded = [
            cidr
            for rule in policy["spec"]["egress"]
            for peer in rule.get("to", [])
            for cidr in peer.get("ipBlock", {}).get("except", [])
        ]
        self.assertTrue(excluded)
        for cidr in excluded:
            self.assertIn(f"--address-prefixes {cidr}", readme)


class Renderer(unittest.TestCase):
    def test_prefers_the_kubectl_beside_the_python(self):
        with tempfile.TemporaryDirectory() as tmp:
            (Path(tmp) / "kubectl").touch()
            self.assertEqual(
                v.find_renderer(python=str(Path(tmp) / "python"), path=""),
                [str(Path(tmp) / "kubectl"), "kustomize"],
            )

    def test_without_any_renderer_fails_clearly(self):
        with tempfile.TemporaryDirectory() as tmp:
            with self.assertRaisesRegex(v.ValidationSetupError, "no kustomize renderer"):
                v.find_renderer(python=str(Path(tmp) / "python"), path=tmp)

    def test_a_broken_overlay_fails_to_render(self):
        with tempfile.TemporaryDirectory() as tmp:
            (Path(tmp) / "kustomization.yaml").write_text("resources: [missing.yaml]\n")
            with self.assertRaises(v.ValidationSetupError):
                v.render(Path(tmp), RENDERER)


class Drift(unittest.TestCase):
    """Each test breaks one rendered copy (or one input) and expects its check to say so."""

    def assertProblem(self, check, objs, fragment, inputs=INPUTS):
        problems = check(objs, inputs)
        self.assertTrue(
            any(fragment in problem for problem in problems),
            f"no problem containing {fragment!r} in {problems}",
        )

    # schemas
    def test_spinapp_field_unknown_to_the_crd(self):
        objs = rendered("aks")
        find(objs, "SpinApp", "mcp-gateway")["spec"]["replica"] = 2
        self.assertProblem(v.check_schemas, objs, "'replica' was unexpected) (CRD schema)")

    def test_builtin_kind_against_kubernetes_schema(self):
        objs = rendered("aks")
        find(objs, "Service", "mcp-bridge")["spec"]["ports"][0]["port"] = "http"
        self.assertProblem(v.check_schemas, objs, "'http' is not of type 'integer' (Kubernetes")

    def test_spinapp_name_too_long_for_its_service(self):
        objs = rendered("aks")
        find(objs, "SpinApp", "mcp-gateway")["metadata"]["name"] = "mcp-gateway-" + "x" * 60
        self.assertProblem(v.check_names, objs, "the name must be a DNS label of at most 63 characters")

    def test_label_value_the_api_server_rejects(self):
        objs = rendered("aks")
        find(objs, "SpinApp", "mcp-gateway")["spec"]["podLabels"]["app.kubernetes.io/component"] = (
            "gateway/hot"
        )
        self.assertProblem(
            v.check_names, objs, "label app.kubernetes.io/component='gateway/hot' is not a valid"
        )

    # variables
    def test_new_required_variable_in_spin_toml(self):
        spin = copy.deepcopy(INPUTS.spin)
        spin.variables["audit_url"] = {"required": True}
        self.assertProblem(
            v.check_spinapp_variables,
            rendered("aks"),
            "spin.toml variable audit_url is not supplied",
            inputs_with(spin=spin),
        )

    def test_secret_variable_from_a_config_map(self):
        objs = rendered("aks")
        variable(find(objs, "SpinApp", "mcp-gateway"), "github_token")["valueFrom"] = {
            "configMapKeyRef": {"name": "x", "key": "github_token"}
        }
        self.assertProblem(
            v.check_spinapp_variables, objs, "secret variable github_token must come from a secretKeyRef"
        )

    def test_required_variable_marked_optional(self):
        objs = rendered("aks")
        variable(find(objs, "SpinApp", "mcp-gateway"), "gateway_secret")["valueFrom"]["secretKeyRef"][
            "optional"
        ] = True
        self.assertProblem(
            v.check_spinapp_variables, objs, "required variable gateway_secret may end up unset"
        )

    def test_variable_spin_toml_does_not_declare(self):
        objs = rendered("aks")
        find(objs, "SpinApp", "mcp-gateway")["spec"]["variables"].append({"name": "old_var", "value": "x"})
        self.assertProblem(v.check_spinapp_variables, objs, "variable old_var is not declared in spin.toml")

    # components
    def test_route_components_without_auth(self):
        objs = rendered("split")
        find(objs, "SpinApp", "mcp-gateway-rest")["spec"]["components"].remove("auth")
        self.assertProblem(
            v.check_components, objs, "linear chains to auth, which this SpinApp does not keep"
        )

    def test_component_missing_from_spin_toml(self):
        objs = rendered("split")
        find(objs, "SpinApp", "mcp-gateway-rest")["spec"]["components"].append("jira")
        self.assertProblem(v.check_components, objs, "component jira is not in spin.toml")

    # runtime config
    def test_key_value_store_left_to_the_per_pod_default(self):
        objs = rendered("aks")
        find(objs, "SpinApp", "mcp-gateway")["spec"]["runtimeConfig"]["keyValueStores"] = []
        self.assertProblem(v.check_runtime_config, objs, "key-value store default has no runtimeConfig")

    def test_key_value_store_not_shared(self):
        objs = rendered("aks")
        find(objs, "SpinApp", "mcp-gateway")["spec"]["runtimeConfig"]["keyValueStores"][0]["type"] = "spin"
        self.assertProblem(v.check_runtime_config, objs, "is spin, not shared across replicas")

    # scaling
    def test_replicas_with_autoscaling(self):
        objs = rendered("aks")
        find(objs, "SpinApp", "mcp-gateway")["spec"]["replicas"] = 3
        self.assertProblem(v.check_scaling, objs, "replicas must not be set with enableAutoscaling")

    def test_autoscaling_without_an_hpa(self):
        objs = [obj for obj in rendered("aks") if obj["kind"] != "HorizontalPodAutoscaler"]
        self.assertProblem(v.check_scaling, objs, "enableAutoscaling but no HorizontalPodAutoscaler")

    def test_no_replicas_without_autoscaling(self):
        objs = rendered("local")
        del find(objs, "SpinApp", "mcp-gateway")["spec"]["replicas"]
        self.assertProblem(v.check_scaling, objs, "replicas must be at least 1")

    def test_hpa_on_cpu_without_cpu_request(self):
        objs = rendered("aks")
        del find(objs, "SpinApp", "mcp-gateway")["spec"]["resources"]["requests"]["cpu"]
        self.assertProblem(v.check_scaling, objs, "scales on CPU but SpinApp/mcp-gateway requests no CPU")

    # executor, health
    def test_executor_missing(self):
        objs = rendered("aks")
        find(objs, "SpinApp", "mcp-gateway")["spec"]["executor"] = "spin-shim"
        self.assertProblem(v.check_executors, objs, "executor spin-shim is not a SpinAppExecutor")

    def test_health_check_on_a_component_not_kept(self):
        objs = rendered("split")
        find(objs, "SpinApp", "mcp-gateway-rest")["spec"]["checks"]["readiness"]["httpGet"]["path"] = (
            "/health"
        )
        self.assertProblem(v.check_health_checks, objs, "readiness check /health is served by no component")

    # references
    def test_config_map_key_missing(self):
        objs = rendered("aks")
        del config_map(objs, "mcp-gateway-config")["data"]["github_origin"]
        self.assertProblem(v.check_references, objs, "has no key github_origin")

    def test_secret_key_missing_from_the_template(self):
        template = copy.deepcopy(INPUTS.secret_template)
        del template[("mcp-gateway", "mcp-gateway-secrets")]["redis_url"]
        self.assertProblem(
            v.check_references,
            rendered("aks"),
            "runtimeConfig default.url: Secret template mcp-gateway-secrets has no key redis_url",
            inputs_with(secret_template=template),
        )

    def test_secret_missing_from_the_template(self):
        template = copy.deepcopy(INPUTS.secret_template)
        del template[("mcp-gateway", "postgres-credentials")]
        self.assertProblem(
            v.check_references,
            rendered("local"),
            "Secret template has no postgres-credentials",
            inputs_with(secret_template=template),
        )

    # secret template
    def test_real_value_in_the_template(self):
        template = copy.deepcopy(INPUTS.secret_template)
        template[("mcp-gateway", "mcp-gateway-secrets")]["github_token"] = "ghp_123"
        self.assertProblem(
            v.check_secret_template,
            rendered("aks"),
            "github_token is not a <placeholder>",
            inputs_with(secret_template=template),
        )

    def test_secret_in_the_rendered_manifests(self):
        objs = rendered("aks") + [
            {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "data": {}}
        ]
        self.assertProblem(
            v.check_secret_template, objs, "Secret/s: rendered manifests must not carry Secrets"
        )

    # services and probes
    def test_service_target_port_drift(self):
        objs = rendered("aks")
        find(objs, "Service", "mcp-bridge")["spec"]["ports"][0]["targetPort"] = "web"
        self.assertProblem(v.check_services, objs, "targetPort web is not a port of Deployment/mcp-bridge")

    def test_service_selector_drift(self):
        objs = rendered("aks")
        find(objs, "Service", "mcp-bridge")["spec"]["selector"] = {"app.kubernetes.io/name": "bridge"}
        self.assertProblem(v.check_services, objs, "matches no pod")

    def test_disruption_budget_for_a_renamed_spinapp(self):
        objs = rendered("split")
        find(objs, "SpinApp", "mcp-gateway-rest")["metadata"]["name"] = "mcp-gateway-cold"
        self.assertProblem(v.check_services, objs, "PodDisruptionBudget/mcp-gateway-rest: selector")

    def test_deployment_selector_drift(self):
        objs = rendered("aks")
        find(objs, "Deployment", "mcp-bridge")["spec"]["selector"]["matchLabels"][
            "app.kubernetes.io/name"
        ] = "bridge"
        self.assertProblem(v.check_services, objs, "Deployment/mcp-bridge: its selector does not select")

    def test_probe_port_drift(self):
        objs = rendered("aks")
        container = find(objs, "Deployment", "mcp-bridge")["spec"]["template"]["spec"]["containers"][0]
        container["ports"][0]["name"] = "web"
        self.assertProblem(v.check_services, objs, "readinessProbe port http is not a container port")

    # ingress
    def test_path_sent_to_a_spinapp_without_its_component(self):
        objs = rendered("split")
        for entry in find(objs, "Ingress", "mcp-gateway")["spec"]["rules"][0]["http"]["paths"]:
            if entry["path"] == "/linear":
                entry["backend"]["service"]["name"] = "mcp-gateway"
        self.assertProblem(
            v.check_ingress, objs, "/linear/sample goes to mcp-gateway, which does not serve component linear"
        )

    def test_new_server_without_an_unbuffered_mcp_path(self):
        spin = copy.deepcopy(INPUTS.spin)
        spin.components["jira"] = v.Component(["/jira/..."], [], ["default"], {"server_id": "jira"})
        self.assertProblem(
            v.check_ingress,
            rendered("aks"),
            "MCP endpoint /jira/mcp is served by Ingress/mcp-gateway,",
            inputs_with(spin=spin),
        )

    def test_backend_port_the_service_lacks(self):
        objs = rendered("aks")
        find(objs, "Ingress", "mcp-gateway")["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"][
            "port"
        ] = {"number": 8080}
        self.assertProblem(
            v.check_ingress, objs, "goes to port {'number': 8080} that Service mcp-gateway lacks"
        )

    def test_read_timeout_shorter_than_tool_calls(self):
        objs = rendered("aks")
        config_map(objs, "mcp-gateway-config")["data"]["linear_timeout"] = "900"
        self.assertProblem(v.check_ingress, objs, "Ingress/mcp-gateway: proxy-read-timeout is below the 900s")

    def test_host_without_certificate(self):
        objs = rendered("aks")
        find(objs, "Ingress", "mcp-gateway-stream")["spec"]["rules"][0]["host"] = "gw.example.com"
        self.assertProblem(
            v.check_ingress, objs, "Ingress/mcp-gateway-stream: host gw.example.com has no TLS certificate"
        )

    def test_certificate_requested_twice(self):
        objs = rendered("aks")
        find(objs, "Ingress", "mcp-gateway-stream")["metadata"]["annotations"][
            "cert-manager.io/cluster-issuer"
        ] = "x"
        self.assertProblem(
            v.check_ingress, objs, "exactly one Ingress must request it from cert-manager, not 2"
        )

    # network policies
    def test_bridge_opened_to_another_namespace(self):
        objs = rendered("aks")
        find(objs, "NetworkPolicy", "bridge-from-gateway")["spec"]["ingress"][0]["from"].append(
            {"namespaceSelector": {}}
        )
        self.assertProblem(
            v.check_network_policies, objs, "reach Deployment/mcp-bridge; only ['gateway'] may"
        )

    def test_database_opened_to_the_bridge(self):
        objs = rendered("local")
        find(objs, "NetworkPolicy", "postgres-from-gateway")["spec"]["ingress"][0]["from"].append(
            {"podSelector": {"matchLabels": {"app.kubernetes.io/component": "bridge"}}}
        )
        self.assertProblem(
            v.check_network_policies, objs, "lets ['Deployment/mcp-bridge'] reach StatefulSet/postgres"
        )

    def test_database_without_a_policy(self):
        objs = [
            obj
            for obj in rendered("local")
            if obj["metadata"]["name"] not in ("postgres-from-gateway", "default-deny-ingress")
        ]
        self.assertProblem(v.check_network_policies, objs, "StatefulSet/postgres: no NetworkPolicy guards it")

    def test_policy_label_drift(self):
        objs = rendered("aks")
        find(objs, "NetworkPolicy", "bridge-from-gateway")["spec"]["podSelector"] = {
            "matchLabels": {"app.kubernetes.io/name": "bridge"}
        }
        self.assertProblem(v.check_network_policies, objs, "NetworkPolicy/bridge-from-gateway: podSelector")

    def test_policy_port_drift(self):
        objs = rendered("aks")
        find(objs, "NetworkPolicy", "bridge-from-gateway")["spec"]["ingress"][0]["ports"][0]["port"] = 9090
        self.assertProblem(v.check_network_policies, objs, "port 9090 is not a port of Deployment/mcp-bridge")

    # images
    def test_migrations_of_a_release_no_spinapp_runs(self):
        objs = rendered("split")
        job = find(objs, "Job", "mcp-gateway-migrate")["spec"]["template"]["spec"]["containers"][0]
        job["image"] = "mcpgwacr.azurecr.io/mcp-gateway-admin:0.2.0"
        self.assertProblem(v.check_images, objs, "migrations of 0.2.0, which no SpinApp runs")

    def test_image_tagged_latest(self):
        objs = rendered("aks")
        find(objs, "SpinApp", "mcp-gateway")["spec"]["image"] = "mcpgwacr.azurecr.io/mcp-gateway:latest"
        self.assertProblem(v.check_images, objs, "pin a tag (not latest)")

    def test_image_left_unpinned(self):
        objs = rendered("aks")
        find(objs, "Job", "mcp-gateway-migrate")["spec"]["template"]["spec"]["containers"][0]["image"] = (
            "mcp-gateway-admin"
        )
        self.assertProblem(v.check_images, objs, "the overlay must set a registry for mcp-gateway-admin")

    # upstream URLs and the bridge
    def test_bridged_server_missing_from_the_bridge_config(self):
        objs = rendered("aks")
        config_map(objs, "mcp-gateway-config")["data"]["atlassian_path"] = "/jira/mcp"
        self.assertProblem(
            v.check_upstream_urls,
            objs,
            "atlassian upstream http://mcp-bridge.mcp-gateway.svc.cluster.local:8080/jira/mcp is not a server",
        )

    def test_upstream_port_the_bridge_service_lacks(self):
        objs = rendered("aks")
        config_map(objs, "mcp-gateway-config")["data"]["asana_origin"] = (
            "http://mcp-bridge.mcp-gateway.svc.cluster.local:9000"
        )
        self.assertProblem(v.check_upstream_urls, objs, "Service mcp-bridge has no port 9000")

    def test_database_host_port_drift(self):
        objs = rendered("local")
        config_map(objs, "mcp-gateway-config")["data"]["database_host"] = (
            "postgres.mcp-gateway.svc.cluster.local:5433"
        )
        self.assertProblem(
            v.check_upstream_urls, objs, "database_host postgres.mcp-gateway.svc.cluster.local:5433"
        )

    def test_bridge_config_variable_without_environment(self):
        objs = rendered("aks")
        del config_map(objs, "mcp-bridge-env")["data"]["SONARQUBE_URL"]
        self.assertProblem(v.check_bridge_env, objs, "uses ${SONARQUBE_URL}, which its environment lacks")

    # the bridge's shared secret
    def bridge_config(self, objs) -> dict:
        return json.loads(config_map(objs, "mcp-bridge-config")["data"][v.BRIDGE_CONFIG_KEY])

    def set_bridge_config(self, objs, config: dict):
        config_map(objs, "mcp-bridge-config")["data"][v.BRIDGE_CONFIG_KEY] = json.dumps(config)

    def bridge_env(self, objs, name: str) -> dict:
        container = find(objs, "Deployment", "mcp-bridge")["spec"]["template"]["spec"]["containers"][0]
        return next(env for env in container["env"] if env["name"] == name)

    def test_bridge_and_gateway_secret_from_different_keys(self):
        for overlay in ("aks", "split"):
            with self.subTest(overlay=overlay):
                objs = rendered(overlay)
                self.bridge_env(objs, "BRIDGE_SECRET")["valueFrom"]["secretKeyRef"]["key"] = "gateway_secret"
                self.assertProblem(
                    v.check_bridge_secret,
                    objs,
                    "variable bridge_secret comes from mcp-gateway-secrets/bridge_secret, the bridge's "
                    "sharedSecret from mcp-gateway-secrets/gateway_secret",
                )

    def test_gateway_bridge_secret_from_another_secret(self):
        objs = rendered("local")
        variable(find(objs, "SpinApp", "mcp-gateway"), "bridge_secret")["valueFrom"]["secretKeyRef"][
            "name"
        ] = "mcp-bridge-secrets"
        self.assertProblem(
            v.check_bridge_secret, objs, "variable bridge_secret comes from mcp-bridge-secrets/bridge_secret"
        )

    def test_bridge_secret_that_may_be_left_out(self):
        objs = rendered("aks")
        self.bridge_env(objs, "BRIDGE_SECRET")["valueFrom"]["secretKeyRef"]["optional"] = True
        self.assertProblem(
            v.check_bridge_secret, objs, "env BRIDGE_SECRET (sharedSecret) must come from a non-optional"
        )

    def test_bridge_opened_by_its_config(self):
        objs = rendered("aks")
        config = self.bridge_config(objs)
        del config["bridge"]["sharedSecret"]
        config["bridge"]["allowUnauthenticated"] = True
        self.set_bridge_config(objs, config)
        problems = v.check_bridge_secret(objs, INPUTS)
        self.assertIn("Deployment/mcp-bridge: servers.json sets allowUnauthenticated", problems)
        self.assertIn("Deployment/mcp-bridge: servers.json sharedSecret must be one ${VAR}", problems)

    def test_bridge_secret_written_into_the_config(self):
        objs = rendered("aks")
        config = self.bridge_config(objs)
        config["bridge"]["sharedSecret"] = "0123456789abcdef0123456789abcdef"
        self.set_bridge_config(objs, config)
        self.assertProblem(v.check_bridge_secret, objs, "sharedSecret must be one ${VAR}")

    def test_bridge_tier_route_that_does_not_send_the_secret(self):
        spin = copy.deepcopy(INPUTS.spin)
        del spin.components["sonarqube"].variables["bridge_secret"]
        spin.components["sentry"].variables["tier"] = "http"
        problems = v.check_bridge_secret(rendered("split"), inputs_with(spin=spin))
        self.assertIn(
            'SpinApp/mcp-gateway-rest: sonarqube routes to the bridge without bridge_secret = "{{ bridge_secret }}"',
            problems,
        )
        self.assertTrue(any("sentry routes to the bridge, but its tier 'http'" in p for p in problems), problems)

    # Redis
    def test_redis_without_a_bound_or_a_password(self):
        objs = rendered("local")
        container = find(objs, "Deployment", "redis")["spec"]["template"]["spec"]["containers"][0]
        container["args"] = ["--save", "", "--maxmemory-policy", "noeviction"]
        problems = v.check_redis(objs, INPUTS)
        where = "Deployment/redis container redis"
        self.assertEqual(
            problems,
            [
                f"{where}: no --maxmemory (a cache must be bounded)",
                f"{where}: --maxmemory-policy must be allkeys-lru",
                f"{where}: --requirepass must be $(VAR) with VAR from a non-optional secretKeyRef",
            ],
        )

    def test_redis_password_written_into_the_manifest(self):
        objs = rendered("local")
        container = find(objs, "Deployment", "redis")["spec"]["template"]["spec"]["containers"][0]
        container["env"] = [{"name": "REDIS_PASSWORD", "value": "hunter2"}]
        self.assertProblem(v.check_redis, objs, "--requirepass must be $(VAR)")

    # Dockerfiles
    def test_pod_user_differs_from_the_image_user(self):
        objs = rendered("aks")
        find(objs, "Deployment", "mcp-bridge")["spec"]["template"]["spec"]["securityContext"]["runAsUser"] = (
            1000
        )
        self.assertProblem(v.check_dockerfiles, objs, "runs mcp-bridge as 1000, the image's USER is 10001")

    def test_container_port_differs_from_expose(self):
        objs = rendered("aks")
        find(objs, "Deployment", "mcp-bridge")["spec"]["template"]["spec"]["containers"][0]["ports"][0][
            "containerPort"
        ] = 9090
        self.assertProblem(
            v.check_dockerfiles, objs, "container ports [9090] differ from the image's EXPOSE [8080]"
        )

    def test_dockerfile_builds_an_unknown_package(self):
        dockerfiles = dict(INPUTS.dockerfiles)
        dockerfiles["mcp-bridge"] = dockerfiles["mcp-bridge"].replace("-p mcp-bridge", "-p bridge")
        self.assertProblem(
            v.check_dockerfiles,
            rendered("aks"),
            "builds -p bridge, which is not a workspace package",
            inputs_with(dockerfiles=dockerfiles),
        )


if __name__ == "__main__":
    unittest.main()
