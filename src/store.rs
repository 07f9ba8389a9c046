//! The one DynamoDB call — an atomic `UpdateItem ADD hits :inc` — and how its failures are
//! classified.
//!
//! The SDK may retry an `UpdateItem` whose response was lost (timeout, broken connection)
//! after DynamoDB applied it; with no idempotency token that adds one extra hit. For a page
//! counter that is the right trade against failing the request.

use std::time::Duration;

use aws_config::environment::EnvironmentVariableCredentialsProvider;
use aws_config::retry::RetryConfig;
use aws_config::stalled_stream_protection::StalledStreamProtectionConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::BehaviorVersion;
use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::{DisplayErrorContext, SdkError};
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use aws_sdk_dynamodb::Client;
use aws_smithy_http_client::tls;

use crate::config::Config;
use crate::request::CounterKey;

/// The key attribute of the table; the template declares it as the HASH key of type S.
pub const KEY_ATTRIBUTE: &str = "path";
/// The number attribute that `ADD` increments.
pub const HITS_ATTRIBUTE: &str = "hits";
/// The one update: `hits` plus `:inc` (always 1), created at 0 when the item is new.
const ADD_ONE_HIT: &str = "ADD hits :inc";

/// Budgets for one request, chosen so the worst case answers well inside the function's
/// 3 s timeout: at most 3 attempts of at most 500 ms each, with short back-offs, and never
/// more than 1.5 s in all. A healthy DynamoDB answers in single-digit milliseconds.
pub const CONNECT_TIMEOUT: Duration = Duration::from_millis(200);
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_millis(500);
pub const OPERATION_TIMEOUT: Duration = Duration::from_millis(1500);
pub const MAX_ATTEMPTS: u32 = 3;
pub const INITIAL_BACKOFF: Duration = Duration::from_millis(20);
pub const MAX_BACKOFF: Duration = Duration::from_millis(200);

/// What went wrong with DynamoDB, as far as a caller needs to know.
#[derive(Debug)]
pub struct StoreError {
    pub kind: StoreErrorKind,
    /// The full SDK error, for the log only: it may name the table or the account.
    pub cause: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreErrorKind {
    /// Throttled, timed out, unreachable or failing on DynamoDB's side: worth retrying later.
    Unavailable,
    /// Our own set-up is wrong (missing table, no permission) or DynamoDB answered
    /// something we cannot read: retrying will not help.
    Internal,
}

/// The counter table, reached through one SDK client shared by every request.
#[derive(Debug, Clone)]
pub struct CounterStore {
    client: Client,
    table: String,
}

impl CounterStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        CounterStore {
            client,
            table: table.into(),
        }
    }

    /// Builds the store for `config` from the environment Lambda provides (region and
    /// credentials). Makes no network call.
    pub async fn connect(config: &Config) -> Self {
        Self::new(Client::new(&sdk_loader(config).load().await), &config.table)
    }

    /// Adds one hit to `key` and returns the new total, in one atomic `UpdateItem`.
    pub async fn increment(&self, key: &CounterKey) -> Result<u64, StoreError> {
        let output = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(KEY_ATTRIBUTE, AttributeValue::S(key.as_str().to_owned()))
            .update_expression(ADD_ONE_HIT)
            .expression_attribute_values(":inc", AttributeValue::N("1".to_owned()))
            .return_values(ReturnValue::UpdatedNew)
            .send()
            .await
            .map_err(|err| StoreError {
                kind: classify(&err),
                cause: DisplayErrorContext(&err).to_string(),
            })?;

        let hits = output
            .attributes()
            .and_then(|attributes| attributes.get(HITS_ATTRIBUTE));
        match hits {
            Some(AttributeValue::N(number)) => number.parse().map_err(|_| StoreError {
                kind: StoreErrorKind::Internal,
                cause: format!("{HITS_ATTRIBUTE} is not a whole number: {number:?}"),
            }),
            other => Err(StoreError {
                kind: StoreErrorKind::Internal,
                cause: format!("UpdateItem returned no numeric {HITS_ATTRIBUTE}: {other:?}"),
            }),
        }
    }
}

/// The SDK set-up for `config`: our timeouts and retries, a rustls (ring) HTTPS client, and
/// `DYNAMODB_ENDPOINT` when set. Tests add an explicit region and credentials to it.
///
/// Credentials come from the environment only: that is where Lambda puts the execution role's
/// (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`), and where the default
/// chain looks first, so in Lambda the outcome is the same. Naming the provider keeps the rest
/// of that chain (profile files, SSO, web identity, ECS, IMDS) from being built at init: its
/// web-identity provider alone builds a whole STS client with a TLS connector of its own.
/// Measured with bench/ (issue 5): 6% fewer instructions at init, about 0.7 ms less init CPU.
pub fn sdk_loader(config: &Config) -> aws_config::ConfigLoader {
    let trusted_roots = tls::TlsContext::builder()
        .with_trust_store(TrustedRoots::for_endpoint(config.endpoint.as_deref()).store())
        .build()
        .expect("building a TLS context only stores its arguments");
    let https = aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::Ring,
        ))
        .tls_context(trusted_roots)
        .build_https();
    let loader = aws_config::defaults(BehaviorVersion::latest())
        .credentials_provider(EnvironmentVariableCredentialsProvider::new())
        .http_client(https)
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(CONNECT_TIMEOUT)
                .operation_attempt_timeout(ATTEMPT_TIMEOUT)
                .operation_timeout(OPERATION_TIMEOUT)
                .build(),
        )
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(MAX_ATTEMPTS)
                .with_initial_backoff(INITIAL_BACKOFF)
                .with_max_backoff(MAX_BACKOFF),
        )
        // Stalled-stream protection waits 5 s before it acts; OPERATION_TIMEOUT ends every
        // call long before that, so it could never fire and only costs work per request.
        .stalled_stream_protection(StalledStreamProtectionConfig::disabled());
    match &config.endpoint {
        Some(endpoint) => loader.endpoint_url(endpoint),
        None => loader,
    }
}

/// The root certificates of Amazon Trust Services, to which every certificate of AWS's own
/// DynamoDB endpoints chains (Amazon Root CA 1–4, and Starfield Services Root CA G2, which
/// cross-signs them).
const AMAZON_TRUST_ROOTS: &str = include_str!("amazon-trust-roots.pem");

/// Whom the HTTPS client trusts. AWS's own endpoint is served under Amazon Trust Services, so
/// the five embedded roots suffice: that narrows trust, and skips parsing the system's ~150
/// roots at every cold start (17 M of the 18.6 M instructions init took, measured with
/// bench/instructions.js). An `https://` `DYNAMODB_ENDPOINT` may be anyone's, so it gets the
/// system's roots; that is also the way out should a partition use another CA. Plain `http://`
/// endpoints (dynalite) use no TLS at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TrustedRoots {
    AmazonTrustServices,
    System,
}

impl TrustedRoots {
    fn for_endpoint(endpoint: Option<&str>) -> Self {
        match endpoint {
            Some(url) if url.to_ascii_lowercase().starts_with("https://") => TrustedRoots::System,
            _ => TrustedRoots::AmazonTrustServices,
        }
    }

    fn store(self) -> tls::TrustStore {
        match self {
            TrustedRoots::System => tls::TrustStore::default(),
            TrustedRoots::AmazonTrustServices => {
                tls::TrustStore::empty().with_pem_certificate(AMAZON_TRUST_ROOTS.as_bytes())
            }
        }
    }
}

/// Transient trouble is [`StoreErrorKind::Unavailable`] (503); a problem that retrying cannot
/// fix is [`StoreErrorKind::Internal`] (500).
pub fn classify(err: &SdkError<UpdateItemError, HttpResponse>) -> StoreErrorKind {
    match err {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) => StoreErrorKind::Unavailable,
        // A response cut short or garbled in transit.
        SdkError::ResponseError(_) => StoreErrorKind::Unavailable,
        SdkError::ServiceError(service) => {
            // Throttling and write collisions come back as 400s but pass with time.
            let transient = matches!(
                service.err(),
                UpdateItemError::ThrottlingException(_)
                    | UpdateItemError::ProvisionedThroughputExceededException(_)
                    | UpdateItemError::RequestLimitExceeded(_)
                    | UpdateItemError::TransactionConflictException(_)
                    | UpdateItemError::ReplicatedWriteConflictException(_)
                    | UpdateItemError::InternalServerError(_)
            );
            if transient || service.raw().status().is_server_error() {
                StoreErrorKind::Unavailable
            } else {
                // Missing table, access denied, validation: our deployment is wrong.
                StoreErrorKind::Internal
            }
        }
        _ => StoreErrorKind::Internal,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aws_and_plain_http_endpoints_trust_the_five_amazon_roots() {
        assert_eq!(
            AMAZON_TRUST_ROOTS
                .matches("-----BEGIN CERTIFICATE-----")
                .count(),
            5
        );
        for endpoint in [None, Some("http://127.0.0.1:8000")] {
            assert_eq!(
                TrustedRoots::for_endpoint(endpoint),
                TrustedRoots::AmazonTrustServices
            );
        }
    }

    #[test]
    fn a_custom_https_endpoint_trusts_the_system_roots() {
        let endpoint = Some("HTTPS://dynamodb.example.internal");
        assert_eq!(TrustedRoots::for_endpoint(endpoint), TrustedRoots::System);
    }
}
