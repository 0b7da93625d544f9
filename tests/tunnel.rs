//! The ngrok tunnel's failure paths, offline: no network to ngrok, something in the way that is not
//! ngrok, and a token that is not one. Each gives its own status and reason, and the local receiver
//! keeps storing events meanwhile. (Nothing here ever reaches ngrok's servers.)

mod support;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use doorwatch::receive::tunnel::{Authtoken, Problem, Tunnel, TunnelConfig, TunnelStatus};
use doorwatch::receive::{Receiver, ReceiverConfig};
use doorwatch::store::StoreOptions;
use support::delivery;
use tokio::io::AsyncWriteExt;

const TOKEN: &str = "2aBcDeFgHiJkLmNoPqRsTuVwXyZ_0123456789abcdefghij";

async fn receiver(dir: &std::path::Path) -> Receiver {
    Receiver::start(ReceiverConfig {
        db: dir.join("doorwatch.sqlite3"),
        listen: "127.0.0.1:0".parse().unwrap(),
        signing_key: None,
        store: StoreOptions::default(),
    })
    .await
    .unwrap()
}

/// A loopback port with nothing listening on it.
async fn closed_port() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    addr.to_string()
}

/// A server that answers every connection with plain text and hangs up: "not ngrok" (a captive portal,
/// a proxy). Counts the connections, to see the retries.
async fn not_ngrok() -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let count = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&count);
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            seen.fetch_add(1, Ordering::SeqCst);
            let _ = socket.write_all(b"HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n").await;
        }
    });
    (addr, count)
}

fn config(token: &str, server: &str) -> TunnelConfig {
    TunnelConfig { authtoken: Authtoken::new(token).unwrap(), domain: None, server_addr: Some(server.to_owned()) }
}

async fn wait_offline(tunnel: &Tunnel) -> (Problem, String) {
    let mut status = tunnel.status();
    let reached =
        tokio::time::timeout(Duration::from_secs(30), status.wait_for(|s| matches!(s, TunnelStatus::Offline { .. })))
            .await
            .is_ok();
    assert!(reached, "never offline; last status {:?}", *status.borrow());
    let now = status.borrow().clone();
    match now {
        TunnelStatus::Offline { problem, reason } => (problem, reason),
        other => unreachable!("{other:?}"),
    }
}

async fn post_locally(receiver: &Receiver) -> u16 {
    let body = br#"{"uuid":"3f1c2a9e-8b7d-4c55-9e0a-1d2b3c4d5e6f","type":"lock.unlock","success":true}"#;
    delivery::deliver(&reqwest::Client::new(), &receiver.local_url(), body, None).await.0
}

#[tokio::test]
async fn unreachable_ngrok_is_offline_with_its_reason_while_the_local_receiver_keeps_storing() {
    let dir = tempfile::tempdir().unwrap();
    let receiver = receiver(dir.path()).await;
    let tunnel = Tunnel::start(config(TOKEN, &closed_port().await), receiver.store().clone(), receiver.key_slot());
    let (problem, reason) = wait_offline(&tunnel).await;
    assert_eq!(problem, Problem::Unreachable);
    assert!(reason.contains("cannot reach ngrok"), "{reason}");
    assert!(!reason.contains(TOKEN));

    assert_eq!(post_locally(&receiver).await, 200);
    assert_eq!(receiver.store().reader().unwrap().count().unwrap(), 1);
    tunnel.stop().await;
    receiver.stop().await;
}

#[tokio::test]
async fn something_that_is_not_ngrok_is_reported_and_retried_with_pauses() {
    let dir = tempfile::tempdir().unwrap();
    let receiver = receiver(dir.path()).await;
    let (server, connections) = not_ngrok().await;
    let tunnel = Tunnel::start(config(TOKEN, &server), receiver.store().clone(), receiver.key_slot());
    let (problem, reason) = wait_offline(&tunnel).await;
    assert_eq!(problem, Problem::Unreachable);
    assert!(reason.contains("secure connection"), "{reason}");
    // Retried after a pause (2 s after the first failure, then 4 s), not in a tight loop.
    let second_try = async {
        while connections.load(Ordering::SeqCst) < 2 {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    assert!(tokio::time::timeout(Duration::from_secs(20), second_try).await.is_ok(), "never retried");
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(connections.load(Ordering::SeqCst), 2, "the next try waits longer");
    assert_eq!(post_locally(&receiver).await, 200);
    tunnel.stop().await;
    receiver.stop().await;
}

#[tokio::test]
async fn a_token_that_is_not_one_is_refused_at_once_and_not_retried() {
    let dir = tempfile::tempdir().unwrap();
    let receiver = receiver(dir.path()).await;
    let (server, connections) = not_ngrok().await;
    let tunnel = Tunnel::start(config("paste your token here", &server), receiver.store().clone(), receiver.key_slot());
    let (problem, reason) = wait_offline(&tunnel).await;
    assert_eq!(problem, Problem::BadToken);
    assert!(reason.contains("not an ngrok authtoken"), "{reason}");
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    assert_eq!(connections.load(Ordering::SeqCst), 0, "nothing was sent anywhere");
    assert!(matches!(*tunnel.status().borrow(), TunnelStatus::Offline { problem: Problem::BadToken, .. }));
    tunnel.stop().await;
    receiver.stop().await;
}

/// `doorwatch serve --tunnel ngrok` against an ngrok that cannot be reached, with `signing_key` set or not;
/// the child, and a way to wait for a line of its output (all lines so far are in the panic message).
fn serve_with_offline_tunnel(
    dir: &std::path::Path,
    closed: &str,
    signing_key: Option<&str>,
) -> (std::process::Child, impl FnMut(&str) -> String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_doorwatch"));
    command
        .args(["serve", "--listen", "127.0.0.1:0", "--tunnel", "ngrok"])
        .arg("--db")
        .arg(dir.join("doorwatch.sqlite3"))
        .env("DOORWATCH_CONFIG_DIR", dir.join("config"))
        .env("DOORWATCH_SECRETS", "file")
        .env("NGROK_AUTHTOKEN", TOKEN)
        .env("DOORWATCH_NGROK_SERVER", closed)
        .env_remove("DOORWATCH_SIGNING_KEY")
        .env_remove("KISI_API_KEY")
        .env_remove("DOORWATCH_LISTEN")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .stdin(Stdio::null());
    if let Some(key) = signing_key {
        command.env("DOORWATCH_SIGNING_KEY", key);
    }
    let mut child = command.spawn().unwrap();
    let stdout = BufReader::new(child.stdout.take().unwrap());
    let (tx, lines) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in stdout.lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut printed = Vec::new();
    let wait_for = move |needle: &str| loop {
        let line =
            lines.recv_timeout(Duration::from_secs(30)).unwrap_or_else(|_| panic!("no {needle:?} in {printed:#?}"));
        printed.push(line.clone());
        if line.contains(needle) {
            return line;
        }
    };
    (child, wait_for)
}

#[test]
fn serve_with_the_tunnel_says_it_is_offline_and_still_receives_locally() {
    let dir = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let closed = rt.block_on(closed_port());
    let (mut child, mut wait_for) = serve_with_offline_tunnel(dir.path(), &closed, Some("tunnel-test-key"));
    let url = wait_for("receiving on").rsplit(' ').next().unwrap().to_owned();
    wait_for("Signature check: on");
    wait_for("tunnel offline: cannot reach ngrok");
    let body = br#"{"uuid":"9d1c2a9e-8b7d-4c55-9e0a-1d2b3c4d5e6f","type":"lock.unlock","success":false}"#;
    let (status, _) = rt.block_on(delivery::deliver(&reqwest::Client::new(), &url, body, Some("tunnel-test-key")));
    assert_eq!(status, 200);
    let refused = wait_for("Refused");
    assert!(!refused.contains("(unverified)"), "{refused}");
    Command::new("kill").arg("-TERM").arg(child.id().to_string()).status().unwrap();
    wait_for("Stopped");
    assert!(child.wait().unwrap().success());
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(!stderr.contains(TOKEN), "the token is never printed");
}

#[test]
fn serve_with_the_tunnel_and_no_key_refuses_unsigned_deliveries_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let closed = rt.block_on(closed_port());
    let (mut child, mut wait_for) = serve_with_offline_tunnel(dir.path(), &closed, None);
    let url = wait_for("receiving on").rsplit(' ').next().unwrap().to_owned();
    let said = wait_for("Signature check:");
    assert!(said.contains("unsigned deliveries are REFUSED (401)"), "{said}");
    let body = br#"{"uuid":"9d1c2a9e-8b7d-4c55-9e0a-1d2b3c4d5e70","type":"lock.unlock","success":false}"#;
    let (status, answer) = rt.block_on(delivery::deliver(&reqwest::Client::new(), &url, body, None));
    assert_eq!(status, 401, "{answer}");
    let answer: serde_json::Value = serde_json::from_str(&answer).unwrap();
    assert_eq!(answer["error"], "unsigned_refused");
    assert!(answer["message"].as_str().unwrap().contains("receiver is public and has no signing key"));
    Command::new("kill").arg("-TERM").arg(child.id().to_string()).status().unwrap();
    wait_for("Stopped");
    assert!(child.wait().unwrap().success());
    let events = doorwatch::store::Store::open(&dir.path().join("doorwatch.sqlite3"), Default::default())
        .unwrap()
        .reader()
        .unwrap()
        .count()
        .unwrap();
    assert_eq!(events, 0, "the refusal stored nothing");
}
