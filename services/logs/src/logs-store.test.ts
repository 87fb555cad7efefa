import { forEachEngine } from '@atoll/test-support';
import { logsStoreCases } from './logs-store.case.js';

await forEachEngine('LogsStore', logsStoreCases);
