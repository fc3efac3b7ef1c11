import { Readable } from 'node:stream';
import { ValidationError } from '../../core/ports/index.js';
import { defineStage } from '../../core/sdk/index.js';
import {
  checkBand,
  datasetChunks,
  defaultDecimation,
  defaultFmax,
  preprocessRecord,
  readCsv,
} from '../../oma/index.js';
import { toStageError } from './engine-errors.js';
import { datasetKey } from './keys.js';
import type { DatasetSummary, PreprocessingParameters } from './schemas.js';
import { analysisInputs, existingKey, parametersInput } from './stage-inputs.js';

/** Fewer samples than this (read, or left after decimation) cannot give a spectrum or an SSI model. */
export const MIN_SAMPLES = 256;
const MAX_WARNINGS = 5;
/** Channel names go into the summary (MULTI_SETUP checks references by name) up to this many. */
const MAX_CHANNEL_NAMES = 256;

/**
 * PREPROCESSING, and the first stage of an FDD or SSI analysis that brought its own CSV: streams
 * the measurement CSV from storage (never held as text), removes the trend, decimates (and
 * filters, when asked), and writes the compact binary dataset under the run's prefix. The dataset
 * is Float32: accelerometer data rarely carries more than 7 significant digits.
 */
export const preprocessStage = defineStage({
  name: 'preprocess',
  description: 'Measurement CSV → detrended, decimated binary dataset',
  inputs: {
    ...analysisInputs,
    parameters: parametersInput,
    csv_key: existingKey(
      (params) =>
        `No measurement CSV was uploaded for analysis '${String(params.analysis_id)}': ask for an upload URL (POST /structures/${String(params.structure_id)}/analyses/${String(params.analysis_id)}/upload-url), PUT the CSV to it, then run the analysis again.`,
    ),
  },
  outputs: ['dataset_key', 'dataset'],
  timeoutMs: 10 * 60_000,
  heartbeatMs: 500,
  compute: { kind: 'lambda', memoryMb: 3008, concurrency: 10, batchSize: 1 },
  async process({ structure_id, parameters, csv_key }, ctx) {
    try {
      // Every type's parameters carry the CSV ones (fs, decimate, detrend, fmax); only PREPROCESSING has a filter.
      const p: Partial<PreprocessingParameters> & Pick<PreprocessingParameters, 'decimate' | 'detrend'> =
        parameters;
      const control = { signal: ctx.signal };
      ctx.progress(0, 'reading the CSV');
      const measurement = await readCsv(
        await ctx.storage.getStream(csv_key),
        { dtype: 'float32', minSamples: MIN_SAMPLES, ...(p.fs === undefined ? {} : { fs: p.fs }) },
        control,
      ).catch((error: unknown) => {
        throw toStageError(error, { csvSubject: 'The measurement CSV' });
      });
      const fs = measurement.fs;
      if (fs === undefined) {
        throw new ValidationError(
          'The measurement CSV has no time column to derive the sampling rate from: create the analysis with parameters.fs (Hz).',
          { code: 'NO_SAMPLING_RATE' },
        );
      }
      const fmax = p.fmax ?? defaultFmax(fs);
      checkBand(undefined, fmax, fs / 2);
      const q = p.decimate === 'auto' ? defaultDecimation(fs, fmax) : p.decimate;
      ctx.progress(30, `${measurement.channels.length} channels × ${measurement.rows} samples read`);
      const pre = await preprocessRecord(
        measurement.channels,
        fs,
        { detrend: p.detrend, decimate: q, ...(p.filter === undefined ? {} : { filter: p.filter }) },
        { signal: ctx.signal, onProgress: (f, message) => ctx.progress(30 + 60 * f, message) },
      );
      const samples = pre.channels[0]?.length ?? 0;
      if (samples < MIN_SAMPLES) {
        throw new ValidationError(
          `Too few samples: ${measurement.rows} at ${fs} Hz leave ${samples} after decimating by ${q}; at least ${MIN_SAMPLES} are needed (record longer, or decimate less).`,
          { code: 'INSUFFICIENT_DATA' },
        );
      }
      ctx.signal.throwIfAborted();
      const key = datasetKey(ctx.job.tenant_id, structure_id, ctx.job.job_id);
      const dataset = {
        fs: pre.fs,
        names: measurement.names,
        units: measurement.names.map(() => ''),
        channels: pre.channels,
        provenance: [{ step: 'read', fsInput: fs, samples: measurement.rows }, ...pre.provenance],
      };
      await ctx.storage.put(key, Readable.from(datasetChunks(dataset, 'float32')), {
        contentType: 'application/octet-stream',
      });
      ctx.progress(100, 'dataset written');
      const summary: DatasetSummary = {
        fs: pre.fs,
        fs_input: fs,
        decimate: q,
        samples,
        channels: pre.channels.length,
        duration_s: samples / pre.fs,
        // Bounded: job params are references and small facts, never payloads.
        warnings: measurement.warnings.slice(0, MAX_WARNINGS).map((w) => w.slice(0, 200)),
        ...(measurement.names.length <= MAX_CHANNEL_NAMES
          ? { channel_names: measurement.names.map((n) => n.slice(0, 200)) }
          : {}),
      };
      return { dataset_key: key, dataset: summary };
    } catch (error) {
      throw toStageError(error);
    }
  },
});
