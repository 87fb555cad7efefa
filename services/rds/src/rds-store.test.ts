// Runs the RDS store's contract on SQLite and, when it answers, PostgreSQL.
import { forEachEngine } from '@atoll/test-support';
import { rdsStoreCases } from './rds-store.case.js';

await forEachEngine('RdsStore', rdsStoreCases);
