//! The DynamoDB client, built once at init with no network call: timeouts and retries, the
//! HTTPS client and whom it trusts, where credentials come from, and the endpoint.

use std::time::Duration;

use aws_config::environment::EnvironmentVariableCredentialsProvider;
use aws_config::retry::RetryConfig;
use aws_config::stalled_stream_protection::StalledStreamProtectionConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, ConfigLoader, SdkConfig};
use aws_sdk_dynamodb::Client;
use aws_smithy_http_client::tls;

/// Budgets for one request, chosen so the worst case answers well inside the function's
/// 3 s timeout: at most 3 attempts of at most 500 ms each, with short back-offs, and never
/// more than 1.5 s in all. A healthy DynamoDB answers in single-digit milliseconds.
pub const CONNECT_TIMEOUT: Duration = Duration::from_millis(200);
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_millis(500);
pub const OPERATION_TIMEOUT: Duration = Duration::from_millis(1500);
pub const MAX_ATTEMPTS: u32 = 3;
pub const INITIAL_BACKOFF: Duration = Duration::from_millis(20);
pub const MAX_BACKOFF: Duration = Duration::from_millis(200);

/// The client for `endpoint` (AWS's own when `None`), with the region and credentials
/// Lambda puts in the environment.
pub async fn client(endpoint: Option<&str>) -> Client {
    client_for(&loader(endpoint).load().await)
}

/// The client for a loaded `sdk_config`.
pub fn client_for(sdk_config: &SdkConfig) -> Client {
    Client::new(sdk_config)
}

/// The SDK set-up behind [`client`]. Tests add an explicit region and credentials to it.
///
/// Credentials come from the environment only: that is where Lambda puts the execution role's
/// (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`), and where the default
/// chain looks first, so in Lambda the outcome is the same. Naming the provider keeps the rest
/// of that chain (profile files, SSO, web identity, ECS, IMDS) from being built at init: its
/// web-identity provider alone builds a whole STS client with a TLS connector of its own,
/// and loads the system's roots for it (bench/README.md, "The obvious Rust", has the cost).
pub fn loader(endpoint: Option<&str>) -> ConfigLoader {
    loader_trusting(endpoint, TrustedRoots::for_endpoint(endpoint))
}

/// [`loader`] as AWS's own endpoint gets it (only the PEM roots given, never the system's),
/// with `roots_pem` in place of the Amazon roots and `endpoint` standing in for AWS's. No
/// certificate made for a test chains to an Amazon root: this is how `tests/https.rs` and the
/// benchmark's rehearsal shake hands through that code with a local TLS server. Only with the
/// `stand-in-roots` feature, which the function is never built with.
#[cfg(feature = "stand-in-roots")]
pub fn loader_with_roots_in_place_of_amazons(endpoint: &str, roots_pem: &[u8]) -> ConfigLoader {
    loader_trusting(Some(endpoint), TrustedRoots::Only(roots_pem))
}

fn loader_trusting(endpoint: Option<&str>, roots: TrustedRoots<'_>) -> ConfigLoader {
    let trusted_roots = tls::TlsContext::builder()
        .with_trust_store(roots.store())
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
    match endpoint {
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
/// roots at every cold start (bench/README.md, "Levers", has the cost). An `https://`
/// `DYNAMODB_ENDPOINT` may be anyone's, so it gets the system's roots; that is also the way out
/// should a partition use another CA. Plain `http://` endpoints (dynalite) use no TLS at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TrustedRoots<'a> {
    /// These PEM certificates and nothing else: [`AMAZON_TRUST_ROOTS`], but for tests.
    Only(&'a [u8]),
    System,
}

impl TrustedRoots<'static> {
    fn for_endpoint(endpoint: Option<&str>) -> Self {
        match endpoint {
            Some(url) if url.to_ascii_lowercase().starts_with("https://") => TrustedRoots::System,
            _ => TrustedRoots::Only(AMAZON_TRUST_ROOTS.as_bytes()),
        }
    }
}

impl TrustedRoots<'_> {
    fn store(self) -> tls::TrustStore {
        match self {
            TrustedRoots::System => tls::TrustStore::default(),
            TrustedRoots::Only(pem) => tls::TrustStore::empty().with_pem_certificate(pem),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aws_and_plain_http_endpoints_trust_only_the_amazon_roots() {
        for endpoint in [None, Some("http://127.0.0.1:8000")] {
            assert_eq!(
                TrustedRoots::for_endpoint(endpoint),
                TrustedRoots::Only(AMAZON_TRUST_ROOTS.as_bytes())
            );
        }
    }

    #[test]
    fn a_custom_https_endpoint_trusts_the_system_roots() {
        let endpoint = Some("HTTPS://dynamodb.example.internal");
        assert_eq!(TrustedRoots::for_endpoint(endpoint), TrustedRoots::System);
    }
}
