import { forEachEngine } from '@atoll/test-support';
import { aasStoreCases } from './aas-store.case.js';

await forEachEngine('AasStore', aasStoreCases);
