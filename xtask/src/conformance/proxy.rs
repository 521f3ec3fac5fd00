//! A credential-adding HTTP/1.1 proxy: the conformance suite has no option to send a header, and
//! the gateway answers 401 without one. Each request's head gets `authorization: Bearer <key>`;
//! bodies pass through as bytes in both directions, so SSE responses stream as the gateway sends
//! them. Every other header passes unchanged (the suite's `Host` and `Origin` probes must reach
//! the gateway as sent).

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;

use anyhow::{Context, Result};

/// A request head larger than this is refused (the suite's are a few hundred bytes).
const MAX_HEAD: usize = 64 * 1024;

/// A listening proxy; it stops accepting when dropped.
pub struct CredentialProxy {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    acceptor: Option<JoinHandle<()>>,
}

/// The proxy's port, bound before its target is known (the gateway needs the proxy's URL as its
/// public URL before it starts).
pub struct Bound {
    listener: TcpListener,
    pub addr: SocketAddr,
}

pub fn bind() -> Result<Bound> {
    let listener = TcpListener::bind("127.0.0.1:0").context("bind the credential proxy")?;
    let addr = listener.local_addr()?;
    Ok(Bound { listener, addr })
}

impl Bound {
    pub fn serve(self, target: SocketAddr, api_key: &str) -> CredentialProxy {
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        let credential = Arc::new(format!("authorization: Bearer {api_key}\r\n"));
        let Bound { listener, addr } = self;
        let acceptor = std::thread::spawn(move || {
            for client in listener.incoming() {
                if stopped.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(client) = client else { continue };
                let credential = credential.clone();
                std::thread::spawn(move || {
                    if let Err(err) = relay(client, target, &credential) {
                        eprintln!("credential proxy: {err}");
                    }
                });
            }
        });
        CredentialProxy {
            addr,
            stop,
            acceptor: Some(acceptor),
        }
    }
}

impl CredentialProxy {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for CredentialProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the blocked accept so the thread sees the flag.
        let _ = TcpStream::connect(self.addr);
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
    }
}

/// One client connection carries one request: the rewritten head asks the gateway to close the
/// connection after its answer, so the proxy never has to find where a body ends.
fn relay(mut client: TcpStream, target: SocketAddr, credential: &str) -> io::Result<()> {
    let (head, rest) = read_head(&mut client)?;
    let mut upstream = TcpStream::connect(target)?;
    upstream.write_all(rewrite_head(&head, credential).as_bytes())?;
    upstream.write_all(&rest)?;
    let mut client_reader = client.try_clone()?;
    let mut upstream_writer = upstream.try_clone()?;
    let request_body =
        std::thread::spawn(move || io::copy(&mut client_reader, &mut upstream_writer));
    let copied = io::copy(&mut upstream, &mut client);
    let _ = client.shutdown(Shutdown::Both);
    let _ = upstream.shutdown(Shutdown::Both);
    let _ = request_body.join();
    copied.map(drop)
}

/// The request head (without its blank line) and whatever body bytes came with it.
fn read_head(client: &mut TcpStream) -> io::Result<(String, Vec<u8>)> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = find(&buffer, b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buffer[..end]).into_owned();
            return Ok((head, buffer[end + 4..].to_vec()));
        }
        if buffer.len() > MAX_HEAD {
            return Err(io::Error::other("request head too large"));
        }
        let read = client.read(&mut chunk)?;
        if read == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "closed before the request head ended",
            ));
        }
        buffer.extend_from_slice(&chunk[..read]);
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

/// `head` with the credential and `connection: close` in place of any the client sent.
fn rewrite_head(head: &str, credential: &str) -> String {
    let mut lines = head.split("\r\n");
    let mut rewritten = String::with_capacity(head.len() + credential.len() + 32);
    rewritten.push_str(lines.next().unwrap_or_default());
    rewritten.push_str("\r\n");
    for line in lines {
        let name = line.split(':').next().unwrap_or_default().trim();
        if name.eq_ignore_ascii_case("authorization") || name.eq_ignore_ascii_case("connection") {
            continue;
        }
        rewritten.push_str(line);
        rewritten.push_str("\r\n");
    }
    rewritten.push_str(credential);
    rewritten.push_str("connection: close\r\n\r\n");
    rewritten
}

#[cfg(test)]
mod tests {
    use super::*;

    const CREDENTIAL: &str = "authorization: Bearer k\r\n";

    #[test]
    fn the_credential_and_close_replace_the_clients_own() {
        let head = "POST /demo/mcp HTTP/1.1\r\nHost: 127.0.0.1:9\r\nAuthorization: Bearer stolen\r\nConnection: keep-alive\r\nOrigin: http://evil.example";
        assert_eq!(
            rewrite_head(head, CREDENTIAL),
            "POST /demo/mcp HTTP/1.1\r\nHost: 127.0.0.1:9\r\nOrigin: http://evil.example\r\nauthorization: Bearer k\r\nconnection: close\r\n\r\n"
        );
    }

    /// A one-shot upstream that answers with what it received.
    fn echo_upstream() -> (SocketAddr, JoinHandle<String>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let handle = std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            let (head, mut body) = read_head(&mut stream).unwrap();
            // The proxy may pass the head and the two body bytes in separate writes.
            while body.len() < 2 {
                let mut byte = [0u8; 1];
                stream.read_exact(&mut byte).unwrap();
                body.push(byte[0]);
            }
            let received = format!("{head}\r\n\r\n{}", String::from_utf8_lossy(&body));
            write!(
                stream,
                "HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{received}",
                received.len()
            )
            .unwrap();
            received
        });
        (addr, handle)
    }

    #[test]
    fn a_request_reaches_the_target_with_the_key_and_the_answer_comes_back() {
        let (target, upstream) = echo_upstream();
        let proxy = bind().unwrap().serve(target, "secret-key");
        let mut client = TcpStream::connect(proxy.addr()).unwrap();
        client
            .write_all(b"POST /demo/mcp HTTP/1.1\r\nhost: x\r\ncontent-length: 2\r\n\r\n{}")
            .unwrap();
        let mut answer = String::new();
        client.read_to_string(&mut answer).unwrap();
        let received = upstream.join().unwrap();
        assert!(received.contains("authorization: Bearer secret-key\r\n"));
        assert!(received.ends_with("\r\n\r\n{}"));
        assert!(answer.starts_with("HTTP/1.1 200 OK"));
        assert!(answer.ends_with("{}"));
    }
}
