export { createLogger, flushLogger } from './logger.js';
export { RequestMetrics } from './metrics.js';
export { AuditLog } from './audit-log.js';
export type { AuditEvent, AuditPage, AuditQuery } from './audit-log.js';
export { traceFromHeaders } from './trace.js';
export type { TraceContext } from './trace.js';
