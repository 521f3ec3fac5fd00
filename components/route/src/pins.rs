//! This server's `pin` mode applied to what its upstream lists (`auth_core::pins`): every tool
//! list of every surface passes through [`tools`], prompt and resource template lists through
//! [`listed`]. The server's pins come sealed from key-value; hashes they do not know are
//! reported to the auth component, which records them and answers with fresh pins. When the
//! pins cannot be had, nothing counts as approved (enforce hides, warn flags) and the log says
//! why.

use auth_core::pins::{
    self, Definition, DefinitionKind, FLAG_META_KEY, FLAG_PENDING, Observed, PINS_TTL_MS, PinMode,
    Pins, Visibility,
};
use mcp_proto::types::Tool;
use sealed_kv::SealedKv;
use serde_json::{Map, Value, json};

use crate::clock;
use crate::settings::Settings;
use crate::spin_io;

const AUTH_DEFINITIONS: &str = "http://auth.spin.internal/definitions";

/// Where pins apply: the server a route entry fronts, in its mode.
#[derive(Debug, Clone)]
pub struct PinScope {
    server: String,
    secret: Vec<u8>,
    mode: PinMode,
}

impl PinScope {
    pub fn of(settings: &Settings) -> Self {
        Self {
            server: settings.server_id.clone(),
            secret: settings.gateway_secret.clone(),
            mode: settings.pin,
        }
    }

    pub fn enforces(&self) -> bool {
        self.mode == PinMode::Enforce
    }
}

/// The tools as this server serves them: unapproved ones hidden or flagged.
pub async fn tools(scope: &PinScope, tools: Vec<Tool>) -> Vec<Tool> {
    if scope.mode == PinMode::Off {
        return tools;
    }
    let definitions = tools
        .iter()
        .map(|tool| {
            let listed = serde_json::to_value(tool).ok()?;
            Definition::of(DefinitionKind::Tool, &listed)
        })
        .collect();
    let visibility = visibilities(scope, definitions).await;
    apply(tools, visibility, |tool| flag(&mut tool.extra))
}

/// Items of a `prompts/list` or `resources/templates/list` result as this server serves them.
pub async fn listed(scope: &PinScope, kind: DefinitionKind, items: Vec<Value>) -> Vec<Value> {
    if scope.mode == PinMode::Off {
        return items;
    }
    let definitions = items
        .iter()
        .map(|item| Definition::of(kind, item))
        .collect();
    let visibility = visibilities(scope, definitions).await;
    apply(items, visibility, |item| {
        if let Some(object) = item.as_object_mut() {
            flag(object);
        }
    })
}

/// `items` with each one's visibility: served, flagged with `flag`, or left out.
fn apply<T>(items: Vec<T>, visibility: Vec<Visibility>, flag: impl Fn(&mut T)) -> Vec<T> {
    items
        .into_iter()
        .zip(visibility)
        .filter_map(|(mut item, visibility)| match visibility {
            Visibility::Serve => Some(item),
            Visibility::Flag => {
                flag(&mut item);
                Some(item)
            }
            Visibility::Hide => None,
        })
        .collect()
}

/// What this server's mode does with each of `definitions` (`None`: an item without a
/// usable name, never approved).
async fn visibilities(scope: &PinScope, definitions: Vec<Option<Definition>>) -> Vec<Visibility> {
    let known: Vec<Definition> = definitions.iter().flatten().cloned().collect();
    let pins = current(scope, &known).await.unwrap_or_else(|why| {
        eprintln!(
            "pins of {}: {why}; nothing counts as approved for now",
            scope.server
        );
        Pins::default()
    });
    definitions
        .iter()
        .map(|definition| {
            let approved = definition.as_ref().is_some_and(|d| pins.approves(d));
            scope.mode.visibility(approved)
        })
        .collect()
}

/// Marks a listed item (its JSON object) as served without approval.
fn flag(object: &mut Map<String, Value>) {
    let meta = object.entry("_meta").or_insert_with(|| json!({}));
    if let Some(meta) = meta.as_object_mut() {
        meta.insert(FLAG_META_KEY.into(), json!(FLAG_PENDING));
    }
}

/// The server's pins, knowing every one of `definitions`: from key-value while they are
/// fresh and know them all, else from the auth component (which then records the unknown).
async fn current(scope: &PinScope, definitions: &[Definition]) -> Result<Pins, String> {
    let store = SealedKv::open(&scope.secret);
    let key = pins::cache_key(&scope.server);
    let cached: Option<Pins> = store.get_json(&key);
    let from_cache = cached.is_some();
    let mut pins = match cached {
        Some(pins) => pins,
        None => ask(scope, Vec::new()).await?,
    };
    let unknown: Vec<Definition> = pins.unknown(definitions).into_iter().cloned().collect();
    if !unknown.is_empty() {
        pins = ask(scope, unknown).await?;
    } else if from_cache {
        return Ok(pins);
    }
    store.set_json(&key, &pins, clock::now_ms().saturating_add(PINS_TTL_MS));
    Ok(pins)
}

async fn ask(scope: &PinScope, definitions: Vec<Definition>) -> Result<Pins, String> {
    let observed = Observed {
        server: scope.server.clone(),
        mode: scope.mode,
        definitions,
    };
    let body = serde_json::to_vec(&observed).map_err(|e| e.to_string())?;
    let response = spin_io::post_json(AUTH_DEFINITIONS, body)
        .await
        .map_err(|e| format!("auth component unreachable: {e:?}"))?;
    if response.status != 200 {
        return Err(format!(
            "the auth component answered HTTP {}",
            response.status
        ));
    }
    serde_json::from_slice(&response.body).map_err(|e| format!("unreadable pins: {e}"))
}
