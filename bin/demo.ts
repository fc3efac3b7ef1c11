/**
 * `npm run demo`: the OMA service end to end on this machine. It simulates a five-storey shear
 * frame's accelerations (known modes), starts the dev runtime on the embedded backend with its
 * HTTP and WebSocket servers, and then, as any client would, over HTTP: creates a PREPROCESSING
 * analysis, uploads the CSV through a presigned URL and runs it; runs an SSI and an FDD analysis
 * that reuse the structure's dataset, with live progress from the WebSocket; and prints the
 * identified modes beside the true ones. Exits 0 when both methods found every mode. It ends by
 * printing the web console's URL; with `--serve` it keeps the runtime up (Ctrl-C stops it) so the
 * analyses can be looked at there.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { openNodeSocket } from '../lib/cli/node-socket.js';
import { table } from '../lib/cli/oma-format.js';
import { PRESETS } from '../lib/cli/oma-simulate.js';
import { Output } from '../lib/cli/output.js';
import { createRenderer } from '../lib/cli/progress.js';
import { StageBoard } from '../lib/cli/stage-board.js';
import { uploadMeasurement } from '../lib/cli/upload.js';
import { ApiError } from '../lib/client/http.js';
import { type OmaClient as Client, OmaClient, type ResultMode } from '../lib/client/oma.js';
import { LiveClient, statusOf, watchAnalysis } from '../lib/client/oma-live.js';
import { DevRuntime } from '../lib/dev/runtime.js';
import { mac, simulateResponse, type TrueMode, writeCsv } from '../lib/oma/index.js';
import type { AnalysisType } from '../lib/pipelines/oma/schemas.js';
import { registry } from '../lib/pipelines/registry.js';

const FS = PRESETS.frame.fs;
const DURATION_S = PRESETS.frame.minutes * 60;
const STRUCTURE = 'demo-frame';
const TOKEN = 'dev-token-tenant-a';
const SERVE = process.argv.slice(2).includes('--serve');
const started = performance.now();
const elapsed = (): string => `${((performance.now() - started) / 1000).toFixed(1).padStart(5)} s`;

/**
 * Five storeys of 1000 kg, stiffness chosen for f₁ = 3 Hz; damping 1-2.5 %: the record
 * `stagecoach oma simulate record.csv --preset frame` writes, kept in memory here.
 */
async function measurements(): Promise<{ csv: Buffer; modes: TrueMode[] }> {
  const frame = PRESETS.frame;
  const record = await simulateResponse(frame.model(), {
    fs: FS,
    duration: DURATION_S,
    channels: frame.channels.map((c) => c.dof),
    seed: 7,
    noiseFraction: frame.noise,
  });
  const chunks: Buffer[] = [];
  const sink = new PassThrough();
  sink.on('data', (chunk: Buffer) => chunks.push(chunk));
  const names = frame.channels.map((c) => c.name);
  await writeCsv(sink, record.channels, { fs: FS, names });
  return { csv: Buffer.concat(chunks), modes: record.modes };
}

/** Creates and runs an analysis, with its progress drawn from the WebSocket until it ends. */
async function analyse(client: Client, live: LiveClient, type: AnalysisType, csv?: Buffer): Promise<string> {
  const created = await client.createAnalysis(STRUCTURE, {
    type,
    name: `demo ${type}`,
    parameters: type === 'FDD' ? { method: 'efdd' } : {},
  });
  if (csv !== undefined) {
    const target = await uploadMeasurement(client, STRUCTURE, created.analysis_id, csv);
    console.log(
      `${elapsed()}  uploaded ${(csv.length / 1e6).toFixed(1)} MB through a presigned PUT → ${target.key}`,
    );
  }
  // The command line's progress renderer: a bar per stage, in the order of the events' sequence.
  const board = new StageBoard(
    type === 'PREPROCESSING' ? ['preprocess', 'analyze', 'publish'] : ['analyze', 'publish'],
  );
  const renderer = createRenderer({ output: new Output(), label: type.padEnd(13) });
  const final = await watchAnalysis(
    client,
    live,
    STRUCTURE,
    created.analysis_id,
    { onEvent: (event) => renderer.update(board, event.stage, board.apply(event)) },
    { start: () => client.run(STRUCTURE, created.analysis_id) },
  );
  renderer.stop(board);
  console.log(
    `${elapsed()}  ${type.padEnd(13)} ${final.status}${final.error === undefined ? '' : `: ${final.error.message}`}`,
  );
  if (final.status !== 'DONE') throw new Error(`the ${type} analysis ended ${final.status}`);
  return created.analysis_id;
}

interface Match {
  readonly mode: ResultMode;
  readonly mac: number;
}

/** The identified mode nearest each true one (±5 % in frequency) with the highest MAC. */
function match(truth: readonly TrueMode[], modes: readonly ResultMode[]): (Match | undefined)[] {
  return truth.map((t) => {
    let best: Match | undefined;
    for (const mode of modes) {
      if (Math.abs(mode.frequency - t.frequency) > 0.05 * t.frequency) continue;
      const value = mac({ re: t.shape }, { re: Float64Array.from(mode.shape, (v) => v ?? 0) });
      if (best === undefined || value > best.mac) best = { mode, mac: value };
    }
    return best;
  });
}

/** Found: within 1 % of the true frequency, and the same shape. */
const found = (m: Match | undefined, t: TrueMode): boolean =>
  m !== undefined && Math.abs(m.mode.frequency - t.frequency) <= 0.01 * t.frequency && m.mac >= 0.9;

const cells = (m: Match | undefined): string[] =>
  m === undefined
    ? ['-', '-', '-']
    : [
        m.mode.frequency.toFixed(3),
        m.mode.damping === null ? '-' : (100 * m.mode.damping).toFixed(2),
        m.mac.toFixed(4),
      ];

async function main(): Promise<boolean> {
  console.log(
    `Simulating a five-storey shear frame: 5 channels, ${DURATION_S / 60} min at ${FS} Hz, 5 % noise...`,
  );
  const { csv, modes: truth } = await measurements();
  const dir = await mkdtemp(join(tmpdir(), 'stagecoach-demo-'));
  const runtime = await DevRuntime.start({
    backend: 'memory',
    services: registry.select(['oma']),
    port: 0,
    tokensFile: join(dir, 'tokens.json'),
  });
  const live = await LiveClient.connect(runtime.wsUrl, TOKEN, openNodeSocket);
  try {
    console.log(
      `${elapsed()}  dev runtime (embedded backend): HTTP ${runtime.url}, WebSocket ${runtime.wsUrl}`,
    );
    const client = new OmaClient({ url: runtime.url, token: TOKEN });
    const statuses: string[] = [];
    live.onMessage((message) => {
      const detail = statusOf(message);
      if (detail !== undefined) statuses.push(`${detail.run_type}:${detail.status}`);
    });
    await live.subscribeTenant();

    console.log(
      `\nStructure '${STRUCTURE}': preprocess the measurements once, then identify its modes twice.\n`,
    );
    await analyse(client, live, 'PREPROCESSING', csv);
    const dataset = (await client.structure(STRUCTURE)).dataset;
    if (dataset !== null) {
      const d = dataset.dataset;
      console.log(
        `${elapsed()}  dataset: ${d.channels} channels × ${d.samples} samples at ${d.fs} Hz, reused by both analyses`,
      );
    }
    const ssi = await analyse(client, live, 'SSI');
    const fdd = await analyse(client, live, 'FDD');
    const [ssiModes, fddModes] = await Promise.all(
      [ssi, fdd].map(async (id) => (await client.results(STRUCTURE, id)).result?.modes ?? []),
    );
    console.log(`${elapsed()}  status events on the tenant's WebSocket stream: ${statuses.length}`);

    const bySsi = match(truth, ssiModes ?? []);
    const byFdd = match(truth, fddModes ?? []);
    console.log('\nIdentified modes beside the true ones (ζ in %, MAC against the true shape):\n');
    console.log(
      table(
        ['mode', 'true f [Hz]', 'true ζ', 'SSI f', 'SSI ζ', 'SSI MAC', 'EFDD f', 'EFDD ζ', 'EFDD MAC'],
        truth.map((t, i) => [
          String(i + 1),
          t.frequency.toFixed(3),
          (100 * t.damping).toFixed(2),
          ...cells(bySsi[i]),
          ...cells(byFdd[i]),
        ]),
      ),
    );
    const ok = truth.every((t, i) => found(bySsi[i], t) && found(byFdd[i], t));
    console.log(
      ok
        ? `\nBoth methods found all ${truth.length} modes (within 1 % in frequency, MAC ≥ 0.9). Done in ${elapsed().trim()}.`
        : '\nSome modes were not found; see the table above.',
    );
    console.log(
      `\nConsole: ${runtime.url}/#/oma/${STRUCTURE}  (sign in with ${TOKEN})${SERVE ? '' : ' — run `npm run demo -- --serve` to keep it open'}`,
    );
    if (SERVE) {
      console.log('Serving until Ctrl-C...');
      await new Promise<void>((resolve) => {
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      });
    }
    return ok;
  } finally {
    live.close();
    await runtime.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

try {
  process.exitCode = (await main()) ? 0 : 1;
} catch (error) {
  console.error(
    `\ndemo failed: ${error instanceof ApiError ? error.describe() : error instanceof Error ? error.message : String(error)}`,
  );
  process.exitCode = 1;
}
