export { ApiGatewayProvider, ApiGatewayV2Provider, createApiGatewayService, createApiGatewayV2Service } from './apigateway-provider.js';
export { ApiGatewayStore, CONFIG_SIGNAL } from './apigateway-store.js';
export { TokenBucket } from './data-plane/usage-plans.js';
