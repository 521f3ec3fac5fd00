//! What `cargo xtask up` decides from the user's environment, without starting anything: the
//! database it uses and the Spin variables it sets (every `SPIN_VARIABLE_*` the user set wins).

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Context, Result};

use crate::provision::postgres;

/// The database of the demo when the URL names none (or names the server's `postgres` database,
/// which is only there to connect to).
pub const DEMO_DATABASE: &str = "mcp_gateway_demo";
/// The gateway's variable that xtask also migrates and puts the demo key into.
pub const DATABASE_URL: &str = "database_url";
/// The gateway's variable holding the demo bridge's shared secret.
pub const BRIDGE_SECRET: &str = "bridge_secret";

/// The process environment, as a map: tests build one instead of mutating the real one.
pub type Environment = BTreeMap<String, String>;

/// The environment key Spin reads for variable `name` (`sentry_origin` →
/// `SPIN_VARIABLE_SENTRY_ORIGIN`).
pub fn spin_variable(name: &str) -> String {
    format!("SPIN_VARIABLE_{}", name.to_uppercase())
}

/// The secret the demo bridge requires and the gateway sends: the user's
/// `SPIN_VARIABLE_BRIDGE_SECRET`, else a new random one (nothing outlives the run that needs it).
pub fn bridge_secret(env: &Environment) -> String {
    env.get(&spin_variable(BRIDGE_SECRET))
        .cloned()
        .unwrap_or_else(test_support::random_secret)
}

/// Where the demo's policy database is.
#[derive(Debug, PartialEq, Eq)]
pub enum DemoDatabase {
    /// `SPIN_VARIABLE_DATABASE_URL`: the gateway's own setting; xtask migrates that database.
    Gateway(String),
    /// `DATABASE_URL` (a server given by the user) or, when absent, a local server or xtask's
    /// own cluster: `database` on that server.
    OnServer { database: String },
}

/// The database is the one the gateway will use: `SPIN_VARIABLE_DATABASE_URL` if set, else the
/// one named in `DATABASE_URL`, else `mcp_gateway_demo`.
pub fn demo_database(env: &Environment) -> Result<DemoDatabase> {
    if let Some(url) = env.get(&spin_variable(DATABASE_URL)) {
        return Ok(DemoDatabase::Gateway(url.clone()));
    }
    let named = match env.get(test_support::ENV_DATABASE_URL) {
        Some(url) => postgres::database_of(url).with_context(|| {
            format!("{} is not a PostgreSQL URL", test_support::ENV_DATABASE_URL)
        })?,
        None => None,
    };
    Ok(DemoDatabase::OnServer {
        database: named
            .filter(|name| name != postgres::MAINTENANCE_DATABASE)
            .unwrap_or_else(|| DEMO_DATABASE.to_owned()),
    })
}

/// One Spin variable xtask would give the gateway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variable {
    pub name: String,
    pub value: String,
    /// Printed as `<hidden>`.
    pub secret: bool,
}

impl Variable {
    pub fn public(name: &str, value: impl Into<String>) -> Self {
        Self {
            name: name.to_owned(),
            value: value.into(),
            secret: false,
        }
    }

    pub fn secret(name: &str, value: impl Into<String>) -> Self {
        Self {
            name: name.to_owned(),
            value: value.into(),
            secret: true,
        }
    }
}

/// Variables that only make sense together: a stand-in upstream's origin, path and token.
/// Setting part of one would mix the user's upstream with xtask's stand-in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub label: String,
    pub variables: Vec<Variable>,
}

impl Group {
    pub fn single(variable: Variable) -> Self {
        Self {
            label: variable.name.clone(),
            variables: vec![variable],
        }
    }
}

/// What xtask sets, and what it leaves to the user.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Decision {
    pub set: Vec<Variable>,
    /// (group label, the `SPIN_VARIABLE_*` keys of it the user set).
    pub left: Vec<(String, Vec<String>)>,
}

impl Decision {
    pub fn is_set(&self, name: &str) -> bool {
        self.set.iter().any(|v| v.name == name)
    }

    /// The lines printed before the gateway starts.
    pub fn report(&self) -> String {
        let mut text = String::from("xtask sets for the gateway:\n");
        for variable in &self.set {
            let value = if variable.secret {
                "<hidden>"
            } else {
                &variable.value
            };
            text.push_str(&format!("  {}={value}\n", spin_variable(&variable.name)));
        }
        for (label, keys) in &self.left {
            text.push_str(&format!(
                "left as you set it: {label} ({})\n",
                keys.join(", ")
            ));
        }
        text
    }
}

/// Every group none of whose variables the user set in `env`; the others are left whole.
pub fn decide(groups: Vec<Group>, env: &Environment) -> Decision {
    let user: BTreeSet<&str> = env
        .keys()
        .filter(|key| key.starts_with("SPIN_VARIABLE_"))
        .map(String::as_str)
        .collect();
    let mut decision = Decision::default();
    for group in groups {
        let taken: Vec<String> = group
            .variables
            .iter()
            .map(|v| spin_variable(&v.name))
            .filter(|key| user.contains(key.as_str()))
            .collect();
        if taken.is_empty() {
            decision.set.extend(group.variables);
        } else {
            decision.left.push((group.label, taken));
        }
    }
    decision
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Environment {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn stand_in(route: &str) -> Group {
        Group {
            label: format!("{route} stand-in"),
            variables: vec![
                Variable::public(&format!("{route}_origin"), "http://127.0.0.1:9"),
                Variable::public(&format!("{route}_path"), format!("/{route}/mcp")),
                Variable::secret(&format!("{route}_token"), "local"),
            ],
        }
    }

    fn names(decision: &Decision) -> Vec<&str> {
        decision.set.iter().map(|v| v.name.as_str()).collect()
    }

    #[test]
    fn spin_variables_are_uppercase() {
        assert_eq!(spin_variable("demo_origin"), "SPIN_VARIABLE_DEMO_ORIGIN");
    }

    #[test]
    fn with_nothing_set_by_the_user_everything_is_set() {
        let groups = vec![
            Group::single(Variable::secret("gateway_secret", "s")),
            stand_in("sentry"),
        ];
        let decision = decide(groups, &env(&[("PATH", "/bin")]));
        assert_eq!(
            names(&decision),
            [
                "gateway_secret",
                "sentry_origin",
                "sentry_path",
                "sentry_token"
            ]
        );
        assert!(decision.left.is_empty());
    }

    #[test]
    fn a_user_setting_keeps_its_whole_stand_in_group_away() {
        let groups = vec![
            stand_in("sentry"),
            stand_in("sonarqube"),
            Group::single(Variable::public("demo_origin", "http://127.0.0.1:1")),
        ];
        let decision = decide(
            groups,
            &env(&[
                ("SPIN_VARIABLE_SENTRY_ORIGIN", "https://sentry.example"),
                ("SPIN_VARIABLE_SONARQUBE_TOKEN", "t"),
            ]),
        );
        assert_eq!(names(&decision), ["demo_origin"]);
        assert_eq!(
            decision.left,
            [
                (
                    "sentry stand-in".to_owned(),
                    vec!["SPIN_VARIABLE_SENTRY_ORIGIN".to_owned()]
                ),
                (
                    "sonarqube stand-in".to_owned(),
                    vec!["SPIN_VARIABLE_SONARQUBE_TOKEN".to_owned()]
                ),
            ]
        );
    }

    #[test]
    fn an_empty_user_value_counts_as_set() {
        let groups = vec![Group::single(Variable::secret("gateway_secret", "s"))];
        let decision = decide(groups, &env(&[("SPIN_VARIABLE_GATEWAY_SECRET", "")]));
        assert!(decision.set.is_empty());
    }

    #[test]
    fn the_report_names_each_variable_and_hides_secrets() {
        let decision = decide(
            vec![
                Group::single(Variable::secret("gateway_secret", "s3cr3t")),
                Group::single(Variable::public("demo_origin", "http://127.0.0.1:1")),
                stand_in("sentry"),
            ],
            &env(&[("SPIN_VARIABLE_SENTRY_PATH", "/x")]),
        );
        let report = decision.report();
        assert!(
            report.contains("SPIN_VARIABLE_GATEWAY_SECRET=<hidden>"),
            "{report}"
        );
        assert!(!report.contains("s3cr3t"), "{report}");
        assert!(
            report.contains("SPIN_VARIABLE_DEMO_ORIGIN=http://127.0.0.1:1"),
            "{report}"
        );
        assert!(
            report.contains("left as you set it: sentry stand-in (SPIN_VARIABLE_SENTRY_PATH)"),
            "{report}"
        );
    }

    #[test]
    fn the_bridge_secret_is_the_users_or_new_each_run() {
        let users = env(&[("SPIN_VARIABLE_BRIDGE_SECRET", "chosen-by-the-user")]);
        assert_eq!(bridge_secret(&users), "chosen-by-the-user");
        let (first, second) = (bridge_secret(&env(&[])), bridge_secret(&env(&[])));
        assert_eq!(first.len(), 64, "{first}");
        assert_ne!(first, second);
    }

    #[test]
    fn the_gateway_database_url_wins() {
        let chosen = demo_database(&env(&[
            ("SPIN_VARIABLE_DATABASE_URL", "postgres://db/gw"),
            ("DATABASE_URL", "postgres://db/other"),
        ]))
        .unwrap();
        assert_eq!(chosen, DemoDatabase::Gateway("postgres://db/gw".into()));
    }

    #[test]
    fn the_database_named_in_database_url_is_used() {
        let chosen = demo_database(&env(&[(
            "DATABASE_URL",
            "postgres://postgres@127.0.0.1:5432/policy_dev?sslmode=disable",
        )]))
        .unwrap();
        assert_eq!(
            chosen,
            DemoDatabase::OnServer {
                database: "policy_dev".into()
            }
        );
    }

    #[test]
    fn without_a_named_database_the_demo_database_is_used() {
        for url in [
            "postgres://postgres@127.0.0.1:5432",
            "postgres://postgres@127.0.0.1:5432/",
            "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable",
        ] {
            assert_eq!(
                demo_database(&env(&[("DATABASE_URL", url)])).unwrap(),
                DemoDatabase::OnServer {
                    database: DEMO_DATABASE.into()
                },
                "{url}"
            );
        }
        assert_eq!(
            demo_database(&env(&[])).unwrap(),
            DemoDatabase::OnServer {
                database: DEMO_DATABASE.into()
            }
        );
    }

    #[test]
    fn a_malformed_database_url_fails() {
        assert!(demo_database(&env(&[("DATABASE_URL", "not a url")])).is_err());
    }
}
