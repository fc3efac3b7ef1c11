import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type {
  APIGatewayProxyEventV2WithJWTAuthorizer,
  APIGatewayProxyResultV2,
  APIGatewayProxyStructuredResultV2,
} from 'aws-lambda';
import { type WebSocket, WebSocketServer } from 'ws';
import type { LocalUrlSigner } from '../adapters/memory/local-url-signer.js';
import type { Caller } from '../core/control/index.js';
import type { BlobStore, Logger } from '../core/ports/index.js';
import { NotFoundError, StagecoachError } from '../core/ports/index.js';
import { serveConsole } from './console-files.js';
import type { DevTokens } from './tokens.js';

type WsHandler = (event: unknown) => Promise<APIGatewayProxyResultV2>;

export interface LocalGatewayOptions {
  readonly host?: string;
  /** 0 picks a free port. */
  readonly port?: number;
  readonly tokens: DevTokens;
  /** The claim the HTTP handler reads the tenant from. */
  readonly tenantClaim: string;
  readonly http: (
    event: APIGatewayProxyEventV2WithJWTAuthorizer,
  ) => Promise<APIGatewayProxyStructuredResultV2>;
  readonly ws: { readonly connect: WsHandler; readonly disconnect: WsHandler; readonly message: WsHandler };
  /** Serves presigned URLs of a local blob store under /blobs. */
  readonly blobs?: { readonly signer: LocalUrlSigner; readonly store: BlobStore };
  /** Told when a socket opens and closes (the memory live channel registers it). */
  readonly onSocket?: { open(id: string, send: (data: string) => void): void; close(id: string): void };
  readonly logger: Logger;
}

const statusOfResult = (result: APIGatewayProxyResultV2): number =>
  typeof result === 'object' && result !== null && 'statusCode' in result ? (result.statusCode ?? 200) : 200;

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return Buffer.concat(chunks);
}

/**
 * API Gateway on this machine: the HTTP API (bearer tokens stand in for Cognito JWTs and become
 * the same claims), the WebSocket API at /ws (token in ?token=, as in AWS), the Management API's
 * @connections endpoint the real SDK client posts to, and presigned blob URLs for local storage.
 */
export class LocalGateway {
  readonly #o: LocalGatewayOptions;
  readonly #server: Server;
  readonly #wss = new WebSocketServer({ noServer: true });
  readonly #sockets = new Map<string, WebSocket>();
  /** WebSocket route handlers still running, awaited on stop. */
  readonly #pending = new Set<Promise<unknown>>();
  #url = '';

  constructor(options: LocalGatewayOptions) {
    this.#o = options;
    this.#server = createServer((req, res) => {
      this.#route(req, res).catch((error: unknown) => {
        options.logger.error('local gateway request failed', { error, url: req.url });
        this.#json(res, 500, { message: 'Internal error' });
      });
    });
    this.#server.on('upgrade', (req, socket, head) => {
      // A failing $connect (the store unreachable) answers 500, as API Gateway does, instead of
      // leaving an unhandled rejection that would end the process.
      this.#upgrade(req, socket, head).catch((error: unknown) => {
        options.logger.error('WebSocket connect failed', { error, url: req.url });
        if (socket.writable) socket.write('HTTP/1.1 500 Internal Server Error\r\nConnection: close\r\n\r\n');
        socket.destroy();
      });
    });
  }

  get url(): string {
    return this.#url;
  }

  get wsUrl(): string {
    return `${this.#url.replace(/^http/, 'ws')}/ws`;
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(this.#o.port ?? 0, this.#o.host ?? '127.0.0.1', () => resolve());
    });
    const address = this.#server.address() as AddressInfo;
    this.#url = `http://${this.#o.host ?? '127.0.0.1'}:${address.port}`;
  }

  async stop(): Promise<void> {
    const closed = [...this.#sockets.values()].map(
      (socket) => new Promise<void>((resolve) => socket.once('close', () => resolve())),
    );
    for (const socket of this.#sockets.values()) socket.close(1001, 'server stopping');
    // The grace timer is cleared once the sockets have closed, so it cannot hold the process open.
    let grace: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(closed),
      new Promise((resolve) => {
        grace = setTimeout(resolve, 2_000);
      }),
    ]);
    clearTimeout(grace);
    this.#wss.close();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
    await Promise.all([...this.#pending]);
  }

  /** Runs a WebSocket route handler in the background, tracked, its failure logged. */
  #track(work: Promise<unknown>, route: string): void {
    const tracked = work
      .catch((error: unknown) => this.#o.logger.error('WebSocket route failed', { error, route }))
      .finally(() => this.#pending.delete(tracked));
    this.#pending.add(tracked);
  }

  /** Sends to a socket; false when it is gone. */
  deliver(connectionId: string, data: string): boolean {
    const socket = this.#sockets.get(connectionId);
    if (socket === undefined || socket.readyState !== socket.OPEN) return false;
    socket.send(data);
    return true;
  }

  // -------------------------------------------------------------------------------------------

  async #route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://local');
    res.setHeader('access-control-allow-origin', '*');
    res.setHeader('access-control-allow-headers', 'authorization, content-type');
    res.setHeader('access-control-allow-methods', 'GET, POST, PUT, DELETE, OPTIONS');
    if (req.method === 'OPTIONS') {
      res.writeHead(204).end();
      return;
    }
    if (url.pathname === '/health') return this.#json(res, 200, { ok: true });
    if (await serveConsole(req, res, url)) return;
    if (url.pathname.startsWith('/@connections/')) return this.#connections(req, res, url);
    if (url.pathname.startsWith('/blobs/') && this.#o.blobs !== undefined) return this.#blob(req, res, url);
    const body = (await readBody(req)).toString('utf8');
    const caller = this.#o.tokens.fromHeader(req.headers.authorization);
    const result = await this.#o.http(this.#event(req, url, body, caller));
    res.writeHead(result.statusCode ?? 200, {
      'content-type': 'application/json',
      ...(result.headers as Record<string, string>),
    });
    res.end(result.body ?? '');
  }

  #event(
    req: IncomingMessage,
    url: URL,
    body: string,
    caller: Caller | undefined,
  ): APIGatewayProxyEventV2WithJWTAuthorizer {
    const claims: Record<string, string> =
      caller === undefined
        ? {}
        : {
            [this.#o.tenantClaim]: caller.tenantId,
            ...(caller.userId === undefined ? {} : { sub: caller.userId }),
          };
    const method = req.method ?? 'GET';
    return {
      version: '2.0',
      routeKey: '$default',
      rawPath: url.pathname,
      rawQueryString: url.search.replace(/^\?/, ''),
      headers: Object.fromEntries(
        Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : (v ?? '')]),
      ),
      queryStringParameters: Object.fromEntries(url.searchParams.entries()),
      ...(body === '' ? {} : { body }),
      isBase64Encoded: false,
      requestContext: {
        accountId: '000000000000',
        apiId: 'local',
        domainName: url.host,
        domainPrefix: 'local',
        http: {
          method,
          path: url.pathname,
          protocol: 'HTTP/1.1',
          sourceIp: req.socket.remoteAddress ?? '',
          userAgent: req.headers['user-agent'] ?? '',
        },
        requestId: randomUUID(),
        routeKey: '$default',
        stage: '$default',
        time: new Date().toISOString(),
        timeEpoch: Date.now(),
        authorizer: { principalId: caller?.userId ?? '', integrationLatency: 0, jwt: { claims, scopes: [] } },
      },
    };
  }

  /** The Management API: POST sends to a connection, GET describes it, DELETE closes it. */
  async #connections(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const id = decodeURIComponent(url.pathname.slice('/@connections/'.length));
    const socket = this.#sockets.get(id);
    if (socket === undefined) {
      res.writeHead(410, { 'content-type': 'application/json', 'x-amzn-errortype': 'GoneException' });
      res.end(JSON.stringify({ message: 'Gone', __type: 'GoneException' }));
      return;
    }
    if (req.method === 'POST') {
      socket.send((await readBody(req)).toString('utf8'));
      res.writeHead(200).end();
    } else if (req.method === 'DELETE') {
      socket.close(1000, 'closed by the server');
      res.writeHead(204).end();
    } else
      this.#json(res, 200, { connectedAt: new Date().toISOString(), identity: { sourceIp: '127.0.0.1' } });
  }

  async #blob(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const blobs = this.#o.blobs;
    if (blobs === undefined) return;
    try {
      const { key, method } = blobs.signer.verify(`${url.pathname}${url.search}`, req.method ?? 'GET');
      if (method === 'PUT') {
        const contentType = req.headers['content-type'];
        await blobs.store.put(key, req, contentType === undefined ? {} : { contentType });
        res.writeHead(200).end();
        return;
      }
      const info = await blobs.store.head(key);
      if (info === undefined) throw new NotFoundError(`Object '${key}' does not exist.`);
      res.writeHead(200, {
        'content-type': info.contentType ?? 'application/octet-stream',
        'content-length': info.size,
      });
      (await blobs.store.getStream(key)).pipe(res);
    } catch (error) {
      const status = error instanceof NotFoundError ? 404 : error instanceof StagecoachError ? 403 : 500;
      this.#json(res, status, { message: error instanceof Error ? error.message : 'error' });
    }
  }

  async #upgrade(req: IncomingMessage, socket: import('node:stream').Duplex, head: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://local');
    const caller =
      url.pathname === '/ws' ? this.#o.tokens.resolve(url.searchParams.get('token') ?? undefined) : undefined;
    const reject = (status: string): void => {
      socket.write(`HTTP/1.1 ${status}\r\nConnection: close\r\n\r\n`);
      socket.destroy();
    };
    if (url.pathname !== '/ws') return reject('404 Not Found');
    if (caller === undefined) return reject('401 Unauthorized');
    const connectionId = randomUUID().replaceAll('-', '').slice(0, 16);
    const context = (routeKey: string) => ({
      connectionId,
      routeKey,
      authorizer: {
        tenant_id: caller.tenantId,
        ...(caller.userId === undefined ? {} : { user_id: caller.userId }),
      },
    });
    const connected = await this.#o.ws.connect({ requestContext: context('$connect') });
    if (statusOfResult(connected) !== 200) return reject('403 Forbidden');
    this.#wss.handleUpgrade(req, socket, head, (ws) => {
      this.#sockets.set(connectionId, ws);
      this.#o.onSocket?.open(connectionId, (data) => ws.send(data));
      ws.on('message', (data) => {
        this.#track(
          this.#o.ws.message({ requestContext: context('$default'), body: data.toString() }),
          '$default',
        );
      });
      ws.on('close', () => {
        this.#sockets.delete(connectionId);
        this.#o.onSocket?.close(connectionId);
        this.#track(this.#o.ws.disconnect({ requestContext: context('$disconnect') }), '$disconnect');
      });
    });
  }

  #json(res: ServerResponse, status: number, body: unknown): void {
    if (res.headersSent) {
      res.end();
      return;
    }
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  }
}
