import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type {
  APIGatewayProxyEventV2WithJWTAuthorizer,
  APIGatewayProxyResultV2,
  APIGatewayProxyStructuredResultV2,
} from 'aws-lambda';
import { type WebSocket, WebSocketServer } from 'ws';
import type { LocalUrlSigner } from '../adapters/memory/local-url-signer.js';
import { API_LIMITS, type ApiLimits } from '../core/api/index.js';
import type { Caller } from '../core/control/index.js';
import type { BlobStore, Logger } from '../core/ports/index.js';
import { printable } from '../core/ports/index.js';
import { serveBlob } from './blob-route.js';
import { serveConsole } from './console-files.js';
import { type BodyRefusal, readLimitedBody, refuse, refuseDeclared } from './request-body.js';
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
  /** The limits of lib/core/api/limits.ts, for a test that needs them small. @default API_LIMITS */
  readonly limits?: Partial<ApiLimits>;
}

const statusOfResult = (result: APIGatewayProxyResultV2): number =>
  typeof result === 'object' && result !== null && 'statusCode' in result ? (result.statusCode ?? 200) : 200;

/** A WebSocket handshake ws would complete (RFC 6455 §4.2.1), checked before $connect stores anything. */
function isHandshake(req: IncomingMessage): boolean {
  const key = req.headers['sec-websocket-key'];
  const version = req.headers['sec-websocket-version'];
  return (
    req.method === 'GET' &&
    (req.headers.upgrade ?? '').toLowerCase() === 'websocket' &&
    typeof key === 'string' &&
    /^[+/0-9A-Za-z]{22}==$/.test(key) &&
    (version === '13' || version === '8')
  );
}

/** The request target as a URL; undefined when it cannot be one (a malformed request). */
function parseTarget(req: IncomingMessage): URL | undefined {
  try {
    return new URL(req.url ?? '/', 'http://local');
  } catch {
    return undefined;
  }
}

const BAD_TARGET: BodyRefusal = {
  status: 400,
  code: 'BAD_REQUEST',
  message: 'The request target is not a valid URL path.',
};

/**
 * API Gateway on this machine: the HTTP API (bearer tokens stand in for Cognito JWTs and become
 * the same claims), the WebSocket API at /ws (token in ?token=, as in AWS), the Management API's
 * @connections endpoint the real SDK client posts to, and presigned blob URLs for local storage.
 */
export class LocalGateway {
  readonly #o: LocalGatewayOptions;
  readonly #limits: ApiLimits;
  readonly #server: Server;
  readonly #wss: WebSocketServer;
  readonly #sockets = new Map<string, WebSocket>();
  /** WebSocket route handlers still running, awaited on stop. */
  readonly #pending = new Set<Promise<unknown>>();
  #url = '';

  constructor(options: LocalGatewayOptions) {
    this.#o = options;
    const limits: ApiLimits = { ...API_LIMITS, ...options.limits };
    this.#limits = limits;
    // A frame over the limit closes its socket with 1009; a malformed one with 1002 or 1007 (ws does
    // that itself, and reports it as an 'error' on the socket, handled below).
    this.#wss = new WebSocketServer({ noServer: true, maxPayload: limits.wsMessageBytes });
    this.#wss.on('error', (error) => options.logger.warn('WebSocket server error', { error }));
    this.#server = createServer(
      {
        // Headers must arrive in time; a body's own deadline is applied where it is read.
        headersTimeout: limits.headersTimeoutMs,
        requestTimeout: 0,
        connectionsCheckingInterval: Math.max(50, Math.min(1_000, Math.floor(limits.headersTimeoutMs / 4))),
      },
      (req, res) => this.#request(req, res),
    );
    // A request whose client expects 100-continue is refused before it sends an oversized body.
    this.#server.on('checkContinue', (req, res) => {
      const refusal = refuseDeclared(req, this.#bodyLimit(req), 'The request body');
      if (refusal !== undefined) return refuse(req, res, refusal);
      res.writeContinue();
      this.#request(req, res);
    });
    // An idle connection is closed, so a silent client cannot hold one open.
    this.#server.timeout = Math.max(limits.bodyTimeoutMs, limits.uploadIdleTimeoutMs) * 2;
    this.#server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
      // Malformed requests (bad headers, a header timeout, an oversized header) are answered by
      // status and the connection closed; a client that went away needs nothing.
      if (error.code !== 'ECONNRESET' && socket.writable) {
        const status =
          error.code === 'HPE_HEADER_OVERFLOW'
            ? '431 Request Header Fields Too Large'
            : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
              ? '408 Request Timeout'
              : '400 Bad Request';
        socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      }
      socket.destroy();
    });
    this.#server.on('error', (error) => options.logger.error('local gateway server error', { error }));
    this.#server.on('upgrade', (req, socket, head) => {
      socket.on('error', (error) => options.logger.debug('WebSocket connection error', { error }));
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

  /** The limits this gateway applies. */
  get limits(): Readonly<ApiLimits> {
    return this.#limits;
  }

  get wsUrl(): string {
    return `${this.#url.replace(/^http/, 'ws')}/ws`;
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(this.#o.port ?? 0, this.#o.host ?? '127.0.0.1', () => {
        this.#server.off('error', reject);
        resolve();
      });
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

  #request(req: IncomingMessage, res: ServerResponse): void {
    req.on('error', (error) => this.#o.logger.debug('request stream error', { error }));
    res.on('error', (error) => this.#o.logger.debug('response stream error', { error }));
    this.#route(req, res).catch((error: unknown) => {
      this.#o.logger.error('local gateway request failed', { error, url: printable(req.url ?? '', 200) });
      this.#json(res, 500, { message: 'Internal error' });
    });
  }

  /** The most a request to this path may send. */
  #bodyLimit(req: IncomingMessage): number {
    const path = req.url ?? '';
    if (path.startsWith('/blobs/') && this.#o.blobs !== undefined) return this.#limits.uploadBytes;
    if (path.startsWith('/@connections/')) return this.#limits.wsMessageBytes;
    return this.#limits.httpBodyBytes;
  }

  async #route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = parseTarget(req);
    if (url === undefined) return refuse(req, res, BAD_TARGET);
    res.setHeader('access-control-allow-origin', '*');
    res.setHeader('access-control-allow-headers', 'authorization, content-type');
    res.setHeader('access-control-allow-methods', 'GET, POST, PUT, DELETE, OPTIONS');
    const preflight = req.method === 'OPTIONS';
    // These two read their bodies themselves, within their own limits.
    if (url.pathname.startsWith('/@connections/') && !preflight) return this.#connections(req, res, url);
    if (url.pathname.startsWith('/blobs/') && this.#o.blobs !== undefined && !preflight) {
      return serveBlob(req, res, url, {
        ...this.#o.blobs,
        logger: this.#o.logger,
        uploadBytes: this.#limits.uploadBytes,
        idleTimeoutMs: this.#limits.uploadIdleTimeoutMs,
      });
    }
    // Every other body — even one sent to a route that takes none (a preflight, /health, the
    // console) — is read within its limits before anyone looks at the token or answers: a client
    // still sending gets its answer (413 over the limit), not a connection closed under it.
    const read = await readLimitedBody(req, this.#limits.httpBodyBytes, this.#limits.bodyTimeoutMs);
    if (!read.ok) return refuse(req, res, read.refusal);
    if (preflight) {
      res.writeHead(204).end();
      return;
    }
    if (url.pathname === '/health') return this.#json(res, 200, { ok: true });
    if (await serveConsole(req, res, url)) return;
    const body = read.body.toString('utf8');
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
    // Connection ids are ours (hex); an id that is not one, however it is encoded, is gone.
    const id = url.pathname.slice('/@connections/'.length);
    const socket = /^[0-9a-f]{1,64}$/.test(id) ? this.#sockets.get(id) : undefined;
    if (socket === undefined) {
      res.writeHead(410, { 'content-type': 'application/json', 'x-amzn-errortype': 'GoneException' });
      res.end(JSON.stringify({ message: 'Gone', __type: 'GoneException' }));
      return;
    }
    if (req.method === 'POST') {
      // API Gateway refuses a message over the WebSocket frame limit; so does this.
      const read = await readLimitedBody(
        req,
        this.#limits.wsMessageBytes,
        this.#limits.bodyTimeoutMs,
        'The message',
      );
      if (!read.ok) return refuse(req, res, read.refusal);
      socket.send(read.body.toString('utf8'));
      res.writeHead(200).end();
    } else if (req.method === 'DELETE') {
      socket.close(1000, 'closed by the server');
      res.writeHead(204).end();
    } else
      this.#json(res, 200, { connectedAt: new Date().toISOString(), identity: { sourceIp: '127.0.0.1' } });
  }

  async #upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = parseTarget(req);
    const reject = (status: string): void => {
      if (socket.writable)
        socket.write(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      socket.destroy();
    };
    if (url === undefined) return reject('400 Bad Request');
    if (url.pathname !== '/ws') return reject('404 Not Found');
    // A handshake ws would refuse is refused before $connect stores a connection for it.
    if (!isHandshake(req)) return reject('400 Bad Request');
    const caller = this.#o.tokens.resolve(url.searchParams.get('token') ?? undefined);
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
    // A client that leaves before the handshake completes leaves no connection behind.
    let opened = false;
    const gone = (): void => {
      if (!opened)
        this.#track(this.#o.ws.disconnect({ requestContext: context('$disconnect') }), '$disconnect');
    };
    socket.once('close', gone);
    if (!socket.readable || !socket.writable) {
      socket.off('close', gone);
      gone();
      socket.destroy();
      return;
    }
    this.#wss.handleUpgrade(req, socket, head, (ws) => {
      opened = true;
      socket.off('close', gone);
      this.#sockets.set(connectionId, ws);
      // A bad frame (RSV bits, invalid UTF-8, an unmasked or oversized frame) has already closed this
      // socket with its code (1002, 1007, 1009) when ws reports it here; the process carries on.
      ws.on('error', (error: Error & { code?: string }) =>
        this.#o.logger.info('WebSocket closed on a bad frame', {
          connection_id: connectionId,
          reason: error.code ?? error.message,
        }),
      );
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
