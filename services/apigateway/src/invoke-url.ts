// The URL a deployed API answers on, where AWS returns one (an HTTP API's ApiEndpoint): the
// `<apiId>.execute-api.<region>.localhost:<port>` host form (any `*.localhost` name resolves to
// loopback). The path form `/_atoll/execute-api/<apiId>/<stage>/…` serves clients that cannot set a host.

/** `edge` is the platform's endpoint (`http://127.0.0.1:4566`): its port is the invoke URL's. */
export function invokeUrl(apiId: string, region: string, edge: string): string {
  const port = /:(\d+)$/.exec(edge)?.[1] ?? '4566';
  return `http://${apiId}.execute-api.${region}.localhost:${port}`;
}
