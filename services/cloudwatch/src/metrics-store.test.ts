import { forEachEngine } from '@atoll/test-support';
import { metricsStoreCases } from './metrics-store.case.js';

await forEachEngine('MetricsStore', metricsStoreCases);
