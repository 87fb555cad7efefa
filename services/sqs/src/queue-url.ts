// Queue URLs: `<endpoint>/<accountId>/<queueName>` as SQS hands them out, and parsing them back.
export function queueUrl(endpoint: string, accountId: string, name: string): string {
  return `${endpoint.replace(/\/+$/, '')}/${accountId}/${name}`;
}

/** Reads the account id and queue name from a queue URL (or a bare queue name). */
export function parseQueueUrl(url: unknown): { accountId?: string; name: string } | undefined {
  if (typeof url !== 'string' || url === '') return undefined;
  const m = /^(?:[a-z]+:\/\/[^/]+)?\/(\d{12})\/([^/?#]+)\/?$/i.exec(url);
  if (m) return { accountId: m[1]!, name: decodeURIComponent(m[2]!) };
  if (/^[A-Za-z0-9_.-]{1,80}$/.test(url)) return { name: url };
  return undefined;
}
