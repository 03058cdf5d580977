/** Helpers for the server tests: start the app on an ephemeral port, and raw HTTP requests. */
import * as http from 'node:http';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import { createApp, listen, type AppOptions } from '../../src/server/app';

export interface Running {
  base: string;
  port: number;
  close(): Promise<void>;
}

/** Starts the site on 127.0.0.1:<free port>. */
export async function startServer(options: AppOptions = {}): Promise<Running> {
  const server = await listen(createApp({ log: () => {}, ...options }), 0, '127.0.0.1');
  const port = (server.address() as AddressInfo).port;
  return {
    base: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * GET with the path sent exactly as given (fetch would normalise `..` and `%2e%2e` away,
 * which is what a browser does, not what an attacker does).
 */
export function rawGet(
  port: number,
  rawPath: string,
  method = 'GET',
  body?: Buffer,
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path: rawPath,
        method,
        agent: false,
        headers: body ? { 'content-type': 'application/octet-stream', 'content-length': body.length } : {},
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
        );
      },
    );
    req.on('error', reject);
    if (body) req.write(body);
    req.end();
  });
}

/** Writes raw bytes on a fresh TCP connection and resolves when the server closes or after `ms`. */
export function rawSocket(port: number, bytes: Buffer | string, ms = 2000): Promise<string> {
  return new Promise((resolve) => {
    const sock = net.connect(port, '127.0.0.1');
    let got = '';
    const done = () => {
      sock.destroy();
      resolve(got);
    };
    const timer = setTimeout(done, ms);
    sock.on('data', (d) => {
      got += d.toString('latin1');
    });
    sock.on('error', () => {
      clearTimeout(timer);
      done();
    });
    sock.on('close', () => {
      clearTimeout(timer);
      done();
    });
    sock.on('connect', () => sock.end(bytes));
  });
}
