//! A TCP proxy in front of dynalite that can be told to fail the way a real dependency does:
//! refuse connections, accept and never answer, answer HTTP 500, or throttle.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::watch;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Forward every byte to dynalite.
    None,
    /// Stop listening: connections are refused.
    Refuse,
    /// Accept connections, read requests, never answer.
    Blackhole,
    /// Answer every request with a bare `500 Internal Server Error`.
    Http500,
    /// Answer every request as DynamoDB does when it throttles.
    Throttle,
    /// Forward the request, let dynalite apply it, then drop its answer and the connection.
    LoseResponse,
}

pub struct FaultProxy {
    pub endpoint: String,
    fault: Arc<watch::Sender<Fault>>,
    lost: Arc<AtomicU64>,
}

impl FaultProxy {
    /// Starts forwarding 127.0.0.1:<free port> to `upstream` (`http://host:port`).
    pub async fn start(upstream: &str) -> Self {
        let upstream = upstream.trim_start_matches("http://").to_owned();
        let listener = bind(0).await;
        let port = listener.local_addr().unwrap().port();
        let (fault, _) = watch::channel(Fault::None);
        let (fault, lost) = (Arc::new(fault), Arc::default());
        let loop_state = (Arc::clone(&fault), Arc::clone(&lost));
        tokio::spawn(accept_loop(listener, port, upstream, loop_state));
        FaultProxy {
            endpoint: format!("http://127.0.0.1:{port}"),
            fault,
            lost,
        }
    }

    /// How many requests dynalite applied under [`Fault::LoseResponse`] whose answers were lost.
    pub fn answers_lost(&self) -> u64 {
        self.lost.load(Ordering::SeqCst)
    }

    /// Switches the fault; connections opened under the previous one are dropped, as a
    /// failing network or load balancer would.
    pub fn set(&self, fault: Fault) {
        self.fault.send_replace(fault);
    }
}

async fn bind(port: u16) -> TcpListener {
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_reuseaddr(true).unwrap();
    socket
        .bind(([127, 0, 0, 1], port).into())
        .expect("bind the fault proxy");
    socket.listen(1024).unwrap()
}

async fn accept_loop(
    mut listener: TcpListener,
    port: u16,
    upstream: String,
    (fault, lost): (Arc<watch::Sender<Fault>>, Arc<AtomicU64>),
) {
    let mut changes = fault.subscribe();
    loop {
        if *changes.borrow_and_update() == Fault::Refuse {
            drop(listener);
            while *changes.borrow_and_update() == Fault::Refuse {
                if changes.changed().await.is_err() {
                    return;
                }
            }
            listener = bind(port).await;
        }
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((client, _)) = accepted else { continue };
                let current = *changes.borrow();
                let closed_on_change = fault.subscribe();
                let lost = Arc::clone(&lost);
                tokio::spawn(serve(client, current, upstream.clone(), closed_on_change, lost));
            }
            changed = changes.changed() => if changed.is_err() { return },
        }
    }
}

async fn serve(
    mut client: TcpStream,
    fault: Fault,
    upstream: String,
    mut changes: watch::Receiver<Fault>,
    lost: Arc<AtomicU64>,
) {
    let work = async {
        match fault {
            Fault::None => {
                if let Ok(mut server) = TcpStream::connect(&upstream).await {
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                }
            }
            Fault::Blackhole => {
                let mut sink = [0u8; 4096];
                while matches!(client.read(&mut sink).await, Ok(n) if n > 0) {}
            }
            Fault::Http500 => answer_every_request(&mut client, HTTP_500).await,
            Fault::Throttle => answer_every_request(&mut client, &throttled()).await,
            Fault::LoseResponse => {
                if forward_one_and_drop_the_answer(&mut client, &upstream).await {
                    lost.fetch_add(1, Ordering::SeqCst);
                }
            }
            Fault::Refuse => {}
        }
    };
    tokio::select! {
        _ = work => {}
        _ = changes.changed() => {}
    }
}

const HTTP_500: &str = "HTTP/1.1 500 Internal Server Error\r\ncontent-length: 0\r\n\r\n";

fn throttled() -> String {
    let body = r#"{"__type":"com.amazonaws.dynamodb.v20120810#ThrottlingException","message":"Rate of requests exceeds the allowed throughput."}"#;
    format!(
        "HTTP/1.1 400 Bad Request\r\ncontent-type: application/x-amz-json-1.0\r\n\
         x-amzn-requestid: FAULTPROXY\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
}

/// Reads each HTTP/1.1 request (head and `content-length` body) and answers `response`.
async fn answer_every_request(client: &mut TcpStream, response: &str) {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        while let Some(length) = complete_request_length(&buffer) {
            buffer.drain(..length);
            if client.write_all(response.as_bytes()).await.is_err() {
                return;
            }
        }
        match client.read(&mut chunk).await {
            Ok(n) if n > 0 => buffer.extend_from_slice(&chunk[..n]),
            _ => return,
        }
    }
}

/// Reads one request, has dynalite apply it, waits for the whole answer, and then closes
/// the client's connection without a byte of it: a response lost on the way back. Whether
/// dynalite answered, so applied it.
async fn forward_one_and_drop_the_answer(client: &mut TcpStream, upstream: &str) -> bool {
    let Some(request) = read_message(client).await else {
        return false;
    };
    let Ok(mut server) = TcpStream::connect(upstream).await else {
        return false;
    };
    server.write_all(&request).await.is_ok() && read_message(&mut server).await.is_some()
}

/// One whole HTTP/1.1 message (head and `content-length` body) from `stream`.
async fn read_message(stream: &mut TcpStream) -> Option<Vec<u8>> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(length) = complete_request_length(&buffer) {
            buffer.truncate(length);
            return Some(buffer);
        }
        match stream.read(&mut chunk).await {
            Ok(n) if n > 0 => buffer.extend_from_slice(&chunk[..n]),
            _ => return None,
        }
    }
}

fn complete_request_length(buffer: &[u8]) -> Option<usize> {
    let head_end = buffer.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let head = String::from_utf8_lossy(&buffer[..head_end]).to_ascii_lowercase();
    let body_length: usize = head
        .lines()
        .find_map(|line| line.strip_prefix("content-length:"))
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or(0);
    (buffer.len() >= head_end + body_length).then_some(head_end + body_length)
}
