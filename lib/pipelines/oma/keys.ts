/**
 * Where the OMA service keeps things. Every record collection and storage key starts with the
 * tenant, so no request of one tenant can name another's data; a run's outputs share one prefix,
 * so an aborted or failed run is cleaned up by deleting that prefix.
 *
 * Records (RecordStore):
 *   oma/<tenant>/analyses/<structure>   one record per analysis
 *   oma/<tenant>/structures             one record per structure: the dataset analyses reuse
 *   oma/<tenant>/results/<structure>    one record per finished run: modes, shapes, MAC
 * Storage (BlobStore):
 *   oma/<tenant>/<structure>/analyses/<analysis>/measurements.csv   the uploaded CSV
 *   oma/<tenant>/<structure>/runs/<run>/dataset.stgcds              a preprocessed dataset
 *   oma/<tenant>/<structure>/runs/<run>/result.json                 the full result
 *   oma/<tenant>/<structure>/runs/<run>/modes.json                  the results record's content
 */

export const OMA_PIPELINE = 'oma';
export const STATUS_EVENT_TYPE = 'oma.analysis.status';

export const analysesCollection = (tenant: string, structureId: string): string =>
  `oma/${tenant}/analyses/${structureId}`;

export const structuresCollection = (tenant: string): string => `oma/${tenant}/structures`;

export const resultsCollection = (tenant: string, structureId: string): string =>
  `oma/${tenant}/results/${structureId}`;

export const csvKey = (tenant: string, structureId: string, analysisId: string): string =>
  `oma/${tenant}/${structureId}/analyses/${analysisId}/measurements.csv`;

/** Ends with '/', so that listing it never matches another run whose id extends this one. */
export const runPrefix = (tenant: string, structureId: string, runId: string): string =>
  `oma/${tenant}/${structureId}/runs/${runId}/`;

export const datasetKey = (tenant: string, structureId: string, runId: string): string =>
  `${runPrefix(tenant, structureId, runId)}dataset.stgcds`;

export const resultKey = (tenant: string, structureId: string, runId: string): string =>
  `${runPrefix(tenant, structureId, runId)}result.json`;

export const modesKey = (tenant: string, structureId: string, runId: string): string =>
  `${runPrefix(tenant, structureId, runId)}modes.json`;
