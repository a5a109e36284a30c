import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Route {
  status?: number;
  body?: string | Buffer;
  contentType?: string;
  /** Send the headers, then never finish the body. */
  hang?: boolean;
  /** Redirect here instead of answering. */
  location?: string;
}

export interface IcsServer {
  /** `http://127.0.0.1:PORT` */
  origin: string;
  routes: Map<string, Route>;
  /** How many requests each path received. */
  hits: Map<string, number>;
  close(): Promise<void>;
}

/** A local HTTP server on loopback that serves what each test puts in `routes` (ICS files, errors, slow answers). */
export async function startIcsServer(): Promise<IcsServer> {
  const routes = new Map<string, Route>();
  const hits = new Map<string, number>();
  const server = http.createServer((req, res) => {
    const path = req.url ?? '/';
    hits.set(path, (hits.get(path) ?? 0) + 1);
    const route = routes.get(path);
    if (!route) return res.writeHead(404).end('not found');
    if (route.location) return res.writeHead(302, { location: route.location }).end();
    res.writeHead(route.status ?? 200, { 'content-type': route.contentType ?? 'text/calendar; charset=utf-8' });
    if (route.hang) return res.write('BEGIN:VCALENDAR\r\n');
    res.end(route.body ?? '');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    routes,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** An iCalendar file around the given VEVENT blocks (written by hand: it stands for someone else's calendar). */
export function icsFile(...events: string[]): string {
  return ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//Elsewhere//Test//EN', ...events, 'END:VCALENDAR', ''].join('\r\n');
}
