// Runs the Route 53 and Cloud Map stores' contract on SQLite and, when it answers, PostgreSQL.
import { forEachEngine } from '@atoll/test-support';
import { dnsStoreCases } from './route53-store.case.js';

await forEachEngine('Route53Store and ServiceDiscoveryStore', dnsStoreCases);
