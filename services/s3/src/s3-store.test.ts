// Runs the S3 store's contract on SQLite and, when it answers, PostgreSQL.
import { forEachEngine } from '@atoll/test-support';
import { s3StoreCases } from './s3-store.case.js';

await forEachEngine('S3Store', s3StoreCases);
