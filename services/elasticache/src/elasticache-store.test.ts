// Runs the ElastiCache store's contract on SQLite and, when it answers, PostgreSQL.
import { forEachEngine } from '@atoll/test-support';
import { elastiCacheStoreCases } from './elasticache-store.case.js';

await forEachEngine('ElastiCacheStore', elastiCacheStoreCases);
