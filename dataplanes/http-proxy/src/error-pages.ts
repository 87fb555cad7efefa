// The HTML bodies ALB sends when it answers a request itself (no target, target failure, timeout).

const TITLES: Record<number, string> = {
  400: '400 Bad Request',
  403: '403 Forbidden',
  404: '404 Not Found',
  460: '460',
  463: '463',
  500: '500 Internal Server Error',
  502: '502 Bad Gateway',
  503: '503 Service Temporarily Unavailable',
  504: '504 Gateway Time-out',
};

const cache = new Map<number, Buffer>();

/** The body ALB sends for `status`, e.g. `<html>\r\n<head><title>502 Bad Gateway</title></head>…`. */
export function errorPage(status: number): Buffer {
  let body = cache.get(status);
  if (body === undefined) {
    const title = TITLES[status] ?? String(status);
    body = Buffer.from(
      `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n</body>\r\n</html>\r\n`,
    );
    cache.set(status, body);
  }
  return body;
}
