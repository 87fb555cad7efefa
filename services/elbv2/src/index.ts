// Elastic Load Balancing v2.
export { Elbv2Provider, createElbv2Service } from './elbv2-provider.js';
