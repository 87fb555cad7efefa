// Re-exports of the HTTP types the raw routes use.
export type { HttpRoute, RawRouteContext } from '@atoll/core';
export type { IncomingHttpHeaders } from 'node:http';
