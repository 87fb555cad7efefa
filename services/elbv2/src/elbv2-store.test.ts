// Runs the ELBv2 store's contract on SQLite and, when it answers, PostgreSQL.
import { forEachEngine } from '@atoll/test-support';
import { elbv2StoreCases } from './elbv2-store.case.js';

await forEachEngine('Elbv2Store', elbv2StoreCases);
