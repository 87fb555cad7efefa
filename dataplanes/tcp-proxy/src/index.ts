// The NLB data plane.
export { TcpProxy, flowHash, proxyProtocolV2Header } from './tcp-proxy.js';
export type { TcpListenerConfig, TcpProxyOptions } from './tcp-proxy.js';
