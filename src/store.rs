//! The two DynamoDB calls — an atomic `UpdateItem ADD hits :inc` to count, a `GetItem` to
//! read — and how their failures are classified.
//!
//! The SDK may retry an `UpdateItem` whose response was lost (timeout, broken connection)
//! after DynamoDB applied it; with no idempotency token that adds one extra hit. For a page
//! counter that is the right trade against failing the request.

use std::collections::HashMap;

use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::{DisplayErrorContext, SdkError};
use aws_sdk_dynamodb::operation::get_item::GetItemError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use aws_sdk_dynamodb::Client;

use crate::key::CounterKey;

/// The key attribute of the table; the template declares it as the HASH key of type S.
pub const KEY_ATTRIBUTE: &str = "path";
/// The number attribute that `ADD` increments.
pub const HITS_ATTRIBUTE: &str = "hits";
/// The one update: `hits` plus `:inc` (always 1), created at 0 when the item is new.
const ADD_ONE_HIT: &str = "ADD hits :inc";

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
            .map_err(StoreError::from_sdk)?;
        hits_in(output.attributes(), "UpdateItem")
    }

    /// The total of `key`, 0 for a page never counted, in one eventually consistent `GetItem`
    /// that writes nothing: a count at most a second or so old is fine for a page counter,
    /// and costs half a strongly consistent read.
    pub async fn read(&self, key: &CounterKey) -> Result<u64, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(KEY_ATTRIBUTE, AttributeValue::S(key.as_str().to_owned()))
            .projection_expression(HITS_ATTRIBUTE)
            .send()
            .await
            .map_err(StoreError::from_sdk)?;
        match output.item() {
            None => Ok(0),
            item => hits_in(item, "GetItem"),
        }
    }
}

/// The whole number in `hits`, or why the answer of `operation` cannot be read.
fn hits_in(
    attributes: Option<&HashMap<String, AttributeValue>>,
    operation: &str,
) -> Result<u64, StoreError> {
    let internal = |cause| StoreError {
        kind: StoreErrorKind::Internal,
        cause,
    };
    match attributes.and_then(|attributes| attributes.get(HITS_ATTRIBUTE)) {
        Some(AttributeValue::N(number)) => number.parse().map_err(|_| {
            internal(format!(
                "{HITS_ATTRIBUTE} is not a whole number: {number:?}"
            ))
        }),
        other => Err(internal(format!(
            "{operation} returned no numeric {HITS_ATTRIBUTE}: {other:?}"
        ))),
    }
}

impl StoreError {
    fn from_sdk<E: Transient + std::error::Error + 'static>(
        err: SdkError<E, HttpResponse>,
    ) -> Self {
        StoreError {
            kind: classify(&err),
            cause: DisplayErrorContext(&err).to_string(),
        }
    }
}

/// The service errors of an operation that pass with time.
pub trait Transient {
    fn is_transient(&self) -> bool;
}

/// `Transient` for an operation's error enum, from the variants that pass with time.
macro_rules! transient {
    ($error:ident: $($variant:ident),+) => {
        impl Transient for $error {
            fn is_transient(&self) -> bool {
                matches!(self, $($error::$variant(_))|+)
            }
        }
    };
}

// Throttling and write collisions come back as 400s but pass with time, like DynamoDB's 500s.
transient!(UpdateItemError: ThrottlingException, ProvisionedThroughputExceededException,
    RequestLimitExceeded, TransactionConflictException, ReplicatedWriteConflictException,
    InternalServerError);
transient!(GetItemError: ThrottlingException, ProvisionedThroughputExceededException,
    RequestLimitExceeded, InternalServerError);

/// Transient trouble is [`StoreErrorKind::Unavailable`] (503); a problem that retrying cannot
/// fix is [`StoreErrorKind::Internal`] (500).
pub fn classify<E: Transient>(err: &SdkError<E, HttpResponse>) -> StoreErrorKind {
    match err {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) => StoreErrorKind::Unavailable,
        // A response cut short or garbled in transit.
        SdkError::ResponseError(_) => StoreErrorKind::Unavailable,
        SdkError::ServiceError(service)
            if service.err().is_transient() || service.raw().status().is_server_error() =>
        {
            StoreErrorKind::Unavailable
        }
        // Missing table, access denied, validation: our deployment is wrong.
        _ => StoreErrorKind::Internal,
    }
}
