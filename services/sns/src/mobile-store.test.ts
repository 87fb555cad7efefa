import { forEachEngine } from '@atoll/test-support';
import { mobileStoreCases } from './mobile-store.case.js';

await forEachEngine('MobileStore', mobileStoreCases);
