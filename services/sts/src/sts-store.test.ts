// Runs the STS store's contract on SQLite and, when it answers, PostgreSQL.
import { forEachEngine } from '@atoll/test-support';
import { stsStoreCases } from './sts-store.case.js';

await forEachEngine('StsStore', stsStoreCases);
