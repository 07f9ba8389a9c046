//! cloudresumecounter: a page-hit counter for a Cloud Resume Challenge site.
//!
//! `GET /counter?path=P` adds one hit to `P` with a single atomic DynamoDB `UpdateItem` and
//! answers `200 {"count": N, "counted": true}`; `&increment=false`, or a crawler, reads the
//! count instead. The data flows one way, and so do the imports: [`gateway`] turns the HTTP API
//! event into our [`Request`]; [`request`] validates it with [`query`], [`key`], [`allow_list`],
//! `crawler` and `origin`, none of which knows of it; `repeat` turns the repeats of one
//! client, or of one address, into reads; [`store`] counts or reads; [`response`] answers (an
//! image drawn by [`badge`]), and [`gateway`] hands that back as the proxy result.
//! [`Counter::handle`] is the middle of it.

// Public: what the bootstrap, the benchmark's rehearsal or the integration tests use. The rules
// only `request` and `Counter` consult stay private, tested beside their code.
pub mod allow_list;
pub mod badge;
pub mod config;
mod crawler;
pub mod gateway;
pub mod key;
mod origin;
pub mod query;
mod repeat;
pub mod request;
pub mod response;
pub mod runtime;
pub mod sdk;
pub mod store;
pub mod telemetry;

// In `Policy` and `ConfigError`, so public, though their module is not.
pub use origin::{AllowedOrigins, OriginError};

use std::num::NonZeroU8;
use std::time::{Duration, Instant};

use aws_lambda_events::apigw::ApiGatewayV2httpResponse;
use lambda_runtime::LambdaEvent;
use serde_json::value::RawValue;

use crate::config::Config;
use crate::gateway::NotAnHttpApiEvent;
use crate::repeat::{Admitted, Client, RecentHits};
use crate::request::{Action, Policy, ReadReason, Request};
use crate::response::Response;
use crate::store::CounterStore;

/// The function's state for the life of a Lambda sandbox: one store, one policy, and what it
/// recently counted per client and address when repeats are folded.
#[derive(Debug, Clone)]
pub struct Counter {
    store: CounterStore,
    policy: Policy,
    recent: Option<RecentHits>,
}

impl Counter {
    /// A counter that counts every hit the policy allows: no record of repeats.
    pub fn new(store: CounterStore, policy: Policy) -> Self {
        Counter {
            store,
            policy,
            recent: None,
        }
    }

    /// This counter, answering a client's repeats within `window` (none: no record) with a
    /// read once it has added its allowance (`repeat::ALLOWANCE`), and an address's once it
    /// has added `repeat::DEFAULT_ADDRESS_CEILING`.
    pub fn folding_repeats(self, window: Option<Duration>) -> Self {
        self.folding_repeats_up_to(window, repeat::DEFAULT_ADDRESS_CEILING)
    }

    /// [`folding_repeats`](Self::folding_repeats), an address adding at most `address_ceiling`.
    pub fn folding_repeats_up_to(
        self,
        window: Option<Duration>,
        address_ceiling: NonZeroU8,
    ) -> Self {
        Counter {
            recent: window.map(|window| RecentHits::new(window, address_ceiling)),
            ..self
        }
    }

    /// Builds the DynamoDB client described by `config` (no network call).
    pub async fn from_config(config: Config) -> Self {
        let client = sdk::client(config.endpoint.as_deref()).await;
        Self::with_client(client, config)
    }

    /// The counter `config` describes, reaching DynamoDB through `client`.
    pub fn with_client(client: aws_sdk_dynamodb::Client, config: Config) -> Self {
        Self::new(CounterStore::new(client, &config.table), config.policy)
            .folding_repeats_up_to(config.repeat_window, config.address_ceiling)
    }

    /// One invocation, as the runtime hands it over: the proxy result for an HTTP API event,
    /// or an invocation error of our own naming for any other event. Logs exactly one line.
    pub async fn invoke(
        &self,
        event: LambdaEvent<Box<RawValue>>,
    ) -> Result<ApiGatewayV2httpResponse, NotAnHttpApiEvent> {
        let request_id = event.context.request_id.as_str();
        match gateway::into_request(&event.payload) {
            Ok(request) => Ok(gateway::into_proxy_result(
                self.handle(&request, request_id).await,
            )),
            Err(err) => {
                tracing::error!(
                    request_id,
                    error_type = NotAnHttpApiEvent::ERROR_TYPE,
                    "event refused"
                );
                Err(err)
            }
        }
    }

    /// Answers one request, always with a response: rejections are 4xx, DynamoDB failures 5xx.
    /// Logs exactly one line per request, under Lambda's `request_id` for the invocation.
    pub async fn handle(&self, request: &Request, request_id: &str) -> Response {
        let started = Instant::now();

        let visit = match request::visit(request, &self.policy) {
            Ok(visit) => visit,
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

        let path = visit.page.as_str();
        // Consulted only for a hit that would count, after every other rule: a refusal, a
        // crawler or a view never fills the record.
        let (action, admitted) = match visit.action {
            Action::Count => match self.fold(request, path, started) {
                Fold::Counts(admitted) => (Action::Count, admitted),
                Fold::Repeat => (Action::Read(ReadReason::Repeat), None),
            },
            action => (action, None),
        };
        // A read says why it did not count; a counted hit has no reason.
        let (total, reason) = match action {
            Action::Count => (self.store.increment(&visit.page).await, None),
            Action::Read(reason) => (self.store.read(&visit.page).await, Some(reason.as_str())),
        };
        // Only a hit DynamoDB wrote uses up a share: a failed write leaves the record as it was.
        if let (Ok(_), Some(recent), Some(admitted)) = (&total, &self.recent, admitted) {
            recent.counted(admitted, started);
        }
        match total {
            Ok(count) => {
                let counted = reason.is_none();
                tracing::info!(
                    request_id,
                    status = 200,
                    latency_ms = elapsed_ms(started),
                    count,
                    counted,
                    reason,
                    path,
                    "{}",
                    if counted { "hit counted" } else { "count read" }
                );
                response::count(count, counted, visit.format)
            }
            Err(err) => {
                let response = response::failed(err.kind);
                tracing::error!(
                    request_id,
                    status = response.status().as_u16(),
                    latency_ms = elapsed_ms(started),
                    path,
                    cause = err.cause,
                    "request failed"
                );
                response
            }
        }
    }

    /// What the record of repeats says of a hit that would count. A request without an
    /// address (a hand-made event) is never a repeat.
    fn fold(&self, request: &Request, page: &str, now: Instant) -> Fold {
        let (Some(recent), Some(address)) = (&self.recent, request.source_ip.as_deref()) else {
            return Fold::Counts(None);
        };
        let client = Client {
            address,
            user_agent: request.user_agent.as_deref(),
        };
        match recent.admits(client, page, now) {
            Some(admitted) => Fold::Counts(Some(admitted)),
            None => Fold::Repeat,
        }
    }
}

/// What the record of repeats says of a hit that would count.
enum Fold {
    /// It counts; once written, it is recorded (`None`: there is nothing to record it by).
    Counts(Option<Admitted>),
    /// Its client or its address has added its share to the page within the window: it reads.
    Repeat,
}

fn elapsed_ms(started: Instant) -> f64 {
    started.elapsed().as_secs_f64() * 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_dynamodb::config::retry::RetryConfig;
    use aws_sdk_dynamodb::operation::get_item::GetItemOutput;
    use aws_sdk_dynamodb::operation::update_item::{UpdateItemError, UpdateItemOutput};
    use aws_sdk_dynamodb::types::error::ThrottlingException;
    use aws_sdk_dynamodb::types::AttributeValue;
    use aws_smithy_mocks::{mock, mock_client, RuleMode};

    fn hits(n: &str) -> AttributeValue {
        AttributeValue::N(n.to_owned())
    }

    /// Three hits whose write DynamoDB refused (throttled), then writes that succeed: the
    /// failures used up nothing, so the client's three hits still count, and the next reads.
    #[tokio::test]
    async fn only_a_hit_dynamodb_wrote_uses_up_a_share() {
        let write = mock!(aws_sdk_dynamodb::Client::update_item)
            .sequence()
            .error(|| UpdateItemError::ThrottlingException(ThrottlingException::builder().build()))
            .times(3)
            .output(|| {
                UpdateItemOutput::builder()
                    .attributes("hits", hits("1"))
                    .build()
            })
            .repeatedly()
            .build();
        let read = mock!(aws_sdk_dynamodb::Client::get_item)
            .then_output(|| GetItemOutput::builder().item("hits", hits("1")).build());
        let client = mock_client!(
            aws_sdk_dynamodb,
            RuleMode::MatchAny,
            &[&write, &read],
            |config| config.retry_config(RetryConfig::disabled())
        );
        let counter = Counter::new(CounterStore::new(client, "Hits"), Policy::default())
            .folding_repeats(Some(repeat::DEFAULT_WINDOW));
        let request = Request {
            method: "GET".to_owned(),
            raw_query: "path=/".to_owned(),
            user_agent: Some("curl/8.11.0".to_owned()),
            source_ip: Some("203.0.113.7".to_owned()),
            ..Request::default()
        };
        let mut answers = Vec::new();
        for _ in 0..7 {
            let response = counter.handle(&request, "id").await;
            answers.push((response.status().as_u16(), response.into_body()));
        }
        let counted = r#"{"count":1,"counted":true}"#.to_owned();
        let read_only = r#"{"count":1,"counted":false}"#.to_owned();
        assert_eq!(
            answers[3..],
            [
                (200, counted.clone()),
                (200, counted.clone()),
                (200, counted),
                (200, read_only)
            ]
        );
        assert!(
            answers[..3].iter().all(|(status, _)| *status == 503),
            "{answers:?}"
        );
        assert_eq!((write.num_calls(), read.num_calls()), (6, 1));
    }

    /// The log's `latency_ms`, without waiting: 20 ms ago is 20 ms and some microseconds.
    #[test]
    fn latency_is_in_milliseconds() {
        let ms = elapsed_ms(Instant::now() - Duration::from_millis(20));
        assert!((20.0..1000.0).contains(&ms), "{ms}");
    }
}
