//! A Redis for the suites: `REDIS_URL`, else a local server, else a throwaway `redis-server`.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{Result, bail};

use crate::process::{self, ChildGuard};

const LOCAL: &str = "127.0.0.1:6379";

/// The Redis to use; holds the server xtask started, stopped when dropped.
pub struct Redis {
    pub url: String,
    _server: Option<ChildGuard>,
}

pub fn provision() -> Result<Redis> {
    if let Ok(url) = std::env::var(test_support::ENV_REDIS_URL) {
        eprintln!("Redis: {url} (from {})", test_support::ENV_REDIS_URL);
        return Ok(Redis { url, _server: None });
    }
    let local: SocketAddr = LOCAL.parse().expect("literal address");
    if answers_ping(local) {
        eprintln!("Redis: local server at {local}");
        return Ok(Redis {
            url: url_of(local),
            _server: None,
        });
    }
    start()
}

fn start() -> Result<Redis> {
    if process::find_on_path("redis-server").is_none() {
        process::apt_install("redis-server")?;
    }
    let port = test_support::free_port();
    let port_arg = port.to_string();
    let server = ChildGuard::spawn(
        "redis-server",
        Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--port", &port_arg])
            .args(["--save", "", "--appendonly", "no", "--daemonize", "no"])
            .stdout(Stdio::null()),
    )?;
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    if !test_support::wait_for_port(addr, Duration::from_secs(20)) || !answers_ping(addr) {
        bail!("redis-server did not answer on {addr}");
    }
    eprintln!("Redis: started a throwaway server on {addr}");
    Ok(Redis {
        url: url_of(addr),
        _server: Some(server),
    })
}

fn url_of(addr: SocketAddr) -> String {
    format!("redis://{addr}")
}

/// A real round trip, not just an open port: `PING` answered with `+PONG`.
fn answers_ping(addr: SocketAddr) -> bool {
    let Ok(mut stream) = TcpStream::connect_timeout(&addr, Duration::from_secs(1)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let mut reply = [0u8; 5];
    stream.write_all(b"PING\r\n").is_ok()
        && stream.read_exact(&mut reply).is_ok()
        && &reply == b"+PONG"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_names_host_and_port() {
        assert_eq!(
            url_of("127.0.0.1:6380".parse().unwrap()),
            "redis://127.0.0.1:6380"
        );
    }

    #[test]
    fn a_server_answering_pong_is_redis() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let server = std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            let mut request = [0u8; 6];
            stream.read_exact(&mut request).unwrap();
            assert_eq!(&request, b"PING\r\n");
            stream.write_all(b"+PONG\r\n").unwrap();
        });
        assert!(answers_ping(addr));
        server.join().unwrap();
    }

    #[test]
    fn a_server_answering_anything_else_is_not() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let server = std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            stream
                .write_all(b"-NOAUTH Authentication required.\r\n")
                .unwrap();
        });
        assert!(!answers_ping(addr));
        server.join().unwrap();
    }

    #[test]
    fn a_closed_port_does_not_answer() {
        let addr = SocketAddr::from(([127, 0, 0, 1], test_support::free_port()));
        assert!(!answers_ping(addr));
    }
}
