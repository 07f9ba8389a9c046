//! A page-hit counter as a Rust user writes it on day one, following the Lambda runtime's
//! `http-dynamodb` example: lambda_http, the SDK's default configuration, one UpdateItem.
//! The benchmark runs it beside the function (bench/README.md, "The obvious Rust").
//! DynamoDB Local or dynalite: set AWS_ENDPOINT_URL_DYNAMODB, which aws-config reads itself.
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use aws_sdk_dynamodb::Client;
use lambda_http::{run, service_fn, Body, Error, Request, RequestExt, Response};
use tracing::info;

async fn handle_request(
    client: &Client,
    table: &str,
    event: Request,
) -> Result<Response<Body>, Error> {
    let params = event.query_string_parameters();
    let Some(path) = params.first("path").filter(|path| !path.is_empty()) else {
        return json_response(400, r#"{"error":"missing_path"}"#.to_string());
    };

    let output = client
        .update_item()
        .table_name(table)
        .key("path", AttributeValue::S(path.to_string()))
        .update_expression("ADD hits :inc")
        .expression_attribute_values(":inc", AttributeValue::N("1".to_string()))
        .return_values(ReturnValue::UpdatedNew)
        .send()
        .await?;
    let hits = output
        .attributes()
        .and_then(|item| item.get("hits"))
        .ok_or("no hits returned")?;
    let count: u64 = hits.as_n().map_err(|_| "hits is not a number")?.parse()?;

    info!(path, count, "hit counted");
    json_response(
        200,
        serde_json::json!({ "count": count, "counted": true }).to_string(),
    )
}

fn json_response(status: u16, body: String) -> Result<Response<Body>, Error> {
    let response = Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(body.into())
        .map_err(Box::new)?;
    Ok(response)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::INFO)
        // CloudWatch adds the time.
        .without_time()
        .init();

    let table = std::env::var("DYNAMODB_TABLE")?;
    let config = aws_config::load_from_env().await;
    let client = Client::new(&config);

    run(service_fn(|event: Request| {
        handle_request(&client, &table, event)
    }))
    .await
}
