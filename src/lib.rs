//! cloudresumecounter: a page-hit counter for a Cloud Resume Challenge site.
//!
//! `GET /counter?path=P` adds one hit to `P` with a single atomic DynamoDB `UpdateItem` and
//! answers `200 {"count": N}`. [`Counter::handle`] is the whole request path:
//! [`request`] validates, [`store`] counts, [`response`] answers; [`gateway`] turns the
//! HTTP API event into that request and the response back into a proxy result.

pub mod config;
pub mod gateway;
pub mod request;
pub mod response;
pub mod store;
pub mod telemetry;

use std::time::Instant;

use lambda_http::{Body, Request, RequestExt, Response};

use crate::config::Config;
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
        let store = CounterStore::connect(config).await;
        Self::new(store, config.allowed_prefixes.clone())
    }

    /// Answers one request, always with a response: rejections are 4xx, DynamoDB failures 5xx.
    /// Logs exactly one line per request.
    pub async fn handle(&self, request: Request) -> Response<Body> {
        let started = Instant::now();
        let request_id = request
            .lambda_context_ref()
            .map(|context| context.request_id.clone())
            .unwrap_or_default();

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
