//! cloudresumecounter: a page-hit counter for a Cloud Resume Challenge site.
//!
//! `GET /counter?path=P` adds one hit to `P` with a single atomic DynamoDB `UpdateItem` and
//! answers `200 {"count": N}`. The data flows one way: [`gateway`] turns the HTTP API event
//! into our [`Request`], [`request`] validates it, [`store`] counts, [`response`] answers and
//! [`gateway`] hands that back as the proxy result. [`Counter::handle`] is the middle of it.

pub mod config;
pub mod gateway;
pub mod request;
pub mod response;
pub mod sdk;
pub mod store;
pub mod telemetry;

use std::time::Instant;

use crate::config::Config;
use crate::request::Request;
use crate::response::Response;
use crate::store::CounterStore;

/// The function's state for the life of a Lambda sandbox: one store, one allow-list.
#[derive(Debug, Clone)]
pub struct Counter {
    store: CounterStore,
    allowed_prefixes: Option<Vec<String>>,
}

impl Counter {
    pub fn new(store: CounterStore, allowed_prefixes: Option<Vec<String>>) -> Self {
        Counter {
            store,
            allowed_prefixes,
        }
    }

    /// Builds the DynamoDB client described by `config` (no network call).
    pub async fn from_config(config: &Config) -> Self {
        let client = sdk::client(config.endpoint.as_deref()).await;
        let store = CounterStore::new(client, &config.table);
        Self::new(store, config.allowed_prefixes.clone())
    }

    /// Answers one request, always with a response: rejections are 4xx, DynamoDB failures 5xx.
    /// Logs exactly one line per request.
    pub async fn handle(&self, request: Request) -> Response {
        let started = Instant::now();
        let request_id = request.request_id.as_str();

        let key = match request::counter_key(&request, self.allowed_prefixes.as_deref()) {
            Ok(key) => key,
            Err(rejection) => {
                let response = response::rejected(rejection);
                tracing::info!(
                    request_id,
                    status = response.status().as_u16(),
                    latency_ms = elapsed_ms(started),
                    rejection = ?rejection,
                    "request rejected"
                );
                return response;
            }
        };

        match self.store.increment(&key).await {
            Ok(count) => {
                tracing::info!(
                    request_id,
                    status = 200,
                    latency_ms = elapsed_ms(started),
                    count,
                    path = key.as_str(),
                    "hit counted"
                );
                response::counted(count)
            }
            Err(err) => {
                let response = response::failed(err.kind);
                tracing::error!(
                    request_id,
                    status = response.status().as_u16(),
                    latency_ms = elapsed_ms(started),
                    path = key.as_str(),
                    cause = err.cause,
                    "hit not counted"
                );
                response
            }
        }
    }
}

fn elapsed_ms(started: Instant) -> f64 {
    started.elapsed().as_secs_f64() * 1000.0
}
