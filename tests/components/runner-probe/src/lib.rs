//! Test component for the runner's fidelity tests: each path exercises one host behaviour and
//! reports what the component saw, as JSON.
//!
//! `/.../headers`, `/.../var?name=N`, `/.../kv?store=S&op=get|set|delete&key=K&value=V`,
//! `/.../counter`, `/.../outbound?url=U`, `/.../pg?url=U&sql=Q`, `/.../trap`, `/.../spin`, `/.../stream?n=N&ms=M`,
//! `/.../echo` (request body back), `/.../hello` (a fixed short body, for the runner's benchmark).

use std::sync::atomic::{AtomicU32, Ordering};

use futures::SinkExt;
use serde_json::{Value, json};
use spin_sdk::http::{
    Fields, IncomingRequest, OutgoingBody, OutgoingResponse, Request, Response, ResponseOutparam,
    send,
};
use spin_sdk::key_value::Store;
use spin_sdk::pg4::{Connection, Decode, ParameterValue};
use spin_sdk::variables;

/// Counts requests served by this instance: always 1 when every request gets a fresh instance.
static INSTANCE_COUNTER: AtomicU32 = AtomicU32::new(0);

#[allow(unsafe_code)]
mod export {
    use spin_sdk::http::{IncomingRequest, ResponseOutparam};

    #[spin_sdk::http_component]
    async fn handle(request: IncomingRequest, outparam: ResponseOutparam) {
        super::handle(request, outparam).await
    }
}

async fn handle(request: IncomingRequest, outparam: ResponseOutparam) {
    let url = url::Url::parse(&request.uri()).expect("absolute request uri");
    let query: std::collections::BTreeMap<String, String> =
        url.query_pairs().into_owned().collect();
    let param = |name: &str| query.get(name).cloned().unwrap_or_default();
    let action = url
        .path()
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_string();
    let result = match action.as_str() {
        "hello" => return hello(outparam),
        "headers" => json!({
            "method": format!("{:?}", request.method()),
            "uri": request.uri(),
            "headers": request.headers().entries().into_iter()
                .map(|(k, v)| (k, Value::String(String::from_utf8_lossy(&v).into_owned())))
                .collect::<serde_json::Map<_, _>>(),
        }),
        "var" => match variables::get(&param("name")) {
            Ok(value) => json!({"value": value}),
            Err(err) => json!({"error": format!("{err:?}")}),
        },
        "kv" => key_value(
            &param("store"),
            &param("op"),
            &param("key"),
            &param("value"),
        ),
        "outbound" => outbound(&param("url")).await,
        "pg" => postgres(&param("url"), &param("sql"), &param("arg")),
        "counter" => json!({"value": INSTANCE_COUNTER.fetch_add(1, Ordering::SeqCst) + 1}),
        "trap" => panic!("probe asked to trap"),
        "spin" => {
            let mut n: u64 = 0;
            loop {
                n = std::hint::black_box(n.wrapping_add(1));
            }
        }
        "stream" => {
            return stream(
                outparam,
                param("n").parse().unwrap_or(3),
                param("ms").parse().unwrap_or(100),
            )
            .await;
        }
        "echo" => {
            let body = request.into_body().await.unwrap_or_default();
            return respond(outparam, 200, body).await;
        }
        other => return respond(outparam, 404, format!("no probe {other:?}").into_bytes()).await,
    };
    respond(outparam, 200, result.to_string().into_bytes()).await
}

async fn respond(outparam: ResponseOutparam, status: u16, body: Vec<u8>) {
    let headers = Fields::from_list(&[
        ("content-type".to_string(), b"application/json".to_vec()),
        (
            "content-length".to_string(),
            body.len().to_string().into_bytes(),
        ),
    ])
    .expect("headers");
    let response = OutgoingResponse::new(headers);
    response.set_status_code(status).expect("status");
    outparam
        .set_with_body(response, body)
        .await
        .expect("write body");
}

/// A fixed body written before the response is handed over, so headers and body leave in one
/// write: without TCP_NODELAY a separate body write would wait for the client's delayed ACK.
fn hello(outparam: ResponseOutparam) {
    const BODY: &[u8] = b"hello";
    let headers = Fields::from_list(&[
        ("content-type".to_string(), b"text/plain".to_vec()),
        (
            "content-length".to_string(),
            BODY.len().to_string().into_bytes(),
        ),
    ])
    .expect("headers");
    let response = OutgoingResponse::new(headers);
    let body = response.body().expect("response body");
    let stream = body.write().expect("response body stream");
    let room = stream.check_write().expect("response body stream open");
    assert!(
        room >= BODY.len() as u64,
        "no room for {} bytes",
        BODY.len()
    );
    stream.write(BODY).expect("write body");
    drop(stream);
    OutgoingBody::finish(body, None).expect("finish body");
    outparam.set(response);
}

async fn stream(outparam: ResponseOutparam, n: u32, ms: u64) {
    let headers = Fields::from_list(&[("content-type".to_string(), b"text/event-stream".to_vec())])
        .expect("headers");
    let response = OutgoingResponse::new(headers);
    response.set_status_code(200).expect("status");
    let mut body = response.take_body();
    outparam.set(response);
    for i in 0..n {
        body.send(format!("data: {i}\n\n").into_bytes())
            .await
            .expect("send chunk");
        std::thread::sleep(std::time::Duration::from_millis(ms));
    }
}

fn key_value(label: &str, op: &str, key: &str, value: &str) -> Value {
    let store = match Store::open(label) {
        Ok(store) => store,
        Err(err) => return json!({"error": format!("{err:?}")}),
    };
    let result = match op {
        "set" => store.set(key, value.as_bytes()).map(|()| Value::Null),
        "get" => store.get(key).map(|v| {
            v.map_or(Value::Null, |v| {
                Value::String(String::from_utf8_lossy(&v).into_owned())
            })
        }),
        "delete" => store.delete(key).map(|()| Value::Null),
        other => return json!({"error": format!("unknown op {other}")}),
    };
    match result {
        Ok(value) => json!({"value": value}),
        Err(err) => json!({"error": format!("{err:?}")}),
    }
}

async fn outbound(url: &str) -> Value {
    let request = Request::get(url).build();
    match send::<_, Response>(request).await {
        Ok(response) => json!({
            "status": response.status(),
            "body": String::from_utf8_lossy(response.body()),
        }),
        Err(err) => json!({"error": format!("{err:?}")}),
    }
}

fn postgres(address: &str, sql: &str, arg: &str) -> Value {
    let connection = match Connection::open(address) {
        Ok(connection) => connection,
        Err(err) => return json!({"error": format!("{err:?}")}),
    };
    let params = if arg.is_empty() {
        vec![]
    } else {
        vec![ParameterValue::Str(arg.to_string())]
    };
    match connection.query(sql, &params) {
        Ok(rows) => json!({
            "columns": rows.columns.iter().map(|c| c.name.clone()).collect::<Vec<_>>(),
            "rows": rows.rows.iter().map(|row| row.iter().map(|v| String::decode(v).unwrap_or_else(|_| format!("{v:?}"))).collect::<Vec<_>>()).collect::<Vec<_>>(),
        }),
        Err(err) => json!({"error": format!("{err:?}")}),
    }
}
