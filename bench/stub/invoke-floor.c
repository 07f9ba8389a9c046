/* The harness's floor for "CPU per invocation": a runtime in C that makes the same exchanges a
 * counter must make, with the same bytes on the wire and nothing else. Per invocation it
 *   1. GETs the next event from the Runtime API (keep-alive) and reads all of it;
 *   2. POSTs the UpdateItem the Rust SDK sends to DYNAMODB_ENDPOINT (keep-alive), headers of
 *      the same size included, and reads the new count from the answer;
 *   3. writes one JSON log line of the usual size to stdout;
 *   4. POSTs the proxy response and reads the 202.
 * It validates nothing, signs nothing (dynalite checks the Authorization header's form, not
 * its signature) and always counts /index.html, the path of events/get-counter.json. Blocking
 * sockets, no event loop: its CPU time is the kernel's loopback and scheduling work for these
 * exchanges, charged to the process, plus as little user-space work as they allow. bench.js
 * runs it like any bootstrap (--floor); scripts/bench.sh builds it when a C compiler is present.
 */
#define _GNU_SOURCE /* strcasestr */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#define BUF_SIZE 65536

/* The SDK's request, byte for byte in size (858 + 171 bytes); only the signature is made up. */
static const char UPDATE_ITEM_BODY[] =
    "{\"TableName\":\"%s\",\"Key\":{\"path\":{\"S\":\"/index.html\"}},\"ReturnValues\":"
    "\"UPDATED_NEW\",\"UpdateExpression\":\"ADD hits :inc\",\"ExpressionAttributeValues\":"
    "{\":inc\":{\"N\":\"1\"}}}";
static const char UPDATE_ITEM_HEADERS[] =
    "POST / HTTP/1.1\r\ncontent-type: application/x-amz-json-1.0\r\n"
    "x-amz-target: DynamoDB_20120810.UpdateItem\r\ncontent-length: %d\r\n"
    "user-agent: aws-sdk-rust/1.7.0 ua/2.1 api/dynamodb/1.136.0 os/linux lang/rust/1.95.0 "
    "m/E,N,P,g md/http#hyper-1.x\r\n"
    "x-amz-user-agent: aws-sdk-rust/1.7.0 ua/2.1 api/dynamodb/1.136.0 os/linux "
    "lang/rust/1.95.0 m/E,N,P,g md/http#hyper-1.x\r\n"
    "x-amzn-trace-id: Root=1-6b0a5146-de99322529c74a0ff67a4dd8;Parent=02bfbef33b4fca14;"
    "Sampled=0\r\n"
    "x-amz-date: 20261128T035758Z\r\n"
    "authorization: AWS4-HMAC-SHA256 Credential=local/20261128/us-east-1/dynamodb/"
    "aws4_request, SignedHeaders=content-length;content-type;host;x-amz-date;x-amz-target;"
    "x-amz-user-agent, Signature=1338c81c0a06dec5be945ec78ecd611808fa3688a03191a7799f2afb43094510"
    "\r\namz-sdk-request: attempt=1; max=3\r\n"
    "amz-sdk-invocation-id: 069fab1a-f0cf-4b6b-a89e-bd6abd9d6425\r\nhost: %s\r\n\r\n";

struct conn {
  int fd;
  char buf[BUF_SIZE];
};

/* "host:port" out of "host:port" or "http://host:port". */
static const char *authority(const char *address) {
  const char *scheme_end = strstr(address, "://");
  return scheme_end ? scheme_end + 3 : address;
}

/* host:port (or http://host:port) -> a connected, Nagle-free TCP socket; -1 on failure. */
static int dial(const char *address) {
  char host[64];
  struct sockaddr_in addr;
  const char *start = authority(address);
  char *colon;
  int fd, one = 1;

  if (strlen(start) >= sizeof host) return -1;
  strcpy(host, start);
  colon = strchr(host, ':');
  if (!colon) return -1;
  *colon = '\0';
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_port = htons((unsigned short)atoi(colon + 1));
  if (inet_pton(AF_INET, host, &addr.sin_addr) != 1) return -1;
  fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) return -1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

/* Reads one HTTP/1.1 response (headers + Content-Length body) into c->buf, NUL-terminated.
 * Returns the body, or NULL when the peer closed or the response does not fit. */
static char *read_response(struct conn *c) {
  size_t have = 0;
  char *end = NULL, *length;
  long body_length = 0;

  for (;;) {
    ssize_t got = read(c->fd, c->buf + have, BUF_SIZE - 1 - have);
    if (got <= 0) return NULL;
    have += (size_t)got;
    c->buf[have] = '\0';
    if (!end && (end = strstr(c->buf, "\r\n\r\n"))) {
      length = strcasestr(c->buf, "content-length:");
      body_length = length && length < end ? strtol(length + 15, NULL, 10) : 0;
    }
    if (end && have >= (size_t)(end + 4 - c->buf) + (size_t)body_length) return end + 4;
    if (have == BUF_SIZE - 1) return NULL;
  }
}

static int send_all(int fd, struct iovec *iov, int count, size_t total) {
  return writev(fd, iov, count) == (ssize_t)total ? 0 : -1;
}

int main(void) {
  const char *api = getenv("AWS_LAMBDA_RUNTIME_API");
  const char *endpoint = getenv("DYNAMODB_ENDPOINT");
  const char *table = getenv("DYNAMODB_TABLE");
  static struct conn runtime, dynamo;
  char next[256], headers[2048], body[512], request_id[128], log[512], reply[512], post[512];
  struct iovec iov[2];
  int n;

  if (!api || !endpoint || !table) return 2;
  runtime.fd = dial(api);
  dynamo.fd = dial(endpoint);
  if (runtime.fd < 0 || dynamo.fd < 0) return 1;
  n = snprintf(next, sizeof next,
               "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nhost: %s\r\n\r\n", api);

  for (;;) {
    char *id, *hits;
    long count;
    int body_len, headers_len, reply_len, post_len, log_len;

    /* 1. the next event */
    if (write(runtime.fd, next, (size_t)n) != n || !read_response(&runtime)) return 1;
    id = strcasestr(runtime.buf, "lambda-runtime-aws-request-id:");
    if (!id || sscanf(id + 30, " %127[^\r\n]", request_id) != 1) return 1;

    /* 2. the UpdateItem */
    body_len = snprintf(body, sizeof body, UPDATE_ITEM_BODY, table);
    headers_len = snprintf(headers, sizeof headers, UPDATE_ITEM_HEADERS, body_len,
                           authority(endpoint));
    iov[0] = (struct iovec){headers, (size_t)headers_len};
    iov[1] = (struct iovec){body, (size_t)body_len};
    if (send_all(dynamo.fd, iov, 2, (size_t)(headers_len + body_len))) return 1;
    if (!read_response(&dynamo) || !(hits = strstr(dynamo.buf, "\"hits\":{\"N\":\""))) return 1;
    count = strtol(hits + 13, NULL, 10);

    /* 3. the log line */
    log_len = snprintf(log, sizeof log,
                       "{\"timestamp\":\"2026-11-28T03:57:58.734913Z\",\"level\":\"INFO\","
                       "\"message\":\"hit counted\",\"request_id\":\"%s\",\"status\":200,"
                       "\"latency_ms\":4.087447,\"count\":%ld,\"path\":\"/index.html\"}\n",
                       request_id, count);
    if (write(STDOUT_FILENO, log, (size_t)log_len) != log_len) return 1;

    /* 4. the response */
    reply_len = snprintf(reply, sizeof reply,
                         "{\"statusCode\":200,\"headers\":{\"content-type\":\"application/json\","
                         "\"cache-control\":\"no-store\"},\"multiValueHeaders\":{},"
                         "\"body\":\"{\\\"count\\\":%ld}\",\"isBase64Encoded\":false,"
                         "\"cookies\":[]}",
                         count);
    post_len = snprintf(post, sizeof post,
                        "POST /2018-06-01/runtime/invocation/%s/response HTTP/1.1\r\n"
                        "user-agent: aws-lambda-rust/1.1.1\r\nhost: %s\r\n"
                        "content-length: %d\r\n\r\n",
                        request_id, api, reply_len);
    iov[0] = (struct iovec){post, (size_t)post_len};
    iov[1] = (struct iovec){reply, (size_t)reply_len};
    if (send_all(runtime.fd, iov, 2, (size_t)(post_len + reply_len))) return 1;
    if (!read_response(&runtime)) return 1;
  }
}
