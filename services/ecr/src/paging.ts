// Paging of in-memory listings with opaque next tokens (the offset, base64), as ECR's maxResults
// and nextToken; a token that does not decode answers InvalidParameterException.
import { invalidParameter } from './ecr-errors.js';

export function page<T>(all: readonly T[], token: string | undefined, maxResults: number | undefined, defaultSize: number): { items: T[]; nextToken?: string } {
  let start = 0;
  if (token !== undefined) {
    const decoded = /^o:(\d+)$/.exec(Buffer.from(token, 'base64').toString());
    if (!decoded) throw invalidParameter('Invalid parameter at \'nextToken\' failed to satisfy constraint: \'Invalid NextToken\'');
    start = Number(decoded[1]);
  }
  const size = maxResults ?? defaultSize;
  const items = all.slice(start, start + size);
  const next = start + size < all.length ? Buffer.from(`o:${start + size}`).toString('base64') : undefined;
  return next ? { items, nextToken: next } : { items };
}
