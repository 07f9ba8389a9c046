/* The emulator's floor for "init": a runtime that does nothing but ask for its first event.
 * bench.js spawns it exactly as it spawns a bootstrap, so spawn -> first GET /next of this
 * program is what the harness itself costs (Node's fork/exec, loopback, the emulator's event
 * loop), not any function's init. Built by scripts/bench.sh when a C compiler is present. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(void) {
  const char *api = getenv("AWS_LAMBDA_RUNTIME_API");
  char host[64];
  char request[256];
  char buf[4096];
  struct sockaddr_in addr;
  char *colon;
  int fd, len;

  if (!api || strlen(api) >= sizeof host) return 2;
  strcpy(host, api);
  colon = strchr(host, ':');
  if (!colon) return 2;
  *colon = '\0';
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_port = htons((unsigned short)atoi(colon + 1));
  if (inet_pton(AF_INET, host, &addr.sin_addr) != 1) return 2;
  fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) return 1;
  len = snprintf(request, sizeof request,
                 "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nhost: %s\r\n\r\n", api);
  if (write(fd, request, (size_t)len) != len) return 1;
  while (read(fd, buf, sizeof buf) > 0) {
  }
  return 0;
}
