import { forEachEngine } from '@atoll/test-support';
import { ecsStoreCases } from './ecs-store.case.js';

await forEachEngine('EcsStore', ecsStoreCases);
