import { forEachEngine } from '@atoll/test-support';
import { backupStoreCases } from './backup-store.case.js';

await forEachEngine('DynamoDB BackupStore', backupStoreCases);
