import { forEachEngine } from '@atoll/test-support';
import { snsStoreCases } from './sns-store.case.js';

await forEachEngine('SnsStore', snsStoreCases);
