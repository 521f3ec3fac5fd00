//! A real Open WebUI 0.12.4 (its own venv, `tests/open_webui/requirements.txt`), started offline
//! on a free port with a fresh data folder and the scripted model of
//! `tests/open_webui/fake_model.py`, driven only through its HTTP API as its browser app does.

use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use reqwest::blocking::{Client, RequestBuilder, Response};
use serde_json::{Value, json};
use test_support::{ChildGuard, RunnerProcess};

use super::TempDir;

/// The model the fake serves, the one every chat uses.
const MODEL: &str = "fake-model";
/// A cold first start takes ~30 s alone; two at once on two busy cores take longer.
const START_TIMEOUT: Duration = Duration::from_secs(300);

fn unique(prefix: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    format!(
        "{prefix}-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst)
    )
}

fn client() -> Client {
    Client::builder()
        .timeout(Duration::from_secs(120))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// The scripted OpenAI-compatible model (see `fake_model.py` for the script language).
pub struct FakeModel {
    pub base: String,
    _process: RunnerProcess,
}

impl FakeModel {
    pub fn start() -> Self {
        let script = test_support::workspace_root().join("tests/open_webui/fake_model.py");
        let process = RunnerProcess::start(Command::new(test_support::python()).arg(script))
            .unwrap_or_else(|log| panic!("the fake model did not start:\n{log}"));
        Self {
            base: process.base.clone(),
            _process: process,
        }
    }

    /// Every chat completion request it received, oldest first.
    pub fn requests(&self) -> Vec<Value> {
        let requests: Value = client()
            .get(format!("{}/requests", self.base))
            .send()
            .and_then(Response::json::<Value>)
            .expect("the fake model's requests");
        requests.as_array().cloned().unwrap_or_default()
    }

    /// The contents of the `tool` messages (tool results) the model was sent.
    pub fn tool_results(&self) -> Vec<String> {
        self.requests()
            .iter()
            .filter_map(|request| request["messages"].as_array())
            .flatten()
            .filter(|message| message["role"] == "tool")
            .map(|message| message["content"].as_str().unwrap_or_default().to_owned())
            .collect()
    }
}

/// How a tool server connection authenticates to the gateway.
pub enum Auth<'a> {
    /// `bearer` with this key (a gateway API key).
    Bearer(&'a str),
    /// `system_oauth`: the signed-in user's access token.
    SystemOauth,
}

impl Auth<'_> {
    fn fields(&self) -> (&str, &str) {
        match self {
            Auth::Bearer(key) => ("bearer", *key),
            Auth::SystemOauth => ("system_oauth", ""),
        }
    }
}

/// An OpenAPI tool server connection (`server:<id>` in a chat), visible to every user.
pub fn openapi_connection(id: &str, url: &str, auth: &Auth) -> Value {
    connection("openapi", id, url, "openapi.json", auth)
}

/// A native MCP connection (`server:mcp:<id>` in a chat), visible to every user.
pub fn mcp_connection(id: &str, url: &str, auth: &Auth) -> Value {
    connection("mcp", id, url, "", auth)
}

fn connection(kind: &str, id: &str, url: &str, path: &str, auth: &Auth) -> Value {
    let (auth_type, key) = auth.fields();
    json!({
        "type": kind, "url": url, "path": path, "auth_type": auth_type, "key": key,
        "headers": {},
        "config": {"enable": true,
                   "access_grants": [{"principal_type": "user", "principal_id": "*",
                                      "permission": "read"}]},
        "info": {"id": id, "name": id},
    })
}

/// A signed-in user: Open WebUI's token and the cookies its browser app would send.
pub struct Session {
    token: String,
    cookies: Vec<String>,
}

impl Session {
    fn authorize(&self, request: RequestBuilder) -> RequestBuilder {
        request
            .bearer_auth(&self.token)
            .header("cookie", self.cookies.join("; "))
    }
}

pub struct OpenWebUi {
    pub base: String,
    log: std::path::PathBuf,
    child: ChildGuard,
    _data: TempDir,
}

impl OpenWebUi {
    /// Starts Open WebUI talking to `model`, with `env` on top of the offline settings.
    pub fn start(model: &FakeModel, env: &[(&str, String)]) -> Self {
        let dir = std::env::temp_dir().join(unique("mcpgw-open-webui"));
        std::fs::create_dir_all(&dir).expect("create Open WebUI's folder");
        let log = dir.join("open-webui.log");
        let file = std::fs::File::create(&log).expect("create the log");
        let port = test_support::free_port();
        let executable = test_support::open_webui_python().with_file_name("open-webui");
        let mut command = Command::new(executable);
        command
            .args(["serve", "--host", "127.0.0.1", "--port", &port.to_string()])
            .current_dir(&dir)
            // Open WebUI reads these too: its own SQLite database, no Redis.
            .env_remove(test_support::ENV_DATABASE_URL)
            .env_remove(test_support::ENV_REDIS_URL)
            .env("DATA_DIR", dir.join("data"))
            .env("STATIC_DIR", dir.join("static"))
            .env("WEBUI_SECRET_KEY", "e2e-open-webui-secret")
            // No downloads: no embedding model, no Ollama, no update checks.
            .env("OFFLINE_MODE", "true")
            .env("RAG_EMBEDDING_ENGINE", "openai")
            .env("ENABLE_OLLAMA_API", "false")
            .env("ANONYMIZED_TELEMETRY", "false")
            .env("OPENAI_API_BASE_URL", format!("{}/v1", model.base))
            .env("OPENAI_API_KEY", "fake-model-key")
            // Users other than the admin may use the fake model without a model entry.
            .env("BYPASS_MODEL_ACCESS_CONTROL", "true")
            .stdout(Stdio::from(file.try_clone().expect("log handle")))
            .stderr(Stdio::from(file));
        for (key, value) in env {
            command.env(key, value);
        }
        let mut open_webui = Self {
            base: format!("http://127.0.0.1:{port}"),
            log,
            child: ChildGuard::spawn(&mut command),
            _data: TempDir(dir),
        };
        open_webui.wait_until_healthy();
        open_webui
    }

    fn wait_until_healthy(&mut self) {
        let deadline = Instant::now() + START_TIMEOUT;
        let health = format!("{}/health", self.base);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.0.try_wait() {
                panic!("Open WebUI exited ({status}):\n{}", self.log());
            }
            if client()
                .get(&health)
                .send()
                .is_ok_and(|r| r.status().is_success())
            {
                return;
            }
            std::thread::sleep(Duration::from_millis(250));
        }
        panic!("Open WebUI was not healthy in time:\n{}", self.log());
    }

    /// The end of what Open WebUI logged, for failure messages.
    pub fn log(&self) -> String {
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(80)..].join("\n")
    }

    fn send(&self, request: RequestBuilder, what: &str) -> Value {
        let response = request
            .send()
            .unwrap_or_else(|e| panic!("{what}: {e}\n{}", self.log()));
        let status = response.status();
        let body = response.text().unwrap_or_default();
        assert!(
            status.is_success(),
            "{what}: HTTP {status}: {body}\n{}",
            self.log()
        );
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("{what}: not JSON ({e}): {body}"))
    }

    /// Signs up the first user, who becomes the administrator.
    pub fn sign_up_admin(&self) -> Session {
        let body = json!({"name": "Admin", "email": "admin@example.com",
                          "password": "e2e-admin-password"});
        let reply = self.send(
            client()
                .post(format!("{}/api/v1/auths/signup", self.base))
                .json(&body),
            "sign up",
        );
        assert_eq!(reply["role"], "admin", "{reply}");
        Session {
            token: reply["token"].as_str().expect("token").to_owned(),
            cookies: Vec::new(),
        }
    }

    /// Signs `login` in through the OpenID Connect `provider` as a browser does: Open WebUI's
    /// login redirect, the provider's authorize redirect (told who signs in by `login_hint`),
    /// Open WebUI's callback, which sets the session cookies.
    pub fn sign_in(&self, provider: &str, login: &str) -> Session {
        let mut cookies = Vec::new();
        let login_url = format!("{}/oauth/{provider}/login", self.base);
        let authorize = self.redirect(&login_url, &mut cookies);
        let callback = self.redirect(&format!("{authorize}&login_hint={login}"), &mut cookies);
        let home = self.redirect(&callback, &mut cookies);
        assert!(
            !home.contains("error="),
            "sign-in of {login} failed: {home}\n{}",
            self.log()
        );
        let token = cookies
            .iter()
            .find_map(|cookie| cookie.strip_prefix("token="))
            .unwrap_or_else(|| panic!("no token cookie for {login}: {cookies:?}"))
            .to_owned();
        Session { token, cookies }
    }

    /// GETs `url` with `cookies`, keeps the cookies it sets and returns where it redirects.
    fn redirect(&self, url: &str, cookies: &mut Vec<String>) -> String {
        let response = client()
            .get(url)
            .header("cookie", cookies.join("; "))
            .send()
            .unwrap_or_else(|e| panic!("GET {url}: {e}\n{}", self.log()));
        for set in response.headers().get_all("set-cookie") {
            let pair = set.to_str().unwrap_or_default().split(';').next();
            if let Some((name, _)) = pair.and_then(|pair| pair.split_once('=')) {
                cookies.retain(|cookie| !cookie.starts_with(&format!("{name}=")));
                cookies.push(pair.unwrap_or_default().to_owned());
            }
        }
        assert!(
            response.status().is_redirection(),
            "GET {url}: HTTP {}\n{}",
            response.status(),
            self.log()
        );
        response.headers()["location"]
            .to_str()
            .expect("location")
            .to_owned()
    }

    /// Replaces the tool server connections, as the admin's settings page saves them.
    pub fn set_tool_servers(&self, admin: &Session, connections: &[Value]) {
        let body = json!({"TOOL_SERVER_CONNECTIONS": connections});
        self.send(
            admin.authorize(
                client()
                    .post(format!("{}/api/v1/configs/tool_servers", self.base))
                    .json(&body),
            ),
            "save tool servers",
        );
    }

    /// Sends `script` (see `fake_model.py`) in a new chat with the tools of `tool_id` and
    /// returns the finished assistant message as Open WebUI stored it.
    pub fn chat(&self, session: &Session, tool_id: &str, script: &str) -> Value {
        let chat = self.send(
            session.authorize(
                client()
                    .post(format!("{}/api/v1/chats/new", self.base))
                    .json(&json!({"chat": {"title": "e2e"}})),
            ),
            "create a chat",
        );
        let chat_id = chat["id"].as_str().expect("chat id");
        let (question, answer) = (unique("user-message"), unique("assistant-message"));
        // Tools run only in a streamed completion of a saved chat's message (`chat_id`, `id`).
        let body = json!({
            "model": MODEL, "stream": true, "chat_id": chat_id, "id": answer,
            "user_message": {"id": question, "role": "user", "content": script},
            "messages": [{"role": "user", "content": script}],
            "tool_ids": [tool_id],
        });
        self.send(
            session.authorize(
                client()
                    .post(format!("{}/api/chat/completions", self.base))
                    .json(&body),
            ),
            "chat completion",
        );
        let stored = self.send(
            session.authorize(client().get(format!("{}/api/v1/chats/{chat_id}", self.base))),
            "read the chat",
        );
        let message = &stored["chat"]["history"]["messages"][&answer];
        assert_eq!(message["done"], true, "{message}\n{}", self.log());
        message.clone()
    }
}

/// The text of an assistant message.
pub fn content(message: &Value) -> &str {
    message["content"].as_str().unwrap_or_default()
}

/// The status lines Open WebUI showed above an assistant message (e.g. failed connections).
pub fn statuses(message: &Value) -> Vec<&str> {
    message["statusHistory"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|status| status["description"].as_str())
        .collect()
}
