// Runs the IAM store's contract on SQLite and, when it answers, PostgreSQL.
import { forEachEngine } from '@atoll/test-support';
import { iamStoreCases } from './iam-store.case.js';

await forEachEngine('IamStore', iamStoreCases);
