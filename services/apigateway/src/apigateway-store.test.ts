// Runs the API Gateway store's contract on SQLite and, when it answers, PostgreSQL.
import { forEachEngine } from '@atoll/test-support';
import { apiGatewayStoreCases } from './apigateway-store.case.js';

await forEachEngine('ApiGatewayStore', apiGatewayStoreCases);
