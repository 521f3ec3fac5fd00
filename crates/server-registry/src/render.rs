//! The copies of `servers.toml` in other files: one text per region, from the servers alone.

use crate::Server;

/// A part of a committed file that `cargo xtask servers` writes, between the lines
/// `# >>> servers.toml: <name> ...` and `# <<< servers.toml: <name>`.
pub(crate) struct Region {
    pub file: &'static str,
    pub name: &'static str,
    pub render: fn(&[Server]) -> String,
}

pub(crate) const REGIONS: [Region; 12] = [
    Region {
        file: "spin.toml",
        name: "variables",
        render: spin_variables,
    },
    Region {
        file: "spin.toml",
        name: "aggregate hosts",
        render: aggregate_hosts,
    },
    Region {
        file: "spin.toml",
        name: "aggregate members",
        render: aggregate_members,
    },
    Region {
        file: "spin.toml",
        name: "routes",
        render: spin_routes,
    },
    Region {
        file: "k8s/base/gateway/spinapp.yaml",
        name: "variables",
        render: spinapp_variables,
    },
    Region {
        file: "k8s/base/gateway.env",
        name: "variables",
        render: config_map_entries,
    },
    Region {
        file: "k8s/secrets.template.yaml",
        name: "tokens",
        render: secret_keys,
    },
    Region {
        file: "k8s/base/ingress.yaml",
        name: "stream paths",
        render: base_stream_paths,
    },
    Region {
        file: "k8s/overlays/split/kustomization.yaml",
        name: "hot components",
        render: hot_components,
    },
    Region {
        file: "k8s/overlays/split/rest/kustomization.yaml",
        name: "rest components",
        render: rest_components,
    },
    Region {
        file: "k8s/overlays/split/ingress-routes.yaml",
        name: "rest paths",
        render: split_rest_paths,
    },
    Region {
        file: "k8s/overlays/split/ingress-routes.yaml",
        name: "stream paths",
        render: split_stream_paths,
    },
];

const HOT_APP: &str = "mcp-gateway";
const REST_APP: &str = "mcp-gateway-rest";

fn spin_variables(servers: &[Server]) -> String {
    servers
        .iter()
        .map(|s| {
            let id = &s.id;
            format!(
                "{id}_origin = {{ default = \"{}\" }}\n\
                 {id}_path = {{ default = \"{}\" }}\n\
                 {id}_token = {{ default = \"\", secret = true }}\n\
                 {id}_timeout = {{ default = \"{}\" }}\n\
                 {id}_pin = {{ default = \"{}\" }}\n",
                s.origin, s.path, s.timeout_secs, s.pin
            )
        })
        .collect()
}

fn aggregate_hosts(servers: &[Server]) -> String {
    let hosts: Vec<String> = std::iter::once("auth")
        .chain(servers.iter().map(|s| s.id.as_str()))
        .map(|id| format!("\"http://{id}.spin.internal\""))
        .collect();
    format!("allowed_outbound_hosts = [{}]\n", hosts.join(", "))
}

fn aggregate_members(servers: &[Server]) -> String {
    let ids: Vec<&str> = servers.iter().map(|s| s.id.as_str()).collect();
    format!("members = \"{}\"\n", ids.join(","))
}

fn spin_routes(servers: &[Server]) -> String {
    servers
        .iter()
        .map(|s| {
            let id = &s.id;
            let bridge_secret = if s.tier.via_bridge() {
                "bridge_secret = \"{{ bridge_secret }}\"\n"
            } else {
                ""
            };
            format!(
                "[[trigger.http]]\n\
                 route = \"/{id}/...\"\n\
                 component = \"{id}\"\n\
                 \n\
                 [component.{id}]\n\
                 description = \"{name} ({tier_upper} tier).\"\n\
                 source = \"target/wasm32-wasip2/release/route.wasm\"\n\
                 allowed_outbound_hosts = [\"{{{{ {id}_origin }}}}\", \"http://auth.spin.internal\"]\n\
                 key_value_stores = [\"default\"]\n\
                 [component.{id}.variables]\n\
                 server_id = \"{id}\"\n\
                 server_name = \"{name}\"\n\
                 tier = \"{tier}\"\n\
                 upstream_url = \"{{{{ {id}_origin }}}}{{{{ {id}_path }}}}\"\n\
                 upstream_token = \"{{{{ {id}_token }}}}\"\n\
                 upstream_auth = \"{auth}\"\n\
                 {bridge_secret}\
                 timeout_secs = \"{{{{ {id}_timeout }}}}\"\n\
                 pin = \"{{{{ {id}_pin }}}}\"\n\
                 gateway_secret = \"{{{{ gateway_secret }}}}\"\n\
                 openapi_public = \"{{{{ openapi_public }}}}\"\n\
                 public_url = \"{{{{ public_url }}}}\"\n\
                 allowed_origins = \"{{{{ allowed_origins }}}}\"\n\
                 max_body_bytes = \"{{{{ max_body_bytes }}}}\"\n\
                 [component.{id}.build]\n\
                 command = \"cargo build --target wasm32-wasip2 --release -p route\"\n\
                 watch = [\"components/route/src/**/*.rs\", \"crates/*/src/**/*.rs\"]\n",
                name = s.name,
                tier = s.tier.as_str(),
                tier_upper = s.tier.as_str().to_uppercase(),
                auth = s.auth,
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn spinapp_variables(servers: &[Server]) -> String {
    let entry = |name: String, secret: bool| {
        let (reference, source) = if secret {
            ("secretKeyRef", "mcp-gateway-secrets")
        } else {
            ("configMapKeyRef", "mcp-gateway-config")
        };
        format!(
            "    - name: {name}\n      valueFrom:\n        {reference}:\n          name: {source}\n          key: {name}\n"
        )
    };
    servers
        .iter()
        .flat_map(|s| {
            [
                entry(format!("{}_origin", s.id), false),
                entry(format!("{}_path", s.id), false),
                entry(format!("{}_token", s.id), true),
                entry(format!("{}_timeout", s.id), false),
                entry(format!("{}_pin", s.id), false),
            ]
        })
        .collect()
}

fn config_map_entries(servers: &[Server]) -> String {
    servers
        .iter()
        .map(|s| {
            format!(
                "{id}_origin={}\n{id}_path={}\n{id}_timeout={}\n{id}_pin={}\n",
                s.origin,
                s.path,
                s.timeout_secs,
                s.pin,
                id = s.id
            )
        })
        .collect()
}

fn secret_keys(servers: &[Server]) -> String {
    servers
        .iter()
        .map(|s| {
            format!(
                "  {id}_token: \"<credential the {id} route sends upstream, or empty>\"\n",
                id = s.id
            )
        })
        .collect()
}

fn ingress_path(path: &str, exact: bool, service: &str) -> String {
    let path_type = if exact { "Exact" } else { "Prefix" };
    format!(
        "          - path: {path}\n            pathType: {path_type}\n            backend:\n              service:\n                name: {service}\n                port:\n                  number: 80\n"
    )
}

fn base_stream_paths(servers: &[Server]) -> String {
    servers
        .iter()
        .map(|s| ingress_path(&format!("/{}/mcp", s.id), true, HOT_APP))
        .collect()
}

/// Hot servers first, then the others, each in registry order.
fn split_order(servers: &[Server]) -> impl Iterator<Item = &Server> {
    let hot = servers.iter().filter(|s| s.hot);
    hot.chain(servers.iter().filter(|s| !s.hot))
}

fn component_list(ids: impl Iterator<Item = String>) -> String {
    ids.map(|id| format!("          - {id}\n")).collect()
}

fn hot_components(servers: &[Server]) -> String {
    component_list(
        ["catalog", "auth"]
            .into_iter()
            .map(str::to_owned)
            .chain(servers.iter().filter(|s| s.hot).map(|s| s.id.clone())),
    )
}

fn rest_components(servers: &[Server]) -> String {
    component_list(split_order(servers).map(|s| s.id.clone()))
}

fn split_rest_paths(servers: &[Server]) -> String {
    servers
        .iter()
        .filter(|s| !s.hot)
        .map(|s| ingress_path(&format!("/{}", s.id), false, REST_APP))
        .collect()
}

fn split_stream_paths(servers: &[Server]) -> String {
    split_order(servers)
        .map(|s| {
            let app = if s.hot { HOT_APP } else { REST_APP };
            ingress_path(&format!("/{}/mcp", s.id), true, app)
        })
        .collect()
}
