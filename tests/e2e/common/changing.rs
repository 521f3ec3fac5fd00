//! A 2026-07-28 MCP server whose tools a test changes (its prompts stay) while the gateway runs: the
//! upstream of the pinning tests. Its lists say `ttlMs: 1`, so the gateway lists it again on
//! the next request. Plain HTTP/1.1 on loopback; it answers `server/discover`, `tools/list`,
//! `tools/call` (the text `called <name>`), `prompts/list` and `prompts/get`.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

use super::rt;

#[derive(Default)]
struct Offer {
    tools: Vec<Value>,
    prompts: Vec<Value>,
}

pub struct Changing {
    pub addr: SocketAddr,
    offer: Arc<Mutex<Offer>>,
    task: tokio::task::JoinHandle<()>,
}

impl Changing {
    pub fn start(tools: Vec<Value>, prompts: Vec<Value>) -> Self {
        let offer = Arc::new(Mutex::new(Offer { tools, prompts }));
        let listener = rt()
            .block_on(TcpListener::bind("127.0.0.1:0"))
            .expect("bind");
        let addr = listener.local_addr().unwrap();
        let shared = offer.clone();
        let task = rt().spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve(stream, shared.clone()));
            }
        });
        Self { addr, offer, task }
    }

    pub fn url(&self) -> String {
        format!("http://{}/mcp", self.addr)
    }

    pub fn set_tools(&self, tools: Vec<Value>) {
        self.offer.lock().unwrap().tools = tools;
    }
}

impl Drop for Changing {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A tool with one string argument.
pub fn tool(name: &str, description: &str) -> Value {
    json!({"name": name, "description": description, "inputSchema": {
        "type": "object", "properties": {"text": {"type": "string"}}}})
}

async fn serve(stream: TcpStream, offer: Arc<Mutex<Offer>>) {
    let mut stream = BufReader::new(stream);
    loop {
        let mut length = 0usize;
        let mut chunked = false;
        let mut line = String::new();
        loop {
            line.clear();
            match stream.read_line(&mut line).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            if line == "\r\n" {
                break;
            }
            if let Some((name, value)) = line.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse().unwrap_or(0);
                } else if name.eq_ignore_ascii_case("transfer-encoding") {
                    chunked = value.trim().eq_ignore_ascii_case("chunked");
                }
            }
        }
        let body = if chunked {
            read_chunked(&mut stream).await
        } else {
            let mut body = vec![0; length];
            stream.read_exact(&mut body).await.ok().map(|_| body)
        };
        let Some(body) = body else {
            return;
        };
        let (status, reply) = match serde_json::from_slice::<Value>(&body) {
            Ok(message) if message.get("id").is_some() => (200, answer(&message, &offer)),
            _ => (202, String::new()),
        };
        let head = format!(
            "HTTP/1.1 {status} OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
            reply.len()
        );
        let sent = stream.get_mut().write_all(head.as_bytes()).await;
        if sent.is_err() || stream.get_mut().write_all(reply.as_bytes()).await.is_err() {
            return;
        }
    }
}

async fn read_chunked(stream: &mut BufReader<TcpStream>) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        stream.read_line(&mut line).await.ok()?;
        let size = usize::from_str_radix(line.trim().split(';').next()?, 16).ok()?;
        let mut chunk = vec![0; size + 2];
        stream.read_exact(&mut chunk).await.ok()?;
        if size == 0 {
            return Some(body);
        }
        body.extend_from_slice(&chunk[..size]);
    }
}

fn answer(message: &Value, offer: &Mutex<Offer>) -> String {
    let offer = offer.lock().unwrap();
    let params = &message["params"];
    let result = match message["method"].as_str().unwrap_or_default() {
        "server/discover" => json!({
            "supportedVersions": ["2026-07-28"],
            "capabilities": {"tools": {}, "prompts": {}},
            "_meta": {"io.modelcontextprotocol/serverInfo": {"name": "changing", "version": "1"}}
        }),
        "tools/list" => json!({"tools": offer.tools, "ttlMs": 1}),
        "tools/call" => json!({"content": [{"type": "text",
            "text": format!("called {}", params["name"].as_str().unwrap_or_default())}]}),
        "prompts/list" => json!({"prompts": offer.prompts, "ttlMs": 1}),
        "prompts/get" => json!({"messages": [{"role": "user", "content": {"type": "text",
            "text": format!("prompt {}", params["name"].as_str().unwrap_or_default())}}]}),
        other => {
            return json!({"jsonrpc": "2.0", "id": message["id"],
                "error": {"code": -32601, "message": format!("method not found: {other}")}})
            .to_string();
        }
    };
    json!({"jsonrpc": "2.0", "id": message["id"], "result": result}).to_string()
}
