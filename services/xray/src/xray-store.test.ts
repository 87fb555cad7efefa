import { forEachEngine } from '@atoll/test-support';
import { xrayStoreCases } from './xray-store.case.js';

await forEachEngine('XrayStore', xrayStoreCases);
