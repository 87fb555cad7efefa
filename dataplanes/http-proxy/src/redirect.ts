// The Location of a redirect action: its components with the #{protocol}, #{host}, #{port},
// #{path} (without its leading slash) and #{query} placeholders filled from the request.
import type { ActionConfig } from './config.js';

export function redirectLocation(url: string, hostHeader: string, protocolOfListener: string, portOfListener: string, action: Extract<ActionConfig, { type: 'redirect' }>): string {
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  const query = q < 0 ? '' : url.slice(q + 1);
  const colon = hostHeader.startsWith('[') ? hostHeader.indexOf(':', hostHeader.indexOf(']')) : hostHeader.indexOf(':');
  const host = colon < 0 ? hostHeader : hostHeader.slice(0, colon);
  const fill = (template: string): string =>
    template
      .replace(/#\{protocol\}/g, protocolOfListener)
      .replace(/#\{host\}/g, host)
      .replace(/#\{port\}/g, portOfListener)
      .replace(/#\{path\}/g, path.slice(1))
      .replace(/#\{query\}/g, query);
  const protocol = fill(action.protocol).toLowerCase();
  const port = fill(action.port);
  const defaultPort = (protocol === 'https' && port === '443') || (protocol === 'http' && port === '80');
  let location = `${protocol}://${fill(action.host)}${defaultPort ? '' : `:${port}`}${fill(action.path)}`;
  const query2 = fill(action.query);
  if (query2 !== '') location += `?${query2}`;
  return location;
}
