// What the composition root (platform.ts) needs from the console: its routes and where its signed
// calls go.
export { ConsoleRoutes, CONSOLE_PREFIX } from './console-routes.js';

/** Whether a listen address is loopback only (the printed sign-in link is offered only then). */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\./.test(host);
}

/** The edge's URL as reached from this process: a wildcard listen address is dialled on loopback. */
export function loopbackEndpoint(endpoint: string): string {
  return endpoint.replace('//0.0.0.0:', '//127.0.0.1:').replace('//[::]:', '//[::1]:');
}
